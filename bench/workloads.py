"""What the benchmark measures, each a function of a backend endpoint: the contenders under
sustained load, listing whole tables, the function's cold start, the local start."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import httpx

from bench.load import LoadResult, RssSampler, run_load
from bench.servers import (
    Server,
    backend_env,
    start_bare,
    start_fastapi,
    start_flask,
    start_ours,
)
from devkit import ROOT
from devkit.latency_proxy import LatencyProxy
from devkit.processes import free_port, wait_healthy, without_aws
from picus.contract import CREATED_AT, LIST_PATH, PARTITION_KEY, PAYLOAD, TABLE_NAME

CONTENDERS: dict[str, Callable[[str, str], Server]] = {
    "ours": start_ours,
    "flask": start_flask,
    "fastapi": start_fastapi,
}
SEED_ITEMS = 1000
LIST_SIZES = (1000, 10_000)


def _client(endpoint: str) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )


def seed(endpoint: str, table: str, count: int) -> list[str]:
    """A table of ``count`` items shaped as the API stores them; returns their keys."""
    from local.embedded import ensure_table

    ensure_table(table, region="us-east-1", endpoint_url=endpoint)
    client = _client(endpoint)
    keys = [str(uuid.uuid4()) for _ in range(count)]
    for start in range(0, count, 25):
        client.batch_write_item(
            RequestItems={
                table: [
                    {
                        "PutRequest": {
                            "Item": {
                                PARTITION_KEY: {"S": key},
                                CREATED_AT: {"S": "2026-01-01T00:00:00.000Z"},
                                PAYLOAD: {
                                    "M": {
                                        "name": {"S": f"item {key[:8]}"},
                                        "price": {"N": "12.5"},
                                        "qty": {"N": "3"},
                                        "tags": {"L": [{"S": "a"}, {"S": "b"}]},
                                    }
                                },
                            }
                        }
                    }
                    for key in keys[start : start + 25]
                ]
            }
        )
    return keys


def traverse(server: Server, client: httpx.Client | None = None) -> int:
    """The whole table through the contender's list endpoint; returns the item count."""
    if client is None:
        with httpx.Client(timeout=120) as own:
            return traverse(server, own)
    if server.name != "ours":
        return len(client.get(f"{server.url}{LIST_PATH}").json()["items"])
    count = 0
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"{server.url}{LIST_PATH}", params=params).json()
        count += len(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return count


def median_result(results: list[LoadResult]) -> dict[str, float]:
    return {
        field: statistics.median(getattr(r, field) for r in results)
        for field in LoadResult.__dataclass_fields__
    }


def floor_call_ms(
    endpoint: str, table: str, operation: str, calls: int, keys_file: str, tuned: bool = False
) -> float:
    command = [sys.executable, "-m", "bench.floors.ddb_client", operation, str(calls), keys_file]
    out = subprocess.run(
        [*command, *(["--tuned"] if tuned else [])],
        cwd=ROOT,
        env={**os.environ, **backend_env(endpoint, table)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(out.strip())


def cold_start_ms(module: str, endpoint: str, table: str, key: str) -> tuple[float, float]:
    """A whole fresh process: interpreter, import, first invocation (a DELETE). Its wall
    time and its CPU time, in milliseconds."""
    env = {**os.environ, **backend_env(endpoint, table)}
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    command = [sys.executable, "-m", "bench.probe", module, key]
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    return wall * 1000, cpu * 1000


def local_start_s() -> float:
    """The README's run command (dependencies installed): seconds until /health answers."""
    port = free_port()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as home:
        process = subprocess.Popen(
            [sys.executable, "-m", "local", "--port", str(port)],
            cwd=ROOT,
            env=without_aws(dict(os.environ), Path(home)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_healthy(process, f"http://127.0.0.1:{port}/health")
            return time.perf_counter() - started
        finally:
            process.terminate()
            process.wait(20)


#: The floors' results keys: the stock aioboto3 client, and the service's own client.
FLOORS = {"floor_call_ms": False, "tuned_call_ms": True}


def measure_load(
    proxy: LatencyProxy,
    endpoint: str,
    keys_file: Path,
    reps: int,
    seconds: float,
    warmup: float,
    floor_calls: int,
) -> tuple[dict[str, Any], dict[str, dict[str, float]]]:
    """The contenders under load, and the floors' call CPU measured right after them in each
    repetition, so that ours/floor compares figures taken side by side, not minutes apart."""
    servers = {name: start(endpoint, TABLE_NAME) for name, start in CONTENDERS.items()}
    bare = start_bare()
    load: dict[str, dict[str, list[LoadResult]]] = {}
    floors: dict[str, dict[str, list[float]]] = {key: {} for key in FLOORS}
    try:
        for delay in (0, 5):
            proxy.delay = delay / 1000
            for _ in range(reps):
                for scenario, script, extra in (
                    ("GET", "get.lua", (str(keys_file),)),
                    ("PUT", "put.lua", ()),
                ):
                    for name, server in servers.items():
                        key = f"{scenario} +{delay}ms"
                        print(f"{key:12} {name}", file=sys.stderr, flush=True)
                        load.setdefault(key, {}).setdefault(name, []).append(
                            run_load(server, script, seconds, warmup, *extra)
                        )
                    if delay == 0:
                        op = scenario.lower()
                        for floor, tuned in FLOORS.items():
                            print(f"{scenario:12} {floor}", file=sys.stderr, flush=True)
                            floors[floor].setdefault(op, []).append(
                                floor_call_ms(
                                    endpoint, TABLE_NAME, op, floor_calls, str(keys_file), tuned
                                )
                            )
                if delay == 0:
                    load.setdefault("bare", {}).setdefault("bare uvicorn", []).append(
                        run_load(bare, "bare.lua", seconds, warmup)
                    )
    finally:
        proxy.delay = 0
        for server in [*servers.values(), bare]:
            server.stop()
    medians = {
        scenario: {name: median_result(runs) for name, runs in by_name.items()}
        for scenario, by_name in load.items()
    }
    floor_medians = {
        floor: {op: statistics.median(calls) for op, calls in by_op.items()}
        for floor, by_op in floors.items()
    }
    return medians, floor_medians


def sustained_list(server: Server, size: int, seconds: float, clients: int = 4) -> dict[str, float]:
    """Whole-table listings by ``clients`` at once for ``seconds``: the server tree's CPU over
    the whole window per item listed (one traversal alone is a few clock ticks of CPU)."""
    stop, lock = threading.Event(), threading.Lock()
    listed = [0]

    def client() -> None:
        # One HTTP client per thread: a new one per traversal costs this process CPU (an SSL
        # context each) on the cores the server is measured on.
        with httpx.Client(timeout=120) as http:
            while not stop.is_set():
                count = traverse(server, http)
                assert count == size, (server.name, count)
                with lock:
                    listed[0] += count

    workers = [threading.Thread(target=client) for _ in range(clients)]
    cpu_before = server.cpu_seconds()
    with RssSampler(server) as rss:
        for worker in workers:
            worker.start()
        time.sleep(seconds)  # the measured window
        stop.set()
        for worker in workers:
            worker.join()
    cpu_ms = (server.cpu_seconds() - cpu_before) * 1000
    return {
        "cpu_ms_per_item": cpu_ms / listed[0],
        "items": listed[0],
        "peak_rss_mb": rss.peak / 2**20,
    }


def measure_list(
    endpoint: str, size: int, reps: int, seconds: float
) -> dict[str, dict[str, float]]:
    table = f"list_{size}"
    seed(endpoint, table, size)
    servers = {name: start(endpoint, table) for name, start in CONTENDERS.items()}
    runs: dict[str, list[dict[str, float]]] = {}
    try:
        for _ in range(reps):
            for name, server in servers.items():
                print(f"LIST {size:6} {name}", file=sys.stderr, flush=True)
                runs.setdefault(name, []).append(sustained_list(server, size, seconds))
    finally:
        for server in servers.values():
            server.stop()
    return {
        name: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for name, rs in runs.items()
    }


#: The function and what it is compared with, each imported and invoked in a fresh process.
COLD_STARTS = {
    "ours": "delete_fn.handler",
    "minimal": "bench.baselines.minimal_delete",
    "baseline": "bench.baselines.delete_handler",
}


def measure_cold_start(endpoint: str, keys: list[str], reps: int) -> dict[str, dict[str, float]]:
    """Median wall and CPU milliseconds of a cold DELETE per handler, interleaved."""
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in COLD_STARTS}
    for _ in range(reps):
        for name, module in COLD_STARTS.items():
            runs[name].append(cold_start_ms(module, endpoint, TABLE_NAME, keys.pop()))
    return {
        name: {
            "wall_ms": statistics.median(wall for wall, _ in times),
            "cpu_ms": statistics.median(cpu for _, cpu in times),
        }
        for name, times in runs.items()
    }
