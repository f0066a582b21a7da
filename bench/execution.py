"""Execution benchmark: a guarded Map next to a plain Map with MaxConcurrency on the same work.

Runs both in the local harness (moto's ASL interpreter on 127.0.0.1, the real lease Lambda
`bootstrap` on dynalite, stub Tasks that sleep `--work` seconds) and prints, per run:

- makespan: first work start to last work end
- slot utilization: busy slot-time / (limit x makespan), busy = the stubs' work time; for
  the guard also the time slots were held (grant to release), which adds the interpreter's
  time between the grant and the work and between the work and the release
- median release-to-next-grant: from a slot coming free (a stub ending in the plain Map; a
  release answered in the guarded one) to the next item starting (plain) or being granted
- state transitions per item: `*StateEntered` history events / items (what AWS bills)
- history events per item (the 25,000-event budget of one execution)

Wait states and Retry intervals are scaled by `--scale` (the guard's `retryAfterSeconds`
of 1..cap seconds become 0.05..cap*0.05 s at the default), stub work is real time, so the
guarded figures depend on the ratio between the two; both are printed. No assertions.

    /var/tmp/asl-guard-venv/bin/python bench/execution.py [--items 50] [--limit 5]
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.guard import wrap  # noqa: E402
from harness.local import LocalStepFunctions  # noqa: E402


def fanout(function: str, max_concurrency: int) -> dict:
    work = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": function, "Payload.$": "$"},
            "OutputPath": "$.Payload", "End": True}
    return {"StartAt": "Fan", "States": {"Fan": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": max_concurrency,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Work",
                          "States": {"Work": work}},
        "End": True}}}


def gaps(frees, starts):
    """For each moment a slot came free, the time until the start that took that slot: the
    first start after it not already matched to an earlier free (one start per slot)."""
    starts = sorted(starts)
    out, i = [], 0
    for t in sorted(frees):
        while i < len(starts) and starts[i] < t:
            i += 1
        if i == len(starts):
            break
        out.append(starts[i] - t)
        i += 1
    return out


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def held_time(lease_calls, semaphore):
    """Sum over holders of grant answer -> release request."""
    granted, total = {}, 0.0
    for c in sorted(lease_calls, key=lambda c: c.start):
        if c.request.get("semaphore") != semaphore:
            continue
        if c.answer.get("status") == "acquired":
            granted[c.request["holder"]] = c.end
        elif c.request.get("action") == "release" and c.request["holder"] in granted:
            total += c.start - granted.pop(c.request["holder"])
    return total


def measure(local, name, definition, n, limit, work, frees_and_starts, semaphore=None):
    start = len(local.stubs.calls)
    data = {"items": [{"id": i, "sleep": work} for i in range(n)]}
    result = local.run(definition, data, timeout=3600)
    calls = [c for c in local.stubs.calls[start:] if c.function == name]
    begin, end = min(c.start for c in calls), max(c.end for c in calls)
    makespan = end - begin
    busy = sum(c.end - c.start for c in calls)
    frees, starts = frees_and_starts(calls)
    entered = sum(1 for e in result.events if e["type"].endswith("StateEntered"))
    held = held_time(local.lease_calls, semaphore) if semaphore else busy
    return {
        "status": result.status,
        "makespan s": makespan,
        "utilization (work)": busy / (limit * makespan),
        "utilization (held)": held / (limit * makespan),
        "release->grant ms": 1000 * statistics.median(gaps(frees, starts) or [float("nan")]),
        "  p90 ms": 1000 * percentile(gaps(frees, starts), 0.9),
        "transitions/item": entered / n,
        "events/item": len(result.events) / n,
        "events": len(result.events),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--limit", type=int, default=5)
    parser.add_argument("--work", type=float, default=0.2, help="stub work seconds per item")
    parser.add_argument("--scale", type=float, default=0.05, help="factor on Wait/Retry")
    parser.add_argument("--cap", type=int, default=4,
                        help="ASL_GUARD_MAX_RETRY_AFTER_SECONDS of the lease Lambda")
    args = parser.parse_args()
    env = {"ASL_GUARD_MAX_RETRY_AFTER_SECONDS": str(args.cap)}
    with LocalStepFunctions(bootstraps=4, scale=args.scale, lambda_env=env) as local:
        plain = measure(local, "plain", fanout("plain", args.limit), args.items, args.limit,
                        args.work, lambda calls: ([c.end for c in calls],
                                                  [c.start for c in calls]))
        semaphore = f"bench-{int(time.time())}"
        guarded_def = wrap(fanout("guarded", 0), "Work", semaphore=semaphore, limit=args.limit)
        before = len(local.lease_calls)

        def lease_moments(_calls):
            mine = [c for c in local.lease_calls[before:]
                    if c.request.get("semaphore") == semaphore]
            frees = [c.end for c in mine if c.request.get("action") == "release"]
            grants = [c.end for c in mine if c.answer.get("status") == "acquired"]
            return frees, grants

        guarded = measure(local, "guarded", guarded_def, args.items, args.limit, args.work,
                          lease_moments, semaphore)
    print(f"{args.items} items, limit {args.limit}, {args.work}s work per item, "
          f"Wait/Retry scale {args.scale}, retryAfterSeconds cap {args.cap}")
    print(f"{'':22}{'plain Map MaxConcurrency':>26}{'asl-guard lease':>18}")
    for key in plain:
        a, b = plain[key], guarded[key]
        fmt = (lambda v: f"{v:.2f}") if isinstance(a, float) else str
        print(f"{key:22}{fmt(a):>26}{fmt(b):>18}")


if __name__ == "__main__":
    main()
