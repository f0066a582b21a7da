"""The dynalite DynamoDB emulator on 127.0.0.1 and the lease table the Lambda uses.

dynalite serialises conditional writes (moto's DynamoDB does not), so the lease Lambda's
invariants hold here as they do on DynamoDB.
"""
import socket
import subprocess
import time
import uuid

import boto3
from botocore.config import Config

from . import paths

DUMMY = {"aws_access_key_id": "test", "aws_secret_access_key": "test", "region_name": "us-east-1"}


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    """Blocks until something accepts connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class Dynalite:
    """A dynalite process started by the harness, and a client for it."""

    def __init__(self, log_path: str):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._log = open(log_path, "w")
        self._proc = subprocess.Popen(
            ["node", str(paths.DYNALITE_SERVER), str(self.port)],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        wait_for_port(self.port)
        self.client = boto3.client(
            "dynamodb", endpoint_url=self.endpoint,
            config=Config(retries={"max_attempts": 2}), **DUMMY,
        )

    def create_table(self) -> str:
        """A fresh lease table (string key `pk`, as the Terraform module creates it)."""
        name = f"leases-{uuid.uuid4().hex[:8]}"
        self.client.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        self.client.get_waiter("table_exists").wait(TableName=name)
        return name

    def holders(self, table: str, semaphore: str) -> dict:
        """Every entry of the semaphore item's `holders` map: holder id -> (expiry, execution).

        A released lease is removed from the map; an expired one stays until the next grant
        prunes it, so an empty map means every lease was released or pruned.
        """
        item = self.semaphore_item(table, semaphore)
        return {
            holder: (int(entry["M"]["exp"]["N"]), entry["M"]["ex"]["S"])
            for holder, entry in item.get("holders", {}).get("M", {}).items()
        }

    def queue(self, table: str, semaphore: str) -> dict:
        """Every entry of the semaphore item's `q` map (callback waiters): holder id -> seq.

        A granted waiter leaves the map in the grant's write; a dropped one (timed out, or
        its execution reaped) in the next hand-off's, so an empty map means no waiter is left.
        """
        item = self.semaphore_item(table, semaphore)
        return {holder: int(entry["M"]["s"]["N"])
                for holder, entry in item.get("q", {}).get("M", {}).items()}

    def semaphore_item(self, table: str, semaphore: str) -> dict:
        """The raw `sem#<semaphore>` item (empty when there is none)."""
        return self.client.get_item(
            TableName=table, Key={"pk": {"S": f"sem#{semaphore}"}}, ConsistentRead=True
        ).get("Item", {})

    def live_holders(self, table: str, semaphore: str) -> dict:
        """The entries of `holders` whose stored expiry has not passed: the slots in use."""
        now = time.time()
        return {h: v for h, v in self.holders(table, semaphore).items() if v[0] > now}

    def close(self) -> None:
        """Stops the process the harness started."""
        self._proc.terminate()
        try:
            self._proc.wait(5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
        self._log.close()
