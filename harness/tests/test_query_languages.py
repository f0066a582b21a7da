"""Issue 5, test 6: the JSONPath and JSONata forms of one workflow behave the same, guarded."""
import pytest

from harness.guard import wrap
from harness.stubs import max_overlap

from .common import fanout, lease_calls, sem, single

LANGUAGES = ["JSONPath", "JSONata"]


def run_fanout(sfn, query_language):
    """A Map of 12 items under limit 3, every third item failing into the user's Catch."""
    semaphore = sem(f"lang-{query_language.lower()}")
    function = f"lang-{semaphore}"
    catch = [{"ErrorEquals": ["Work.Failed"], "ResultPath": "$.error", "Next": "Caught"}]
    original = fanout(function=function, catch=catch, query_language=query_language)
    data = {"items": [{"id": i, "sleep": 0.1, **({"fail": "Work.Failed"} if i % 3 == 0 else {})}
                      for i in range(12)]}
    plain = sfn.run(original, data)
    guarded = sfn.run(wrap(original, "Work", semaphore=semaphore, limit=3), data)
    calls = [c for c in sfn.stubs.calls if c.function == function]
    return {
        "plain": (plain.status, plain.output),
        "guarded": (guarded.status, guarded.output),
        "peak": max_overlap([(c.start, c.end) for c in calls[len(calls) // 2:]]),
        "grants": len(lease_calls(sfn, semaphore, "acquire", "acquired")),
        "releases": len(lease_calls(sfn, semaphore, "release", "released")),
        "left": sfn.holders(semaphore),
        "events": len(guarded.events),
    }


def test_fanout_with_caught_failures_is_the_same_in_both_languages(sfn):
    runs = {lang: run_fanout(sfn, lang) for lang in LANGUAGES}
    print({lang: {k: v for k, v in r.items() if k in ("peak", "events")}
           for lang, r in runs.items()})
    for r in runs.values():
        assert r["guarded"] == r["plain"], "wrapped output equals original output"
        assert r["guarded"][0] == "SUCCEEDED"
        assert r["peak"] <= 3
        assert r["grants"] == r["releases"] == 12
        assert r["left"] == {}
    assert runs["JSONPath"]["guarded"] == runs["JSONata"]["guarded"]


@pytest.mark.parametrize("query_language", LANGUAGES)
def test_uncaught_error_with_quotes_in_its_cause_is_reraised_unchanged(sfn, query_language):
    """The cause travels through a workflow variable (`leaseError`): quotes must survive."""
    semaphore = sem(f"quote-{query_language.lower()}")
    data = {"id": f"it's \"{semaphore}\" \\ {{%", "fail": "Work.Boom"}
    original = single("quoted", query_language=query_language)
    plain = sfn.run(original, data)
    guarded = sfn.run(wrap(original, "Work", semaphore=semaphore), data)
    assert plain.status == guarded.status == "FAILED"
    assert (guarded.error, guarded.cause) == (plain.error, plain.cause) != ("", "")
    assert '\\"' in guarded.cause
    assert sfn.holders(semaphore) == {}


def test_sibling_abort_in_jsonata_frees_slots_through_release_execution(sfn):
    """The JSONata form of the Map's failure path (ReleaseExecutionLeases) frees the slots."""
    semaphore = sem("abort-jsonata")
    data = {"items": [{"id": f"{semaphore}-{i}", "sleep": 1.5 if i == 0 else 5,
                       **({"fail": "Work.Boom"} if i == 0 else {})} for i in range(6)]}
    original = fanout(function="abort-jsonata", query_language="JSONata")
    plain = sfn.run(original, data)
    result = sfn.run(wrap(original, "Work", semaphore=semaphore, limit=6), data)
    assert plain.status == result.status == "FAILED"
    assert (result.error, result.cause) == (plain.error, plain.cause)
    reaped = lease_calls(sfn, semaphore, "releaseExecution")
    assert [c.answer for c in reaped] == [{"status": "reaped", "released": 5}]
    assert sfn.holders(semaphore) == {}
