"""Small workflows the tests wrap: a Map over items whose inner Task calls a stub."""
import copy


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
        states["Caught"] = ({"Type": "Pass", "Output": "{% $states.input %}", "End": True}
                            if query_language == "JSONata" else
                            {"Type": "Pass", "End": True})
    fan.update({"MaxConcurrency": max_concurrency,
                "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"},
                                  "StartAt": "Work", "States": states},
                "End": True})
    definition = {"StartAt": "Fan", "States": {"Fan": fan}}
    if query_language == "JSONata":
        definition = {"QueryLanguage": "JSONata", **definition}
    return copy.deepcopy(definition)


def items(n: int, sleep: float = 0.05, **extra) -> dict:
    """Execution input: n items with ids 0..n-1."""
    return {"items": [{"id": i, "sleep": sleep, **extra} for i in range(n)]}
