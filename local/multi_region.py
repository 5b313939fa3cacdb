"""Several regions on one machine: one origin per region, each on its own region's tables, the
replication stand-in between the tables (local/replication.py), and a health-checked front that
routes as the stack's Route 53 latency records do (local/health_front.py).

The regions' tables live in one moto server, which keeps each region's tables apart by the
region a call names, as DynamoDB's regions are apart: one process to boot instead of one per
region, on a machine of two cores. Each region's origin reaches its tables only through its
region's endpoint (local/region_front.py), so isolating a region is refusing there, and the
replicator is the only path between regions.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
from aiohttp import web

from local.dynamodb_wire import MotoCalls
from local.embedded import EmbeddedDynamoDB, ensure_tables, free_port
from local.health_front import Admin, HealthChecks, check_health, front
from local.region_front import region_endpoint
from local.region_origin import RegionOrigin
from local.replication import Replicator
from picus.contract import (
    IDEMPOTENCY_PARTITION_KEY,
    IDEMPOTENCY_TABLE_NAME,
    PARTITION_KEY,
    TABLE_NAME,
)
from picus.regions import (
    HEALTH_CHECK_FAILURE_THRESHOLD,
    HEALTH_CHECK_INTERVAL,
    STRONG_REGION_COUNT,
    STRONG_REGION_SETS,
    TYPICAL_REPLICATION_LAG_S,
    Consistency,
)

T = TypeVar("T")


@dataclass(frozen=True)
class RegionsConfig:
    regions: tuple[str, ...]
    consistency: Consistency = Consistency.EVENTUAL
    lag_s: float = TYPICAL_REPLICATION_LAG_S
    interval_s: float = HEALTH_CHECK_INTERVAL
    threshold: int = HEALTH_CHECK_FAILURE_THRESHOLD
    host: str = "127.0.0.1"
    port: int = 0
    table_name: str = TABLE_NAME
    idempotency_table_name: str = IDEMPOTENCY_TABLE_NAME


def witness_for(regions: Sequence[str], consistency: Consistency) -> str | None:
    """The witness region a strong-mode set of two replicas gets (None for three, or for eventual
    mode); raises ValueError for a set that DynamoDB refuses."""
    if len(set(regions)) != len(regions) or len(regions) < 2:
        raise ValueError("name at least two different regions")
    if consistency is Consistency.EVENTUAL:
        return None
    home = next((s for s in STRONG_REGION_SETS if set(regions) <= s), None)
    if home is None:
        sets = "; ".join(", ".join(sorted(s)) for s in STRONG_REGION_SETS)
        raise ValueError(f"strong consistency keeps all regions in one of these sets: {sets}")
    if len(regions) not in (STRONG_REGION_COUNT - 1, STRONG_REGION_COUNT):
        raise ValueError(
            f"strong consistency takes exactly {STRONG_REGION_COUNT} regions: three replicas, "
            "or two and a witness"
        )
    if len(regions) == STRONG_REGION_COUNT:
        return None
    return sorted(home - set(regions))[0]


class MultiRegion:
    """The regions, their replication and their front, on an event loop of their own thread;
    its methods are called from any other thread."""

    def __init__(self, config: RegionsConfig) -> None:
        self.config = config
        self.witness = witness_for(config.regions, config.consistency)
        self.front_url = ""
        self.endpoints: dict[str, str] = {}
        self.origins: dict[str, RegionOrigin] = {}
        self.replicator: Replicator | None = None
        self._loop = asyncio.new_event_loop()
        self._tasks: list[asyncio.Task[None]] = []
        self._runners: list[web.AppRunner] = []
        self._session: aiohttp.ClientSession | None = None
        self.checks = HealthChecks(config.regions, config.threshold)

    @property
    def origin_urls(self) -> dict[str, str]:
        return {region: origin.url for region, origin in self.origins.items()}

    def _run(self, work: Coroutine[Any, Any, T], timeout_s: float = 120) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout_s)

    @contextlib.contextmanager
    def running(self) -> Iterator[MultiRegion]:
        thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        thread.start()
        moto = EmbeddedDynamoDB()
        try:
            self._run(self._start(moto.endpoint()))
            yield self
        finally:
            try:
                self._run(self._stop())
            finally:
                self._loop.call_soon_threadsafe(self._loop.stop)
                thread.join(10)
                self._loop.close()
                moto.stop()

    async def _serve(self, app: web.Application, port: int = 0) -> str:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        self._runners.append(runner)
        port = port or free_port()
        await web.TCPSite(runner, self.config.host, port).start()
        return f"http://{self.config.host}:{port}"

    async def _start(self, moto_url: str) -> None:
        config = self.config
        for region in config.regions:
            await asyncio.to_thread(
                ensure_tables,
                config.table_name,
                config.idempotency_table_name,
                region=region,
                endpoint_url=moto_url,
            )
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        calls = MotoCalls(moto_url, self._session)
        keys = {
            config.table_name: PARTITION_KEY,
            config.idempotency_table_name: IDEMPOTENCY_PARTITION_KEY,
        }
        replicator = Replicator(
            config.regions, calls, calls.raw, keys, config.consistency, config.lag_s, self.witness
        )
        self.replicator = replicator
        if config.consistency is Consistency.EVENTUAL:
            self._tasks.append(asyncio.create_task(replicator.pump()))
        for region in config.regions:
            self.endpoints[region] = await self._serve(region_endpoint(region, replicator))
            origin = RegionOrigin(region, self.endpoints[region], config.consistency, config.host)
            self.origins[region] = origin
        await asyncio.gather(*(asyncio.to_thread(o.start) for o in self.origins.values()))
        admin = Admin(self._stop_region, self._start_region)
        app = front(self.origin_urls, self.checks, admin, lambda r: r in replicator.up)
        self.front_url = await self._serve(app, config.port)
        self._tasks.append(
            asyncio.create_task(check_health(self.origin_urls, self.checks, config.interval_s))
        )

    async def _stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.gather(*(asyncio.to_thread(o.stop) for o in self.origins.values()))
        for runner in self._runners:
            await runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _stop_region(self, region: str) -> None:
        assert self.replicator is not None
        # The table first: what the dying origin still sends is refused, not half-replicated.
        self.replicator.isolate(region)
        await asyncio.to_thread(self.origins[region].stop)

    async def _start_region(self, region: str) -> None:
        assert self.replicator is not None
        if region in self.replicator.up:
            return
        await self.replicator.rejoin(region)
        await asyncio.to_thread(self.origins[region].start)

    def stop_region(self, region: str) -> None:
        """Stops a region as a failure would: its origin killed, its table isolated."""
        self._run(self._stop_region(region))

    def start_region(self, region: str) -> None:
        """Brings a stopped region back: its table rejoins, its origin starts."""
        self._run(self._start_region(region))

    def pending(self) -> int:
        """Changes not yet applied in some region."""
        replicator = self.replicator
        assert replicator is not None
        regions = self.config.regions
        return self._run(_count(replicator, [(a, b) for a in regions for b in regions if a != b]))


async def _count(replicator: Replicator, pairs: list[tuple[str, str]]) -> int:
    return sum(replicator.pending(a, b) for a, b in pairs)
