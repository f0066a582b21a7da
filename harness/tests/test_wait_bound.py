"""Issue 5, test 5: a lease never granted ends in Lease.WaitTimeout within `--max-wait`."""
import time
import uuid

from harness.guard import wrap

from .common import lease_calls, single
from .conftest import LAMBDA_ENV

MAX_WAIT = 60


def block(sfn, semaphore):
    """Takes the only slot of `semaphore` for a holder outside any execution."""
    ok, answer = sfn.lease({"action": "acquire", "semaphore": semaphore, "holder": "blocker",
                            "execution": "arn:aws:states:us-east-1:123456789012:execution:x:y",
                            "limit": 1})
    assert ok and answer["status"] == "acquired", answer
    return answer["leaseId"]


def unblock(sfn, semaphore, lease_id):
    ok, answer = sfn.lease({"action": "release", "semaphore": semaphore, "holder": "blocker",
                            "leaseId": lease_id})
    assert ok and answer == {"status": "released"}


def test_lease_never_granted_ends_in_wait_timeout_within_the_bound(sfn):
    semaphore = f"bound-{uuid.uuid4().hex[:6]}"
    lease_id = block(sfn, semaphore)
    definition = wrap(single("never"), "Work", semaphore=semaphore, limit=1, max_wait=MAX_WAIT)
    started = time.monotonic()
    result = sfn.run(definition, {"id": semaphore})
    elapsed = time.monotonic() - started
    unblock(sfn, semaphore, lease_id)
    waits = [c.answer["retryAfterSeconds"] for c in lease_calls(sfn, semaphore, "acquire", "wait")]
    cap = int(LAMBDA_ENV["ASL_GUARD_MAX_RETRY_AFTER_SECONDS"])
    per_poll = len(result.events) / len(waits)
    print(f"wait bound {MAX_WAIT}s: {result.error} after {len(waits)} polls, waited "
          f"{sum(waits[:-1])} s (scaled: {elapsed:.1f} s real), {len(result.events)} history "
          f"events ({per_poll:.1f} per poll); retryAfterSeconds {waits}")
    assert (result.status, result.error) == ("FAILED", "Lease.WaitTimeout")
    assert [c.function for c in sfn.stubs.calls if c.key == semaphore] == [], "never entered"
    # leaseWaited sums every wait but the last answer's, which found the bound passed.
    assert MAX_WAIT <= sum(waits[:-1]) < MAX_WAIT + cap
    assert all(1 <= w <= cap for w in waits)
    assert len(result.events) < 25_000


def test_wait_timeout_is_caught_by_the_users_catch_on_an_enclosing_state(sfn):
    semaphore = f"bound-catch-{uuid.uuid4().hex[:6]}"
    lease_id = block(sfn, semaphore)
    original = {"StartAt": "Both", "States": {
        "Both": {"Type": "Parallel", "Branches": [single("never")],
                 "Catch": [{"ErrorEquals": ["Lease.WaitTimeout"], "Next": "GaveUp"}],
                 "End": True},
        "GaveUp": {"Type": "Pass", "End": True}}}
    definition = wrap(original, "Work", semaphore=semaphore, limit=1, max_wait=10)
    result = sfn.run(definition, {"id": semaphore})
    unblock(sfn, semaphore, lease_id)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.output["Error"] == "Lease.WaitTimeout"
    assert sfn.holders(semaphore) == {}
