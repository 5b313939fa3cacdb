"""The replication stand-in between local regions, on real moto tables: last writer wins by the
write's time whatever order changes arrive in, deletes replicate, a stopped region's changes wait
for it, and strong mode writes everywhere before answering, refuses transactions and conflicts.

moto only: the stand-in keeps regions apart by moto's per-region tables."""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest

from local.dynamodb_wire import DynamoError, MotoCalls
from local.embedded import EmbeddedDynamoDB, ensure_table
from local.replication import TRANSACTIONS_REFUSED, WRITE_CONFLICT, Replicator
from picus.contract import PARTITION_KEY
from picus.regions import Consistency

A, B, C = "eu-west-1", "eu-west-2", "eu-west-3"
TABLE = "replicated"


@pytest.fixture(scope="module")
def moto() -> Iterator[str]:
    embedded = EmbeddedDynamoDB()
    try:
        url = embedded.endpoint()
        for region in (A, B, C):
            ensure_table(TABLE, region=region, endpoint_url=url)
        yield url
    finally:
        embedded.stop()


@asynccontextmanager
async def replicator(
    moto: str, consistency: Consistency, regions: tuple[str, ...] = (A, B), **options: Any
) -> AsyncIterator[tuple[Replicator, MotoCalls]]:
    async with aiohttp.ClientSession() as session:
        calls = MotoCalls(moto, session)
        yield (
            Replicator(
                regions, calls, calls.raw, {TABLE: PARTITION_KEY}, consistency, 0, **options
            ),
            calls,
        )


def put(key: str, value: str) -> bytes:
    item = {PARTITION_KEY: {"S": key}, "v": {"S": value}}
    return json.dumps({"TableName": TABLE, "Item": item}).encode()


async def value(calls: MotoCalls, region: str, key: str) -> str | None:
    found = await calls(region, "GetItem", {"TableName": TABLE, "Key": {PARTITION_KEY: {"S": key}}})
    return found["Item"]["v"]["S"] if "Item" in found else None


def test_the_later_write_wins_in_every_region_whatever_order_changes_arrive(moto: str) -> None:
    async def run() -> None:
        # The clock says B's write happened first, though it is made second.
        times = iter([200, 100])
        async with replicator(moto, Consistency.EVENTUAL, clock=lambda: next(times)) as (r, calls):
            key = uuid.uuid4().hex
            await r.write(A, "PutItem", put(key, "from A, later"))
            await r.write(B, "PutItem", put(key, "from B, earlier"))
            assert r.pending(A, B) == r.pending(B, A) == 1
            await r.deliver()
            assert await value(calls, A, key) == await value(calls, B, key) == "from A, later"

    asyncio.run(run())


def test_a_later_change_arriving_first_is_not_undone_by_an_earlier_one(moto: str) -> None:
    async def run() -> None:
        ticks = itertools.count(1)
        async with replicator(moto, Consistency.EVENTUAL, (A, B, C), clock=lambda: next(ticks)) as (
            r,
            calls,
        ):
            key = uuid.uuid4().hex
            r.isolate(C)
            await r.write(A, "PutItem", put(key, "first"))
            await r.deliver()  # B has A's write; C is stopped
            await r.write(B, "PutItem", put(key, "second"))
            # C returns: B's newer change and A's older one both reach it, in whatever order.
            r.isolate(A)
            await r.rejoin(C)
            await r.deliver()
            assert await value(calls, C, key) == "second"
            await r.rejoin(A)
            await r.deliver()
            assert [await value(calls, region, key) for region in (A, B, C)] == ["second"] * 3

    asyncio.run(run())


def test_deletes_replicate(moto: str) -> None:
    async def run() -> None:
        async with replicator(moto, Consistency.EVENTUAL) as (r, calls):
            key = uuid.uuid4().hex
            await r.write(A, "PutItem", put(key, "v"))
            await r.deliver()
            assert await value(calls, B, key) == "v"
            delete = {"TableName": TABLE, "Key": {PARTITION_KEY: {"S": key}}}
            await r.write(B, "DeleteItem", json.dumps(delete).encode())
            await r.deliver()
            assert await value(calls, A, key) is None

    asyncio.run(run())


def test_a_stopped_regions_changes_wait_for_it_and_are_replayed_when_it_returns(moto: str) -> None:
    async def run() -> None:
        async with replicator(moto, Consistency.EVENTUAL) as (r, calls):
            key, late = uuid.uuid4().hex, uuid.uuid4().hex
            await r.write(A, "PutItem", put(key, "before the stop"))
            r.isolate(A)  # stopped within the lag: its write has not left
            await r.write(B, "PutItem", put(late, "while A is stopped"))
            await r.deliver()
            assert await value(calls, B, key) is None
            assert await value(calls, A, late) is None
            assert (r.pending(A, B), r.pending(B, A)) == (1, 1)
            await r.rejoin(A)
            await r.deliver()
            assert await value(calls, B, key) == "before the stop"
            assert await value(calls, A, late) == "while A is stopped"

    asyncio.run(run())


def test_strong_mode_writes_everywhere_before_answering(moto: str) -> None:
    async def run() -> None:
        async with replicator(moto, Consistency.STRONG, (A, B, C)) as (r, calls):
            key = uuid.uuid4().hex
            status, _ = await r.write(A, "PutItem", put(key, "v"))
            assert status == 200
            # No delivery step: the answer came after every region had it.
            assert [await value(calls, region, key) for region in (A, B, C)] == ["v"] * 3

    asyncio.run(run())


def test_strong_mode_refuses_transactions_as_mrsc_does(moto: str) -> None:
    async def run() -> None:
        async with replicator(moto, Consistency.STRONG, (A, B, C)) as (r, _):
            for operation in ("TransactWriteItems", "TransactGetItems"):
                refused = r.refuse(operation)
                assert refused is TRANSACTIONS_REFUSED
                assert json.loads(refused.body())["__type"].endswith("#ValidationException")
            assert r.refuse("PutItem") is None
        async with replicator(moto, Consistency.EVENTUAL) as (r, _):
            assert r.refuse("TransactWriteItems") is None

    asyncio.run(run())


def test_strong_mode_a_write_to_an_item_another_region_is_writing_conflicts(moto: str) -> None:
    async def run() -> None:
        async with replicator(moto, Consistency.STRONG, (A, B, C)) as (r, calls):
            key = uuid.uuid4().hex
            entered, release = asyncio.Event(), asyncio.Event()
            forward = calls.raw

            async def slow(region: str, operation: str, body: bytes) -> tuple[int, bytes]:
                entered.set()
                await release.wait()
                return await forward(region, operation, body)

            r._raw = slow
            first = asyncio.create_task(r.write(A, "PutItem", put(key, "A's")))
            await entered.wait()
            with pytest.raises(DynamoError) as conflict:
                await r.write(B, "PutItem", put(key, "B's"))
            assert conflict.value is WRITE_CONFLICT
            assert conflict.value.kind == "ReplicatedWriteConflictException"
            assert conflict.value.status == 400
            release.set()
            assert (await first)[0] == 200
            assert await value(calls, B, key) == "A's"

    asyncio.run(run())


def test_strong_mode_a_stopped_region_gets_what_it_missed_before_it_serves(moto: str) -> None:
    async def run() -> None:
        async with replicator(moto, Consistency.STRONG, (A, B), witness=C) as (r, calls):
            key = uuid.uuid4().hex
            r.isolate(B)
            # A and the witness make a quorum: A still writes.
            assert (await r.write(A, "PutItem", put(key, "v")))[0] == 200
            assert await value(calls, B, key) is None
            await r.rejoin(B)
            assert await value(calls, B, key) == "v"

    asyncio.run(run())


def test_strong_mode_without_a_quorum_refuses_writes(moto: str) -> None:
    async def run() -> None:
        async with replicator(moto, Consistency.STRONG, (A, B)) as (r, _):
            r.isolate(B)
            with pytest.raises(DynamoError) as refused:
                await r.write(A, "PutItem", put(uuid.uuid4().hex, "v"))
            assert refused.value.status == 500

    asyncio.run(run())
