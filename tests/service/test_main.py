"""``python -m service`` as ECS runs it: draining on SIGTERM, rolling replacement, a soak."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
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
    slow = 3.0  # long enough that the listener closes well before the first answer
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
                pool.submit(
                    httpx.post, f"{url}/picus/put", content=b'{"a": 1}', headers=JSON, timeout=30
                )
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
    a deregistered target gets no new connections."""

    def __init__(self) -> None:
        self.targets: list[str] = []
        # Requests sent to a target that have not yet connected to it: the ALB opens no new
        # connection to a deregistered target, so these must land before the target stops.
        self.connecting: Counter[str] = Counter()
        self._next = 0

    def connected(self, target: str) -> bool:
        """Whether every request sent to ``target`` has connected to it."""
        return not self.connecting[target]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        body = await request.body()
        self._next += 1
        target = self.targets[self._next % len(self.targets)]
        self.connecting[target] += 1
        connected = False

        async def trace(event: str, info: Any) -> None:
            nonlocal connected
            if event == "connection.connect_tcp.complete" and not connected:
                connected = True
                self.connecting[target] -= 1

        try:
            async with httpx.AsyncClient(timeout=30) as client:
                upstream = await client.request(
                    request.method,
                    f"{target}{request.url.path}",
                    content=body,
                    headers={"content-type": request.headers.get("content-type", "")},
                    extensions={"trace": trace},
                )
        finally:
            if not connected:
                self.connecting[target] -= 1
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
                wait_until(partial(balancer.connected, old), "a request never connected")
                # the modelled deregistration delay: requests on open connections are still in
                # flight when the signal comes, and draining finishes them
                time.sleep(0.3)
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
    ddb_endpoint: str, new_table: Callable[[], str], soak_report: list[str]
) -> None:
    seconds = float(os.environ.get("PICUS_SOAK_SECONDS", "60"))
    # A table of its own, so a list costs what the soak's own items cost whatever ran before,
    # and patient timeouts: this measures leaks, not latency (test_faults owns latency).
    settings = {
        "PICUS_TABLE_NAME": new_table(),
        "PICUS_DDB_READ_TIMEOUT": "10",
        "PICUS_DDB_DEADLINE": "15",
    }
    with service_process(ddb_endpoint, settings) as (process, url):
        keys: list[str] = []
        stop = threading.Event()
        answered = [0] * CLIENTS
        failures: Counter[tuple[str, int]] = Counter()
        failed_bodies: list[str] = []

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
                        expected = 201
                    elif kind in (2, 3):
                        r = client.get(f"{url}/picus/get/{keys[i % len(keys)]}")
                        expected = 200
                    elif kind == 4:
                        r = client.get(f"{url}/picus/list", params={"limit": 50})
                        expected = 200
                    else:
                        r = client.get(f"{url}/picus/get/not-a-key")
                        expected = 400
                    answered[worker] += 1
                    if r.status_code != expected:
                        failures[(f"{r.request.method} {r.request.url.path}", r.status_code)] += 1
                        failed_bodies.append(r.text[:200])

        workers = [threading.Thread(target=traffic, args=(w,)) for w in range(CLIENTS)]
        for worker in workers:
            worker.start()
        # The first fifth warms up: imports, connection pools, allocator arenas. Each window
        # lasts its time and at least its share of requests, so a slow machine soaks as long.
        floor = seconds * 10
        time.sleep(seconds / 5)
        wait_until(lambda: sum(answered) >= floor / 4, "the soak never warmed up", seconds * 5)
        rss_start, fds_start = rss_kib(process.pid), open_fds(process.pid)
        measured_from = sum(answered)
        time.sleep(seconds * 4 / 5)
        wait_until(
            lambda: sum(answered) - measured_from >= floor,
            f"the soak answered fewer than {floor:.0f} requests in {seconds * 5:.0f} s",
            seconds * 5,
        )
        rss_end, fds_end = rss_kib(process.pid), open_fds(process.pid)
        stop.set()
        for worker in workers:
            worker.join()
    soak_report.append(
        f"soak {seconds:.0f} s: {sum(answered)} requests, {failures.total()} errors; "
        f"service RSS {rss_start / 1024:.1f} -> {rss_end / 1024:.1f} MiB, "
        f"open fds {fds_start} -> {fds_end}"
    )
    assert not failures, f"unexpected answers {dict(failures)}, the first: {failed_bodies[:3]}"
    assert rss_end - rss_start < 10 * 1024, "service memory grew during the soak"
    # The DynamoDB pool opens a connection per request in flight, so it may still grow to one
    # per client after the warm-up; anything beyond that is a leak.
    assert fds_end - fds_start <= CLIENTS, "service file descriptors grew during the soak"
