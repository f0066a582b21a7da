"""Issue 5, test 7: the history budget (25,000 events per execution).

An inline Map writes every iteration's events into the parent execution's history; a polling
guard adds its acquire/check/wait loop per item. Measured here for 50 items under limit 5;
`check` must warn about it; and the documented way past it, a Distributed Map (each item a
child execution with its own history), is shown to hold the limit for 200 items while the
parent history stays tiny.

500 items are too slow for CI here: moto runs every iteration as a thread of one Python
process, so hundreds of polling iterations contend for the GIL. Measured on the 2-core
machine: a guarded Distributed Map of 500 items took about 8 minutes (54 polls per item with
the tests' 4 s retry cap); a guarded inline Map of 500 items had not finished after 15 minutes
and starved moto's server. Set ASL_GUARD_SLOW_TESTS=1 to run the 500-item cases.
"""
import os

from harness.guard import check, wrap
from harness.stubs import max_overlap

from .common import fanout, items, lease_calls, sem

HISTORY_LIMIT = 25_000


def events_per_item(sfn, n, mode="INLINE"):
    semaphore = sem(f"history-{mode.lower()}-{n}")
    function = f"hist-{semaphore}"
    original = fanout(function=function)
    if mode == "DISTRIBUTED":
        original["States"]["Fan"]["ItemProcessor"]["ProcessorConfig"] = {
            "Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    plain = sfn.run(original, items(n, sleep=0.05), timeout=900)
    definition = wrap(original, "Work", semaphore=semaphore, limit=5)
    guarded = sfn.run(definition, items(n, sleep=0.05), timeout=900)
    calls = [c for c in sfn.stubs.calls if c.function == function]
    peak = max_overlap([(c.start, c.end) for c in calls[n:]])
    polls = len(lease_calls(sfn, semaphore, "acquire", "wait"))
    print(f"{mode} {n} items: {len(guarded.events)} events guarded "
          f"({len(guarded.events) / n:.1f}/item, {polls / n:.1f} waits/item) vs "
          f"{len(plain.events)} unguarded ({len(plain.events) / n:.1f}/item); peak {peak}")
    assert plain.status == guarded.status == "SUCCEEDED"
    assert guarded.output == plain.output
    assert peak <= 5
    assert sfn.holders(semaphore) == {}
    return definition, guarded


def test_inline_map_of_50_events_per_item_and_check_warns(sfn):
    definition, result = events_per_item(sfn, 50)
    assert len(result.events) < HISTORY_LIMIT
    code, out = check(definition)
    print(f"check: exit {code}: {out.strip()}")
    assert "history" in out.lower(), "check warns about the history budget of an inline Map"


SLOW = not os.environ.get("ASL_GUARD_SLOW_TESTS")


def test_distributed_map_keeps_the_parent_history_small(sfn):
    definition, result = events_per_item(sfn, 200 if SLOW else 500, mode="DISTRIBUTED")
    assert len(result.events) < 100
    code, out = check(definition)
    assert "history" not in out.lower(), out
