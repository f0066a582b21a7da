"""A Lambda Runtime API stand-in on 127.0.0.1, and a pool of real `bootstrap` processes.

Real Lambda hands each warm instance one invocation at a time through
`GET /2018-06-01/runtime/invocation/next` and takes the answer on
`POST .../invocation/{id}/response` (or `/error`). Here every bootstrap process of the pool
polls one shared stand-in, so N processes behave like N warm instances of the function:
concurrent invokes (Map iterations) are served in parallel, and a burst beyond N queues, as
it would behind a reserved concurrency of N.
"""
import json
import os
import queue
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import paths

PREFIX = "/2018-06-01/runtime"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:asl-guard-lease"


class Invocation:
    """One pending invoke: the event, and the answer once a bootstrap posted it."""

    def __init__(self, body: bytes):
        self.id = str(uuid.uuid4())
        self.body = body
        self.done = threading.Event()
        self.kind = ""  # "response" or "error"
        self.answer = b""


class RuntimeApi:
    """The stand-in server; `invoke` queues an event and blocks until it is answered."""

    def __init__(self):
        self.pending: "queue.Queue[Invocation]" = queue.Queue()
        self.inflight: dict = {}
        self.init_errors: list = []
        self._lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def do_GET(self):
                if not self.path.endswith("/invocation/next"):
                    return self._reply(404, b"{}")
                inv = api.pending.get()
                with api._lock:
                    api.inflight[inv.id] = inv
                deadline = int((time.time() + 30) * 1000)
                self._reply(200, inv.body, {
                    "Lambda-Runtime-Aws-Request-Id": inv.id,
                    "Lambda-Runtime-Deadline-Ms": str(deadline),
                    "Lambda-Runtime-Invoked-Function-Arn": FUNCTION_ARN,
                    "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000",
                })

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = self.path[len(PREFIX):].strip("/").split("/")
                if parts[:2] == ["init", "error"]:
                    api.init_errors.append(body)
                elif len(parts) == 3 and parts[0] == "invocation":
                    with api._lock:
                        inv = api.inflight.pop(parts[1], None)
                    if inv is not None:
                        inv.kind, inv.answer = parts[2], body
                        inv.done.set()
                self._reply(202, b"{}")

            def _reply(self, code, body, headers=None):
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.address = "127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def invoke(self, event, timeout: float = 30.0):
        """Sends `event` (bytes, str or JSON value) to the function; returns (kind, parsed body)."""
        if not isinstance(event, (bytes, str)):
            event = json.dumps(event)
        body = event.encode() if isinstance(event, str) else event
        inv = Invocation(body)
        self.pending.put(inv)
        if not inv.done.wait(timeout):
            raise TimeoutError(f"no bootstrap answered within {timeout}s: {body[:200]!r}")
        return inv.kind, json.loads(inv.answer or b"null")

    def close(self):
        self.server.shutdown()


class BootstrapPool:
    """N `bootstrap` processes (the real lease Lambda) polling one RuntimeApi."""

    def __init__(self, api: RuntimeApi, env: dict, count: int, log_path: str):
        self._log = open(log_path, "w")
        base = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "AWS_LAMBDA_RUNTIME_API": api.address,
            "AWS_LAMBDA_FUNCTION_NAME": "asl-guard-lease",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_LAMBDA_LOG_LEVEL": "warn",
        }
        base.update(env)
        binary = str(paths.binary("bootstrap"))
        self.procs = [
            subprocess.Popen([binary], env=base, stdout=self._log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
            for _ in range(count)
        ]

    def close(self):
        """Stops the processes this pool started (by their own handles)."""
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        self._log.close()
