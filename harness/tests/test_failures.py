"""Issue 5, test 3: every failure path gives the slot back and keeps the original error."""
from harness.guard import wrap

from .common import fanout, lease_calls, sem, single


def test_caught_error_releases_and_goes_to_the_users_catcher(sfn):
    semaphore = sem("caught")
    catch = [{"ErrorEquals": ["Work.Failed"], "ResultPath": "$.error", "Next": "Caught"}]
    original = fanout(function="caught", catch=catch)
    data = {"items": [{"id": i, "sleep": 0.05, **({"fail": "Work.Failed"} if i % 2 else {})}
                      for i in range(10)]}
    plain = sfn.run(original, data)
    guarded = sfn.run(wrap(original, "Work", semaphore=semaphore, limit=3), data)
    assert (guarded.status, plain.status) == ("SUCCEEDED", "SUCCEEDED")
    assert guarded.output == plain.output, "the catcher sees the same error output"
    assert all("error" in o for o in guarded.output[1::2])
    assert len(lease_calls(sfn, semaphore, "release", "released")) == 10
    assert sfn.holders(semaphore) == {}


def test_uncaught_error_releases_and_reraises_the_original_error(sfn):
    semaphore = sem("uncaught")
    data = {"id": f"u-{semaphore}", "fail": "Work.Boom"}
    plain = sfn.run(single("boom"), data)
    guarded = sfn.run(wrap(single("boom"), "Work", semaphore=semaphore), data)
    assert plain.status == guarded.status == "FAILED"
    assert (guarded.error, guarded.cause) == (plain.error, plain.cause)
    assert guarded.error == "Work.Boom"
    assert len(lease_calls(sfn, semaphore, "release", "released")) == 1
    assert sfn.holders(semaphore) == {}


def test_retry_that_succeeds_keeps_one_lease_and_releases_it(sfn):
    semaphore = sem("retry")
    retry = [{"ErrorEquals": ["Work.Flaky"], "IntervalSeconds": 1, "MaxAttempts": 3,
              "BackoffRate": 2}]
    data = {"items": [{"id": f"{semaphore}-{i}", "fail": "Work.Flaky", "failAttempts": 2}
                      for i in range(5)]}
    definition = wrap(fanout(function="flaky", retry=retry), "Work", semaphore=semaphore,
                      limit=2)
    result = sfn.run(definition, data)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    calls = [c for c in sfn.stubs.calls if c.function == "flaky"
             and str(c.key).startswith(semaphore)]
    assert len(calls) == 15, "two failures and one success per item"
    assert len(lease_calls(sfn, semaphore, "acquire", "acquired")) == 5, "one grant per item"
    assert len(lease_calls(sfn, semaphore, "release", "released")) == 5
    assert sfn.holders(semaphore) == {}


def test_item_failure_aborting_siblings_frees_their_slots_through_release_execution(sfn):
    semaphore = sem("abort")
    data = {"items": [{"id": f"{semaphore}-{i}", "sleep": 1.5 if i == 0 else 5,
                       **({"fail": "Work.Boom"} if i == 0 else {})} for i in range(8)]}
    original = fanout(function="abort")
    plain = sfn.run(original, data)
    result = sfn.run(wrap(original, "Work", semaphore=semaphore, limit=8), data)
    assert plain.status == result.status == "FAILED"
    assert (result.error, result.cause) == (plain.error, plain.cause)
    reaped = lease_calls(sfn, semaphore, "releaseExecution")
    leftover = sfn.holders(semaphore)  # read at once: long before any 900 s lease expires
    print(f"aborted siblings: releaseExecution answers {[c.answer for c in reaped]}, "
          f"leases left {len(leftover)}")
    assert [c.answer.get("status") for c in reaped] == ["reaped"]
    assert reaped[0].answer["released"] == 7, "the 7 stopped siblings' slots"
    assert leftover == {}
