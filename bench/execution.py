"""Execution benchmark: a plain Map with MaxConcurrency next to the asl-guard lease guard in
its two waiting modes (`--wait poll`, `--wait callback`) on the same work.

Runs each in the local harness (moto's ASL interpreter on 127.0.0.1, the real lease Lambda
`bootstrap` on dynalite, stub Tasks that sleep `--work` seconds) and prints, per run:

- makespan: first work start to last work end
- slot utilization, two ways:
  - "/ limit x makespan": busy slot-time / (limit x makespan) (the figure of earlier runs)
  - "/ allowed": busy slot-time / the slot-time the limit allows, the integral over the same
    span of min(limit, items not yet finished): the tail, where fewer than `limit` items are
    left, is not counted against the guard. 1.0 means a slot never sat free while an item
    was waiting for one.
  - "steady": busy / (limit x window), the window running from the moment every item had
    its first acquire answered (and a slot had been handed over once) to the last grant:
    items wait all through it, so the limit allows every slot; the start-up burst of
    acquires (which the Lambda serves `--bootstraps` at a time) and the tail are left out
  busy is the stubs' work ("work"), or for the guards grant to release ("held"), which adds
  the interpreter's time between the grant and the work and between the work and the release
- release -> grant: from a slot coming free to the next item taking it, matched one to one,
  median and p90. Plain Map: a stub ending -> the next stub starting. Guards: a release
  request reaching the Lambda -> the next grant: the acquire answer (poll) or the
  SendTaskSuccess reaching Step Functions (callback). "steady": only the releases inside the
  steady window above (the first releases can queue behind the start-up burst of acquires
  when the Lambda has few instances)
- state transitions per item: `*StateEntered` history events / items (what AWS bills)
- history events per item (the 25,000-event budget of one execution)
- lease Lambda calls per item

Wait states and Retry intervals are scaled by `--scale` (the polling guard's
`retryAfterSeconds` of 1..cap seconds become 0.05..cap*0.05 s at the default), stub work is
real time, so the polling figures depend on the ratio between the two; the callback mode has
no Wait state and does not depend on it. No assertions.

    /var/tmp/asl-guard-venv/bin/python bench/execution.py [--items 50] [--limit 5]
        [--modes plain,poll,callback] [--bootstraps 4] [--work 0.2]
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.guard import wrap  # noqa: E402
from harness.local import LocalStepFunctions  # noqa: E402

MODES = {"plain": "plain Map MaxConcurrency", "poll": "guard --wait poll",
         "callback": "guard --wait callback"}


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


def allowed(intervals, limit):
    """Slot-time the limit allows over the intervals' span: the integral of
    min(limit, intervals not yet ended), from the first start to the last end."""
    ends = sorted(e for _, e in intervals)
    t, total = min(s for s, _ in intervals), 0.0
    for done, end in enumerate(ends):
        total += min(limit, len(ends) - done) * (end - t)
        t = end
    return total


def utilization(intervals, limit):
    """(busy / (limit x span), busy / allowed) of (start, end) intervals."""
    busy = sum(e - s for s, e in intervals)
    span = max(e for _, e in intervals) - min(s for s, _ in intervals)
    return busy / (limit * span), busy / allowed(intervals, limit)


def window(intervals, limit, begin, end):
    """busy / (limit x (end - begin)), counting only the part of each interval inside."""
    if not end > begin:
        return float("nan")
    busy = sum(max(0.0, min(e, end) - max(s, begin)) for s, e in intervals)
    return busy / (limit * (end - begin))


def lease_view(local, semaphore, before_calls, before_answers):
    """Grant and release moments of one semaphore: (held intervals, frees, grants, calls,
    the moment every holder had its first acquire answered)."""
    calls = [c for c in local.lease_calls[before_calls:]
             if c.request.get("semaphore") == semaphore]
    token_of = {c.request["taskToken"]: c.request["holder"] for c in calls
                if c.request.get("taskToken")}
    granted = {}
    if token_of:  # callback: the grant is the SendTaskSuccess that reached the token
        for a in local.token_answers[before_answers:]:
            if a.accepted and a.kind == "success" and a.token in token_of:
                granted[token_of[a.token]] = a.time
    else:  # poll: the grant is the acquire answer
        for c in calls:
            if c.answer.get("status") == "acquired":
                granted.setdefault(c.request["holder"], c.end)
    releases = [c for c in calls if c.request.get("action") == "release"]
    held = [(granted[c.request["holder"]], c.start) for c in releases
            if c.request["holder"] in granted]
    first_answer = {}
    for c in sorted(calls, key=lambda c: c.end):
        if c.request.get("action") == "acquire":
            first_answer.setdefault(c.request["holder"], c.end)
    return (held, [c.start for c in releases], list(granted.values()), len(calls),
            max(first_answer.values()))


def measure(local, mode, n, limit, work):
    name = f"bench-{mode}"
    semaphore = f"bench-{mode}-{int(time.time() * 1000)}"
    if mode == "plain":
        definition = fanout(name, limit)
    else:
        definition = wrap(fanout(name, 0), "Work", semaphore=semaphore, limit=limit,
                          wait=mode, max_wait=3600)
    start, before_calls, before_answers = (len(local.stubs.calls), len(local.lease_calls),
                                           len(local.token_answers))
    data = {"items": [{"id": i, "sleep": work} for i in range(n)]}
    result = local.run(definition, data, timeout=3600)
    calls = [c for c in local.stubs.calls[start:] if c.function == name]
    worked = [(c.start, c.end) for c in calls]
    if mode == "plain":
        held, frees, grants, lambda_calls = worked, [e for _, e in worked], [
            s for s, _ in worked], 0
        arrived = min(frees)
    else:
        held, frees, grants, lambda_calls, arrived = lease_view(
            local, semaphore, before_calls, before_answers)
    entered = sum(1 for e in result.events if e["type"].endswith("StateEntered"))
    work_naive, work_allowed = utilization(worked, limit)
    held_naive, held_allowed = utilization(held, limit)
    first_handoff = min((g for g in grants if g >= min(frees)), default=float("inf"))
    steady_from = max(arrived, first_handoff)
    work_window = window(worked, limit, steady_from, max(grants))
    held_window = window(held, limit, steady_from, max(grants))
    handoffs = gaps(frees, grants)
    steady = gaps([f for f in frees if f >= steady_from], grants)
    return [  # (row label, value); None is a heading row
        ("status", result.status),
        ("makespan s", max(e for _, e in worked) - min(s for s, _ in worked)),
        ("utilization (work)", None),
        ("  / limit x makespan", work_naive),
        ("  / allowed", work_allowed),
        ("  steady", work_window),
        ("utilization (held)", None),
        ("  / limit x makespan", held_naive),
        ("  / allowed", held_allowed),
        ("  steady", held_window),
        ("release->grant ms", 1000 * statistics.median(handoffs or [float("nan")])),
        ("  p90 ms", 1000 * percentile(handoffs, 0.9)),
        ("  steady: median ms", 1000 * statistics.median(steady or [float("nan")])),
        ("  steady: p90 ms", 1000 * percentile(steady, 0.9)),
        ("transitions/item", entered / n),
        ("events/item", len(result.events) / n),
        ("events", len(result.events)),
        ("Lambda calls/item", lambda_calls / n),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--limit", type=int, default=5)
    parser.add_argument("--work", type=float, default=0.2, help="stub work seconds per item")
    parser.add_argument("--scale", type=float, default=0.05, help="factor on Wait/Retry")
    parser.add_argument("--cap", type=int, default=4,
                        help="ASL_GUARD_MAX_RETRY_AFTER_SECONDS of the lease Lambda")
    parser.add_argument("--bootstraps", type=int, default=4,
                        help="lease Lambda instances (bootstrap processes); invokes beyond "
                             "this many at once queue")
    parser.add_argument("--modes", default="plain,poll,callback",
                        help="comma-separated: plain, poll, callback")
    args = parser.parse_args()
    modes = args.modes.split(",")
    unknown = set(modes) - set(MODES)
    if unknown:
        parser.error(f"unknown modes {sorted(unknown)}; choose from {sorted(MODES)}")
    env = {"ASL_GUARD_MAX_RETRY_AFTER_SECONDS": str(args.cap)}
    runs, seconds = {}, {}
    with LocalStepFunctions(bootstraps=args.bootstraps, scale=args.scale,
                            lambda_env=env) as local:
        for mode in modes:
            began = time.monotonic()
            runs[mode] = measure(local, mode, args.items, args.limit, args.work)
            seconds[mode] = time.monotonic() - began
    print(f"{args.items} items, limit {args.limit}, {args.work}s work per item, "
          f"Wait/Retry scale {args.scale}, retryAfterSeconds cap {args.cap}, "
          f"{args.bootstraps} Lambda instances")
    print(f"{'':24}" + "".join(f"{MODES[m]:>26}" for m in modes))
    for row, (label, _) in enumerate(runs[modes[0]]):
        cells = []
        for m in modes:
            v = runs[m][row][1]
            cells.append("" if v is None else f"{v:.2f}" if isinstance(v, float) else str(v))
        print(f"{label:24}" + "".join(f"{c:>26}" for c in cells))
    print("wall clock s            " + "".join(f"{seconds[m]:>26.1f}" for m in modes))


if __name__ == "__main__":
    main()
