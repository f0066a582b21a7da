#!/usr/bin/env python3
"""Proves the module's state fragments are the states `asl-guard wrap` writes.

Input: the JSON lines of `terraform test -json -verbose` run in
examples/hand-merged, whose applies on mocks leave the merged definition in the
output `definition`: run `merged_definition` in poll mode, run
`merged_definition_callback` in callback mode. For each:

1. asl-validator (ASL_GUARD_ASL_VALIDATOR, or tools/node_modules/.bin) accepts it;
2. `asl-guard check` finds nothing wrong with it;
3. `asl-guard wrap --around SendInvoice` with the example's options (and
   `--wait callback` for the callback run) recognises the hand-merged guard and
   writes the same definition back, apart from the free text of `Comment` and
   `Cause`. Object keys are compared as sets (Terraform's jsonencode sorts
   them), lists in order.

A tool that is not found is reported as skipped (there is no binary before the
workspace is built). Prints `fragments-vs-cli: N passed, M failed`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_external_example import Checks, find_binary  # noqa: E402

REPO = Path(__file__).resolve().parent.parent.parent
FREE_TEXT = {"Comment", "Cause"}
# The options examples/hand-merged gives the module.
WRAP_ARGS = ["--around", "SendInvoice", "--semaphore", "invoice-api", "--limit", "3", "--max-wait", "900"]
# Run of tests/definition.tftest.hcl => (wait mode, extra `wrap` arguments).
RUNS = {
    "merged_definition": ("poll", []),
    "merged_definition_callback": ("callback", ["--wait", "callback"]),
}


def definitions_from(jsonl: Path) -> dict[str, str]:
    """The `definition` output of each run, by run name."""
    found = {}
    for line in jsonl.read_text().splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if message.get("type") == "test_state":
            outputs = message["test_state"].get("outputs", {})
            if "definition" in outputs:
                found.setdefault(message.get("@testrun", ""), outputs["definition"]["value"])
    return found


def without_free_text(value):
    if isinstance(value, dict):
        return {k: without_free_text(v) for k, v in value.items() if k not in FREE_TEXT}
    if isinstance(value, list):
        return [without_free_text(v) for v in value]
    return value


def validator() -> str | None:
    explicit = os.environ.get("ASL_GUARD_ASL_VALIDATOR")
    if explicit and os.access(explicit, os.X_OK):
        return explicit
    local = REPO / "tools" / "node_modules" / ".bin" / "asl-validator"
    return str(local) if os.access(local, os.X_OK) else None


def run(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


def check_one(checks: Checks, mode: str, extra: list[str], text: str, tmp: Path) -> None:
    definition = json.loads(text)
    function = definition["States"]["AcquireLease"]["Parameters"]["FunctionName"]
    path = tmp / f"hand-merged-{mode}.asl.json"
    path.write_text(json.dumps(definition, indent=2))

    tool = validator()
    if tool:
        done = run([tool, "--json-path", str(path)])
        checks.check(f"{mode}: asl-validator accepts it", done.returncode == 0, done.stdout + done.stderr)
    else:
        print(f"skip {mode}: asl-validator accepts it: asl-validator not found")

    binary = find_binary()
    if not binary:
        print(f"skip {mode}: asl-guard check finds nothing: no asl-guard binary found (set ASL_GUARD)")
        print(f"skip {mode}: asl-guard wrap writes the same states: no asl-guard binary found")
        return
    done = run([binary, "check", str(path)])
    checks.check(f"{mode}: asl-guard check finds nothing", done.returncode == 0, done.stdout + done.stderr)
    done = run([binary, "wrap", *WRAP_ARGS, *extra, "--function", function, str(path)])
    same = False
    if done.returncode == 0:
        try:
            rewrapped = json.loads(done.stdout)
            same = without_free_text(rewrapped) == without_free_text(definition)
        except ValueError:
            pass
    how = " ".join(extra) or "(--wait poll)"
    checks.check(
        f"{mode}: asl-guard wrap {how} with the same options writes the same states",
        same,
        done.stderr.strip()[:500] or "definitions differ beyond Comment and Cause",
    )


def main() -> int:
    checks = Checks()
    found = definitions_from(Path(sys.argv[1]))
    with tempfile.TemporaryDirectory() as tmp:
        for run_name, (mode, extra) in RUNS.items():
            text = found.get(run_name)
            name = f"{mode}: examples/hand-merged run {run_name} yields a definition"
            if checks.check(name, text is not None):
                check_one(checks, mode, extra, text, Path(tmp))

    print(f"fragments-vs-cli: {checks.passed} passed, {checks.failed} failed")
    return 0 if checks.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
