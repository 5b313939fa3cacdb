"""Many clients at once: distinct keys, exactly-once deletes, no torn or repeated items."""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import aiohttp
import httpx
import pytest

from devkit.asgi import serving
from picus.contract import PARTITION_KEY

if TYPE_CHECKING:
    from service.settings import Settings

JSON = {"content-type": "application/json"}


async def _put_many(url: str, payloads: list[dict[str, Any]]) -> list[tuple[int, Any]]:
    # aiohttp: httpx's pool spends quadratic time on a long queue of waiting requests.
    connector = aiohttp.TCPConnector(limit=128)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(payload: dict[str, Any]) -> tuple[int, Any]:
            async with session.post(f"{url}/picus/put", json=payload) as response:
                return response.status, await response.json()

        return await asyncio.gather(*(one(p) for p in payloads))


async def _get_many(url: str, keys: list[str]) -> list[Any]:
    async with aiohttp.ClientSession() as session:

        async def one(key: str) -> Any:
            async with session.get(f"{url}/picus/get/{key}") as response:
                return await response.json()

        return await asyncio.gather(*(one(k) for k in keys))


def traverse(url: str, limit: int = 250) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    with httpx.Client(timeout=30) as client:
        while True:
            params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
            response = client.get(f"{url}/picus/list", params=params)
            assert response.status_code == 200, response.text
            page = response.json()
            items += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return items


@pytest.fixture
def patient_service(settings: Settings) -> Iterator[str]:
    """The service with a deadline for a local table slower than DynamoDB: this is about
    correctness under concurrency; answering fast when the table is slow is test_faults'."""
    from service.app import create_app

    app = create_app(replace(settings, store_deadline=20.0, read_timeout=15.0))
    with serving(app) as url:
        yield url


def test_1000_concurrent_puts_give_1000_distinct_readable_items(patient_service: str) -> None:
    api_url = patient_service
    payloads = [{"n": i, "tag": "concurrent"} for i in range(1000)]
    responses = asyncio.run(_put_many(api_url, payloads))
    assert [status for status, _ in responses] == [201] * 1000
    keys = [body[PARTITION_KEY] for _, body in responses]
    assert len(set(keys)) == 1000
    # every one reads back by key (a sample) and in a full listing (all of them); pages stay
    # small so that a slow local table answers each within the deadline
    sample = random.Random(7).sample(range(1000), 100)
    reads = asyncio.run(_get_many(api_url, [keys[i] for i in sample]))
    assert [r["payload"] for r in reads] == [payloads[i] for i in sample]
    listed = {item[PARTITION_KEY]: item["payload"] for item in traverse(api_url)}
    assert all(listed[key] == payload for key, payload in zip(keys, payloads, strict=True))


def test_concurrent_deletes_of_one_key_succeed_exactly_once(
    http: httpx.Client, api_url: str
) -> None:
    key = http.post(f"{api_url}/picus/put", content=b"{}", headers=JSON).json()[PARTITION_KEY]

    async def delete_all() -> list[int]:
        async with httpx.AsyncClient(timeout=30) as client:
            answers = await asyncio.gather(
                *(client.delete(f"{api_url}/picus/{key}") for _ in range(20))
            )
        return sorted(a.status_code for a in answers)

    assert asyncio.run(delete_all()) == [200] + [404] * 19


@pytest.fixture
def own_table(settings: Settings, new_table: Any) -> Iterator[str]:
    from service.app import create_app

    with serving(create_app(replace(settings, table_name=new_table()))) as url:
        yield url


def test_listing_while_writing_never_repeats_or_tears_an_item(own_table: str) -> None:
    url = own_table
    written: dict[str, dict[str, Any]] = {}
    stop = threading.Event()
    errors: list[str] = []

    def writer(worker: int) -> None:
        with httpx.Client(timeout=30) as client:
            i = 0
            while not stop.is_set() and i < 150:
                payload = {"w": worker, "i": i, "body": "x" * (i % 50)}
                response = client.post(
                    f"{url}/picus/put", content=json.dumps(payload).encode(), headers=JSON
                )
                i += 1
                if response.status_code != 201:
                    errors.append(response.text)
                    continue
                written[response.json()[PARTITION_KEY]] = payload

    writers = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for thread in writers:
        thread.start()
    traversals = 0
    try:
        with httpx.Client(timeout=30) as client:
            while any(t.is_alive() for t in writers) or traversals < 3:
                seen: set[str] = set()
                cursor = None
                while True:
                    params: dict[str, Any] = {"limit": 7}
                    if cursor:
                        params["cursor"] = cursor
                    page = client.get(f"{url}/picus/list", params=params).json()
                    for item in page["items"]:
                        key = item[PARTITION_KEY]
                        assert key not in seen, "an item repeated within one traversal"
                        seen.add(key)
                        assert set(item) == {PARTITION_KEY, "created_at", "payload"}
                        # Every listed item was acknowledged with exactly this payload.
                        expected = written.get(key)
                        if expected is not None:
                            assert item["payload"] == expected, "a torn item"
                    cursor = page["next_cursor"]
                    if cursor is None:
                        break
                traversals += 1
    finally:
        stop.set()
        for thread in writers:
            thread.join()
    assert errors == []
    assert traversals >= 3
    # and a traversal after the writes returns each written item exactly once
    final = [item[PARTITION_KEY] for item in traverse(url)]
    assert sorted(final) == sorted(written)
