#!/usr/bin/env python3
"""Checks that the lease manager's role grants exactly the DynamoDB calls it makes.

Reads the SDK calls (`.get_item()`, `.update_item()`, ...) in the lambda
crate's sources, leaving out the benchmark binary, and compares them with
`local.lambda_table_actions` in terraform/iam.tf. A call without a grant fails
at run time with AccessDenied; a grant without a call is privilege nobody
needs. Prints `iam-vs-lambda: N passed, M failed`.
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


def main() -> int:
    checks = Checks()
    if not LAMBDA_SRC.is_dir():
        print("skip the role grants the calls of lambda/src: no lambda sources")
        print("skip the role grants nothing the function does not call: no lambda sources")
        print(f"iam-vs-lambda: {checks.passed} passed, {checks.failed} failed")
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
    print(f"iam-vs-lambda: {checks.passed} passed, {checks.failed} failed")
    return 0 if checks.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
