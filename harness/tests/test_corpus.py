"""Issue 5, test 8: data flow over the shared corpus.

For every corpus definition the interpreter can run with stubbed Tasks, the first Task state
(document order) is guarded and the wrapped run must end exactly as the original did: same
status, same output, or same error and cause; and the lease must be released. Definitions are
run with input `{}`, so many of them fail early on a missing field; they must fail the same way
when wrapped. Skipped, with counts printed: malformed files, patterns the stubs cannot answer
(`.sync`, `.waitForTaskToken`, activities, Distributed Map readers and writers), definitions
moto rejects, and runs that do not end within 20 s (polling loops waiting for a real service).
"""
import json
import re
from collections import Counter

import pytest
import yaml

from harness import paths
from harness.guard import wrap

from .common import sem

SKIP_PATTERNS = {".sync": "sync integration", ".waitForTaskToken": "task token",
                 ":activity:": "activity", "ItemReader": "Map ItemReader",
                 "ResultWriter": "Map ResultWriter", "DISTRIBUTED": "Distributed Map"}
TIMEOUT = 20
UNCATCHABLE = ("States.Runtime", "States.DataLimitExceeded")


def corpus_files():
    return sorted(p for p in paths.CORPUS.glob("*.asl.*") if p.suffix in (".json", ".yaml"))


def load(path):
    text = path.read_text()
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


def placeholders_to_arns(definition):
    """`${X}` in a Resource becomes a Lambda ARN for X (the stubs answer it)."""
    def fix(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "Resource" and isinstance(v, str) and "${" in v:
                    name = re.sub(r"[^A-Za-z0-9-_]", "", v) or "stub"
                    node[k] = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
                else:
                    fix(v)
        elif isinstance(node, list):
            for v in node:
                fix(v)
    fix(definition)
    return definition


def first_task(states):
    """Name of the first Task in document order, searching nested scopes depth-first."""
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        if state.get("Type") == "Task":
            return name
        scopes = [b.get("States", {}) for b in state.get("Branches", [])]
        scopes += [state[k].get("States", {}) for k in ("ItemProcessor", "Iterator")
                   if isinstance(state.get(k), dict)]
        for scope in scopes:
            found = first_task(scope)
            if found:
                return found
    return None


def test_wrapped_corpus_definitions_end_as_the_originals_do(sfn):
    counts, mismatches, known = Counter(), [], []
    previous = sfn.set_scale(0.002)
    try:
        for path in corpus_files():
            outcome = compare(sfn, path)
            counts[outcome[0]] += 1
            if outcome[0] == "MISMATCH":
                mismatches.append((path.name, outcome[1]))
            elif outcome[0].startswith("known"):
                known.append((path.name, outcome[1]))
    finally:
        sfn.set_scale(previous)
    print("\ncorpus:", dict(sorted(counts.items())))
    for name, detail in known:
        print(f"known finding {name}: {detail}")
    for name, detail in mismatches:
        print(f"MISMATCH {name}: {json.dumps(detail, default=str)[:2000]}")
    assert counts["same: SUCCEEDED"] + counts["same: FAILED"] >= 20
    assert mismatches == []
    assert counts["same: FAILED (slot freed by the reaper)"] > 0, "States.Runtime seen"


def compare(sfn, path):
    """Runs one corpus file original and wrapped; returns (category, detail)."""
    try:
        definition = load(path)
        assert isinstance(definition, dict) and isinstance(definition.get("States"), dict)
    except Exception:
        return ("skipped: malformed", None)
    text = json.dumps(definition)
    for pattern, reason in SKIP_PATTERNS.items():
        if pattern in text:
            return (f"skipped: {reason}", None)
    definition = placeholders_to_arns(definition)
    task = first_task(definition["States"])
    if task is None:
        return ("skipped: no Task", None)
    semaphore = sem("corpus")
    try:
        wrapped = wrap(definition, task, semaphore=semaphore, limit=1, format="json")
    except ValueError as e:
        return ("skipped: wrap refused", str(e))
    try:
        plain = sfn.run(definition, {}, timeout=TIMEOUT, stop_on_timeout=True, history=False)
    except Exception:
        return ("skipped: moto rejects", None)
    if plain.status != "SUCCEEDED" and plain.status != "FAILED":
        return ("skipped: no end in %ds" % TIMEOUT, None)
    guarded = sfn.run(wrapped, {}, timeout=TIMEOUT, stop_on_timeout=True, history=False)
    reaped = ""
    if guarded.error in UNCATCHABLE and sfn.holders(semaphore):
        # No catcher runs for these on AWS either: the reaper event frees the slot.
        sfn.reap(guarded.arn, "FAILED")
        reaped = " (slot freed by the reaper)"
    got = (guarded.status, normalise(guarded.output), guarded.error,
           normalise(guarded.cause), sfn.holders(semaphore))
    want = (plain.status, normalise(plain.output), plain.error, normalise(plain.cause), {})
    if got != want:
        if guarded.error == "States.Runtime" and "MUST NOT begin with the prefix 'States.'" in (
                guarded.cause) and plain.error.startswith("States."):
            return ("known: States.* error re-raised (test_reraise.py)", plain.error)
        return ("MISMATCH", {"task": task, "got": got, "want": want})
    return (f"same: {plain.status}{reaped}", None)


VOLATILE = [
    (r"event id #\d+", "event id #N"),  # the guard's states come first: later event ids
    (r"(sm|ex)-[0-9a-f]{10,12}", r"\1-X"),  # execution and state machine names
    (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)?", "TIME"),
    (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "UUID"),
]


def normalise(value) -> str:
    """JSON text of `value` with what differs between any two executions replaced."""
    text = json.dumps(value, sort_keys=True)
    for pattern, replacement in VOLATILE:
        text = re.sub(pattern, replacement, text)
    return text


@pytest.mark.parametrize("name", ["sample"])
def test_corpus_is_there(name):
    assert len(corpus_files()) >= 100, f"corpus not found at {paths.CORPUS}"
