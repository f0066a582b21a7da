#!/usr/bin/env python3
"""Proves the module's state fragments are the states `asl-guard wrap` writes.

Input: the JSON lines of `terraform test -json -verbose` run in
examples/hand-merged, whose apply on mocks leaves the merged definition in the
output `definition`. Then:

1. asl-validator (ASL_GUARD_ASL_VALIDATOR, or tools/node_modules/.bin) accepts it;
2. `asl-guard check` finds nothing wrong with it;
3. `asl-guard wrap --around SendInvoice` with the example's options recognises
   the hand-merged guard and writes the same definition back, apart from the
   free text of `Comment` and `Cause`.

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


def definition_from(jsonl: Path) -> str | None:
    for line in jsonl.read_text().splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if message.get("type") == "test_state":
            outputs = message["test_state"].get("outputs", {})
            if "definition" in outputs:
                return outputs["definition"]["value"]
    return None


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


def main() -> int:
    checks = Checks()
    text = definition_from(Path(sys.argv[1]))
    if not checks.check("examples/hand-merged yields a definition", text is not None):
        print(f"fragments-vs-cli: {checks.passed} passed, {checks.failed} failed")
        return 1
    definition = json.loads(text)
    function = definition["States"]["AcquireLease"]["Parameters"]["FunctionName"]

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hand-merged.asl.json"
        path.write_text(json.dumps(definition, indent=2))

        tool = validator()
        if tool:
            done = run([tool, "--json-path", str(path)])
            checks.check("asl-validator accepts it", done.returncode == 0, done.stdout + done.stderr)
        else:
            print("skip asl-validator accepts it: asl-validator not found")

        binary = find_binary()
        if not binary:
            print("skip asl-guard check finds nothing: no asl-guard binary found (set ASL_GUARD)")
            print("skip asl-guard wrap writes the same states: no asl-guard binary found")
        else:
            done = run([binary, "check", str(path)])
            checks.check("asl-guard check finds nothing", done.returncode == 0, done.stdout + done.stderr)
            done = run([binary, "wrap", *WRAP_ARGS, "--function", function, str(path)])
            same = False
            if done.returncode == 0:
                try:
                    rewrapped = json.loads(done.stdout)
                    same = without_free_text(rewrapped) == without_free_text(definition)
                except ValueError:
                    pass
            checks.check(
                "asl-guard wrap with the same options writes the same states",
                same,
                done.stderr.strip()[:500] or "definitions differ beyond Comment and Cause",
            )

    print(f"fragments-vs-cli: {checks.passed} passed, {checks.failed} failed")
    return 0 if checks.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
