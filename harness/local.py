"""`LocalStepFunctions`: moto's ASL interpreter on 127.0.0.1 with the real lease Lambda.

One instance per process (moto's patches are process-wide). It starts dynalite, a lease
table, the Runtime API stand-in with a pool of `bootstrap` processes, and moto's server with
`execute_state_machine` enabled; then `run()` creates a state machine, starts a named
execution and waits for its end. Lambda invokes of the lease function go to the bootstrap
pool; everything else goes to `stubs`. The bootstraps' Step Functions client points at
moto's server (`AWS_ENDPOINT_URL_SFN`), so callback-mode grants (SendTaskSuccess) reach the
waiting Tasks; every answer to a task token is recorded in `token_answers`.
"""
import contextlib
import json
import logging
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import boto3
from botocore.config import Config
from moto.core.config import default_user_config
from moto.server import ThreadedMotoServer

from . import moto_patches
from .dynalite import DUMMY, Dynalite
from .runtime_api import FUNCTION_ARN, BootstrapPool, RuntimeApi
from .stubs import StubError, Stubs

LEASE_FUNCTION = FUNCTION_ARN
ROLE = "arn:aws:iam::123456789012:role/asl-guard-harness"


@dataclass
class LeaseCall:
    """One call of the lease Lambda: the request, the answer and when."""
    start: float
    end: float
    request: dict
    ok: bool
    answer: object


@dataclass
class TokenAnswer:
    """One SendTaskSuccess/SendTaskFailure that reached a task token of a running execution."""
    time: float
    token: str
    kind: str  # "success" or "failure"
    body: object  # the success output (parsed JSON), or {"error", "cause"}
    accepted: bool  # False: the token was closed (moto answered TaskTimedOut)


@dataclass
class Result:
    """How an execution ended, and its history."""
    arn: str
    status: str
    output: object
    error: str
    cause: str
    events: list = field(default_factory=list)
    started: datetime | None = None  # the execution's startDate, as Step Functions reports it
    stopped: datetime | None = None  # its stopDate

    @property
    def seconds(self) -> float | None:
        """How long the execution ran, start to stop (None if either is unknown)."""
        if self.started is None or self.stopped is None:
            return None
        return (self.stopped - self.started).total_seconds()

    def count(self, event_type: str) -> int:
        """How many history events of `event_type`."""
        return sum(1 for e in self.events if e["type"] == event_type)


class LocalStepFunctions:
    """Everything a local execution needs; use as a context manager or call close()."""

    def __init__(self, bootstraps: int = 4, scale: float = 0.05, lambda_env: dict | None = None,
                 workdir: str | None = None):
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="asl-guard-harness-"))
        self.scale = scale
        self.stubs = Stubs()
        self.lease_calls: list = []
        self.token_answers: list = []
        self._lock = threading.Lock()
        self._stack = contextlib.ExitStack()  # stops what was started, also on a failed start
        try:
            self._start(bootstraps, lambda_env or {})
        except BaseException:
            self._stack.close()
            raise

    def _start(self, bootstraps: int, lambda_env: dict) -> None:
        self.dynalite = Dynalite(str(self.workdir / "dynalite.log"))
        self._stack.callback(self.dynalite.close)
        self.table = self.dynalite.create_table()
        self.api = RuntimeApi()
        self._stack.callback(self.api.close)
        default_user_config["stepfunctions"]["execute_state_machine"] = True
        moto_patches.apply(self, self.scale)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request
        # moto logs every failure it handles (Catch, Retry) with the whole state tree.
        logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.moto.start()
        self._stack.callback(self.moto.stop)
        host, port = self.moto.get_host_and_port()
        # Long read timeout: with hundreds of Map threads moto's server answers slowly.
        self.sfn = boto3.client("stepfunctions", endpoint_url=f"http://{host}:{port}",
                                config=Config(read_timeout=300), **DUMMY)
        # The Lambda answers task tokens (callback mode) through its Step Functions client,
        # built from the standard AWS environment: AWS_ENDPOINT_URL_SFN points it at moto.
        env = {"ASL_GUARD_TABLE_NAME": self.table, "AWS_ENDPOINT_URL": self.dynalite.endpoint,
               "AWS_ENDPOINT_URL_SFN": f"http://{host}:{port}"}
        env.update(lambda_env)
        self.pool = BootstrapPool(self.api, env, bootstraps, str(self.workdir / "bootstrap.log"))
        self._stack.callback(self.pool.close)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        """Stops what this instance started: moto's server, bootstraps, stand-in, dynalite."""
        self._stack.close()

    # Routing (called by moto_patches for every Task) ---------------------------------------

    def invoke(self, function: str, payload):
        """Answers one Task: (True, result) or (False, {errorType, errorMessage})."""
        if function.split(":function:")[-1].split(":")[0] == "asl-guard-lease":
            return self.lease(payload)
        try:
            return True, self.stubs.call(function, payload)
        except StubError as e:
            return False, {"errorType": e.name, "errorMessage": e.message}

    def lease(self, request):
        """Invokes the real lease Lambda through the Runtime API; records the call."""
        start = time.monotonic()
        kind, answer = self.api.invoke(request)
        call = LeaseCall(start, time.monotonic(), request, kind == "response", answer)
        with self._lock:
            self.lease_calls.append(call)
        return call.ok, answer

    def token_answered(self, token: str, kind: str, body, accepted: bool) -> None:
        """Records an answer to a task token (called by moto_patches, patch 7)."""
        if isinstance(body, str):
            try:
                body = json.loads(body)
            except ValueError:
                pass
        with self._lock:
            self.token_answers.append(TokenAnswer(time.monotonic(), token, kind, body, accepted))

    def reap(self, execution_arn: str, status: str = "ABORTED"):
        """Sends the EventBridge status-change event the reaper rule would deliver."""
        now = int(time.time() * 1000)
        event = {
            "version": "0", "id": str(uuid.uuid4()),
            "detail-type": "Step Functions Execution Status Change", "source": "aws.states",
            "account": "123456789012", "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "region": "us-east-1", "resources": [execution_arn],
            "detail": {"executionArn": execution_arn, "status": status,
                       "startDate": now - 1000, "stopDate": now},
        }
        return self.lease(event)

    # Executions ------------------------------------------------------------------------------

    def create(self, definition, name: str | None = None) -> str:
        """Creates a state machine; returns its ARN."""
        text = definition if isinstance(definition, str) else json.dumps(definition)
        name = name or f"sm-{uuid.uuid4().hex[:10]}"
        return self.sfn.create_state_machine(name=name, definition=text, roleArn=ROLE)[
            "stateMachineArn"]

    def start(self, machine_arn: str, data=None, name: str | None = None) -> str:
        """Starts a named execution (moto gives unnamed ones all the same ARN)."""
        return self.sfn.start_execution(
            stateMachineArn=machine_arn, name=name or f"ex-{uuid.uuid4().hex[:12]}",
            input=json.dumps({} if data is None else data),
        )["executionArn"]

    def wait(self, arn: str, timeout: float = 300.0, history: bool = True,
             stop_on_timeout: bool = False) -> Result:
        """Waits for the execution to end; returns its outcome and history.

        Past `timeout` it raises, or with `stop_on_timeout` stops the execution and returns
        its (ABORTED) outcome.
        """
        deadline = time.monotonic() + timeout
        while True:
            d = self.sfn.describe_execution(executionArn=arn)
            if d["status"] != "RUNNING":
                break
            if time.monotonic() > deadline:
                if not stop_on_timeout:
                    raise TimeoutError(f"{arn} still RUNNING after {timeout}s")
                self.sfn.stop_execution(executionArn=arn, error="Harness.Timeout")
                stop_on_timeout = False
            time.sleep(0.05)
        output = json.loads(d["output"]) if d.get("output") else None
        return Result(arn, d["status"], output, d.get("error", ""), d.get("cause", ""),
                      self.history(arn) if history else [], d.get("startDate"),
                      d.get("stopDate"))

    def run(self, definition, data=None, timeout: float = 300.0, **wait_options) -> Result:
        """Creates, starts and waits for one execution of `definition` with input `data`."""
        return self.wait(self.start(self.create(definition), data), timeout, **wait_options)

    def set_scale(self, scale: float) -> float:
        """Changes the factor on Wait and Retry sleeps; returns the previous one."""
        previous, self.scale = self.scale, scale
        moto_patches.apply(self, scale)
        return previous

    def history(self, arn: str) -> list:
        """Every history event of the execution, oldest first."""
        events, token = [], None
        while True:
            kwargs = {"executionArn": arn, "maxResults": 1000}
            if token:
                kwargs["nextToken"] = token
            page = self.sfn.get_execution_history(**kwargs)
            events.extend(page["events"])
            token = page.get("nextToken")
            if not token:
                return events

    def holders(self, semaphore: str) -> dict:
        """Lease entries still stored for `semaphore` (empty when every slot was released)."""
        return self.dynalite.holders(self.table, semaphore)

    def queued(self, semaphore: str) -> dict:
        """Callback waiters still stored for `semaphore`: holder id -> queue sequence number."""
        return self.dynalite.queue(self.table, semaphore)
