"""A finding, not yet settled: the guard re-raises `States.*` error names from a Fail state.

`RethrowLeaseError` re-raises whatever error ended the region through `ErrorPath`, including
the service's own names: `States.Timeout` (a guarded Task's TimeoutSeconds),
`States.TaskFailed`, `States.HeartbeatTimeout`, `States.QueryEvaluationError`, ... The
Step Functions docs say states may report errors with other names, but those must not begin
with `States.`; moto enforces that and fails the re-raise with `States.Runtime`. Whether AWS
accepts a `States.*` name from a Fail state's ErrorPath is not verifiable offline. If it does
not, a timed-out guarded Task ends in `States.Runtime` instead of `States.Timeout`, and a
user's `Catch` or `Retry` on `States.Timeout` around the region stops matching.
"""
import pytest

from harness.guard import wrap

from .common import lease_calls, sem, single


@pytest.mark.xfail(strict=True, reason="moto refuses States.* names in a Fail state; AWS "
                   "behaviour unverified (see module doc and harness/README.md)")
def test_timeout_in_the_region_is_reraised_as_states_timeout(sfn):
    semaphore = sem("reraise")
    original = single("slow")
    original["States"]["Work"]["TimeoutSeconds"] = 1
    data = {"id": semaphore, "sleep": 2}
    plain = sfn.run(original, data)
    guarded = sfn.run(wrap(original, "Work", semaphore=semaphore), data)
    assert (plain.status, plain.error) == ("FAILED", "States.Timeout")
    assert len(lease_calls(sfn, semaphore, "release", "released")) == 1
    assert sfn.holders(semaphore) == {}
    assert (guarded.status, guarded.error) == ("FAILED", "States.Timeout"), guarded.cause
