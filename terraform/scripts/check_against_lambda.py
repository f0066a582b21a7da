#!/usr/bin/env python3
"""Checks the module against the lease manager's source (lambda/src).

1. The role grants exactly the DynamoDB calls the function makes: the SDK
   calls (`.get_item()`, `.update_item()`, ...) outside the benchmark binary
   against `local.lambda_table_actions` in iam.tf. A call without a grant
   fails at run time with AccessDenied; a grant without a call is privilege
   nobody needs.
2. The callback-mode grant (`local.lambda_task_token_actions` in iam.tf)
   equals the Step Functions calls the function makes with aws-sdk-sfn
   (`.send_task_success()`, `.send_task_failure()`, ...). While lambda/src
   does not use aws-sdk-sfn at all (no dependency, no call), this is reported
   as skipped, naming the unchecked actions; a dependency without calls, or
   calls outside the grant, fail.
3. The input of the scheduled sweep target (callback.tf) is an action the
   function's request parser (lambda/src/protocol.rs) accepts; skipped, with
   the check above, while lambda/src does not use aws-sdk-sfn.
4. The function's environment in main.tf sets exactly the `ASL_GUARD_*`
   variables that lambda/src/config.rs reads (its `ENV_*` constants).

Prints `lambda-contract: N passed, M failed`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hcl_lite  # noqa: E402
from check_external_example import Checks  # noqa: E402

TERRAFORM = Path(__file__).resolve().parent.parent
LAMBDA_SRC = TERRAFORM.parent / "lambda" / "src"
CALLS = {
    "get_item": "GetItem",
    "put_item": "PutItem",
    "update_item": "UpdateItem",
    "delete_item": "DeleteItem",
    "query": "Query",
    "scan": "Scan",
    "batch_get_item": "BatchGetItem",
    "batch_write_item": "BatchWriteItem",
    "transact_get_items": "TransactGetItems",
    "transact_write_items": "TransactWriteItems",
}
CALL = re.compile(r"\.(" + "|".join(CALLS) + r")\(\)")
# Operations of the Step Functions API, as aws-sdk-sfn names its client
# methods. The tagging operations (tag_resource, untag_resource,
# list_tags_for_resource) are left out: DynamoDB's client has methods of the
# same names, and the function has no reason to tag anything.
SFN_OPERATIONS = (
    "create_activity create_state_machine create_state_machine_alias delete_activity "
    "delete_state_machine delete_state_machine_alias delete_state_machine_version "
    "describe_activity describe_execution describe_map_run describe_state_machine "
    "describe_state_machine_alias describe_state_machine_for_execution get_activity_task "
    "get_execution_history list_activities list_executions list_map_runs "
    "list_state_machine_aliases list_state_machine_versions list_state_machines "
    "publish_state_machine_version redrive_execution send_task_failure send_task_heartbeat "
    "send_task_success start_execution start_sync_execution stop_execution test_state "
    "update_map_run update_state_machine update_state_machine_alias "
    "validate_state_machine_definition"
).split()
SFN_CALL = re.compile(r"\.(" + "|".join(SFN_OPERATIONS) + r")\(\)")


def granted(local: str = "lambda_table_actions") -> set[str]:
    body = hcl_lite.parse((TERRAFORM / "iam.tf").read_text())
    for block in body.blocks_of("locals"):
        if local in block.body.attributes:
            return set(hcl_lite.string_list(block.body.attributes[local].expr))
    raise SystemExit(f"iam.tf has no local {local}")


def function_sources() -> list[Path]:
    """The function's Rust sources, without the benchmark binary."""
    return [p for p in sorted(LAMBDA_SRC.rglob("*.rs")) if "lease_bench" not in p.parts]


def called() -> set[str]:
    found = set()
    for path in function_sources():
        found |= {f"dynamodb:{CALLS[m]}" for m in CALL.findall(path.read_text())}
    return found


def pascal(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def sfn_called() -> set[str]:
    found = set()
    for path in function_sources():
        found |= {f"states:{pascal(m)}" for m in SFN_CALL.findall(path.read_text())}
    return found


def sfn_used() -> list[str]:
    """Where the function takes in aws-sdk-sfn: its manifest, its `use`s."""
    where = []
    manifest = LAMBDA_SRC.parent / "Cargo.toml"
    if manifest.is_file() and re.search(r"^aws-sdk-sfn\s*=", manifest.read_text(), re.M):
        where.append("lambda/Cargo.toml")
    for path in function_sources():
        if "aws_sdk_sfn" in path.read_text():
            where.append(str(path.relative_to(LAMBDA_SRC.parent.parent)))
    return where


def sweep_action() -> str | None:
    """The `action` the sweep target sends, from its `input = jsonencode({...})`."""
    body = hcl_lite.parse((TERRAFORM / "callback.tf").read_text())
    targets = body.blocks_of("resource", "aws_cloudwatch_event_target", "callback_sweep")
    if not targets or "input" not in targets[0].body.attributes:
        return None
    expr = targets[0].body.attributes["input"].expr.strip()
    m = re.fullmatch(r'jsonencode\(\{\s*action\s*=\s*"([a-zA-Z]+)"\s*\}\)', expr)
    return m.group(1) if m else None


def actions_parsed() -> set[str]:
    """Actions lambda/src/protocol.rs dispatches on (`"acquire" => ...` arms)."""
    protocol = LAMBDA_SRC / "protocol.rs"
    text = protocol.read_text() if protocol.is_file() else ""
    return set(re.findall(r'^\s*"([a-zA-Z]+)"\s*=>', text, re.M))


def check_callback(checks: Checks) -> None:
    grants, calls, used = granted("lambda_task_token_actions"), sfn_called(), sfn_used()
    if not used and not calls:
        print(
            "skip the callback_enabled grant equals the Step Functions calls of lambda/src: "
            f"lambda/src does not use aws-sdk-sfn yet, so {', '.join(sorted(grants))} are NOT checked"
        )
        print(
            "skip the sweep target sends an action lambda/src/protocol.rs parses: "
            "lambda/src has no callback mode yet (no aws-sdk-sfn)"
        )
        return
    checks.check(
        "the lease manager answers task tokens through aws-sdk-sfn",
        bool(calls) and bool(used),
        f"aws-sdk-sfn in {used or 'nothing'}; Step Functions calls: {sorted(calls) or 'none'}",
    )
    checks.check(
        "callback_enabled grants every Step Functions call of lambda/src",
        calls <= grants,
        f"not granted: {sorted(calls - grants)}",
    )
    checks.check(
        "callback_enabled grants nothing the function does not call",
        grants <= calls,
        f"granted but never called: {sorted(grants - calls)}",
    )
    action, parsed = sweep_action(), actions_parsed()
    checks.check(
        "the sweep target sends an action lambda/src/protocol.rs parses",
        action is not None and action in parsed,
        f"sweep target sends {action!r}; protocol.rs parses {sorted(parsed)}",
    )


def env_read() -> set[str]:
    config = LAMBDA_SRC / "config.rs"
    text = config.read_text() if config.is_file() else ""
    return set(re.findall(r'pub const ENV_[A-Z_]+: &str = "([A-Z0-9_]+)";', text))


def env_set() -> set[str]:
    body = hcl_lite.parse((TERRAFORM / "main.tf").read_text())
    function = body.blocks_of("resource", "aws_lambda_function", "this")[0]
    env = function.body.blocks_of("environment")[0]
    names = hcl_lite.object_keys(env.body.attributes["variables"].expr)
    return {n for n in names if n.startswith("ASL_GUARD_")}


def main() -> int:
    checks = Checks()
    if not LAMBDA_SRC.is_dir():
        print("skip the role grants the calls of lambda/src: no lambda sources")
        print("skip the role grants nothing the function does not call: no lambda sources")
        print("skip the callback_enabled grant equals the Step Functions calls: no lambda sources")
        print("skip the sweep target sends an action the function parses: no lambda sources")
        print("skip the environment sets what config.rs reads: no lambda sources")
        print(f"lambda-contract: {checks.passed} passed, {checks.failed} failed")
        return 0
    grants, calls = granted(), called()
    checks.check("the lease manager makes DynamoDB calls", bool(calls))
    checks.check(
        "the role grants every DynamoDB call of lambda/src",
        calls <= grants,
        f"not granted: {sorted(calls - grants)}",
    )
    checks.check(
        "the role grants nothing the function does not call",
        grants <= calls,
        f"granted but never called: {sorted(grants - calls)}",
    )
    check_callback(checks)
    read, written = env_read(), env_set()
    checks.check(
        "the environment sets exactly the variables lambda/src/config.rs reads",
        bool(read) and read == written,
        f"read but not set: {sorted(read - written)}; set but not read: {sorted(written - read)}",
    )
    print(f"lambda-contract: {checks.passed} passed, {checks.failed} failed")
    return 0 if checks.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
