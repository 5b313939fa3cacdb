"""The embedded DynamoDB (moto's server, in a thread) and the table the API expects."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

from picus.contract import PARTITION_KEY

ROOT = Path(__file__).resolve().parent.parent


class EmbeddedDynamoDB:
    """moto's DynamoDB (``local.moto_process``) on a free loopback port, in a child process.

    Started at once; ``endpoint()`` waits until it listens, so the caller can do other work
    (importing the API) while it boots.
    """

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "local.moto_process"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            # Its own session: Ctrl-C reaches the API, which stops this in order.
            start_new_session=True,
        )
        self._endpoint: str | None = None

    def endpoint(self) -> str:
        if self._endpoint is None:
            assert self._process.stdout is not None
            line = self._process.stdout.readline()
            if not line.strip().isdigit():
                raise RuntimeError("the embedded DynamoDB did not start")
            self._endpoint = f"http://127.0.0.1:{int(line)}"
        return self._endpoint

    def stop(self) -> None:
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


def ensure_table(table_name: str, *, region: str, endpoint_url: str | None) -> bool:
    """Create the table as the infrastructure does, unless it exists; True if created."""
    client = boto3.client("dynamodb", region_name=region, endpoint_url=endpoint_url)
    try:
        client.create_table(
            TableName=table_name,
            AttributeDefinitions=[{"AttributeName": PARTITION_KEY, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": PARTITION_KEY, "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceInUseException":
            raise
        return False
    client.get_waiter("table_exists").wait(
        TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    return True
