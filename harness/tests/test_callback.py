"""Issue 6: `wrap --wait callback`. The guard asks once (a `.waitForTaskToken` acquire) and the
lease Lambda answers the task token (SendTaskSuccess, through moto's server) when a slot is
the holder's: the limit holds, waiters are served in arrival order, a waiter that times out
takes no slot, and a stopped execution's holders and waiters are freed by the reaper event.

Queue order is read from the semaphore item: `q` maps each waiter to its sequence number
(`s`), which the Lambda assigns in arrival order; a `QueueWatch` samples it during the run.
Grant order is the order in which moto received the SendTaskSuccess of each waiter's token
(`sfn.token_answers`, patch 7).
"""
import threading
import time
import uuid

from harness.guard import wrap
from harness.stubs import max_overlap

from .common import fanout, items, lease_calls, sem, single


class QueueWatch:
    """Samples the `q` map of a semaphore item until closed: holder -> sequence number."""

    def __init__(self, sfn, semaphore: str):
        self.sfn, self.semaphore = sfn, semaphore
        self.seq: dict = {}
        self.reads = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            for holder, seq in self.sfn.queued(self.semaphore).items():
                self.seq.setdefault(holder, seq)
            self.reads += 1
            self._stop.wait(0.005)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def grants(sfn, semaphore):
    """holder -> (time, output) of the accepted SendTaskSuccess to its token; also checks that
    no holder was answered twice and no answer went to a closed token."""
    token_of = {c.request["taskToken"]: c.request["holder"]
                for c in lease_calls(sfn, semaphore, "acquire") if c.request.get("taskToken")}
    answered, refused = {}, []
    for a in sfn.token_answers:
        holder = token_of.get(a.token)
        if holder is None:
            continue
        if not a.accepted:
            refused.append((holder, a.kind))
            continue
        assert a.kind == "success", (holder, a.body)
        assert holder not in answered, f"{holder} answered twice"
        answered[holder] = (a.time, a.body)
    assert refused == [], f"answers to closed tokens: {refused}"
    return answered


def fifo_check(sfn, semaphore, seq, answered):
    """Grant order against queue order. Returns (waiters checked, inversions, unexplained).

    An inversion is a waiter answered before one queued ahead of it. It is a race between
    hand-offs, and allowed, only when one lease call was in flight over the whole interval
    between the two answers: the earlier waiter's grant is written first (each hand-off
    writes the oldest waiters, conditioned on the item's version), so its answer can only
    arrive later if the call that wrote it was still running when the other answer arrived.
    """
    calls = lease_calls(sfn, semaphore)
    queued = [c.request["holder"] for c in lease_calls(sfn, semaphore, "acquire", "queued")]
    known = sorted((seq[h], answered[h][0], h) for h in queued if h in seq)
    inversions, unexplained = 0, []
    for i, (sa, ta, ha) in enumerate(known):
        for sb, tb, hb in known[i + 1:]:
            if tb < ta:
                inversions += 1
                if not any(c.start <= tb and c.end >= ta for c in calls):
                    unexplained.append((sa, sb, round(ta - tb, 3)))
    return len(known), len(queued), inversions, unexplained


def assert_fanout_under_callback(sfn, query_language, n, limit, function):
    semaphore = sem(f"callback-{query_language.lower()}")
    original = fanout(function=function, query_language=query_language)
    definition = wrap(original, "Work", semaphore=semaphore, limit=limit, wait="callback",
                      max_wait=300)
    acquire = definition["States"]["Fan"]["ItemProcessor"]["States"]["AcquireLease"]
    assert acquire["Resource"].endswith("lambda:invoke.waitForTaskToken")
    data = items(n, sleep=0.2)
    plain = sfn.run(fanout(function=function + "-plain", query_language=query_language), data)
    assert plain.status == "SUCCEEDED"
    with QueueWatch(sfn, semaphore) as watch:
        result = sfn.run(definition, data)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    calls = [c for c in sfn.stubs.calls if c.function == function]
    peak = max_overlap([(c.start, c.end) for c in calls])
    answered = grants(sfn, semaphore)
    releases = lease_calls(sfn, semaphore, "release")
    checked, queued, inversions, unexplained = fifo_check(sfn, semaphore, watch.seq, answered)
    print(f"callback {query_language}, {n} items, limit {limit}: peak {peak}, "
          f"{len(result.events)} events ({len(result.events) / n:.1f} per item), "
          f"{len(answered)} grants ({n - queued} at once, {queued} queued), "
          f"{len(releases)} releases; queue order known for {checked} of {queued} waiters "
          f"({watch.reads} samples), {inversions} inversions "
          f"({len(unexplained)} not explained by a race within one hand-off)")
    assert peak <= limit
    assert peak >= min(3, limit), "the guard serialised the Map: no concurrency left"
    assert sorted(c.key for c in calls) == list(range(n)), "every item processed once"
    assert result.output == plain.output == data["items"], "output equals the unguarded Map's"
    assert len(answered) == n, "every holder's token answered once, with its grant"
    assert all(body["status"] == "acquired" and body["held"] <= limit
               for _, body in answered.values())
    assert len(releases) == n and all(c.answer == {"status": "released"} for c in releases)
    assert queued >= n // 2, "most holders queued (the test needs contention)"
    assert checked >= 0.8 * queued, "the queue watch missed too many waiters"
    assert unexplained == [], f"waiters granted out of arrival order (seq, seq, s): {unexplained}"
    assert sfn.holders(semaphore) == {}, "every lease released"
    item = sfn.dynalite.semaphore_item(sfn.table, semaphore)
    assert not item.get("q", {}).get("M"), "no waiter left in the queue"
    assert not item.get("holders", {}).get("M")


def test_map_of_50_under_limit_5_with_callback_waits(sfn):
    """(a) The limit holds, everything runs once, FIFO grants, nothing left."""
    assert_fanout_under_callback(sfn, "JSONPath", 50, 5, "callback50")


def test_jsonata_map_under_callback_waits(sfn):
    """(d) The same in the JSONata form, smaller."""
    assert_fanout_under_callback(sfn, "JSONata", 20, 3, "callback-jsonata")


def block(sfn, semaphore, holder="blocker", execution="arn:aws:states:us-east-1:123456789012:"
          "execution:blocker:x"):
    """Takes the only slot of `semaphore` for a polling holder outside any execution."""
    ok, answer = sfn.lease({"action": "acquire", "semaphore": semaphore, "holder": holder,
                            "execution": execution, "limit": 1})
    assert ok and answer["status"] == "acquired", answer
    return answer["leaseId"]


def release(sfn, semaphore, lease_id, holder="blocker"):
    ok, answer = sfn.lease({"action": "release", "semaphore": semaphore, "holder": holder,
                            "leaseId": lease_id})
    assert ok and answer == {"status": "released"}, answer


def assert_next_acquirer_granted_at_once(sfn, semaphore):
    """A new execution of a callback guard on `semaphore` is granted on its first acquire."""
    definition = wrap(single("callback-next"), "Work", semaphore=semaphore, limit=1,
                      wait="callback", max_wait=30)
    before = len(lease_calls(sfn, semaphore, "acquire"))
    result = sfn.run(definition, {"id": semaphore + "-next"})
    acquires = lease_calls(sfn, semaphore, "acquire")[before:]
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert [c.answer["status"] for c in acquires] == ["acquired"], [c.answer for c in acquires]
    assert sfn.holders(semaphore) == {} and sfn.queued(semaphore) == {}


def test_waiter_timing_out_fails_with_wait_timeout_and_takes_no_slot(sfn):
    """(b) A waiter whose --max-wait passes while the slot is held."""
    semaphore = sem("callback-timeout")
    lease_id = block(sfn, semaphore)
    definition = wrap(single("callback-never"), "Work", semaphore=semaphore, limit=1,
                      wait="callback", max_wait=2)
    started = time.monotonic()
    result = sfn.run(definition, {"id": semaphore})
    elapsed = time.monotonic() - started
    [acquire] = lease_calls(sfn, semaphore, "acquire")[1:]
    print(f"waiter: {result.error} after {elapsed:.1f} s; its acquire answered {acquire.answer}")
    assert (result.status, result.error) == ("FAILED", "Lease.WaitTimeout")
    assert acquire.answer["status"] == "queued"
    assert result.count("TaskTimedOut") == 1
    assert 2 <= elapsed < 10
    assert [c for c in sfn.stubs.calls if c.key == semaphore] == [], "never entered"
    # The blocker (held longer than the waiter waited) gives its slot back: the timed-out
    # waiter is dropped from the queue, not granted.
    release(sfn, semaphore, lease_id)
    assert sfn.holders(semaphore) == {}, "the slot went to the timed-out waiter"
    assert sfn.queued(semaphore) == {}, "the timed-out waiter is still queued"
    assert grants(sfn, semaphore) == {}
    assert_next_acquirer_granted_at_once(sfn, semaphore)


def test_grant_racing_with_the_waiters_timeout_is_taken_back(sfn, monkeypatch):
    """(b) The race: the Lambda still counts the waiter as live (its invoke arrived late, so
    its deadline is later) when the slot frees, but the Task has timed out. Its execution is
    still running (a user's Catch), so SendTaskSuccess meets a closed token (TaskTimedOut) and
    the Lambda must take the grant back."""
    semaphore = sem("callback-race")
    lease_id = block(sfn, semaphore)
    name = f"late-{uuid.uuid4().hex[:8]}"
    slow = sfn.lease

    def late_invoke(request):  # this execution's acquire reaches the Lambda after 2.5 s
        if str(request.get("holder", "")).startswith(name + "/"):
            time.sleep(2.5)
        return slow(request)

    monkeypatch.setattr(sfn, "lease", late_invoke)
    original = {"StartAt": "Guarded", "States": {
        "Guarded": {"Type": "Parallel", "Branches": [single("callback-race")],
                    "Catch": [{"ErrorEquals": ["Lease.WaitTimeout"], "Next": "Linger"}],
                    "End": True},
        "Linger": {"Type": "Wait", "Seconds": 100, "End": True}}}  # 5 s at scale 0.05
    definition = wrap(original, "Work", semaphore=semaphore, limit=1, wait="callback",
                      max_wait=2)
    arn = sfn.start(sfn.create(definition), {"id": semaphore}, name=name)
    deadline = time.monotonic() + 15
    while not lease_calls(sfn, semaphore, "acquire", "queued"):
        assert time.monotonic() < deadline, "the late acquire never arrived"
        time.sleep(0.02)
    # Queued with a deadline at least 1 s away for the Lambda; the Task timed out already.
    assert sfn.sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    release(sfn, semaphore, lease_id)
    answers = [a for a in sfn.token_answers
               if a.token == lease_calls(sfn, semaphore, "acquire", "queued")[0]
               .request["taskToken"]]
    print(f"late waiter: answers to its token {[(a.kind, a.accepted) for a in answers]}")
    assert [(a.kind, a.accepted) for a in answers] == [("success", False)], \
        "the release handed the slot to the live-looking waiter, and its closed token refused"
    assert sfn.holders(semaphore) == {}, "the grant to the timed-out Task was not taken back"
    assert sfn.queued(semaphore) == {}
    result = sfn.wait(arn)
    assert result.status == "SUCCEEDED" and result.output["Error"] == "Lease.WaitTimeout"
    monkeypatch.undo()
    assert_next_acquirer_granted_at_once(sfn, semaphore)


def test_stop_with_holders_and_waiters_then_reaper_frees_both(sfn):
    """(c) StopExecution while the execution holds 2 slots and has 2 waiters queued, with
    another execution's waiter behind them; the reaper event frees all four and hands a slot
    to the other execution's waiter at once."""
    semaphore = sem("callback-stop")
    map_def = wrap(fanout(function="callback-stopped"), "Work", semaphore=semaphore, limit=2,
                   wait="callback", max_wait=30)
    stopped = sfn.start(sfn.create(map_def), items(4, sleep=3))
    deadline = time.monotonic() + 20
    while not (len(sfn.holders(semaphore)) == 2 and len(sfn.queued(semaphore)) == 2):
        assert time.monotonic() < deadline, (sfn.holders(semaphore), sfn.queued(semaphore))
        time.sleep(0.02)
    other_def = wrap(single("callback-other"), "Work", semaphore=semaphore, limit=2,
                     wait="callback", max_wait=60)
    other = sfn.start(sfn.create(other_def), {"id": semaphore + "-other"})
    while len(sfn.queued(semaphore)) != 3:
        assert time.monotonic() < deadline, sfn.queued(semaphore)
        time.sleep(0.02)
    sfn.sfn.stop_execution(executionArn=stopped, error="Test.Stop", cause="stopped by the test")
    assert sfn.wait(stopped, timeout=10, history=False).status == "ABORTED"
    time.sleep(1)  # nothing of the stopped execution runs on: no release, the queue stays
    assert lease_calls(sfn, semaphore, "release") == []
    assert len(sfn.holders(semaphore)) == 2 and len(sfn.queued(semaphore)) == 3
    assert sfn.sfn.describe_execution(executionArn=other)["status"] == "RUNNING"
    reap_started = time.monotonic()
    ok, answer = sfn.reap(stopped, "ABORTED")
    reap_ended = time.monotonic()
    print(f"reaper answer: {answer}; holders after: {len(sfn.holders(semaphore))}, "
          f"queued after: {len(sfn.queued(semaphore))}")
    assert ok and answer == {"status": "reaped", "released": 2}
    stopped_name = stopped.rsplit(":", 1)[1]
    assert all(ex != stopped for _, ex in sfn.holders(semaphore).values())
    assert all(not h.startswith(stopped_name + "/") for h in sfn.queued(semaphore))
    answered = grants(sfn, semaphore)
    other_grants = [t for h, (t, _) in answered.items() if h.startswith(other.rsplit(":", 1)[1])]
    assert len(other_grants) == 1 and reap_started <= other_grants[0] <= reap_ended, \
        "the other execution's waiter was granted by the reaper's hand-off"
    result = sfn.wait(other)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert sfn.holders(semaphore) == {} and sfn.queued(semaphore) == {}
