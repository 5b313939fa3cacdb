"""The table, seen from the service: put, get and scan, with botocore's errors translated."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import ClientError as HttpClientError
from botocore.exceptions import BotoCoreError, ClientError

from picus.contract import CREATED_AT, PARTITION_KEY, PAYLOAD
from picus.errors import ErrorCode, NotFound, StoreUnavailable, from_client_error
from service.codec import item_json, item_value, same_value

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient
    from types_aiobotocore_dynamodb.type_defs import AttributeValueTypeDef

log = logging.getLogger("picus.store")


class _KeyTaken(Exception):
    def __init__(self, item: object) -> None:
        self.item = item


@dataclass(frozen=True)
class Created:
    object_id: str
    created_at: str


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    last_key: str | None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Store:
    def __init__(self, client: DynamoDBClient, table: str, deadline: float) -> None:
        self._client = client
        self._table = table
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
            if error.get("Code") == "ConditionalCheckFailedException" and operation == "PutItem":
                raise _KeyTaken(exc.response.get("Item")) from exc
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

    async def put(self, payload: AttributeValueTypeDef) -> Created:
        """Store a new item under a fresh key; never overwrites an existing one.

        When the outcome is unknown (the table failed after the request left), the 503 names
        the key: a later GET of it tells whether the item was stored.
        """
        while True:
            created = Created(str(uuid.uuid4()), _now())
            try:
                if await self._put_new(created, payload):
                    return created
            except StoreUnavailable as exc:
                exc.details[PARTITION_KEY] = created.object_id
                raise

    async def _put_new(self, created: Created, payload: AttributeValueTypeDef) -> bool:
        """True once the item is stored; False when the key is taken by another item."""
        item: dict[str, AttributeValueTypeDef] = {
            PARTITION_KEY: {"S": created.object_id},
            CREATED_AT: {"S": created.created_at},
            PAYLOAD: payload,
        }
        try:
            async with self._translated("PutItem"):
                await self._client.put_item(
                    TableName=self._table,
                    Item=item,
                    ConditionExpression="attribute_not_exists(#k)",
                    ExpressionAttributeNames={"#k": PARTITION_KEY},
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except _KeyTaken as taken:
            # A retried attempt finding its own earlier write has succeeded; any other item
            # under this key is a uuid4 collision: the caller draws another key. Compared as
            # values: DynamoDB gives numbers back in its own spelling.
            return isinstance(taken.item, dict) and same_value({"M": taken.item}, {"M": item})
        return True

    async def get(self, key: str) -> bytes:
        """The item's JSON."""
        async with self._translated("GetItem"):
            answer = await self._client.get_item(
                TableName=self._table, Key={PARTITION_KEY: {"S": key}}, ConsistentRead=True
            )
        item = answer.get("Item")
        if item is None:
            raise NotFound(f"no item has the key {key}", ErrorCode.NOT_FOUND)
        return item_json(item)

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
