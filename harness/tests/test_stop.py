"""Issue 5, test 4: a stopped execution's slot comes back, by the reaper event or by expiry."""
import time
import uuid

from harness.guard import wrap

from .common import lease_calls, single


def started_holding(sfn, definition, semaphore, data):
    """Starts an execution and returns its ARN once it holds a lease of `semaphore`."""
    arn = sfn.start(sfn.create(definition), data)
    deadline = time.monotonic() + 20
    while not sfn.holders(semaphore):
        assert time.monotonic() < deadline, "no lease granted"
        time.sleep(0.05)
    return arn


def stop(sfn, arn):
    sfn.sfn.stop_execution(executionArn=arn, error="Test.Stop", cause="stopped by the test")
    assert sfn.wait(arn, timeout=10, history=False).status == "ABORTED"


def test_stop_execution_then_reaper_event_frees_the_slot(sfn):
    semaphore = f"stop-reaper-{uuid.uuid4().hex[:6]}"
    definition = wrap(single("long"), "Work", semaphore=semaphore, limit=1)
    arn = started_holding(sfn, definition, semaphore, {"id": semaphore, "sleep": 1.5})
    stop(sfn, arn)
    time.sleep(2)  # the stub call in flight returns; nothing of the stopped execution runs on
    assert lease_calls(sfn, semaphore, "release") == [], "a stopped execution released"
    assert len(sfn.holders(semaphore)) == 1, "the slot leaked, as on AWS"
    ok, answer = sfn.reap(arn, "ABORTED")
    print(f"reaper answer: {answer}")
    assert ok and answer == {"status": "reaped", "released": 1}
    assert sfn.holders(semaphore) == {}


def test_stop_execution_without_event_frees_the_slot_at_expiry(sfn):
    semaphore = f"stop-expiry-{uuid.uuid4().hex[:6]}"
    definition = wrap(single("long"), "Work", semaphore=semaphore, limit=1, lease_seconds=2)
    arn = started_holding(sfn, definition, semaphore, {"id": semaphore, "sleep": 1})
    stop(sfn, arn)
    [(expiry, _)] = sfn.holders(semaphore).values()
    assert sfn.dynalite.live_holders(sfn.table, semaphore), "still counted before expiry"
    time.sleep(max(0.0, expiry - time.time()) + 1.1)
    assert sfn.dynalite.live_holders(sfn.table, semaphore) == {}
    # A new execution under limit 1 gets the slot at its first acquire, no waiting.
    before = len(lease_calls(sfn, semaphore, "acquire"))
    result = sfn.run(definition, {"id": semaphore + "-2"})
    acquires = lease_calls(sfn, semaphore, "acquire")[before:]
    assert result.status == "SUCCEEDED"
    assert [c.answer["status"] for c in acquires] == ["acquired"]
    assert sfn.holders(semaphore) == {}, "the grant pruned the expired entry; release freed"
