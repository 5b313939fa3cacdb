"""Slow, idle and aborted clients, over raw sockets, against the service under the container's
own uvicorn settings (service/__main__.py) and the local origin: a client that leaves mid-body
is a 499 at INFO that stores nothing; headers or a body slower than the settings allow get a
408 and a closed connection; and meanwhile the service answers everyone else within its p99
objective."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from bench.result_files import CAPACITY_FILE
from devkit.asgi import serving
from devkit.processes import wait_until
from picus.access_log import CLIENT_CLOSED_REQUEST
from picus.errors import ErrorCode
from service.__main__ import uvicorn_config
from service.settings import Settings

#: Short limits, so that a test waits seconds, not the production defaults' tens of seconds.
HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 2.0
#: What the service answers within (bench/results/capacity.json, the p99 objective).
OBJECTIVE_P99_MS = json.loads(CAPACITY_FILE.read_text())["objective_p99_ms"]
BODY = b'{"slow": true}'


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def access_line(self, request_id: str) -> logging.LogRecord:
        def line() -> logging.LogRecord | None:
            return next(
                (
                    r
                    for r in list(self.records)
                    if r.getMessage() == "request" and getattr(r, "request_id", "") == request_id
                ),
                None,
            )

        wait_until(lambda: line() is not None, f"no access line for {request_id}", 5)
        found = line()
        assert found is not None
        return found


@pytest.fixture
def records() -> Iterator[Records]:
    handler = Records()
    names = ("picus", "uvicorn.error", "uvicorn")
    saved = [(logging.getLogger(n), logging.getLogger(n).level) for n in names]
    for logger, _ in saved:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield handler
    for logger, level in saved:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _strict(settings: Settings) -> Settings:
    return replace(settings, header_timeout=HEADER_TIMEOUT, body_timeout=BODY_TIMEOUT)


@pytest.fixture(scope="module")
def service(settings: Settings) -> Iterator[str]:
    """The service under the container's uvicorn settings, with short deadlines."""
    from service.app import create_app

    strict = _strict(settings)
    with serving(create_app(strict), uvicorn_config(strict)) as url:
        yield url


@pytest.fixture(scope="module")
def origin(settings: Settings) -> Iterator[str]:
    """The local origin (the service and the function), as ``serve`` runs it."""
    from delete_fn.handler import handler
    from local.router import LocalAlb
    from service.app import create_app

    strict = _strict(settings)
    with serving(LocalAlb(create_app(strict), handler), uvicorn_config(strict)) as url:
        yield url


@contextlib.contextmanager
def connection(base: str) -> Iterator[socket.socket]:
    url = urlsplit(base)
    with socket.create_connection((url.hostname or "", url.port or 80), timeout=30) as sock:
        yield sock


def _head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "host: test", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _read_all(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def _stored(base: str) -> tuple[str, str]:
    response = httpx.post(
        f"{base}/picus/put", content=BODY, headers={"content-type": "application/json"}
    )
    assert response.status_code == 201, response.text
    key = response.json()["object_id"]
    return key, httpx.get(f"{base}/picus/{key}").headers["etag"]


def _every_key(base: str) -> set[str]:
    keys: set[str] = set()
    cursor: str | None = None
    while True:
        params = {"limit": "1000", **({"cursor": cursor} if cursor else {})}
        page = httpx.get(f"{base}/picus/list", params=params, timeout=30).json()
        keys |= {item["object_id"] for item in page["items"]}
        cursor = page["next_cursor"]
        if cursor is None:
            return keys


# --- a client that leaves mid-body ----------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_a_client_that_leaves_mid_body_is_a_499_at_info_that_stores_nothing(
    service: str, records: Records, method: str
) -> None:
    key, etag = _stored(service)
    path = "/picus/put" if method == "POST" else f"/picus/{key}"
    before = _every_key(service)
    request_id = uuid.uuid4().hex
    headers = {
        "content-type": "application/json",
        "content-length": "100",
        "if-match": etag,
        "x-request-id": request_id,
    }
    with connection(service) as sock:
        sock.sendall(_head(method, path, headers) + b'{"a":')
    line = records.access_line(request_id)
    assert (line.levelname, line.status) == ("INFO", CLIENT_CLOSED_REQUEST)  # type: ignore[attr-defined]
    # Once, and nothing else: no error, no traceback, no 5xx anywhere.
    assert [r for r in records.records if getattr(r, "request_id", "") == request_id] == [line]
    assert all(r.levelno < logging.WARNING for r in records.records), [
        r.getMessage() for r in records.records if r.levelno >= logging.WARNING
    ]
    assert _every_key(service) == before
    assert httpx.get(f"{service}/picus/{key}").headers["etag"] == etag


def test_a_delete_whose_client_leaves_mid_body_invokes_nothing(
    origin: str, records: Records
) -> None:
    key, etag = _stored(origin)
    with connection(origin) as sock:
        sock.sendall(_head("DELETE", f"/picus/{key}", {"content-length": "100"}) + b"12345")
    wait_until(
        lambda: any(str(CLIENT_CLOSED_REQUEST) in r.getMessage() for r in records.records),
        "the origin logged no abort",
        5,
    )
    assert httpx.get(f"{origin}/picus/{key}").headers["etag"] == etag
    assert all(r.levelno < logging.WARNING for r in records.records)


# --- slow clients ---------------------------------------------------------------------------


def _answered_408(sock: socket.socket, started: float, limit: float) -> bytes:
    received = _read_all(sock)  # to the end: the service closed the connection
    took = time.monotonic() - started
    assert received.startswith(b"HTTP/1.1 408 "), received[:200]
    assert limit <= took < limit + 3, took
    body = json.loads(received.partition(b"\r\n\r\n")[2])
    assert body["error"]["code"] == ErrorCode.REQUEST_TIMEOUT.code
    return received


def partial_headers(base: str) -> None:
    with connection(base) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /health HTTP/1.1\r\nhost: test\r\nx-slow: ")
        _answered_408(sock, started, HEADER_TIMEOUT)


def partial_body(base: str) -> None:
    headers = {"content-type": "application/json", "content-length": "100"}
    with connection(base) as sock:
        # Timed from before the send: the service's deadline starts once it has the headers,
        # which may be before this thread runs again after ``sendall``.
        started = time.monotonic()
        sock.sendall(_head("POST", "/picus/put", headers) + b'{"a":')
        received = _answered_408(sock, started, BODY_TIMEOUT)
        assert b"connection: close" in received.lower()


def trickling_body(base: str) -> None:
    headers = {"content-type": "application/json", "content-length": str(len(BODY))}
    with connection(base) as sock:
        started = time.monotonic()  # before the send, as in partial_body
        sock.sendall(_head("POST", "/picus/put", headers))
        sock.settimeout(0.4)
        received = b""
        for byte in BODY:
            # A byte every 0.4 s: each read is prompt, the whole body is not.
            try:
                sock.sendall(bytes([byte]))
                received += sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if received:
                break
        sock.settimeout(30)
        with contextlib.suppress(OSError):
            received += _read_all(sock)
        took = time.monotonic() - started
        assert received.startswith(b"HTTP/1.1 408 "), received[:200]
        assert BODY_TIMEOUT <= took < BODY_TIMEOUT + 3, took


@pytest.mark.parametrize("slow", [partial_headers, partial_body, trickling_body])
def test_a_slow_client_gets_a_408_and_its_connection_closed(service: str, slow: Any) -> None:
    slow(service)


def test_the_slow_request_s_access_line_says_408(service: str, records: Records) -> None:
    request_id = uuid.uuid4().hex
    headers = {
        "content-type": "application/json",
        "content-length": "100",
        "x-request-id": request_id,
    }
    with connection(service) as sock:
        sock.sendall(_head("POST", "/picus/put", headers) + b"{")
        _read_all(sock)
    assert records.access_line(request_id).status == 408  # type: ignore[attr-defined]


def test_everyone_else_is_served_within_the_objective_meanwhile(service: str) -> None:
    slow_clients = [
        threading.Thread(target=slow, args=(service,))
        for slow in (partial_headers, partial_body, trickling_body)
        for _ in range(5)
    ]
    for thread in slow_clients:
        thread.start()
    durations: list[float] = []
    with httpx.Client(base_url=service, timeout=10) as client:
        deadline = time.monotonic() + BODY_TIMEOUT + 1
        while time.monotonic() < deadline:
            started = time.perf_counter()
            response = client.get("/picus/list", params={"limit": "1"})
            durations.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
    for thread in slow_clients:
        thread.join(30)
    p99 = statistics.quantiles(durations, n=100)[98]
    assert len(durations) >= 50 and p99 <= OBJECTIVE_P99_MS, (len(durations), p99)


def test_beyond_the_concurrency_limit_a_request_is_a_503_at_once(settings: Settings) -> None:
    from service.app import create_app

    limited = replace(_strict(settings), limit_concurrency=4)
    with serving(create_app(limited), uvicorn_config(limited)) as base:
        with contextlib.ExitStack() as held:
            for _ in range(limited.limit_concurrency):
                held.enter_context(connection(base))
            time.sleep(0.2)  # each accepted by the server
            started = time.monotonic()
            refused = httpx.get(f"{base}/health", timeout=10)
            assert refused.status_code == 503
            assert time.monotonic() - started < 1
        wait_until(lambda: httpx.get(f"{base}/health").status_code == 200, "still refusing", 5)
