"""DynamoDB's JSON 1.0 protocol, as much of it as the local multi-region stand-in reads and
writes: which call a request is, which items a write touches, an error answer, and a call made
to one region of a moto server (moto keeps each region's tables apart, by the region the
request's signature names)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any, Final

import aiohttp

TARGET_HEADER: Final = "X-Amz-Target"
TARGET_PREFIX: Final = "DynamoDB_20120810."
CONTENT_TYPE: Final = "application/x-amz-json-1.0"
ERROR_PREFIX: Final = "com.amazonaws.dynamodb.v20120810#"

#: The calls that change items: each one's written items are replicated.
WRITES: Final = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
)
TRANSACTIONS: Final = frozenset({"TransactWriteItems", "TransactGetItems"})

Item = dict[str, Any]


class DynamoError(Exception):
    """An error DynamoDB answers with: its HTTP status, its type and its message."""

    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message

    def body(self) -> bytes:
        return json.dumps({"__type": ERROR_PREFIX + self.kind, "message": self.message}).encode()


def written_keys(
    operation: str, body: Mapping[str, Any], key_names: Mapping[str, str]
) -> list[tuple[str, Item]]:
    """The (table, key) of each item a write call touches, in the tables ``key_names`` maps to
    their partition key's name (other tables are not replicated)."""
    return [
        (table, {name: item[name]})
        for table, item in _touched(operation, body)
        if (name := key_names.get(table)) is not None and name in item
    ]


def _touched(operation: str, body: Mapping[str, Any]) -> Iterator[tuple[str, Item]]:
    if operation == "PutItem":
        yield body["TableName"], body["Item"]
    elif operation in ("UpdateItem", "DeleteItem"):
        yield body["TableName"], body["Key"]
    elif operation == "BatchWriteItem":
        for table, requests in body["RequestItems"].items():
            for request in requests:
                if "PutRequest" in request:
                    yield table, request["PutRequest"]["Item"]
                else:
                    yield table, request["DeleteRequest"]["Key"]
    elif operation == "TransactWriteItems":
        for entry in body["TransactItems"]:
            for kind, action in entry.items():
                if kind == "ConditionCheck":  # checks, writes nothing
                    continue
                yield action["TableName"], action.get("Item") or action["Key"]


def key_id(table: str, key: Item) -> str:
    """One item's identity across regions, as a dictionary key."""
    return table + "\0" + json.dumps(key, sort_keys=True)


class MotoCalls:
    """Calls to one moto server, each in the region it names (unsigned: moto reads the region
    from the credential scope and checks no signature)."""

    def __init__(self, url: str, session: aiohttp.ClientSession) -> None:
        self.url = url
        self._session = session

    async def raw(self, region: str, operation: str, body: bytes) -> tuple[int, bytes]:
        headers = {
            TARGET_HEADER: TARGET_PREFIX + operation,
            "Content-Type": CONTENT_TYPE,
            "Authorization": (
                f"AWS4-HMAC-SHA256 Credential=local/20250101/{region}/dynamodb/aws4_request, "
                "SignedHeaders=host, Signature=0"
            ),
        }
        async with self._session.post(self.url, data=body, headers=headers) as answer:
            return answer.status, await answer.read()

    async def __call__(self, region: str, operation: str, body: Mapping[str, Any]) -> Item:
        status, answer = await self.raw(region, operation, json.dumps(body).encode())
        parsed: Item = json.loads(answer or b"{}")
        if status != 200:
            kind = str(parsed.get("__type", "")).rsplit("#", 1)[-1]
            raise DynamoError(status, kind, str(parsed.get("message", "")))
        return parsed
