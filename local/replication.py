"""The replication stand-in between the local regions' tables, in either of DynamoDB global
tables' consistency modes (picus/regions.py; "How DynamoDB global tables work").

Eventual (MREC): a write is answered by its region, then its item's new image reaches every
other region ``lag_s`` later. Each region keeps the time of the last write to each item (the
write's own time in its region, then the region's name to break a tie): a replicated change is
applied only if newer, so the last writer wins per item, whatever order changes arrive in.
While a region is stopped, nothing leaves or reaches it; what waited is sent when it returns.

Strong (MRSC): a write is applied in every running region before its writer gets the answer,
one at a time across regions, so a condition sees the latest version everywhere. Transactions
are refused, as MRSC refuses them; a write to an item that another region is writing fails with
ReplicatedWriteConflictException; a region without a second live replica or the witness (no
quorum) refuses writes. A stopped region gets what it missed before it serves again.
"""

from __future__ import annotations

import asyncio
import collections
import json
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from local.dynamodb_wire import TRANSACTIONS, DynamoError, Item, key_id, written_keys
from picus.regions import Consistency

#: (the write's time in its region in ns, the region): later wins, the region breaks a tie.
Stamp = tuple[int, str]
#: One call to one region's own table, bypassing its front: (region, operation, body).
Call = Callable[[str, str, Mapping[str, Any]], Awaitable[Item]]
RawCall = Callable[[str, str, bytes], Awaitable[tuple[int, bytes]]]

#: How often waiting changes are looked at: well under any lag worth modelling.
PUMP_INTERVAL_S: Final = 0.01

#: MRSC's error for a transaction (the exact message AWS sends is not documented).
TRANSACTIONS_REFUSED: Final = DynamoError(
    400,
    "ValidationException",
    "Transactions are not supported on global tables with multi-Region strong consistency",
)
#: botocore's documentation of ReplicatedWriteConflictException.
WRITE_CONFLICT: Final = DynamoError(
    400,
    "ReplicatedWriteConflictException",
    "The request was rejected because one or more items in the request are being modified "
    "by a request in another Region.",
)
NO_QUORUM: Final = DynamoError(
    500,
    "InternalServerError",
    "No other replica or witness of this MRSC global table answers: only eventually "
    "consistent reads are served",
)


@dataclass(frozen=True)
class Change:
    """One item's new image (None: deleted), as its region wrote it."""

    table: str
    key: Item
    image: Item | None
    stamp: Stamp
    ready_at: float


class Replicator:
    """The regions' tables kept in step. ``call`` reaches one region's table directly,
    ``raw`` forwards a client's request unchanged; both go to the same place."""

    def __init__(
        self,
        regions: Sequence[str],
        call: Call,
        raw: RawCall,
        key_names: Mapping[str, str],
        consistency: Consistency,
        lag_s: float,
        witness: str | None = None,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.regions = tuple(regions)
        self.consistency = consistency
        self.lag_s = lag_s
        self.witness = witness
        self.up = set(self.regions)
        self._call, self._raw, self._key_names, self._clock = call, raw, key_names, clock
        self._stamps: dict[str, dict[str, Stamp]] = {r: {} for r in self.regions}
        self._pending: dict[tuple[str, str], collections.deque[Change]] = {
            (a, b): collections.deque() for a in self.regions for b in self.regions if a != b
        }
        self._locks = {r: asyncio.Lock() for r in self.regions}
        self._everywhere = asyncio.Lock()
        #: The items being written under strong consistency, by the region writing them.
        self._writing: dict[str, str] = {}

    def pending(self, source: str, target: str) -> int:
        """Changes made in ``source`` not yet applied in ``target``."""
        return len(self._pending[(source, target)])

    async def write(self, region: str, operation: str, raw: bytes) -> tuple[int, bytes]:
        """A client's write in ``region``: made there, then replicated as the mode says."""
        keys = written_keys(operation, json.loads(raw), self._key_names)
        if self.consistency is Consistency.EVENTUAL:
            async with self._locks[region]:
                return await self._write_here(region, operation, raw, keys)
        ids = [key_id(table, key) for table, key in keys]
        if any(self._writing.get(i, region) != region for i in ids):
            raise WRITE_CONFLICT
        if not self.has_quorum(region):
            raise NO_QUORUM
        mine = [i for i in ids if i not in self._writing]
        self._writing.update(dict.fromkeys(mine, region))
        try:
            async with self._everywhere:
                return await self._write_here(region, operation, raw, keys)
        finally:
            for i in mine:
                del self._writing[i]

    async def forward(self, region: str, operation: str, raw: bytes) -> tuple[int, bytes]:
        """A call that writes nothing, made in ``region`` as it is."""
        return await self._raw(region, operation, raw)

    def refuse(self, operation: str) -> DynamoError | None:
        """The error a call gets in this mode before it runs, if any."""
        if self.consistency is Consistency.STRONG and operation in TRANSACTIONS:
            return TRANSACTIONS_REFUSED
        return None

    def has_quorum(self, region: str) -> bool:
        others = len(self.up - {region}) + (self.witness is not None)
        return region in self.up and others >= 1

    async def _write_here(
        self, region: str, operation: str, raw: bytes, keys: list[tuple[str, Item]]
    ) -> tuple[int, bytes]:
        status, answer = await self._raw(region, operation, raw)
        if status != 200:
            return status, answer
        stamp = (self._clock(), region)
        ready_at = time.monotonic() + self.lag_s
        for table, key in keys:
            found = await self._call(region, "GetItem", {"TableName": table, "Key": key})
            change = Change(table, key, found.get("Item"), stamp, ready_at)
            self._stamps[region][key_id(table, key)] = stamp
            for other in self.regions:
                if other == region:
                    continue
                if self.consistency is Consistency.STRONG and other in self.up:
                    await self._apply(other, change)
                else:
                    self._pending[(region, other)].append(change)
        return status, answer

    async def _apply(self, region: str, change: Change) -> bool:
        """Applies a replicated change in ``region`` if it is newer than what that item has
        there; True if applied."""
        async with self._locks[region]:
            ident = key_id(change.table, change.key)
            held = self._stamps[region].get(ident)
            if held is not None and held >= change.stamp:
                return False
            if change.image is None:
                await self._call(
                    region, "DeleteItem", {"TableName": change.table, "Key": change.key}
                )
            else:
                await self._call(
                    region, "PutItem", {"TableName": change.table, "Item": change.image}
                )
            self._stamps[region][ident] = change.stamp
            return True

    async def deliver(self, now: float | None = None) -> int:
        """Applies every waiting change whose lag has passed, between running regions; how
        many were applied (older ones are dropped: the newer write stays)."""
        now = time.monotonic() if now is None else now
        applied = 0
        for (source, target), queue in self._pending.items():
            while queue and source in self.up and target in self.up and queue[0].ready_at <= now:
                applied += await self._apply(target, queue.popleft())
        return applied

    async def pump(self) -> None:
        """Delivers changes as their lag passes, until cancelled (eventual mode)."""
        while True:
            await self.deliver()
            await asyncio.sleep(PUMP_INTERVAL_S)

    def isolate(self, region: str) -> None:
        """The region stops: nothing leaves or reaches its table until ``rejoin``."""
        self.up.discard(region)

    async def rejoin(self, region: str) -> None:
        """The region returns. Under strong consistency it gets what it missed at once, before
        anything else is written; under eventual, the pump sends both ways from now on."""
        if self.consistency is Consistency.STRONG:
            async with self._everywhere:
                for source in self.regions:
                    if source != region:
                        queue = self._pending[(source, region)]
                        while queue:
                            await self._apply(region, queue.popleft())
                self.up.add(region)
                # What it wrote before it stopped went everywhere already.
        else:
            self.up.add(region)
