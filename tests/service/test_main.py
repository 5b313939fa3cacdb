"""``python -m service`` as ECS runs it: draining on SIGTERM, rolling replacement, a soak."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response

from devkit.asgi import serving
from devkit.fault_proxy import Fault, FaultProxy
from devkit.processes import open_fds, rss_kib, service_process, start_service, wait_until
from picus.contract import PARTITION_KEY
from tests.http import JSON


@pytest.fixture
def proxy(ddb_endpoint: str) -> Iterator[FaultProxy]:
    """A proxy of this test's own: the tests here leave it slow."""
    upstream = urlsplit(ddb_endpoint)
    with FaultProxy(upstream.hostname or "", upstream.port or 0).running() as running:
        yield running


def more_results(results: list[int | str], more: int) -> Callable[[], bool]:
    """Whether ``more`` requests have been answered since now."""
    target = len(results) + more
    return lambda: len(results) >= target


def refuses_connections(url: str) -> bool:
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def test_sigterm_finishes_in_flight_requests_then_exits(proxy: FaultProxy) -> None:
    slow = 1.5
    with service_process(
        proxy.endpoint,
        {
            "PICUS_DDB_READ_TIMEOUT": "5",
            "PICUS_DDB_DEADLINE": "10",
            "PICUS_GRACEFUL_SHUTDOWN": "10",
        },
    ) as (process, url):
        # given requests in flight, each held up by a slow table
        proxy.delay = slow
        proxy.set(Fault.SLOW)
        with ThreadPoolExecutor(8) as pool:
            futures = [
                pool.submit(httpx.post, f"{url}/picus/put", content=b'{"a": 1}', headers=JSON)
                for _ in range(8)
            ]
            # (every one of them inside the service, waiting on the table)
            deadline = time.monotonic() + 10
            while proxy.received.count("PutItem") < 8:
                assert time.monotonic() < deadline, "the requests never reached the table"
                time.sleep(0.01)
            # when ECS stops the task
            process.send_signal(signal.SIGTERM)
            stopped = time.monotonic()
            # then new connections are refused while the old ones drain
            wait_until(lambda: refuses_connections(url), "the listener never closed")
            assert process.poll() is None, "exited before draining"
            responses = [f.result() for f in futures]
        assert [r.status_code for r in responses] == [201] * 8
        assert process.wait(15) == 0
        assert time.monotonic() - stopped < 10
    proxy.set(Fault.NONE)


class RoundRobin:
    """The ALB's part in a rolling deployment: targets are registered and deregistered, and
    a deregistered target gets no new requests."""

    def __init__(self) -> None:
        self.targets: list[str] = []
        self._next = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        self._next += 1
        target = self.targets[self._next % len(self.targets)]
        async with httpx.AsyncClient(timeout=30) as client:
            upstream = await client.request(
                request.method,
                f"{target}{request.url.path}",
                content=await request.body(),
                headers={"content-type": request.headers.get("content-type", "")},
            )
        response = Response(upstream.content, upstream.status_code, media_type="application/json")
        await response(scope, receive, send)


def test_a_rolling_replacement_under_load_fails_no_request(proxy: FaultProxy) -> None:
    # A small table latency keeps requests in flight at every moment.
    proxy.delay = 0.05
    proxy.set(Fault.SLOW)
    settings = {"PICUS_GRACEFUL_SHUTDOWN": "10"}
    balancer = RoundRobin()
    processes = {}
    for _ in range(2):
        process, url = start_service(proxy.endpoint, settings)
        processes[url] = process
        balancer.targets.append(url)

    results: list[int | str] = []
    stored: list[str] = []
    stop = threading.Event()

    def load(url: str) -> None:
        with httpx.Client(timeout=30) as client:
            while not stop.is_set():
                try:
                    response = client.post(f"{url}/picus/put", content=b'{"r": 1}', headers=JSON)
                    results.append(response.status_code)
                    if response.status_code == 201:
                        stored.append(response.json()[PARTITION_KEY])
                except httpx.HTTPError as exc:
                    results.append(type(exc).__name__)

    try:
        with serving(balancer) as url:
            workers = [threading.Thread(target=load, args=(url,)) for _ in range(4)]
            for worker in workers:
                worker.start()
            wait_until(lambda: len(results) >= 20, "no load reached the targets")
            for old in list(balancer.targets):
                # deregister, let the ALB's deregistration delay pass, stop, replace
                balancer.targets.remove(old)
                time.sleep(0.3)  # the modelled deregistration delay, not a synchronisation
                processes[old].send_signal(signal.SIGTERM)
                new_process, new_url = start_service(proxy.endpoint, settings)
                processes[new_url] = new_process
                balancer.targets.append(new_url)
                assert processes[old].wait(15) == 0
                wait_until(more_results(results, 20), "the new target got no load")
            stop.set()
            for worker in workers:
                worker.join()
            assert len(results) > 50
            assert set(results) == {201}, f"failed requests: {[r for r in results if r != 201]}"
            proxy.set(Fault.NONE)
            for key in stored[:: max(1, len(stored) // 25)]:
                assert httpx.get(f"{url}/picus/get/{key}").status_code == 200
    finally:
        stop.set()
        for process in processes.values():
            if process.poll() is None:
                process.kill()
            process.wait(10)


CLIENTS = 6


@pytest.mark.soak
def test_a_soak_keeps_memory_and_file_descriptors_flat(
    ddb_endpoint: str, soak_report: list[str]
) -> None:
    seconds = float(os.environ.get("PICUS_SOAK_SECONDS", "60"))
    with service_process(ddb_endpoint) as (process, url):
        keys: list[str] = []
        stop = threading.Event()
        counts = {"requests": 0, "errors": 0}

        def traffic(worker: int) -> None:
            with httpx.Client(timeout=30) as client:
                i = 0
                while not stop.is_set():
                    i += 1
                    kind = i % 6
                    if kind in (0, 1) or not keys:
                        body = f'{{"w": {worker}, "i": {i}, "f": 1.5, "s": "{"x" * (i % 200)}"}}'
                        r = client.post(f"{url}/picus/put", content=body.encode(), headers=JSON)
                        if r.status_code == 201:
                            keys.append(r.json()[PARTITION_KEY])
                        ok = r.status_code == 201
                    elif kind in (2, 3):
                        r = client.get(f"{url}/picus/get/{keys[i % len(keys)]}")
                        ok = r.status_code == 200
                    elif kind == 4:
                        r = client.get(f"{url}/picus/list", params={"limit": 50})
                        ok = r.status_code == 200
                    else:
                        r = client.get(f"{url}/picus/get/not-a-key")
                        ok = r.status_code == 400
                    counts["requests"] += 1
                    counts["errors"] += not ok

        workers = [threading.Thread(target=traffic, args=(w,)) for w in range(CLIENTS)]
        for worker in workers:
            worker.start()
        # the first fifth warms up: imports, connection pools, allocator arenas
        time.sleep(seconds / 5)
        rss_start, fds_start = rss_kib(process.pid), open_fds(process.pid)
        time.sleep(seconds * 4 / 5)
        rss_end, fds_end = rss_kib(process.pid), open_fds(process.pid)
        stop.set()
        for worker in workers:
            worker.join()
    soak_report.append(
        f"soak {seconds:.0f} s: {counts['requests']} requests, {counts['errors']} errors; "
        f"service RSS {rss_start / 1024:.1f} -> {rss_end / 1024:.1f} MiB, "
        f"open fds {fds_start} -> {fds_end}"
    )
    assert counts["errors"] == 0
    assert counts["requests"] > seconds * 10
    assert rss_end - rss_start < 10 * 1024, "service memory grew during the soak"
    # The DynamoDB pool opens a connection per request in flight, so it may still grow to one
    # per client after the warm-up; anything beyond that is a leak.
    assert fds_end - fds_start <= CLIENTS, "service file descriptors grew during the soak"
