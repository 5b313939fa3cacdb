"""The README's run command, as a user runs it: one process, embedded DynamoDB, curl; AWS only
when a table is named."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import httpx
import pytest

from devkit import ROOT
from devkit.processes import Running, free_port, local_origin, wait_healthy, without_aws
from local.embedded import embedded_dynamodb, ensure_idempotency_table, ensure_table
from picus.contract import (
    HEALTH_PATH,
    IDEMPOTENCY_KEY_HEADER,
    IDEMPOTENCY_OBJECT_ID,
    IDEMPOTENCY_PARTITION_KEY,
    PARTITION_KEY,
)

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")


def curl(*args: str) -> tuple[int, str]:
    out = subprocess.run(
        ["curl", "-s", "-w", "\n%{http_code}", *args], capture_output=True, text=True, check=True
    ).stdout
    body, _, status = out.rpartition("\n")
    return int(status), body


def test_run_command_serves_the_walkthrough_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    with local_origin(tmp_path) as served:
        base = served.url
        status, body = curl(
            "-X",
            "POST",
            f"{base}/picus/put",
            "-H",
            "Content-Type: application/json",
            "-d",
            '{"hello": "world"}',
        )
        assert status == 201
        key = json.loads(body)["object_id"]
        status, body = curl(f"{base}/picus/list")
        assert status == 200 and key in body
        status, body = curl(f"{base}/picus/get/{key}")
        assert status == 200 and json.loads(body)["payload"] == {"hello": "world"}
        # The item's one URL, its ETag, and a replace that names it (the README's walkthrough).
        head = subprocess.run(
            ["curl", "-sI", f"{base}/picus/{key}"], capture_output=True, text=True, check=True
        ).stdout
        etag = next(
            line.split(":", 1)[1].strip()
            for line in head.splitlines()
            if line.lower().startswith("etag:")
        )
        replace = ["-X", "PUT", f"{base}/picus/{key}", "-H", "Content-Type: application/json"]
        replace += ["-H", f"If-Match: {etag}", "-d", '{"hello": "again"}']
        status, body = curl(*replace)
        assert status == 200 and json.loads(body)["payload"] == {"hello": "again"}
        assert curl(*replace)[0] == 412
        assert curl("-X", "DELETE", f"{base}/picus/{key}")[0] == 200
        status, body = curl(f"{base}/picus/{key}")
        assert (status, json.loads(body)["error"]["code"]) == (404, "not_found")
        status, body = curl(f"{base}/picus/{key}/x")
        assert (status, json.loads(body)["error"]["code"]) == (404, "no_such_route")
        assert curl("-X", "DELETE", f"{base}/picus/{key}")[0] == 404
        # The embedded DynamoDB holds the Idempotency-Key records too: a retry is answered.
        keyed = ["-X", "POST", f"{base}/picus/put", "-H", "Content-Type: application/json"]
        keyed += ["-H", f"{IDEMPOTENCY_KEY_HEADER}: walkthrough", "-d", '{"n": 1}']
        first, again = curl(*keyed), curl(*keyed)
        assert first[0] == 201, first
        assert json.loads(again[1])["object_id"] == json.loads(first[1])["object_id"], again
    output = served.output
    assert served.process.returncode == 0, output
    assert "embedded DynamoDB" in output
    assert "Traceback" not in output
    # Not a terminal: JSON lines, as the container writes, and none of the embedded server's.
    for line in output.splitlines():
        assert isinstance(json.loads(line), dict), line


def test_text_logs_show_a_banner_and_short_access_lines(tmp_path: Path) -> None:
    with local_origin(tmp_path, "--log-format", "text") as served:
        base = served.url
        assert httpx.post(f"{base}/picus/put", json={"a": 1}).status_code == 201
        assert httpx.delete(f"{base}/picus/not-a-key").status_code == 400
    output = served.output
    assert served.process.returncode == 0, output
    lines = output.splitlines()
    assert f"docs       {base}/docs" in lines
    assert any(line.startswith("data ") and "in memory" in line for line in lines)
    access = r"\d\d:\d\d:\d\d {method} +{path} {status} \d+ ms"
    assert any(
        re.fullmatch(access.format(method="POST", path="/picus/put", status=201), ln)
        for ln in lines
    )
    # The DELETE, answered by the function, reads the same way.
    delete = access.format(method="DELETE", path="/picus/not-a-key", status=400)
    assert any(re.fullmatch(delete, ln) for ln in lines)
    assert "HTTP/1.1" not in output, "the embedded server's own access lines"
    assert "\033[" not in output, "no colour when the output is not a terminal"
    assert "Traceback" not in output and "Uvicorn running" not in output


# --- Which DynamoDB: AWS only when a table is named (--aws-table), whatever the environment.

#: A region that is not the settings' default, so a banner naming it read it from the settings.
AWS_REGION = "eu-west-1"
#: Credentials a laptop may well have exported; only their presence matters here.
FAKE_AWS = {"AWS_ACCESS_KEY_ID": "fake-access-key-id", "AWS_SECRET_ACCESS_KEY": "fake/secret"}
#: The deployed tables in the stand-in for AWS, named as a stack would name them.
DEPLOYED = "picus_data-dev"
DEPLOYED_RECORDS = "picus_idempotency-dev"


def aws_env(home: Path, **extra: str) -> dict[str, str]:
    """A laptop with AWS credentials and a region in its environment, nothing in ~/.aws."""
    return {
        **without_aws(dict(os.environ), home),
        **FAKE_AWS,
        "AWS_REGION": AWS_REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        **extra,
    }


@contextmanager
def serving(env: dict[str, str], *flags: str) -> Iterator[Running]:
    """``python -m local [flags]`` with exactly ``env``; stopped with Ctrl-C on exit."""
    port = free_port()
    log = Path(env["HOME"]) / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "local", "--port", str(port), *flags],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
    running = Running(process, f"http://127.0.0.1:{port}")
    try:
        wait_healthy(process, running.url + HEALTH_PATH, 60)
        yield running
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
        running.output = log.read_text()


def refused(env: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    """``python -m local [flags]``, expected to stop at once without serving."""
    return subprocess.run(
        [sys.executable, "-m", "local", "--port", str(free_port()), *flags],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@contextmanager
def listener() -> Iterator[tuple[str, list[object]]]:
    """A TCP endpoint standing in for AWS that answers nothing; yields its URL and the
    connections it accepted."""
    accepted: list[object] = []
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)

    def accept() -> None:
        while server.fileno() != -1:
            try:
                connection, peer = server.accept()
            except (TimeoutError, OSError):
                continue
            accepted.append(peer)
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}", accepted
    finally:
        server.close()
        thread.join(5)


@pytest.fixture(scope="module")
def aws() -> Iterator[tuple[str, str]]:
    """moto's server standing in for AWS (DynamoDB and STS), with a deployed table; yields its
    endpoint and the account it answers GetCallerIdentity with."""
    with embedded_dynamodb() as endpoint:
        ensure_table(DEPLOYED, region=AWS_REGION, endpoint_url=endpoint)
        ensure_idempotency_table(DEPLOYED_RECORDS, region=AWS_REGION, endpoint_url=endpoint)
        sts = boto3.client("sts", region_name=AWS_REGION, endpoint_url=endpoint)
        yield endpoint, sts.get_caller_identity()["Account"]


def test_aws_credentials_alone_never_reach_aws(tmp_path: Path) -> None:
    # given credentials and every AWS endpoint pointed at a listener that records connections
    with listener() as (fake_aws, accepted):
        env = aws_env(tmp_path, AWS_ENDPOINT_URL=fake_aws, AWS_ENDPOINT_URL_STS=fake_aws)
        # when serve starts without --aws-table and stores, reads and deletes an item
        with serving(env, "--log-format", "text") as served:
            created = httpx.post(f"{served.url}/picus/put", json={"a": 1}, timeout=30)
            assert created.status_code == 201, created.text
            key = created.json()["object_id"]
            assert httpx.get(f"{served.url}/picus/get/{key}", timeout=30).status_code == 200
            assert httpx.delete(f"{served.url}/picus/{key}", timeout=30).status_code == 200
    # then the data went to the embedded DynamoDB, and nothing to anything standing for AWS
    data = [line for line in served.output.splitlines() if line.startswith("data ")]
    assert len(data) == 1 and "embedded DynamoDB" in data[0], served.output
    assert "AWS" not in data[0] and "account" not in served.output
    assert accepted == [], "serve contacted AWS without --aws-table"
    assert served.process.returncode == 0 and "Traceback" not in served.output


def test_aws_table_names_table_region_and_account_and_serves_it(
    tmp_path: Path, aws: tuple[str, str]
) -> None:
    endpoint, account = aws
    env = aws_env(tmp_path, AWS_ENDPOINT_URL_DYNAMODB=endpoint, AWS_ENDPOINT_URL_STS=endpoint)
    with serving(env, "--aws-table", DEPLOYED, "--log-format", "text") as served:
        created = httpx.post(f"{served.url}/picus/put", json={"real": True}, timeout=30)
        assert created.status_code == 201, created.text
        key = created.json()["object_id"]
        table = boto3.client("dynamodb", region_name=AWS_REGION, endpoint_url=endpoint)
        stored = table.get_item(TableName=DEPLOYED, Key={PARTITION_KEY: {"S": key}})
        assert "Item" in stored, "the PUT did not reach the named table in the settings' region"
        # The DELETE is the function's, which reads its table and region from the environment.
        assert httpx.delete(f"{served.url}/picus/{key}", timeout=30).status_code == 200
        assert "Item" not in table.get_item(TableName=DEPLOYED, Key={PARTITION_KEY: {"S": key}})
    data = [line for line in served.output.splitlines() if line.startswith("data ")]
    assert len(data) == 1, served.output
    for shown in (DEPLOYED, DEPLOYED_RECORDS, AWS_REGION, account):
        assert shown in data[0], f"the banner does not name {shown}: {data[0]}"
    assert served.process.returncode == 0 and "Traceback" not in served.output


def test_aws_table_records_idempotency_keys_beside_it(tmp_path: Path, aws: tuple[str, str]) -> None:
    # given a deployed stack's two tables, named as the stack names them
    endpoint, _ = aws
    env = aws_env(tmp_path, AWS_ENDPOINT_URL_DYNAMODB=endpoint, AWS_ENDPOINT_URL_STS=endpoint)
    table = boto3.client("dynamodb", region_name=AWS_REGION, endpoint_url=endpoint)
    before = table.scan(TableName=DEPLOYED_RECORDS)["Count"]
    # when serve is given the data table alone and a put carries an Idempotency-Key, twice
    with serving(env, "--aws-table", DEPLOYED, "--log-format", "text") as served:
        headers = {IDEMPOTENCY_KEY_HEADER: "serve-aws-table-test"}
        first = httpx.post(f"{served.url}/picus/put", json={"n": 1}, headers=headers, timeout=30)
        again = httpx.post(f"{served.url}/picus/put", json={"n": 1}, headers=headers, timeout=30)
        assert first.status_code == 201, first.text
        assert again.json()["object_id"] == first.json()["object_id"], again.text
    # then the key's record is in the stack's idempotency table, naming the one item
    records = table.scan(TableName=DEPLOYED_RECORDS)["Items"]
    assert len(records) == before + 1
    assert any(r[IDEMPOTENCY_OBJECT_ID]["S"] == first.json()["object_id"] for r in records), records
    assert all(IDEMPOTENCY_PARTITION_KEY in r for r in records)
    assert served.process.returncode == 0 and "Traceback" not in served.output


def test_a_missing_idempotency_table_is_a_clear_error_naming_the_flag(
    tmp_path: Path, aws: tuple[str, str]
) -> None:
    endpoint, account = aws
    env = aws_env(tmp_path, AWS_ENDPOINT_URL_DYNAMODB=endpoint, AWS_ENDPOINT_URL_STS=endpoint)
    result = refused(env, "--aws-table", DEPLOYED, "--aws-idempotency-table", "records-typo")
    assert result.returncode != 0
    assert f"no table records-typo in {AWS_REGION}, account {account}" in result.stderr
    assert "--aws-idempotency-table" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    table = boto3.client("dynamodb", region_name=AWS_REGION, endpoint_url=endpoint)
    assert "records-typo" not in table.list_tables()["TableNames"]


def test_aws_table_start_line_names_table_region_and_account(
    tmp_path: Path, aws: tuple[str, str]
) -> None:
    endpoint, account = aws
    env = aws_env(tmp_path, AWS_ENDPOINT_URL_DYNAMODB=endpoint, AWS_ENDPOINT_URL_STS=endpoint)
    with serving(env, "--aws-table", DEPLOYED) as served:
        pass
    lines = [json.loads(line) for line in served.output.splitlines()]
    start = [line for line in lines if line["message"].startswith("serving on")]
    assert len(start) == 1, served.output
    assert (
        start[0]["table"],
        start[0]["idempotency_table"],
        start[0]["region"],
        start[0]["account"],
    ) == (DEPLOYED, DEPLOYED_RECORDS, AWS_REGION, account)
    assert account in start[0]["message"] and DEPLOYED in start[0]["message"]


def test_a_missing_aws_table_is_a_clear_error_and_is_not_created(
    tmp_path: Path, aws: tuple[str, str]
) -> None:
    endpoint, account = aws
    env = aws_env(tmp_path, AWS_ENDPOINT_URL_DYNAMODB=endpoint, AWS_ENDPOINT_URL_STS=endpoint)
    result = refused(env, "--aws-table", "picus_data-typo")
    assert result.returncode != 0
    assert f"no table picus_data-typo in {AWS_REGION}, account {account}" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    table = boto3.client("dynamodb", region_name=AWS_REGION, endpoint_url=endpoint)
    assert "picus_data-typo" not in table.list_tables()["TableNames"]


def test_aws_table_without_credentials_is_a_clear_error(tmp_path: Path) -> None:
    env = {**aws_env(tmp_path)}
    for name in FAKE_AWS:
        del env[name]
    result = refused(env, "--aws-table", DEPLOYED)
    assert result.returncode != 0
    assert "no AWS credentials" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_an_endpoint_of_aws_itself_needs_the_flag(tmp_path: Path) -> None:
    # Without --aws-table, serve creates the table where the endpoint points: never in AWS.
    endpoint = f"https://dynamodb.{AWS_REGION}.amazonaws.com"
    result = refused(aws_env(tmp_path, AWS_ENDPOINT_URL_DYNAMODB=endpoint))
    assert result.returncode != 0
    assert "--aws-table" in result.stderr and endpoint in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
