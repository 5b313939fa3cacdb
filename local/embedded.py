"""The embedded DynamoDB (moto's server, in a process of its own) and the tables the API expects:
the items', and the one that remembers each Idempotency-Key."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import anyio.to_thread
from botocore.exceptions import ClientError

from picus.contract import IDEMPOTENCY_EXPIRES_AT, IDEMPOTENCY_PARTITION_KEY, PARTITION_KEY

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A loopback port free right now (another process may still take it first)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class EmbeddedDynamoDB:
    """moto's DynamoDB (``local.moto_process``) on a loopback port, in a child process.

    Started at once, its endpoint known at once; given a table (name, region), and an
    idempotency table, the child creates them. The caller does other work (importing and
    starting the API) while it boots: ``ready`` is set once it serves the tables,
    ``endpoint()`` waits for that.
    """

    def __init__(
        self, table: tuple[str, str] | None = None, idempotency_table: str | None = None
    ) -> None:
        self._port = free_port()
        tables = [*table, *([idempotency_table] if idempotency_table else [])] if table else []
        self._process = subprocess.Popen(
            [sys.executable, "-m", "local.moto_process", str(self._port), *tables],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            # Its own session: Ctrl-C reaches the API, which stops this in order.
            start_new_session=True,
        )
        self.url = f"http://127.0.0.1:{self._port}"
        self.ready = threading.Event()
        self.failed = False
        self._stopped = False
        threading.Thread(target=self._wait_ready, daemon=True).start()

    def _wait_ready(self) -> None:
        assert self._process.stdout is not None
        try:
            line = self._process.stdout.readline()
        except (OSError, ValueError):  # its pipe closed by stop()
            line = ""
        self.failed = self._stopped or line.strip() != str(self._port)
        self.ready.set()

    async def until_ready(self) -> bool:
        """Waits, off the event loop, until it serves the table; False if it never will."""
        if not self.ready.is_set():
            await anyio.to_thread.run_sync(self.ready.wait)
        return not self.failed

    def endpoint(self) -> str:
        self.ready.wait()
        if self.failed:
            raise RuntimeError("the embedded DynamoDB did not start")
        return self.url

    def stop(self) -> None:
        self._stopped = True
        if not self.ready.is_set():
            self._process.terminate()  # still booting: nothing of it to keep
        for pipe in (self._process.stdin, self._process.stdout):
            if pipe is not None:
                pipe.close()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


@contextlib.contextmanager
def embedded_dynamodb() -> Iterator[str]:
    """The embedded DynamoDB, started and stopped around the block; yields its endpoint."""
    embedded = EmbeddedDynamoDB()
    try:
        yield embedded.endpoint()
    finally:
        embedded.stop()


def ensure_table(
    table_name: str,
    *,
    region: str,
    endpoint_url: str | None,
    partition_key: str = PARTITION_KEY,
    ttl_attribute: str | None = None,
) -> bool:
    """Create the table as the infrastructure does (components/table.py), unless it exists;
    True if created. The data table by default; another key and a TTL attribute for another."""
    import boto3  # not on the way to the API's first answer: the table is created elsewhere

    client = boto3.client("dynamodb", region_name=region, endpoint_url=endpoint_url)
    try:
        created = client.create_table(
            TableName=table_name,
            AttributeDefinitions=[{"AttributeName": partition_key, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": partition_key, "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceInUseException":
            raise
        return False
    if created["TableDescription"].get("TableStatus") != "ACTIVE":
        # a local DynamoDB creates tables at once: usually nothing to wait for
        client.get_waiter("table_exists").wait(
            TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
    if ttl_attribute is not None:
        # moto and DynamoDB Local take it; an emulator without TTL (dynalite) keeps expired
        # items, which the service already treats as gone by their attribute.
        with contextlib.suppress(ClientError):
            client.update_time_to_live(
                TableName=table_name,
                TimeToLiveSpecification={"AttributeName": ttl_attribute, "Enabled": True},
            )
    return True


def ensure_idempotency_table(table_name: str, *, region: str, endpoint_url: str | None) -> bool:
    """Create the table of Idempotency-Key records as the infrastructure does, unless it
    exists; True if created."""
    return ensure_table(
        table_name,
        region=region,
        endpoint_url=endpoint_url,
        partition_key=IDEMPOTENCY_PARTITION_KEY,
        ttl_attribute=IDEMPOTENCY_EXPIRES_AT,
    )


def ensure_tables(
    table_name: str, idempotency_table_name: str, *, region: str, endpoint_url: str | None
) -> None:
    """Both tables the service reads and writes, each created unless it exists."""
    ensure_table(table_name, region=region, endpoint_url=endpoint_url)
    ensure_idempotency_table(idempotency_table_name, region=region, endpoint_url=endpoint_url)
