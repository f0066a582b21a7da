"""A Python lease handler for comparing start-up and per-call time with the Rust bootstrap.

Speaks the Lambda Runtime API directly (urllib, no runtime interface client) and answers
`acquire` with the same reads and writes as the Rust handler: a consistent GetItem, the
execution index update, then one UpdateItem conditioned on the version. Benchmark use only:
it has none of the validation, release, reaper or retry logic.

Run through the benchmark's Runtime API stand-in:
    lease-bench --bootstrap python3 lambda/bench/python_handler.py
"""
import json
import os
import secrets
import time
import urllib.request

import boto3

TABLE = os.environ["ASL_GUARD_TABLE_NAME"]
API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
DB = boto3.client("dynamodb")


def acquire(req):
    key = {"pk": {"S": "sem#" + req["semaphore"]}}
    item = DB.get_item(TableName=TABLE, Key=key, ConsistentRead=True).get("Item", {})
    now = int(time.time())
    holders = item.get("holders", {}).get("M", {})
    live = [h["M"] for h in holders.values() if int(h["M"]["exp"]["N"]) > now]
    held = sum(int(h["w"]["N"]) for h in live)
    limit = int(item.get("limit", {}).get("N", req.get("limit", 1)))
    if held + 1 > limit:
        return {"status": "wait", "retryAfterSeconds": 1, "held": held, "limit": limit}
    exp = now + 900
    lease_id = "%s.%d" % (secrets.token_hex(12), exp)
    DB.update_item(
        TableName=TABLE, Key={"pk": {"S": "exec#" + req["execution"]}},
        UpdateExpression="ADD sems :s", ExpressionAttributeValues={":s": {"SS": [req["semaphore"]]}})
    entry = {"M": {"id": {"S": lease_id}, "w": {"N": "1"}, "exp": {"N": str(exp)},
                   "ex": {"S": req["execution"]}}}
    version = item.get("ver", {}).get("N")
    names = {"#h": "holders", "#v": "ver"}
    values = {":nv": {"N": str(int(version or 0) + 1)}}
    if holders or "holders" in item:
        names["#k"] = req["holder"]
        values[":e"] = entry
        update = "SET #h.#k = :e, #v = :nv"
    else:
        values[":m"] = {"M": {req["holder"]: entry}}
        update = "SET #h = :m, #v = :nv"
    if version is None:
        condition = "attribute_not_exists(#v)"
    else:
        condition = "#v = :ov"
        values[":ov"] = {"N": version}
    DB.update_item(TableName=TABLE, Key=key, UpdateExpression=update, ConditionExpression=condition,
                   ExpressionAttributeNames=names, ExpressionAttributeValues=values)
    return {"status": "acquired", "leaseId": lease_id, "expiresAt": exp, "held": held + 1,
            "limit": limit}


def main():
    while True:
        with urllib.request.urlopen(API + "next") as r:
            request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
            answer = json.dumps(acquire(json.loads(r.read()))).encode()
        urllib.request.urlopen(urllib.request.Request(API + request_id + "/response", answer))


if __name__ == "__main__":
    main()
