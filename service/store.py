"""The table, seen from the service: put, get, replace and scan, with botocore's errors
translated."""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

from picus import conditional
from picus.conditional import Condition
from picus.contract import CREATED_AT, PARTITION_KEY, PAYLOAD, REVISION, UPDATED_AT
from picus.errors import Conflict, ErrorCode, NotFound, StoreUnavailable, WriteConflict
from service.codec import item_json, item_value
from service.items import Created, Page, Stored, new_item, revision_of, utc_now
from service.table_errors import KeyTaken, translated
from service.wire import Payload, sending

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

    from service.idempotency import IdempotentRequest


class Store(ABC):
    """The items' table and the Idempotency-Key records' table, through one client; a keyed
    put is the subclass's: one transaction (service/transactional_put.py), or under strong
    consistency, which refuses transactions, one write after another (service/keyed_put.py)."""

    def __init__(
        self, client: DynamoDBClient, table: str, idempotency_table: str, deadline: float
    ) -> None:
        self._client = client
        self._table = table
        self._idempotency_table = idempotency_table
        self._deadline = deadline

    def _translated(self, operation: str) -> AbstractAsyncContextManager[None]:
        return translated(operation, self._deadline)

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

    @abstractmethod
    async def _put_idempotent(
        self, created: Created, payload: Payload, idempotent: IdempotentRequest
    ) -> Created | None:
        """The answer to the request: this write's, or the first one's with the same key; None
        when the drawn key was taken (the caller draws another)."""

    async def get(self, key: str) -> Stored:
        """The item's JSON and revision."""
        async with self._translated("GetItem"):
            answer = await self._client.get_item(
                TableName=self._table, Key={PARTITION_KEY: {"S": key}}, ConsistentRead=True
            )
        item = answer.get("Item")
        if item is None:
            raise NotFound(f"no item has the key {key}", ErrorCode.NOT_FOUND)
        return Stored(item_json(item), revision_of(item))

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
            if current is not None and revision_of(current) == revision:
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
