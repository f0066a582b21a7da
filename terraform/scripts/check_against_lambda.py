#!/usr/bin/env python3
"""Checks the module against the lease manager's source (lambda/src).

1. The role grants exactly the DynamoDB calls the function makes: the SDK
   calls (`.get_item()`, `.update_item()`, ...) outside the benchmark binary
   against `local.lambda_table_actions` in iam.tf. A call without a grant
   fails at run time with AccessDenied; a grant without a call is privilege
   nobody needs.
2. The function's environment in main.tf sets exactly the `ASL_GUARD_*`
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


def granted() -> set[str]:
    body = hcl_lite.parse((TERRAFORM / "iam.tf").read_text())
    for block in body.blocks_of("locals"):
        if "lambda_table_actions" in block.body.attributes:
            return set(hcl_lite.string_list(block.body.attributes["lambda_table_actions"].expr))
    raise SystemExit("iam.tf has no local lambda_table_actions")


def called() -> set[str]:
    found = set()
    for path in LAMBDA_SRC.rglob("*.rs"):
        if "lease_bench" in path.parts:
            continue
        found |= {f"dynamodb:{CALLS[m]}" for m in CALL.findall(path.read_text())}
    return found


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
