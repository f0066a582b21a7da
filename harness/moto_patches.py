"""What the harness changes in moto's ASL interpreter (moto 5.2.5), and why.

Each patch is a harness limitation: it makes the local interpreter behave as AWS does (or
makes it fast enough to test), and none of it changes asl-guard. `apply(router, scale)` is
idempotent; `router` answers Lambda invokes, `scale` multiplies every interpreter sleep.

1. JSONata engine. moto evaluates JSONata through a hook it leaves empty (its own engine is a
   JVM bridge it does not ship). The hook is set to jsonata-python.
2. Variable escaping. moto splices workflow variables and `$states` into the expression text;
   strings were written as `"value"` without escaping, so a variable holding a quote (an error
   Cause, for instance) broke evaluation. Strings are now written as JSON string literals.
3. `$uuid()`. moto declares `$uuid` as a function returning a constant string, so every Map
   iteration got the same holder id and a guard stopped limiting. It now returns a random
   UUID (jsonata-python has no `$uuid` of its own).
4. Wait and Retry time. Wait states and Retry intervals really sleep. Both are multiplied by
   `scale` (the `ASL_GUARD_TIME_SCALE` setting, default 0.05 in tests), and moto's Wait loop,
   which re-waited whenever fewer than one whole second had passed, waits on a monotonic
   deadline instead so fractional (scaled) seconds work. What the definition and the history
   say is unchanged: `leaseWaited` still counts unscaled seconds, so `--max-wait` bounds the
   same number of polls as on AWS. Lease expiry, TimeoutSeconds and stub work are real time.
5. Task routing. moto builds a new boto3 client for every Task and calls moto's own Lambda
   backend; building clients fills botocore's model caches without a lock, which takes seconds
   when 50 Map items start at once. Lambda invokes (`lambda:invoke` and Lambda ARNs) now go
   straight to `router.invoke(function, payload)`, so no client is built; the history events
   moto writes around the call are unchanged. Other service integrations (SQS, SNS, DynamoDB,
   ECS, ...) are answered by the same router with the stub result, so corpus definitions can
   run without those services. `lambda:invoke.waitForTaskToken` takes the Lambda route too
   (the invoke reaches the router, then moto waits for the token, see 7); `.sync` patterns
   and `.waitForTaskToken` on other services are not stubbed.
6. Uncatchable errors. On AWS a Retry or Catch on `States.ALL` does not match
   `States.Runtime` or `States.DataLimitExceeded`: the execution fails at once. moto matched
   them, so a guard's catcher ran where AWS would not (and its re-raise of a `States.*` name
   then failed inside moto). `States.ALL` no longer matches these two.
7. Task tokens (`.waitForTaskToken`, callback mode). moto kept a task's token open after the
   task ended: a SendTaskSuccess to the token of a task that had timed out, or that had
   already been answered, was accepted (200) and silently dropped, where AWS answers
   `TaskTimedOut` ("the task token has either expired or the task associated with the token
   has already been closed"). The lease Lambda relies on that answer to take back a slot it
   granted to a waiter whose Task had just timed out; with moto's behaviour the slot would
   stay with nobody until the lease expired. moto also reused one token for every Retry
   attempt of the Task (and the first attempt's answer then ended the next one at once);
   on AWS each attempt is a new task with a new token. Now each attempt gets its own token,
   the token is closed when the attempt ends (timed out, answered, failed), and an answer to
   a closed token fails with `TaskTimedOut` (moto's own path to that error could not build
   it: a server error 500, which the Lambda must treat as an unknown outcome). Tokens of
   executions that are no longer running still get moto's `InvalidToken` (both are "closed"
   to the Lambda). Left open: an answer landing between moto's timeout firing and the token
   being closed (microseconds) is still accepted. Every answer that reaches a running
   execution's token, accepted or
   refused, is reported to `router.token_answered(token, kind, body, accepted)`.
8. Stopped executions. StopExecution on an execution inside a Map (iterations running)
   ended it FAILED with `States.Runtime` ("'str' object has no attribute 'get'"): the
   aborted iterations unwind through the Map state, which fails building their error output,
   and that error replaced the stopped state. On AWS a stopped execution is ABORTED. Once
   stopped, an execution (or any of its frames) no longer takes an error.
"""
import importlib
import json
import threading
import time
import uuid

import jsonata as jsonata_python
from moto.stepfunctions.parser import api as sfn_api
from moto.stepfunctions.parser.asl.component.common.error_name import error_equals_decl
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
    StatesErrorName,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import EvalTimeoutError
from moto.stepfunctions.parser.asl.component.state.exec import execute_state
from moto.stepfunctions.parser.asl.component.intrinsic import jsonata as intrinsic_jsonata
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service,
    state_task_service_callback,
    state_task_service_lambda,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import (
    ResourceCondition,
)
from moto.stepfunctions.parser.asl.component.state.wait.wait_function import wait_function
from moto.stepfunctions.parser.asl.eval import environment as eval_environment
from moto.stepfunctions.parser.asl.eval import states as eval_states
from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped
from moto.stepfunctions.parser.asl.eval.callback import callback as moto_callback
from moto.stepfunctions.parser.asl.eval import variable_store
from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

_STATE = {"router": None, "scale": 1.0, "applied": False}
_LOCK = threading.Lock()


def _eval_jsonata(expression: str):
    """Patch 1 and 3: evaluates with jsonata-python, with a real `$uuid()`."""
    try:
        compiled = jsonata_python.Jsonata(expression)
        compiled.register_lambda("uuid", lambda: str(uuid.uuid4()))
        return compiled.evaluate(None)
    except Exception as ex:  # moto expects its own exception type for evaluation errors
        raise moto_jsonata.JSONataException("UNKNOWN", str(ex)) from ex


def _literal(value) -> str:
    """A JSON literal, which is also a valid JSONata literal (same string escapes)."""
    if isinstance(value, str):
        return json.dumps(value)
    return to_json_str(value, separators=(",", ":"))


def _encode_declarations(bindings: dict) -> str:
    """Patch 2: `$name:=<JSON literal>;` for each binding, strings escaped."""
    return "".join(f"{name}:={_literal(value)};" for name, value in bindings.items())


def _wait_interval(self, env, wait_seconds) -> None:
    """Patch 4: waits `wait_seconds * scale` on a monotonic deadline; ends early on stop."""
    deadline = time.monotonic() + float(wait_seconds) * _STATE["scale"]
    while env.is_running():
        left = deadline - time.monotonic()
        if left <= 0:
            return
        if env.program_state_event.wait(left):
            time.sleep(min(left, 0.01))  # an unrelated wake-up: keep waiting


class _ScaledTime:
    """Patch 4: stands in for the `time` module inside moto's retrier."""

    @staticmethod
    def sleep(seconds):
        time.sleep(float(seconds) * _STATE["scale"])


def _invoke_lambda_function(parameters: dict, region: str, state_credentials):
    """Patch 5: a Lambda invoke answered by the router, shaped like boto3's response."""
    payload = parameters.get("Payload")
    if isinstance(payload, bytes):
        payload = payload.decode()
    try:
        payload = json.loads(payload) if payload else {}
    except (TypeError, ValueError):
        pass
    ok, result = _STATE["router"].invoke(parameters["FunctionName"], payload)
    response = {"StatusCode": 200, "Payload": result, "ExecutedVersion": "$LATEST"}
    if not ok:
        response["FunctionError"] = "Unhandled"
    return response


def _stub_service_task(self, env, resource_runtime_part, normalised_parameters,
                       state_credentials):
    """Patch 5: any non-Lambda service Task answers with the router's stub result."""
    name = f"{self.resource.api_name}:{self.resource.api_action}"
    ok, result = _STATE["router"].invoke(name, normalised_parameters)
    if not ok:
        raise lambda_eval_utils.LambdaFunctionErrorException("Unhandled", json.dumps(result))
    env.stack.append(result)


def _no_normalise(self, *args, **kwargs):
    """Patch 5: stubbed services need no botocore shapes (nor their unlocked caches)."""


_UNCATCHABLE = (StatesErrorNameType.StatesRuntime,
                StatesErrorNameType.StatesStatesDataLimitExceeded)
_ORIGINAL_ERROR_EQUALS = error_equals_decl.ErrorEqualsDecl._eval_body


def _error_equals(self, env) -> None:
    """Patch 6: `States.ALL` leaves runtime and data-limit errors uncaught, as on AWS."""
    error_name = env.stack[-1]
    if (isinstance(error_name, StatesErrorName) and error_name.typ in _UNCATCHABLE
            and error_name not in self.error_names):
        env.stack.pop()
        env.stack.append(False)
        return
    _ORIGINAL_ERROR_EQUALS(self, env)


_TOKENS = threading.Lock()  # an answer and the closing of its token never interleave
_ORIGINAL_EVALUATE = execute_state.ExecutionState._evaluate_with_timeout


def _close_token(endpoint, reason) -> None:
    """Patch 7: no answer reaches `endpoint` any more (first reason wins)."""
    with _TOKENS:
        if endpoint.consumer_error is None:
            endpoint.consumer_error = reason


def _evaluate_attempt(self, env) -> None:
    """Patch 7: each attempt of a `.waitForTaskToken` Task has its own token, closed at its end."""
    if self.resource.condition != ResourceCondition.WaitForTaskToken:
        _ORIGINAL_EVALUATE(self, env)
        return
    pool, context = env.callback_pool_manager, env.states.context_object
    endpoint = pool.get(context.context_object_data.get("Task", {}).get("Token"))
    if endpoint is None or endpoint.consumer_error is not None:  # a Retry: a new task
        endpoint = pool.add(context.update_task_token())
    try:
        _ORIGINAL_EVALUATE(self, env)
    except EvalTimeoutError:
        _close_token(endpoint, moto_callback.CallbackConsumerTimeout())
        raise
    finally:
        _close_token(endpoint, moto_callback.CallbackConsumerLeft())


def _notify(self, callback_id, outcome) -> bool:
    """Patch 7: a token takes one answer, and none once its attempt ended."""
    endpoint = self._pool.get(callback_id)
    if endpoint is None:
        return False
    if isinstance(outcome, moto_callback.CallbackOutcomeSuccess):
        kind, body = "success", outcome.output
    else:
        kind, body = "failure", {"error": outcome.error, "cause": outcome.cause}
    with _TOKENS:
        closed = endpoint.consumer_error is not None or endpoint.get_outcome() is not None
        if not closed:
            endpoint.notify(outcome=outcome)
    report = getattr(_STATE["router"], "token_answered", None)
    if report is not None:
        report(callback_id, kind, body, not closed)
    if closed:
        # Raised past moto's own handler, whose TaskTimedOut() lacks its message and type
        # arguments (a server error instead of the service error).
        raise sfn_api.TaskTimedOut("Task Timed Out: the task token was closed",
                                   exception_type="TaskTimedOut")
    return True


_ORIGINAL_SET_ERROR = eval_environment.Environment.set_error


def _set_error(self, error) -> None:
    """Patch 8: a stopped program stays stopped (ABORTED), whatever fails as it unwinds."""
    with self._state_mutex:  # an RLock, also taken by the original
        if not isinstance(self._program_state, ProgramStopped):
            _ORIGINAL_SET_ERROR(self, error)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _stub_services() -> None:
    # Every service integration class moto has, loaded before they are listed.
    importlib.import_module(state_task_service.__name__ + "_factory")
    for cls in _subclasses(state_task_service.StateTaskService):
        if issubclass(cls, state_task_service_lambda.StateTaskServiceLambda):
            continue
        cls._eval_service_task = _stub_service_task
        cls._normalise_parameters = _no_normalise
        cls._normalise_response = _no_normalise


def apply(router, scale: float) -> None:
    """Installs every patch (once) and points them at `router` and `scale`."""
    with _LOCK:
        _STATE["router"], _STATE["scale"] = router, scale
        if _STATE["applied"]:
            return
        moto_jsonata._eval_jsonata = _eval_jsonata
        for module in (moto_jsonata, eval_states, variable_store):
            module.encode_jsonata_variable_declarations = _encode_declarations
        intrinsic_jsonata._DECLARATION_BY_VARIABLE_REFERENCE.pop("$uuid", None)
        wait_function.WaitFunction._wait_interval = _wait_interval
        retrier_decl.time = _ScaledTime
        lambda_eval_utils._invoke_lambda_function = _invoke_lambda_function
        _stub_services()
        error_equals_decl.ErrorEqualsDecl._eval_body = _error_equals
        state_task_service_callback.StateTaskServiceCallback._evaluate_with_timeout = (
            _evaluate_attempt)
        moto_callback.CallbackPoolManager.notify = _notify
        eval_environment.Environment.set_error = _set_error
        _STATE["applied"] = True
