"""The benchmark, one command: ``python3 dev.py bench`` (``--quick`` for a short run).

Everything runs on this machine, side by side in one run, the contenders interleaved
(A B C, A B C, ...) and each figure the median over the repetitions:

- ours: ``python -m service``, exactly the container's command;
- flask: Flask + gunicorn (2 workers x 2 threads, gthread) + a boto3 resource Table;
- fastapi: FastAPI ``def`` endpoints + a boto3 resource Table under one uvicorn worker;
- floors: one process making the same calls on one shared aioboto3 client, and a bare
  uvicorn endpoint returning a constant.

The backend is dynalite behind a latency proxy (0 ms, then +5 ms each way).
Writes bench/results/latest.md and .json, and with --update-readme the README's table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
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
    start_dynalite,
    start_fastapi,
    start_flask,
    start_ours,
)
from devkit import ROOT
from devkit.latency_proxy import LatencyProxy
from devkit.processes import free_port, wait_healthy, without_aws
from picus.contract import CREATED_AT, PARTITION_KEY, PAYLOAD, TABLE_NAME

RESULTS = ROOT / "bench" / "results"
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


def traverse(server: Server) -> int:
    """The whole table through the contender's list endpoint; returns the item count."""
    count = 0
    with httpx.Client(timeout=120) as client:
        if server.name != "ours":
            return len(client.get(f"{server.url}/picus/list").json()["items"])
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            page = client.get(f"{server.url}/picus/list", params=params).json()
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


def cold_start_ms(module: str, endpoint: str, table: str, key: str) -> float:
    """A whole fresh process: interpreter, import, first invocation (a DELETE)."""
    probe = (
        f"from {module} import handler;"
        f"handler({{'httpMethod': 'DELETE', 'path': '/picus/{key}', 'headers': {{}}, "
        f"'body': '', 'isBase64Encoded': False}}, type('C', (), {{'aws_request_id': 'r'}})())"
    )
    env = {**os.environ, **backend_env(endpoint, table)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, check=True)
    return (time.perf_counter() - started) * 1000


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


def measure_load(
    proxy: LatencyProxy, endpoint: str, keys_file: Path, reps: int, seconds: float, warmup: float
) -> dict[str, Any]:
    servers = {name: start(endpoint, TABLE_NAME) for name, start in CONTENDERS.items()}
    bare = start_bare()
    load: dict[str, dict[str, list[LoadResult]]] = {}
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
                    load.setdefault("bare", {}).setdefault("bare uvicorn", []).append(
                        run_load(bare, "bare.lua", seconds, warmup)
                    )
    finally:
        proxy.delay = 0
        for server in [*servers.values(), bare]:
            server.stop()
    return {
        scenario: {name: median_result(runs) for name, runs in by_name.items()}
        for scenario, by_name in load.items()
    }


def measure_list(endpoint: str, size: int, reps: int) -> dict[str, dict[str, float]]:
    table = f"list_{size}"
    seed(endpoint, table, size)
    servers = {name: start(endpoint, table) for name, start in CONTENDERS.items()}
    runs: dict[str, list[dict[str, float]]] = {}
    try:
        for _ in range(reps):
            for name, server in servers.items():
                print(f"LIST {size:6} {name}", file=sys.stderr, flush=True)
                cpu_before = server.cpu_seconds()
                with RssSampler(server) as rss:
                    count = traverse(server)
                assert count == size, (name, count)
                cpu_ms = (server.cpu_seconds() - cpu_before) * 1000
                runs.setdefault(name, []).append(
                    {"cpu_ms_per_item": cpu_ms / size, "peak_rss_mb": rss.peak / 2**20}
                )
    finally:
        for server in servers.values():
            server.stop()
    return {
        name: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for name, rs in runs.items()
    }


def measure_cold_start(endpoint: str, keys: list[str], reps: int) -> dict[str, float]:
    modules = {"ours": "delete_fn.handler", "baseline": "bench.baselines.delete_handler"}
    cold: dict[str, list[float]] = {name: [] for name in modules}
    for _ in range(reps):
        for name, module in modules.items():
            cold[name].append(cold_start_ms(module, endpoint, TABLE_NAME, keys.pop()))
    return {name: statistics.median(times) for name, times in cold.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs, fewer repetitions")
    parser.add_argument("--update-readme", action="store_true")
    args = parser.parse_args()
    reps = 2 if args.quick else 3
    seconds, warmup = (4, 1) if args.quick else (8, 2)

    results: dict[str, Any] = {"config": {"repetitions": reps, "seconds": seconds}}
    # This process's own AWS clients (seeding) talk to the local backend only.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        os.environ[name] = backend_env("", "")[name]
    dynalite, dynalite_port = start_dynalite()
    try:
        with LatencyProxy(dynalite_port).running() as proxy, tempfile.TemporaryDirectory() as tmp:
            endpoint = f"http://127.0.0.1:{proxy.port}"
            keys = seed(endpoint, TABLE_NAME, SEED_ITEMS)
            keys_file = Path(tmp) / "keys"
            keys_file.write_text("\n".join(keys))
            results["load"] = measure_load(proxy, endpoint, keys_file, reps, seconds, warmup)
            calls = 2000 if args.quick else 5000
            for tuned, key in ((False, "floor_call_ms"), (True, "tuned_call_ms")):
                results[key] = {
                    op: statistics.median(
                        floor_call_ms(endpoint, TABLE_NAME, op, calls, str(keys_file), tuned)
                        for _ in range(reps)
                    )
                    for op in ("get", "put")
                }
            results["list"] = {str(n): measure_list(endpoint, n, reps) for n in LIST_SIZES}
            results["cold_start_ms"] = measure_cold_start(endpoint, keys, reps * 3)
    finally:
        dynalite.terminate()
        dynalite.wait(10)
    results["local_start_s"] = statistics.median(local_start_s() for _ in range(reps))

    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2))
    table = report(results, "python3 dev.py bench" + (" --quick" if args.quick else ""))
    (RESULTS / "latest.md").write_text(table)
    print(table)
    if args.update_readme:
        update_readme(table)


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def report(results: dict[str, Any], command: str) -> str:
    load = results["load"]
    floor = results["floor_call_ms"]
    bare_cpu = load["bare"]["bare uvicorn"]["cpu_ms_per_request"]
    lines = [
        f"Command: `{command}` ({results['config']['repetitions']} interleaved repetitions of "
        f"{results['config']['seconds']} s at concurrency 64, medians; dynalite backend).",
        "",
        "| scenario | contender | req/s | p50 ms | p99 ms | errors | CPU ms/req | peak RSS MB |"
        " ours/this CPU | ours/this req/s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for scenario, by_name in load.items():
        if scenario == "bare":
            continue
        ours = by_name["ours"]
        for name, r in by_name.items():
            lines.append(
                f"| {scenario} | {name} | {r['requests_per_s']:.0f} | {r['p50_ms']:.1f} | "
                f"{r['p99_ms']:.1f} | {r['errors']:.0f} | {r['cpu_ms_per_request']:.3f} | "
                f"{r['peak_rss_mb']:.0f} | "
                + (
                    ""
                    if name == "ours"
                    else _ratio(ours["cpu_ms_per_request"], r["cpu_ms_per_request"])
                )
                + " | "
                + ("" if name == "ours" else _ratio(ours["requests_per_s"], r["requests_per_s"]))
                + " |"
            )
    lines += [
        "",
        "| floor | CPU ms | ours/floor |",
        "|---|---|---|",
        f"| bare uvicorn, per request | {bare_cpu:.3f} | |",
    ]
    for op in ("get", "put"):
        ours_cpu = load[f"{op.upper()} +0ms"]["ours"]["cpu_ms_per_request"]
        for label, calls in (
            ("aioboto3", floor),
            ("the service's tuned client", results["tuned_call_ms"]),
        ):
            total = calls[op] + bare_cpu
            lines.append(
                f"| {label} {op} call + bare uvicorn | {total:.3f} | {_ratio(ours_cpu, total)} |"
            )
    lines += [
        "",
        "| list | contender | CPU ms/item | peak RSS MB | ours/this CPU |",
        "|---|---|---|---|---|",
    ]
    for size, by_name in results["list"].items():
        ours = by_name["ours"]
        for name, r in by_name.items():
            lines.append(
                f"| {size} items | {name} | {r['cpu_ms_per_item']:.4f} | {r['peak_rss_mb']:.0f} | "
                + ("" if name == "ours" else _ratio(ours["cpu_ms_per_item"], r["cpu_ms_per_item"]))
                + " |"
            )
    cold = results["cold_start_ms"]
    lines += [
        "",
        f"Lambda cold start (fresh process, import + first DELETE): ours {cold['ours']:.0f} ms, "
        f"boto3-resource baseline {cold['baseline']:.0f} ms, ratio "
        f"{_ratio(cold['ours'], cold['baseline'])}.",
        f"Local start (`python3 dev.py serve`, installed): /health answers after "
        f"{results['local_start_s']:.2f} s.",
    ]
    return "\n".join(lines) + "\n"


def update_readme(table: str) -> None:
    readme = ROOT / "README.md"
    text = readme.read_text()
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    readme.write_text(f"{head}{start}\n{table}{end}{tail}")


if __name__ == "__main__":
    main()
