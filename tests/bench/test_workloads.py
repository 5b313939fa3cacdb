"""The benchmark's machinery, end to end but briefly: every contender starts against dynalite,
answers the API the same way, and wrk's load is measured."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.load import run_load
from bench.servers import (
    start_bare,
    start_dynalite,
    start_fastapi,
    start_flask,
    start_ours,
    use_local_credentials,
)
from bench.workloads import seed, traverse
from devkit.latency_proxy import LatencyProxy

pytestmark = pytest.mark.skipif(shutil.which("wrk") is None, reason="needs wrk (dev.py bench)")


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str], Path]]:
    use_local_credentials()
    process, port = start_dynalite()
    try:
        with LatencyProxy(port, delay_ms=1).running() as proxy:
            endpoint = f"http://127.0.0.1:{proxy.port}"
            keys = seed(endpoint, "picus_data", 50)
            keys_file = tmp_path_factory.mktemp("bench") / "keys"
            keys_file.write_text("\n".join(keys))
            yield endpoint, keys, keys_file
    finally:
        process.terminate()
        process.wait(10)


@pytest.mark.parametrize("start", [start_ours, start_flask, start_fastapi])
def test_every_contender_serves_the_same_api_under_load(
    backend: tuple[str, list[str], Path], start: object
) -> None:
    endpoint, keys, keys_file = backend
    server = start(endpoint, "picus_data")  # type: ignore[operator]
    try:
        item = httpx.get(f"{server.url}/picus/get/{keys[0]}").json()
        assert item["object_id"] == keys[0]
        assert item["payload"]["price"] == 12.5
        created = httpx.post(f"{server.url}/picus/put", json={"price": 12.5})
        assert created.status_code == 201
        assert traverse(server) >= len(keys)
        result = run_load(server, "get.lua", 1, 1, str(keys_file))
        assert result.errors == 0 and result.requests > 0
        assert result.cpu_ms_per_request > 0 and result.peak_rss_mb > 10
        assert run_load(server, "put.lua", 1, 1).errors == 0
    finally:
        server.stop()


def test_the_bare_floor_answers_a_constant() -> None:
    server = start_bare()
    try:
        result = run_load(server, "bare.lua", 1, 1)
        assert result.errors == 0 and result.requests_per_s > 100
    finally:
        server.stop()


def test_the_cold_start_probe_runs_each_handler_once(
    backend: tuple[str, list[str], Path],
) -> None:
    import boto3

    from bench.workloads import COLD_STARTS, cold_start_ms

    endpoint, keys, _ = backend
    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
    for module in COLD_STARTS.values():
        key = keys.pop()
        wall_ms, cpu_ms = cold_start_ms(module, endpoint, "picus_data", key)
        # The whole process, interpreter included, has run and used CPU of its own...
        assert wall_ms > 0 and cpu_ms > 0
        # ...and its one invocation deleted the seeded item (the probe fails if it raises).
        assert "Item" not in client.get_item(TableName="picus_data", Key={"object_id": {"S": key}})


def test_a_listing_is_measured_over_a_window_of_whole_traversals(
    backend: tuple[str, list[str], Path],
) -> None:
    from bench.workloads import sustained_list

    endpoint, _, _ = backend
    server = start_ours(endpoint, "picus_data")
    try:
        size = traverse(server)
        result = sustained_list(server, size, seconds=1, clients=2)
        assert result["items"] >= size and result["items"] % size == 0
        assert result["cpu_ms_per_item"] > 0 and result["peak_rss_mb"] > 10
    finally:
        server.stop()
