"""A put with an ``Idempotency-Key`` on a global table in strong mode (MRSC), which refuses
transactions and TTL ("How DynamoDB global tables work",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html):
the key's record and the item are written one after the other, each under a condition, which
there holds against the latest version in every Region.

1. Claim the key: one conditional PutItem of the record (the new item's key and time, a digest
   of the body, its expiry), unless a live record holds it.
2. Write the item under ``attribute_not_exists``, with the record's key and time.
3. Mark the record ``stored``; only then is the 201 sent.

A request that finds the key claimed answers from that record: another body is 422; a record
marked stored is replayed as it stands, whatever became of its item since (a client may have
deleted it: a late retry must not bring it back); an unmarked one may be a first attempt that
died before its item (or its mark) was written, so the request writes that item itself (the
same key, time and payload: a twin doing the same at once finds an equal item), marks it, and
answers it. A uuid4 collision at step 2, another item already under the drawn key, moves the
record to a fresh key, conditionally on the old one, and writes again. An item DynamoDB refuses
(a 400 or 413) releases the claim: bad input spends no key.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from picus.contract import (
    CREATED_AT,
    IDEMPOTENCY_FINGERPRINT,
    IDEMPOTENCY_OBJECT_ID,
    IDEMPOTENCY_PARTITION_KEY,
    IDEMPOTENCY_STORED,
)
from picus.errors import BadRequest, PayloadTooLarge, StoreUnavailable
from service.idempotency import key_reused, record_write
from service.items import Created, utc_now
from service.store import Store
from service.table_errors import KeyTaken

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb.type_defs import AttributeValueTypeDef

    from service.idempotency import IdempotentRequest
    from service.wire import Payload


#: The record's attributes that its updates name.
_NAMES: Final = {
    "#o": IDEMPOTENCY_OBJECT_ID,
    "#f": IDEMPOTENCY_FINGERPRINT,
    "#s": IDEMPOTENCY_STORED,
    "#c": CREATED_AT,
}


@dataclass(frozen=True)
class _Record:
    """A key's record: the item it names, the body's digest, whether its item is written."""

    object_id: str
    created_at: str
    fingerprint: str
    stored: bool = False

    @property
    def created(self) -> Created:
        return Created(self.object_id, self.created_at)


def _record_of(item: Any) -> _Record | None:
    if not isinstance(item, dict) or IDEMPOTENCY_FINGERPRINT not in item:
        return None
    return _Record(
        item[IDEMPOTENCY_OBJECT_ID]["S"],
        item[CREATED_AT]["S"],
        item[IDEMPOTENCY_FINGERPRINT]["S"],
        stored=IDEMPOTENCY_STORED in item,
    )


class StrongStore(Store):
    """The store for a global table in strong mode: keyed puts without a transaction."""

    async def _put_idempotent(
        self, created: Created, payload: Payload, idempotent: IdempotentRequest
    ) -> Created:
        key = idempotent.request_key
        mine = _Record(created.object_id, created.created_at, idempotent.fingerprint)
        record = await self._claim(key, mine)
        # Another request's claim (botocore's retry of this one's finds this one's own).
        replayed = record.object_id != mine.object_id
        while True:
            if record.fingerprint != idempotent.fingerprint:
                raise key_reused()
            if record.stored:
                return Created(record.object_id, record.created_at, replayed)
            try:
                written = await self._put_new(record.created, payload)
            except (BadRequest, PayloadTooLarge):
                # DynamoDB refused the item itself: nothing is stored, so the key is not spent.
                # A retry with a corrected body must be a new create, as in eventual mode.
                await self._release(key, record)
                raise
            if written:
                record = await self._mark_stored(key, record)
            else:
                # A uuid4 collision: another item holds the record's key, so the record moves.
                record = await self._move(key, record, Created(str(uuid.uuid4()), utc_now()))

    def _key(self, key: str) -> dict[str, AttributeValueTypeDef]:
        return {IDEMPOTENCY_PARTITION_KEY: {"S": key}}

    async def _claim(self, key: str, record: _Record, attempts: int = 3) -> _Record:
        """The record that holds ``key`` now: ``record``, written, or the live one before it."""
        if attempts == 0:
            # A record that is there for the condition and gone, or unreadable, for the read.
            raise StoreUnavailable("the Idempotency-Key's record cannot be read: retry it")
        now = int(time.time())
        # No TTL deletes records here (MRSC has none): an expired one stays until its key
        # comes again, and no longer counts.
        request = record_write(
            self._idempotency_table, key, record.created, record.fingerprint, now
        )
        request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        try:
            async with self._translated("PutItem"):
                await self._client.put_item(**request)
        except KeyTaken as taken:
            # The record the condition was evaluated against: the latest in every Region.
            current = _record_of(taken.item) or await self._read(key)
            if current is not None:
                return current
            return await self._claim(key, record, attempts - 1)  # gone since: claim it again
        return record

    async def _read(self, key: str) -> _Record | None:
        async with self._translated("GetItem"):
            answer = await self._client.get_item(
                TableName=self._idempotency_table, Key=self._key(key), ConsistentRead=True
            )
        return _record_of(answer.get("Item"))

    async def _update(
        self, key: str, record: _Record, expression: str, values: dict[str, Any], extra: str
    ) -> _Record:
        """The record after an UpdateItem conditional on it still naming ``record``'s item
        (written, or as another request left it)."""
        condition = f"#o = :o AND #f = :f{extra}"
        request: dict[str, Any] = {
            "TableName": self._idempotency_table,
            "Key": self._key(key),
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            # Only the names the expressions use: DynamoDB refuses unused ones.
            "ExpressionAttributeNames": {
                name: attribute
                for name, attribute in _NAMES.items()
                if name in expression or name in condition
            },
            "ExpressionAttributeValues": {
                ":o": {"S": record.object_id},
                ":f": {"S": record.fingerprint},
                **values,
            },
            "ReturnValues": "ALL_NEW",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        try:
            async with self._translated("UpdateItem"):
                answer = await self._client.update_item(**request)
        except KeyTaken as taken:
            current = _record_of(taken.item) or await self._read(key)
            # Moved by a twin, or gone: what holds the key now (claimed again if nothing).
            return current if current is not None else await self._claim(key, record)
        updated = _record_of(answer.get("Attributes"))
        assert updated is not None  # ALL_NEW of a record that the condition found
        return updated

    async def _release(self, key: str, record: _Record) -> None:
        """Deletes the claim ``record`` made, unless its item was stored or it moved."""
        request: dict[str, Any] = {
            "TableName": self._idempotency_table,
            "Key": self._key(key),
            "ConditionExpression": "#o = :o AND #f = :f AND attribute_not_exists(#s)",
            "ExpressionAttributeNames": {k: _NAMES[k] for k in ("#o", "#f", "#s")},
            "ExpressionAttributeValues": {
                ":o": {"S": record.object_id},
                ":f": {"S": record.fingerprint},
            },
        }
        # Best effort: a table that cannot take the delete leaves the claim, as before.
        with contextlib.suppress(KeyTaken, StoreUnavailable):
            async with self._translated("DeleteItem"):
                await self._client.delete_item(**request)

    async def _mark_stored(self, key: str, record: _Record) -> _Record:
        return await self._update(key, record, "SET #s = :s", {":s": {"BOOL": True}}, "")

    async def _move(self, key: str, record: _Record, to: Created) -> _Record:
        values = {":n": {"S": to.object_id}, ":t": {"S": to.created_at}}
        condition = " AND attribute_not_exists(#s)"
        return await self._update(key, record, "SET #o = :n, #c = :t", values, condition)
