"""What the tests share: small workflows to wrap, inputs, and lease-call queries."""
import copy
import uuid


def sem(name: str) -> str:
    """A semaphore name unique to one test (tests share the lease table)."""
    return f"{name}-{uuid.uuid4().hex[:6]}"


def lease_calls(sfn, semaphore, action=None, status=None) -> list:
    """Recorded lease Lambda calls for `semaphore`, by action and answer status."""
    return [c for c in sfn.lease_calls if c.request.get("semaphore") == semaphore
            and (action is None or c.request.get("action") == action)
            and (status is None or c.answer.get("status") == status)]


def fanout(max_concurrency: int = 0, function: str = "work", catch=None, retry=None,
           query_language: str = "JSONPath") -> dict:
    """A Map over `$.items`; each item runs Task `Work` (lambda:invoke of `function`)."""
    if query_language == "JSONata":
        work = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {"FunctionName": function, "Payload": "{% $states.input %}"},
                "Output": "{% $states.result.Payload %}", "End": True}
        fan = {"Type": "Map", "Items": "{% $states.input.items %}"}
    else:
        work = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": function, "Payload.$": "$"},
                "OutputPath": "$.Payload", "End": True}
        fan = {"Type": "Map", "ItemsPath": "$.items"}
    if retry:
        work["Retry"] = retry
    states = {"Work": work}
    if catch:
        work["Catch"] = [dict(c) for c in catch]
        if query_language == "JSONata":  # ResultPath "$.error" written in JSONata
            for c in work["Catch"]:
                c.pop("ResultPath", None)
                c["Output"] = "{% $merge([$states.input, {'error': $states.errorOutput}]) %}"
        states["Caught"] = ({"Type": "Pass", "Output": "{% $states.input %}", "End": True}
                            if query_language == "JSONata" else
                            {"Type": "Pass", "End": True})
    fan.update({"MaxConcurrency": max_concurrency,
                "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"},
                                  "StartAt": "Work", "States": states},
                "End": True})
    definition = {"StartAt": "Fan", "States": {"Fan": fan}}
    return language(definition, query_language)


def single(function: str, retry=None, query_language: str = "JSONPath") -> dict:
    """One Task at the top level (lambda:invoke of `function` with the input as payload)."""
    if query_language == "JSONata":
        work = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {"FunctionName": function, "Payload": "{% $states.input %}"},
                "Output": "{% $states.result.Payload %}", "End": True}
    else:
        work = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": function, "Payload.$": "$"},
                "OutputPath": "$.Payload", "End": True}
    if retry:
        work["Retry"] = retry
    return language({"StartAt": "Work", "States": {"Work": work}}, query_language)


def language(definition: dict, query_language: str) -> dict:
    """Sets the top-level QueryLanguage for JSONata definitions."""
    if query_language == "JSONata":
        definition = {"QueryLanguage": "JSONata", **definition}
    return copy.deepcopy(definition)


def items(n: int, sleep: float = 0.05, **extra) -> dict:
    """Execution input: n items with ids 0..n-1."""
    return {"items": [{"id": i, "sleep": sleep, **extra} for i in range(n)]}
