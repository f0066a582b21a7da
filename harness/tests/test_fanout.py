"""Issue 5, tests 1 and 2: the limit holds inside one Map and across executions."""
from harness.guard import wrap
from harness.stubs import max_overlap

from .common import fanout, items, sem


def test_unguarded_map_of_50_runs_more_than_5_at_once(sfn):
    """Control: without the guard the same Map does exceed 5, so the next test can fail."""
    start = len(sfn.stubs.calls)
    result = sfn.run(fanout(function="plain"), items(50, sleep=0.2))
    assert result.status == "SUCCEEDED"
    peak = max_overlap([(c.start, c.end) for c in sfn.stubs.calls[start:]])
    print(f"unguarded: peak {peak} of 50 at once, {len(result.events)} events")
    assert peak > 5


def test_map_of_50_under_limit_5_never_has_more_than_5_inside(sfn):
    semaphore = sem("fanout")
    definition = wrap(fanout(function="fanout50"), "Work", semaphore=semaphore, limit=5)
    data = items(50, sleep=0.2)
    result = sfn.run(definition, data)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    calls = [c for c in sfn.stubs.calls if c.function == "fanout50"]
    peak = max_overlap([(c.start, c.end) for c in calls])
    grants = [c for c in sfn.lease_calls if c.request.get("semaphore") == semaphore
              and c.answer.get("status") == "acquired"]
    releases = [c for c in sfn.lease_calls if c.request.get("semaphore") == semaphore
                and c.request.get("action") == "release"]
    max_held = max(c.answer["held"] for c in grants)
    print(f"guarded: peak {peak} of 50 (limit 5, max held {max_held}), {len(result.events)} events "
          f"({len(result.events) / 50:.1f} per item), {len(grants)} grants, "
          f"{len(releases)} releases")
    assert peak <= 5
    assert peak >= 2, "the guard serialised everything: no concurrency left"
    assert sorted(c.key for c in calls) == list(range(50)), "every item processed once"
    assert result.output == data["items"], "output equals the unguarded Map's"
    assert max(c.answer["held"] for c in grants) <= 5
    assert len(grants) == len(releases) == 50
    assert all(c.answer["status"] == "released" for c in releases)
    assert sfn.holders(semaphore) == {}, "every lease released"


def test_two_executions_share_one_semaphore(sfn):
    semaphore = sem("shared")
    definition = wrap(fanout(function="shared"), "Work", semaphore=semaphore, limit=5)
    machine = sfn.create(definition)
    arns = [sfn.start(machine, items(25, sleep=0.2, run=run)) for run in range(2)]
    results = [sfn.wait(arn) for arn in arns]
    assert [r.status for r in results] == ["SUCCEEDED"] * 2
    calls = [c for c in sfn.stubs.calls if c.function == "shared"]
    peak = max_overlap([(c.start, c.end) for c in calls])
    runs = [[(c.start, c.end) for c in calls if c.payload["run"] == run] for run in range(2)]
    # Both executions were inside the region during a common stretch of time.
    both = max(min(e for _, e in runs[0]), min(e for _, e in runs[1])) < min(
        max(s for s, _ in runs[0]), max(s for s, _ in runs[1]))
    print(f"two executions x 25 items: combined peak {peak} (limit 5), "
          f"each alone {[max_overlap(r) for r in runs]}, interleaved {both}")
    assert len(calls) == 50
    assert both
    assert peak <= 5
    assert sfn.holders(semaphore) == {}
