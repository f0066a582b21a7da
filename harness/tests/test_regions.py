"""A region of several states (`--around A --through C`) with two exits: every exit releases."""
from harness.guard import wrap
from harness.stubs import max_overlap

from .common import lease_calls, sem


def task(function, nxt=None):
    state = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
             "Parameters": {"FunctionName": function, "Payload.$": "$"},
             "OutputPath": "$.Payload"}
    return {**state, **({"Next": nxt} if nxt else {"End": True})}


def test_multi_state_region_releases_on_every_exit_and_keeps_the_limit(sfn):
    semaphore = sem("region")
    inner = {"StartAt": "First", "States": {
        "First": task(f"first-{semaphore}", "Route"),
        "Route": {"Type": "Choice",
                  "Choices": [{"Variable": "$.more", "BooleanEquals": True, "Next": "Second"}],
                  "Default": "Skipped"},
        "Second": task(f"second-{semaphore}"),
        "Skipped": {"Type": "Pass", "Result": "skipped", "ResultPath": "$.route", "End": True},
    }}
    original = {"StartAt": "Fan", "States": {"Fan": {
        "Type": "Map", "ItemsPath": "$.items",
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, **inner}, "End": True}}}
    data = {"items": [{"id": i, "sleep": 0.1, "more": i % 2 == 0} for i in range(16)]}
    plain = sfn.run(original, data)
    wrapped = wrap(original, "First", through="Second", semaphore=semaphore, limit=3)
    before = len(sfn.stubs.calls)
    result = sfn.run(wrapped, data)
    assert plain.status == result.status == "SUCCEEDED"
    assert result.output == plain.output
    # Inside the region = from the start of First to the end of Second (or of First when the
    # Choice leaves the region): one interval per item.
    spans = {}
    for c in sfn.stubs.calls[before:]:
        if c.function in (f"first-{semaphore}", f"second-{semaphore}"):
            start, end = spans.get(c.key, (c.start, c.end))
            spans[c.key] = (min(start, c.start), max(end, c.end))
    peak = max_overlap(list(spans.values()))
    print(f"multi-state region: peak {peak} (limit 3) over {len(spans)} items")
    assert len(spans) == 16 and peak <= 3
    assert len(lease_calls(sfn, semaphore, "release", "released")) == 16
    assert sfn.holders(semaphore) == {}
