"""The service's DynamoDB client sends what stock botocore sends, byte for byte where it
matters, and reads items as DynamoDB wrote them: the same structure botocore's own parser
builds, except that binaries stay base64 text.

The request tests need no server: a ``before-send`` handler records the prepared request and
stops the call there. If an aiobotocore or botocore upgrade changes the body, the operation's
headers or what is signed, for either client, these fail until someone looks.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import aioboto3
import botocore.session
import pytest
from aiobotocore.awsrequest import AioAWSResponse
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

from bench.codec import SHAPES, body_of
from picus import conditional
from picus.contract import CREATED_AT, IDEMPOTENCY_TABLE_NAME, PARTITION_KEY, PAYLOAD, TABLE_NAME
from service.codec import payload_of
from service.dynamodb import RAW_OPERATIONS, client_config, dynamodb_client
from service.idempotency import idempotent_request
from service.settings import Settings
from service.store import Store
from service.transactional_put import TransactionalStore
from service.wire import Payload

REGION = "eu-west-1"
ENDPOINT = "http://127.0.0.1:9"  # never reached: the call stops before sending
KEY = {PARTITION_KEY: {"S": "2f897e49-a179-4160-8056-d96c51aab199"}}
ITEM = {
    **KEY,
    CREATED_AT: {"S": "2026-01-01T00:00:00.000Z"},
    PAYLOAD: {"M": {"n": {"N": "12.5"}, "s": {"S": "é\u2028"}, "l": {"L": [{"NULL": True}]}}},
}
#: The service's own calls (service/store.py), one of each kind the benchmark measures.
CALLS: dict[str, dict[str, Any]] = {
    "get_item": {"TableName": TABLE_NAME, "Key": KEY, "ConsistentRead": True},
    "put_item": {
        "TableName": TABLE_NAME,
        "Item": ITEM,
        "ConditionExpression": "attribute_not_exists(#k)",
        "ExpressionAttributeNames": {"#k": PARTITION_KEY},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    },
}
#: Headers whose values differ per call by design.
PER_CALL = {"X-Amz-Date", "amz-sdk-invocation-id"}


class Stopped(Exception):
    """Raised by the recorder: the request was prepared and is not sent."""


def _recorder(sent: list[Any]) -> Any:
    def record(request: Any, **_: Any) -> None:
        sent.append(request)
        raise Stopped

    return record


def _wire(request: Any) -> tuple[bytes, dict[str, str]]:
    headers = {
        name: value.decode() if isinstance(value, bytes) else str(value)
        for name, value in request.headers.items()
    }
    body = request.body if isinstance(request.body, bytes) else request.body.encode()
    return body, headers


async def _ours(operation: str) -> tuple[bytes, dict[str, str]]:
    sent: list[Any] = []
    settings = replace(Settings.from_env(), region=REGION, endpoint_url=ENDPOINT)
    async with dynamodb_client(settings) as client:
        client.meta.events.register("before-send.dynamodb", _recorder(sent))
        with pytest.raises(Stopped):
            await getattr(client, operation)(**CALLS[operation])
    return _wire(sent[0])


def _stock(operation: str, params: dict[str, Any] | None = None) -> tuple[bytes, dict[str, str]]:
    sent: list[Any] = []
    client = botocore.session.get_session().create_client(
        "dynamodb",
        region_name=REGION,
        endpoint_url=ENDPOINT,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
    )
    client.meta.events.register("before-send.dynamodb", _recorder(sent))
    with pytest.raises(Stopped):
        getattr(client, operation)(**(CALLS[operation] if params is None else params))
    return _wire(sent[0])


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)


@pytest.mark.usefixtures("credentials")
@pytest.mark.parametrize("operation", sorted(CALLS))
def test_the_request_is_stock_botocores_byte_for_byte(operation: str) -> None:
    ours_body, ours = asyncio.run(_ours(operation))
    stock_body, stock = _stock(operation)
    assert ours_body.startswith(b'{"TableName": "picus_data"')
    assert_same_request(operation, (ours_body, ours), (stock_body, stock))


def assert_same_request(
    operation: str, ours: tuple[bytes, dict[str, str]], stock: tuple[bytes, dict[str, str]]
) -> None:
    (ours_body, ours_headers), (stock_body, stock_headers) = ours, stock
    assert ours_body == stock_body
    # The same headers, in the same order, with the same values: all but the per-call ones,
    # the signature (over the date) and the User-Agent (below).
    assert list(ours_headers) == list(stock_headers)
    for name in set(stock_headers) - PER_CALL - {"Authorization", "User-Agent"}:
        assert ours_headers[name] == stock_headers[name], name
    target = "".join(word.title() for word in operation.split("_"))
    assert ours_headers["X-Amz-Target"] == f"DynamoDB_20120810.{target}"
    assert ours_headers["Content-Type"] == "application/x-amz-json-1.0"

    def unsigned(authorization: str) -> str:
        return re.sub(r"Signature=[0-9a-f]{64}", "Signature=-", authorization)

    assert unsigned(ours_headers["Authorization"]) == unsigned(stock_headers["Authorization"])
    signed = "SignedHeaders=content-type;host;x-amz-date;x-amz-target,"
    assert signed in ours_headers["Authorization"]


#: Each write of the store, as the API makes it, by the operation it calls.
WRITES: dict[str, Callable[[Store, Payload], Awaitable[object]]] = {
    "put_item": lambda store, payload: store.put(payload),
    "transact_write_items": lambda store, payload: store.put(
        payload, idempotent_request("retry-me", "alice", b"{}")
    ),
    "update_item": lambda store, payload: store.replace(
        KEY[PARTITION_KEY]["S"],
        payload,
        conditional.if_match_condition(conditional.parse('"7d0f"', "If-Match")),
    ),
}
LARGE = payload_of(body_of(SHAPES['nesting ({"a": {"b": [1, "x", null]}}, ...)'], 4000))


async def _written(
    operation: str, payload: Payload, answer: Callable[..., Any]
) -> list[dict[str, Any]]:
    """The parameters the store gave the call, as the client received them."""
    given: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        given.append(copy.deepcopy(params))

    settings = replace(Settings.from_env(), region=REGION, endpoint_url=ENDPOINT)
    async with dynamodb_client(settings) as client:
        client.meta.events.register("provide-client-params.dynamodb", record)
        client.meta.events.register("before-send.dynamodb", answer)
        store = TransactionalStore(client, TABLE_NAME, IDEMPOTENCY_TABLE_NAME, deadline=30)
        with contextlib.suppress(Stopped):
            await WRITES[operation](store, payload)
    return given


@pytest.mark.usefixtures("credentials")
@pytest.mark.parametrize("operation", sorted(WRITES))
@pytest.mark.parametrize("value", [ITEM[PAYLOAD], LARGE], ids=["item", "large"])
def test_each_write_the_service_encodes_is_stock_botocores_request_byte_for_byte(
    operation: str, value: Any
) -> None:
    # The service sends its own encoding of a write (service/wire.py): the very bytes stock
    # botocore sends for the parameters the store gave the call.
    sent: list[Any] = []
    (given,) = asyncio.run(_written(operation, Payload(value, large=True), _recorder(sent)))
    ours = _wire(sent[0])
    assert json.loads(ours[0]) == given
    assert_same_request(operation, ours, _stock(operation, given))


class _Answer:
    """DynamoDB's body for an answer, read the way aiobotocore reads it."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    async def read(self) -> bytes:
        return self.body


def _signed_over_its_body(request: Any) -> bool:
    headers = dict(_wire(request)[1])
    signed = AWSRequest(
        method=request.method,
        url=request.url,
        headers={name: headers[name] for name in ("Content-Type", "X-Amz-Date", "X-Amz-Target")},
        data=request.body,
    )
    signed.context["timestamp"] = headers["X-Amz-Date"]
    signer = SigV4Auth(Credentials("AKIDEXAMPLE", "secret"), "dynamodb", REGION)
    signature = signer.signature(
        signer.string_to_sign(signed, signer.canonical_request(signed)), signed
    )
    return headers["Authorization"].endswith(f"Signature={signature}")


@pytest.mark.usefixtures("credentials")
@pytest.mark.parametrize("operation", sorted(WRITES))
def test_every_retry_sends_the_encoded_body_signed(operation: str) -> None:
    # Two answers of 500, then success: botocore's standard retries send the request again,
    # and each attempt carries the service's body, its length, and a signature over it.
    attempts: list[Any] = []

    def answer(request: Any, **_: Any) -> AioAWSResponse:
        attempts.append(request)
        if len(attempts) < 3:
            failure = b'{"__type": "InternalServerError", "message": "try again"}'
            return AioAWSResponse(request.url, 500, HTTPHeaders(), _Answer(failure))
        return AioAWSResponse(request.url, 200, HTTPHeaders(), _Answer(b'{"Attributes": {}}'))

    payload = Payload(ITEM[PAYLOAD], large=True)  # type: ignore[arg-type]
    asyncio.run(_written(operation, payload, answer))
    bodies = {_wire(request)[0] for request in attempts}
    assert len(attempts) == 3 and len(bodies) == 1
    (body,) = bodies
    assert payload.encoded is not None and payload.encoded in body
    for request in attempts:
        assert int(_wire(request)[1]["Content-Length"]) == len(body)
        assert _signed_over_its_body(request)


@pytest.mark.usefixtures("credentials")
def test_the_user_agent_is_botocores_without_the_calls_features() -> None:
    _, ours = asyncio.run(_ours("get_item"))
    sent: list[Any] = []

    async def stock_aiobotocore() -> None:
        settings = replace(Settings.from_env(), region=REGION, endpoint_url=ENDPOINT)
        async with aioboto3.Session().client(
            "dynamodb", region_name=REGION, endpoint_url=ENDPOINT, config=client_config(settings)
        ) as client:
            client.meta.events.register("before-send.dynamodb", _recorder(sent))
            with pytest.raises(Stopped):
                await client.get_item(**CALLS["get_item"])

    asyncio.run(stock_aiobotocore())
    _, stock = _wire(sent[0])
    # Stock: "aiobotocore/2.x md/Botocore#1.x ua/2.1 os/... m/<features> cfg/... botocore/1.x".
    assert re.search(r" m/\S+", stock["User-Agent"])
    assert ours["User-Agent"] == re.sub(r" m/\S+", "", stock["User-Agent"])


BINARY_ITEM = {
    PAYLOAD: {
        "M": {
            "n": {"N": "9.9999999999999999999999999999999999999E+125"},
            "l": {"L": [{"NULL": True}, {"BOOL": False}, {"SS": ["a"]}]},
            "b": {"B": b"\x00\x01"},
        }
    },
    CREATED_AT: {"S": "2026-01-01T00:00:00.000Z"},
}


async def _read_back(settings: Settings, client_factory: Any) -> dict[str, Any]:
    key = {PARTITION_KEY: {"S": str(uuid.uuid4())}}
    async with client_factory(settings) as client:
        put = await client.put_item(TableName=settings.table_name, Item={**key, **BINARY_ITEM})
        got = await client.get_item(TableName=settings.table_name, Key=key, ConsistentRead=True)
        # The table holds the whole suite's items: the scan pages until the filter finds it.
        found: list[dict[str, Any]] = []
        page: dict[str, Any] = {}
        while not found:
            page = await client.scan(
                TableName=settings.table_name,
                FilterExpression="#k = :k",
                ExpressionAttributeNames={"#k": PARTITION_KEY},
                ExpressionAttributeValues={":k": key[PARTITION_KEY]},
                **({"ExclusiveStartKey": page["LastEvaluatedKey"]} if page else {}),
            )
            found += page["Items"]
            if "LastEvaluatedKey" not in page:
                break
        await client.delete_item(TableName=settings.table_name, Key=key)
    (listed,) = found
    put.pop("ResponseMetadata")
    return {"put": put, "got": got["Item"], "listed": listed}


def test_items_read_as_botocore_would_but_binaries_stay_base64(settings: Settings) -> None:
    def stock(settings: Settings) -> Any:
        return aioboto3.Session().client(
            "dynamodb",
            region_name=settings.region,
            endpoint_url=settings.endpoint_url,
            config=client_config(settings),
        )

    ours = asyncio.run(_read_back(settings, dynamodb_client))
    theirs = asyncio.run(_read_back(settings, stock))
    for read in ("got", "listed"):
        assert theirs[read][PAYLOAD]["M"]["b"] == {"B": b"\x00\x01"}, read
        assert ours[read][PAYLOAD]["M"]["b"] == {"B": "AAE="}, read
        theirs[read][PAYLOAD]["M"]["b"] = {"B": "AAE="}
        assert {k: v for k, v in ours[read].items() if k != PARTITION_KEY} == {
            k: v for k, v in theirs[read].items() if k != PARTITION_KEY
        }, read
    assert ours["put"] == theirs["put"] == {}


def test_only_operations_whose_output_is_items_are_left_raw() -> None:
    model = botocore.session.get_session().get_service_model("dynamodb")
    for operation in RAW_OPERATIONS:
        output = model.operation_model(operation).output_shape
        assert output is not None
        # Items, keys, counts and consumed capacity: nothing botocore converts but binaries.
        assert set(output.members) <= {
            "Item",
            "Items",
            "Attributes",
            "ConsumedCapacity",
            "Count",
            "ScannedCount",
            "LastEvaluatedKey",
            "ItemCollectionMetrics",
        }, operation
