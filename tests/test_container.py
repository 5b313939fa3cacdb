"""The real image, built from the Dockerfile and run by Docker's engine, as ECS runs it.

The container runs as its task definition says: read-only root filesystem, non-root, no
capabilities, stopped with SIGTERM and given the task's stop timeout. Without Docker the tests
skip and say why, except under CI, where a missing engine is a failure.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import boto3
import httpx
import pytest

from components.container import container_definitions
from deploy.check import check_walkthrough
from devkit.asgi import serving
from devkit.container import (
    DockerUnavailable,
    base_image,
    build_service_image,
    docker,
    dockerfile_base,
    engine_answers,
    inspect,
    run_docker,
)
from devkit.fault_proxy import Fault, FaultProxy
from devkit.processes import free_port, wait_until
from picus.contract import ITEM_PATH_PREFIX, PARTITION_KEY, TABLE_NAME
from tests.backends import CREDENTIALS, REGION

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

#: The container as the task definition describes it.
STOP_TIMEOUT = 60
TASK = json.loads(
    container_definitions(
        image="-",
        table_name=TABLE_NAME,
        region=REGION,
        log_group="-",
        forwarded_allow_ips="127.0.0.1",
        stop_timeout=STOP_TIMEOUT,
        graceful_shutdown=STOP_TIMEOUT - 5,
        extra_environment={},
    )
)[0]
#: What the image may add to its base: the service's locked dependencies and its code.
MAX_ADDED_MB = 150


@dataclass(frozen=True)
class Built:
    image: str
    base: str


@pytest.fixture(scope="module")
def built() -> Built:
    try:
        engine_answers()
        base = base_image()
    except DockerUnavailable as why:
        if os.environ.get("CI"):
            pytest.fail(f"CI runs the container tests and needs Docker's engine: {why}")
        pytest.skip(f"{why}; the README's 'The container' says how to run these tests")
    return Built(build_service_image(base), base or dockerfile_base())


@contextmanager
def container(image: str, endpoint: str) -> Iterator[tuple[str, str]]:
    """Runs the image as its task definition does; yields (container id, base URL)."""
    port = free_port()
    env = {variable["name"]: variable["value"] for variable in TASK["environment"]}
    env |= CREDENTIALS | {
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
        "PICUS_HOST": "127.0.0.1",
        "PICUS_PORT": str(port),
    }
    container_id = docker(
        "run",
        "--detach",
        # The local DynamoDB listens on the host's loopback.
        "--network=host",
        "--cap-drop=ALL",
        "--security-opt=no-new-privileges",
        *(["--read-only"] if TASK["readonlyRootFilesystem"] else []),
        *(f"--env={name}={value}" for name, value in env.items()),
        image,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _healthy(url):
            if time.monotonic() > deadline or not inspect(container_id)["State"]["Running"]:
                raise RuntimeError("the container never became healthy:\n" + logs(container_id))
            time.sleep(0.1)
        yield container_id, url
    finally:
        run_docker("rm", "--force", container_id)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health").status_code == 200
    except httpx.TransportError:
        return False


def logs(container_id: str) -> str:
    result = run_docker("logs", container_id)
    return result.stdout + result.stderr


class Forward:
    """The ALB's default action: every request it is given goes on to the container."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        path = scope.get("raw_path") or scope["path"].encode()
        query = b"?" + scope["query_string"] if scope["query_string"] else b""
        headers = [(k, v) for k, v in scope["headers"] if k not in (b"host", b"connection")]
        async with (
            httpx.AsyncClient() as client,
            client.stream(
                scope["method"],
                self.base_url + (path + query).decode(),
                headers=headers,
                content=body,
            ) as answer,
        ):
            raw = b"".join([chunk async for chunk in answer.aiter_raw()])
            kept = [
                (k, v)
                for k, v in answer.headers.raw
                if k.lower() not in (b"connection", b"transfer-encoding", b"content-length")
            ]
        await send({"type": "http.response.start", "status": answer.status_code, "headers": kept})
        await send({"type": "http.response.body", "body": raw})


def test_the_image_runs_as_its_non_root_user(built: Built) -> None:
    assert inspect(built.image)["Config"]["User"] == "10001:10001"
    assert docker("run", "--rm", "--entrypoint=id", built.image, "-u") == "10001"


def test_the_image_adds_only_the_service_to_its_base(built: Built) -> None:
    added_mb = (inspect(built.image)["Size"] - inspect(built.base)["Size"]) / 1e6
    print(f"image: {inspect(built.image)['Size'] / 1e6:.0f} MB, {added_mb:.0f} MB over its base")
    assert 0 < added_mb <= MAX_ADDED_MB
    layers = docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", built.image)
    assert "ca-bundle" not in layers, "the build's CA secret belongs to the build stage only"
    files = docker("run", "--rm", "--entrypoint=find", built.image, "/app", "-name", "*.py")
    packages = {path.split("/")[2] for path in files.splitlines()}
    assert packages == {"picus", "service"}


def test_health_on_a_read_only_root_filesystem(built: Built, ddb_endpoint: str) -> None:
    with container(built.image, ddb_endpoint) as (container_id, url):
        assert inspect(container_id)["HostConfig"]["ReadonlyRootfs"] is True
        assert httpx.get(f"{url}/health").json() == {"status": "ok"}
        # The docs' own files ship in the image, the editor and source maps do not.
        assert httpx.get(f"{url}/docs/assets/swagger-ui-bundle.js").status_code == 200
        assert "swagger-editor" not in docker(
            "exec",
            container_id,
            "sh",
            "-c",
            "ls /opt/venv/lib/python*/site-packages/swagger_ui/static",
        )
        refused = run_docker("exec", container_id, "touch", "/app/written")
        assert refused.returncode != 0 and "Read-only file system" in refused.stderr
        # The process that serves is the image's user, not root.
        assert docker("exec", container_id, "id", "-u") == "10001"


def test_the_walkthrough_through_the_container(built: Built, ddb_endpoint: str) -> None:
    from delete_fn.handler import handler
    from local.router import LocalAlb

    with (
        container(built.image, ddb_endpoint) as (_, url),
        serving(LocalAlb(Forward(url), handler)) as origin,
    ):
        said = check_walkthrough(origin, patience_s=30, plain_http=True)
        assert "put, get, replace, list, delete" in said


def test_sigterm_under_load_fails_no_request_in_flight(built: Built, ddb_endpoint: str) -> None:
    upstream = urlsplit(ddb_endpoint)
    # Every write takes half a second at DynamoDB, so many are in flight when SIGTERM comes.
    with FaultProxy(upstream.hostname or "", upstream.port or 0).running() as proxy:
        proxy.delay = 0.5
        proxy.set(Fault.SLOW)
        with container(built.image, proxy.endpoint) as (container_id, url):
            stop, lock = threading.Event(), threading.Lock()
            outcomes: list[Any] = []
            in_flight, started = [0], [0]
            acknowledged: list[str] = []

            def client(worker: int) -> None:
                time.sleep(worker * 0.031)  # staggered, so requests overlap at any moment
                with httpx.Client(timeout=STOP_TIMEOUT) as http:
                    n = 0
                    while True:
                        n += 1
                        # Checked and counted at once: after stop, nothing new starts.
                        with lock:
                            if stop.is_set():
                                return
                            in_flight[0] += 1
                            started[0] += 1
                        try:
                            answer = http.post(
                                f"{url}{ITEM_PATH_PREFIX}put", json={"w": worker, "n": n}
                            )
                            outcomes.append(answer.status_code)
                            if answer.status_code == 201:
                                acknowledged.append(answer.json()[PARTITION_KEY])
                        except httpx.HTTPError as error:
                            outcomes.append(repr(error))
                        finally:
                            with lock:
                                in_flight[0] -= 1

            workers = [threading.Thread(target=client, args=(i,)) for i in range(16)]
            for worker in workers:
                worker.start()
            wait_until(lambda: len(outcomes) >= 16 and in_flight[0] >= 8, "no load built up")
            # As the ALB does: no new requests once the target drains, then SIGTERM, once
            # every request started has reached the table (is inside the service).
            with lock:
                stop.set()
                caught, total = in_flight[0], started[0]
            wait_until(lambda: proxy.received.count("PutItem") >= total, "requests never arrived")
            signalled = time.monotonic()
            docker("kill", "--signal=TERM", container_id)
            for worker in workers:
                worker.join(STOP_TIMEOUT)
            exit_code = int(docker("wait", container_id, timeout=STOP_TIMEOUT))
            stopped_in = time.monotonic() - signalled
            output = logs(container_id)

    assert caught >= 8, f"only {caught} requests were in flight at SIGTERM"
    assert outcomes and set(outcomes) == {201}, f"failed requests: {set(outcomes) - {201}}"
    # PID 1 is the service itself, and it handles SIGTERM: drains, then exits 0 at once.
    assert exit_code == 0, output
    assert stopped_in < 5, f"took {stopped_in:.1f} s to stop"
    table = boto3.client("dynamodb", endpoint_url=ddb_endpoint, region_name=REGION)
    for key in acknowledged:
        item = table.get_item(TableName=TABLE_NAME, Key={PARTITION_KEY: {"S": key}})
        assert "Item" in item, f"{key} was acknowledged and lost"
