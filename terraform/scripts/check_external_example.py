#!/usr/bin/env python3
"""Checks the `data "external"` call of examples/complete against `asl-guard external`.

The example needs the hashicorp/external provider, which is not available
offline, so it cannot be initialised or validated here. This check reads the
example instead and proves what the protocol itself does not: that the
program is `asl-guard external`, that every query key is one the subcommand
accepts, that every value is a string (the external data source sends strings
only), and that the wrapped definition is taken from `result.definition`.

When an asl-guard binary is found (ASL_GUARD, PATH, or {release,debug} under
$CARGO_TARGET_DIR or the repository's target/), the example's query is also sent to it with the
definition rendered, and its answer must carry a definition (with `wait =
"callback"`, a `.waitForTaskToken` acquire).

Prints one line per check and `external-example: N passed, M failed`; exits 1
on any failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hcl_lite  # noqa: E402

TERRAFORM = Path(__file__).resolve().parent.parent
EXAMPLE = TERRAFORM / "examples" / "complete"

# The query keys `asl-guard external` accepts: read from the CLI's source when
# it is in the tree (src/external.rs, QUERY_KEYS), else the keys agreed for
# issue 4.
CLI_SOURCE = TERRAFORM.parent / "src" / "external.rs"
AGREED_KEYS = {"definition", "around", "semaphore", "function", "limit", "max_wait", "format"}


def accepted_keys() -> tuple[set[str], str]:
    if CLI_SOURCE.is_file():
        m = re.search(r"QUERY_KEYS\s*:\s*\[&str;\s*\d+\]\s*=\s*\[(.*?)\];", CLI_SOURCE.read_text(), re.S)
        if m:
            return set(re.findall(r'"([a-z_]+)"', m.group(1))), "src/external.rs"
    return AGREED_KEYS, "the keys agreed for issue 4"
REQUIRED_KEYS = {"definition", "around"}
# Functions whose result is always a string.
STRING_FUNCTIONS = {"tostring", "templatefile", "file", "jsonencode", "format", "join", "trimspace"}


class Checks:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        if ok:
            self.passed += 1
            print(f"ok   {name}")
        else:
            self.failed += 1
            print(f"FAIL {name}{': ' + detail if detail else ''}")
        return ok


def string_variables(body: hcl_lite.Body) -> set[str]:
    return {
        b.labels[0]
        for b in body.blocks_of("variable")
        if b.body.attributes.get("type") and b.body.attributes["type"].expr == "string"
    }


def module_string_outputs() -> set[str]:
    """Outputs of the root module that are strings (ARNs, names, JSON)."""
    body = hcl_lite.parse((TERRAFORM / "outputs.tf").read_text())
    return {b.labels[0] for b in body.blocks_of("output")} - {"sfn_lease_state_names"}


def is_string_expr(expr: str, variables: set[str], modules: dict[str, set[str]]) -> bool:
    expr = expr.strip()
    if expr.startswith('"') or expr.startswith("<<"):
        return True
    call = re.match(r"([a-z_]+)\(", expr)
    if call:
        return call.group(1) in STRING_FUNCTIONS and expr.endswith(")")
    ref = re.fullmatch(r"var\.([A-Za-z_][A-Za-z0-9_]*)", expr)
    if ref:
        return ref.group(1) in variables
    ref = re.fullmatch(r"module\.([A-Za-z_][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_]*)", expr)
    if ref:
        return ref.group(2) in modules.get(ref.group(1), set())
    return False


def find_binary() -> str | None:
    explicit = os.environ.get("ASL_GUARD")
    if explicit:
        return explicit
    found = shutil.which("asl-guard")
    if found:
        return found
    targets = [Path(os.environ["CARGO_TARGET_DIR"])] if os.environ.get("CARGO_TARGET_DIR") else []
    targets.append(TERRAFORM.parent / "target")
    for target in targets:
        for profile in ("release", "debug"):
            candidate = target / profile / "asl-guard"
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    return None


def run_binary(checks: Checks, binary: str, query: dict[str, str], template: str) -> None:
    """Sends a literal version of the example's query to the real subcommand."""
    definition = template.replace("${partition}", "aws").replace("${orders_table}", "orders")
    probe = {
        "definition": definition,
        "around": json.loads(query["around"]),
        "semaphore": json.loads(query["semaphore"]),
        "function": "arn:aws:lambda:eu-west-1:123456789012:function:asl-guard-lease-manager",
        "limit": "5",
        "max_wait": json.loads(query["max_wait"]),
        "wait": json.loads(query.get("wait", '"poll"')),
        "format": json.loads(query["format"]),
    }
    probe = {k: v for k, v in probe.items() if k in query}
    try:
        done = subprocess.run(
            [binary, "external"],
            input=json.dumps(probe),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except OSError as err:
        checks.check("asl-guard external accepts the example's query", False, str(err))
        return
    if not checks.check(
        "asl-guard external accepts the example's query",
        done.returncode == 0,
        done.stderr.strip()[:500],
    ):
        return
    try:
        answer = json.loads(done.stdout)
        wrapped = json.loads(answer["definition"])
        ok = isinstance(answer, dict) and all(isinstance(v, str) for v in answer.values())
        ok = ok and "States" in wrapped
    except (ValueError, KeyError, TypeError) as err:
        checks.check("its answer is a string map with a definition", False, str(err))
        return
    checks.check("its answer is a string map with a definition", ok)
    if probe.get("wait") == "callback":
        acquire = wrapped_acquire(wrapped)
        checks.check(
            "with wait = callback the guard acquires through .waitForTaskToken",
            acquire is not None and acquire.get("Resource", "").endswith(":lambda:invoke.waitForTaskToken"),
            f"acquire state: {json.dumps(acquire)[:300]}",
        )


def wrapped_acquire(definition: dict) -> dict | None:
    """The guard's acquire Task, at the top level or inside a Map's ItemProcessor."""
    for state in definition.get("States", {}).values():
        if not isinstance(state, dict):
            continue
        if state.get("Comment", "").startswith("asl-guard/acquire "):
            return state
        inner = state.get("ItemProcessor", state.get("Iterator"))
        if isinstance(inner, dict):
            found = wrapped_acquire(inner)
            if found is not None:
                return found
    return None


def main() -> int:
    checks = Checks()
    main_tf = (EXAMPLE / "main.tf").read_text()
    body = hcl_lite.parse(main_tf)
    variables = string_variables(hcl_lite.parse((EXAMPLE / "variables.tf").read_text()))
    modules = {
        b.labels[0]: module_string_outputs()
        for b in body.blocks_of("module")
        if b.body.attributes["source"].expr == '"../.."'
    }

    externals = body.blocks_of("data", "external")
    if not checks.check("examples/complete has one data \"external\"", len(externals) == 1):
        print(f"external-example: {checks.passed} passed, {checks.failed} failed")
        return 1
    block = externals[0]
    name = block.labels[1]
    attrs = block.body.attributes

    try:
        program = hcl_lite.string_list(attrs["program"].expr)
    except (KeyError, hcl_lite.HclError) as err:
        program = [f"<unreadable: {err}>"]
    checks.check(
        'program is ["asl-guard", "external"]',
        program == ["asl-guard", "external"],
        f"found {program}",
    )

    try:
        query = hcl_lite.object_items(attrs["query"].expr)
    except (KeyError, hcl_lite.HclError) as err:
        checks.check("query is an object constructor", False, str(err))
        print(f"external-example: {checks.passed} passed, {checks.failed} failed")
        return 1
    checks.check("query is an object constructor", True)
    accepted, source = accepted_keys()
    unknown = sorted(set(query) - accepted)
    checks.check(
        f"every query key is accepted by asl-guard external (per {source})",
        not unknown,
        f"unknown {unknown}",
    )
    missing = sorted(REQUIRED_KEYS - set(query))
    checks.check("query has definition and around", not missing, f"missing {missing}")
    not_strings = sorted(k for k, v in query.items() if not is_string_expr(v, variables, modules))
    checks.check("every query value is a string", not not_strings, f"not strings: {not_strings}")

    uses_result = re.search(
        rf"definition\s*=\s*data\.external\.{re.escape(name)}\.result\.definition\b", main_tf
    )
    checks.check("the state machine takes result.definition", bool(uses_result))

    template_match = re.search(r'templatefile\("\$\{path\.module\}/([^"]+)"', query.get("definition", ""))
    template_ok = bool(template_match) and (EXAMPLE / template_match.group(1)).is_file()
    template = ""
    if checks.check("the definition template exists", template_ok):
        template = (EXAMPLE / template_match.group(1)).read_text()
        rendered = re.sub(r"\$\{[a-z_]+\}", "x", template)
        try:
            states = json.loads(rendered)["States"]
            around = json.loads(query["around"])
            found = around in states or any(
                around in s.get("ItemProcessor", s.get("Iterator", {})).get("States", {})
                for s in states.values()
            )
        except (ValueError, KeyError, AttributeError) as err:
            found = False
            print(f"     template: {err}")
        checks.check("around names a state of the template", found)

    binary = find_binary()
    if binary and template:
        run_binary(checks, binary, query, template)
    else:
        print("skip asl-guard external accepts the example's query: no asl-guard binary found (set ASL_GUARD)")
        print("skip its answer is a string map with a definition: no asl-guard binary found")
        if query.get("wait", "").strip() == '"callback"':
            print("skip with wait = callback the guard acquires through .waitForTaskToken: no binary")

    print(f"external-example: {checks.passed} passed, {checks.failed} failed")
    return 0 if checks.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
