"""Business Task stand-ins: small Python functions that record when they ran.

Every Task that is not the lease function lands here, whatever its Resource (lambda:invoke,
a Lambda ARN, or another service integration). The default stub takes its orders from the
payload, so a test writes the workload into the execution input:

- `sleep`: seconds to run (real time; default 0)
- `fail`: an error name to raise (the Step Functions error name, as a Lambda `errorType`)
- `failAttempts`: raise `fail` only on the first N calls for this payload's `id`
  (a Retry then succeeds)

and returns the payload unchanged (so data flow through the guard is observable). Tests may
register their own function for a name.
"""
import threading
import time
from dataclasses import dataclass, field


class StubError(Exception):
    """Raised by a stub: becomes a Lambda error reply with `errorType` = name."""

    def __init__(self, name: str, message: str = ""):
        super().__init__(message or name)
        self.name = name
        self.message = message or f"stub failed with {name}"


@dataclass
class Call:
    """One stub call: which function, which item, when it ran, how it ended."""
    function: str
    payload: object
    start: float
    end: float = 0.0
    error: str = ""
    key: object = None


@dataclass
class Stubs:
    """The stub registry and the record of every call."""
    calls: list = field(default_factory=list)
    functions: dict = field(default_factory=dict)
    _attempts: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def register(self, name: str, fn) -> None:
        """Routes calls of function `name` (last ARN segment) to `fn(payload)`."""
        self.functions[name] = fn

    def call(self, function: str, payload):
        """Runs the stub for `function`; records the interval; returns its result."""
        name = function.split(":function:")[-1].split(":")[0]
        key = payload.get("id") if isinstance(payload, dict) else None
        record = Call(function=name, payload=payload, start=time.monotonic(), key=key)
        with self._lock:
            self.calls.append(record)
        try:
            fn = self.functions.get(name, self.default)
            return fn(payload)
        except StubError as e:
            record.error = e.name
            raise
        finally:
            record.end = time.monotonic()

    def default(self, payload):
        """Sleeps, fails or echoes as the payload says (see the module doc)."""
        if not isinstance(payload, dict):
            return payload
        if payload.get("sleep"):
            time.sleep(float(payload["sleep"]))
        if payload.get("fail"):
            with self._lock:
                n = self._attempts.get(payload.get("id"), 0) + 1
                self._attempts[payload.get("id")] = n
            if "failAttempts" not in payload:
                raise StubError(payload["fail"], f"stub {payload.get('id')} failed")
            if n <= int(payload["failAttempts"]):
                raise StubError(payload["fail"], f"attempt {n} failed")
        return payload

    def intervals(self, function: str | None = None) -> list:
        """(start, end) of every finished call of `function` (or of all), in start order."""
        return sorted((c.start, c.end) for c in self.calls
                      if c.end and (function is None or c.function == function))


def max_overlap(intervals) -> int:
    """The largest number of intervals open at one instant (end before start on ties)."""
    events = [(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals]
    events.sort(key=lambda x: (x[0], x[1]))
    peak = cur = 0
    for _, delta in events:
        cur += delta
        peak = max(peak, cur)
    return peak
