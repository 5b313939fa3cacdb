"""The table, seen from the service: put, get, replace and scan, with botocore's errors
translated."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import ClientError as HttpClientError
from botocore.exceptions import BotoCoreError, ClientError

from picus import conditional
from picus.conditional import Condition
from picus.contract import (
    CREATED_AT,
    IDEMPOTENCY_EXPIRES_AT,
    IDEMPOTENCY_FINGERPRINT,
    IDEMPOTENCY_OBJECT_ID,
    IDEMPOTENCY_PARTITION_KEY,
    IDEMPOTENCY_TTL_SECONDS,
    PARTITION_KEY,
    PAYLOAD,
    REVISION,
    UPDATED_AT,
)
from picus.errors import (
    Conflict,
    ErrorCode,
    NotFound,
    StoreUnavailable,
    UnprocessableContent,
    WriteConflict,
    from_client_error,
)
from service.codec import item_json, item_value
from service.wire import Payload, sending

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient
    from types_aiobotocore_dynamodb.type_defs import AttributeValueTypeDef

    from service.idempotency import IdempotentRequest

log = logging.getLogger("picus.store")

#: A transaction's cancellation reasons that mean "not now" (DynamoDB API reference,
#: TransactWriteItems, "CancellationReasons").
_TRANSIENT_REASONS = frozenset(
    {"None", "ThrottlingError", "ProvisionedThroughputExceeded", "TransactionConflict"}
)


class KeyTaken(Exception):
    """A conditional write whose condition failed; ``item``: what it found (ALL_OLD)."""

    def __init__(self, item: object) -> None:
        self.item = item


class _Cancelled(Exception):
    """A transaction DynamoDB cancelled: the reason code of each of its writes (``None`` for
    a write that was not the cause), and their messages."""

    def __init__(self, reasons: list[str], messages: list[str]) -> None:
        self.reasons = reasons
        self.messages = messages


@dataclass(frozen=True)
class Created:
    object_id: str
    created_at: str
    #: Whether this answers an earlier request with the same Idempotency-Key.
    replayed: bool = False


@dataclass(frozen=True)
class Stored:
    """An item as the API shows it, and its revision (its ETag's opaque part)."""

    json: bytes
    revision: str | None


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    last_key: str | None


def key_reused() -> UnprocessableContent:
    return UnprocessableContent(
        "this Idempotency-Key was used with another body: use a new key for a new item"
    )


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_item(created: Created, payload: AttributeValueTypeDef) -> dict[str, AttributeValueTypeDef]:
    """A stored item: its key, its creation time, a fresh revision (its ETag) and its payload."""
    return {
        PARTITION_KEY: {"S": created.object_id},
        CREATED_AT: {"S": created.created_at},
        REVISION: {"S": str(uuid.uuid4())},
        PAYLOAD: payload,
    }


class Store:
    def __init__(
        self, client: DynamoDBClient, table: str, idempotency_table: str, deadline: float
    ) -> None:
        self._client = client
        self._table = table
        self._idempotency_table = idempotency_table
        self._deadline = deadline

    @asynccontextmanager
    async def _translated(self, operation: str) -> AsyncIterator[None]:
        try:
            async with asyncio.timeout(self._deadline):
                yield
        except TimeoutError as exc:
            log.warning("dynamodb %s failed: no answer within %.1f s", operation, self._deadline)
            raise StoreUnavailable(f"the table did not answer {operation} in time") from exc
        except ClientError as exc:
            error = exc.response.get("Error", {})
            if error.get("Code") == "ConditionalCheckFailedException":
                raise KeyTaken(exc.response.get("Item")) from exc
            if error.get("Code") == "TransactionCanceledException":
                reasons = exc.response.get("CancellationReasons", [])
                raise _Cancelled(
                    [str(r.get("Code") or "None") for r in reasons],
                    [str(r.get("Message") or "") for r in reasons],
                ) from exc
            translated = from_client_error(error)
            if isinstance(translated, StoreUnavailable):
                # Every 503 leaves a line for the operator; the unexpected ones as errors.
                level = logging.WARNING if translated.expected else logging.ERROR
                code, message = error.get("Code", ""), error.get("Message", "")
                log.log(level, "dynamodb %s failed: %s %s", operation, code, message)
            raise translated from exc
        except (BotoCoreError, HttpClientError, OSError) as exc:
            log.warning("dynamodb %s failed: %s", operation, type(exc).__name__)
            raise StoreUnavailable(f"the table cannot be reached ({type(exc).__name__})") from exc

    async def put(self, payload: Payload, idempotent: IdempotentRequest | None = None) -> Created:
        """Store a new item under a fresh key; never overwrites an existing one.

        With an Idempotency-Key, the item and the key's record are written in one transaction
        (under strong consistency, one after the other: service/keyed_put.py): a retry finds
        the record and gets the first answer, whatever happened in between.
        Without one, when the outcome is unknown (the table failed after the request left),
        the 503 names the key: a later GET of it tells whether the item was stored.
        """
        while True:
            created = Created(str(uuid.uuid4()), utc_now())
            try:
                if idempotent is not None:
                    answer = await self._put_idempotent(created, payload, idempotent)
                    if answer is not None:
                        return answer
                elif await self._put_new(created, payload):
                    return created
            except WriteConflict as exc:
                if idempotent is None:
                    exc.details[PARTITION_KEY] = created.object_id
                    raise
                # Only a request with this key writes its record and its item: another
                # Region is writing its twin right now, the draft's 409.
                raise Conflict(
                    "a request with this Idempotency-Key is in progress in another Region: "
                    "retry it shortly"
                ) from exc
            except StoreUnavailable as exc:
                if idempotent is None:
                    exc.details[PARTITION_KEY] = created.object_id
                raise

    async def _put_new(self, created: Created, payload: Payload) -> bool:
        """True once the item is stored; False when the key is taken by another item."""
        item = new_item(created, payload.value)
        request: dict[str, Any] = {
            "TableName": self._table,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(#k)",
            "ExpressionAttributeNames": {"#k": PARTITION_KEY},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        try:
            async with self._translated("PutItem"):
                with sending("PutItem", request, ("Item", PAYLOAD), payload):
                    await self._client.put_item(**request)
        except KeyTaken as taken:
            # An item under this key with this write's time is this write's: a retried
            # attempt's, a twin's (the same key and time, under strong consistency:
            # service/keyed_put.py), or one a client found listed and replaced before the 201.
            # Any other is a uuid4 collision (the same key drawn at another millisecond): the
            # caller draws another key.
            return isinstance(taken.item, dict) and taken.item.get(CREATED_AT) == item[CREATED_AT]
        return True

    async def _put_idempotent(
        self, created: Created, payload: Payload, idempotent: IdempotentRequest
    ) -> Created | None:
        """The answer to the request: this write's, or the first one's with the same key; None
        when the drawn key was taken (the caller draws another)."""
        now = int(time.time())
        record: dict[str, AttributeValueTypeDef] = {
            IDEMPOTENCY_PARTITION_KEY: {"S": idempotent.request_key},
            IDEMPOTENCY_OBJECT_ID: {"S": created.object_id},
            CREATED_AT: {"S": created.created_at},
            IDEMPOTENCY_FINGERPRINT: {"S": idempotent.fingerprint},
            IDEMPOTENCY_EXPIRES_AT: {"N": str(now + IDEMPOTENCY_TTL_SECONDS)},
        }
        # The call's ClientRequestToken, the same on every retry botocore makes of it: a retry
        # of a transaction that succeeded succeeds again, unchanged (DynamoDB API reference,
        # TransactWriteItems, "ClientRequestToken"). Set here, as botocore would set one,
        # since the body sent is the service's encoding (service/wire.py).
        request: dict[str, Any] = {
            "TransactItems": [
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": new_item(created, payload.value),
                        "ConditionExpression": "attribute_not_exists(#k)",
                        "ExpressionAttributeNames": {"#k": PARTITION_KEY},
                    }
                },
                {
                    "Put": {
                        "TableName": self._idempotency_table,
                        "Item": record,
                        # An expired record may outlive its time: TTL deletes within days, not
                        # at once (developer guide, "Time to Live").
                        "ConditionExpression": "attribute_not_exists(#k) OR #e < :now",
                        "ExpressionAttributeNames": {
                            "#k": IDEMPOTENCY_PARTITION_KEY,
                            "#e": IDEMPOTENCY_EXPIRES_AT,
                        },
                        "ExpressionAttributeValues": {":now": {"N": str(now)}},
                    }
                },
            ],
            "ClientRequestToken": str(uuid.uuid4()),
        }
        try:
            async with self._translated("TransactWriteItems"):
                path = ("TransactItems", 0, "Put", "Item", PAYLOAD)
                with sending("TransactWriteItems", request, path, payload):
                    await self._client.transact_write_items(**request)
        except _Cancelled as cancelled:
            item_reason, record_reason = [*cancelled.reasons, "", ""][:2]
            if record_reason == "TransactionConflict":
                # Another request with this key is being written right now (DynamoDB cancels
                # one of two transactions on one item): the draft's 409.
                raise Conflict(
                    "a request with this Idempotency-Key is in progress: retry it shortly"
                ) from cancelled
            if record_reason == "ConditionalCheckFailed":
                return await self._first_answer(idempotent, now)
            if item_reason == "ConditionalCheckFailed":
                return None
            if "ValidationError" in cancelled.reasons:
                # What DynamoDB refuses in the item (its size, a number, its nesting) is the
                # client's, as for a plain PutItem: the same translation, a 400 or a 413.
                message = cancelled.messages[cancelled.reasons.index("ValidationError")]
                raise from_client_error(
                    {"Code": "ValidationException", "Message": message}
                ) from cancelled
            unavailable = StoreUnavailable(
                f"the table cancelled the write ({', '.join(cancelled.reasons)})"
            )
            # Throttling is a known transient state; any other reason is logged as an error.
            unavailable.expected = set(cancelled.reasons) <= _TRANSIENT_REASONS
            log.log(
                logging.WARNING if unavailable.expected else logging.ERROR,
                "dynamodb TransactWriteItems cancelled: %s",
                ", ".join(cancelled.reasons),
            )
            raise unavailable from cancelled
        return created

    async def _first_answer(self, idempotent: IdempotentRequest, now: int) -> Created | None:
        async with self._translated("GetItem"):
            answer = await self._client.get_item(
                TableName=self._idempotency_table,
                Key={IDEMPOTENCY_PARTITION_KEY: {"S": idempotent.request_key}},
                ConsistentRead=True,
            )
        record = answer.get("Item")
        if record is None or int(record[IDEMPOTENCY_EXPIRES_AT]["N"]) < now:
            # Forgotten between the write and this read: the caller writes anew.
            return None
        if record[IDEMPOTENCY_FINGERPRINT]["S"] != idempotent.fingerprint:
            raise key_reused()
        return Created(record[IDEMPOTENCY_OBJECT_ID]["S"], record[CREATED_AT]["S"], replayed=True)

    async def get(self, key: str) -> Stored:
        """The item's JSON and revision."""
        async with self._translated("GetItem"):
            answer = await self._client.get_item(
                TableName=self._table, Key={PARTITION_KEY: {"S": key}}, ConsistentRead=True
            )
        item = answer.get("Item")
        if item is None:
            raise NotFound(f"no item has the key {key}", ErrorCode.NOT_FOUND)
        return Stored(item_json(item), _revision(item))

    async def replace(self, key: str, payload: Payload, condition: Condition) -> Stored:
        """Replace the item's payload when ``condition`` (its If-Match) holds; 412 when it
        does not, whether the item changed or is gone."""
        revision = str(uuid.uuid4())
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": {PARTITION_KEY: {"S": key}},
            "UpdateExpression": "SET #p = :p, #u = :u, #n = :n",
            "ConditionExpression": condition.expression,
            "ExpressionAttributeNames": {
                **condition.names,
                "#p": PAYLOAD,
                "#u": UPDATED_AT,
                "#n": REVISION,
            },
            "ExpressionAttributeValues": {
                **condition.values,
                ":p": payload.value,
                ":u": {"S": utc_now()},
                ":n": {"S": revision},
            },
            "ReturnValues": "ALL_NEW",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        try:
            async with self._translated("UpdateItem"):
                with sending("UpdateItem", request, ("ExpressionAttributeValues", ":p"), payload):
                    answer = await self._client.update_item(**request)
        except KeyTaken as failed:
            current = failed.item if isinstance(failed.item, dict) else None
            if current is not None and _revision(current) == revision:
                # botocore retried a write that had succeeded: this revision is ours.
                return Stored(item_json(current), revision)
            raise conditional.failed(key, current) from failed
        attributes = answer["Attributes"]
        return Stored(item_json(attributes), revision)

    async def scan(self, limit: int, start_after: str | None) -> Page:
        """One page of items in table order, each as the API shows it."""
        async with self._translated("Scan"):
            if start_after is None:
                answer = await self._client.scan(
                    TableName=self._table, Limit=limit, ConsistentRead=True
                )
            else:
                answer = await self._client.scan(
                    TableName=self._table,
                    Limit=limit,
                    ConsistentRead=True,
                    ExclusiveStartKey={PARTITION_KEY: {"S": start_after}},
                )
        last = answer.get("LastEvaluatedKey")
        return Page(
            items=[item_value(item) for item in answer.get("Items", [])],
            last_key=last[PARTITION_KEY]["S"] if last else None,
        )


def _revision(item: Mapping[str, Any]) -> str | None:
    revision = item.get(REVISION)
    return str(revision["S"]) if revision else None
