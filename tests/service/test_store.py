"""A failing table gives a fast 503, never a hang; the service itself stays healthy; a retried
put that finds its own write stores one item."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from decimal import Context, Decimal
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from devkit.asgi import serving
from devkit.processes import free_port
from picus.contract import CREATED_AT, PARTITION_KEY, is_valid_key
from picus.errors import ApiError, Conflict, ErrorCode, StoreUnavailable
from service.codec import parse_object, to_payload
from service.idempotency import idempotent_request
from service.settings import Settings
from service.transactional_put import TransactionalStore
from service.wire import Payload
from tests.http import JSON, assert_error

KEY = "2f897e49-a179-4160-8056-d96c51aab199"


@pytest.fixture
def black_hole() -> Iterator[str]:
    """Accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


@pytest.mark.parametrize("backend", ["refused", "black_hole"])
def test_a_dead_table_is_a_fast_503_and_health_stays_up(
    http: httpx.Client, settings: Settings, black_hole: str, backend: str
) -> None:
    from service.app import create_app

    endpoint = black_hole if backend == "black_hole" else f"http://127.0.0.1:{free_port()}"
    production = Settings()
    app = create_app(
        replace(
            settings,
            endpoint_url=endpoint,
            store_deadline=production.store_deadline,
            read_timeout=production.read_timeout,
        )
    )
    with serving(app) as url:
        requests = [
            http.build_request("POST", f"{url}/picus/put", content=b'{"a": 1}', headers=JSON),
            http.build_request("GET", f"{url}/picus/get/{KEY}"),
            http.build_request("GET", f"{url}/picus/list"),
        ]
        for request in requests:
            started = time.monotonic()
            response = http.send(request)
            assert time.monotonic() - started < production.store_deadline + 2
            assert_error(response, ErrorCode.BACKEND_UNAVAILABLE)
            assert response.headers["retry-after"] == "1"
        assert http.get(f"{url}/health").status_code == 200


class _RetriedPut:
    """A table whose first PutItem landed before the connection broke: botocore's retry meets
    the condition, and the table answers with the stored item, its numbers spelled otherwise
    than sent (the codec sends DynamoDB's plain notation; this answers in exponent form): the
    write is recognised by its creation time, which no spelling changes."""

    def __init__(self) -> None:
        self.calls = 0

    async def put_item(self, **request: Any) -> dict[str, Any]:
        self.calls += 1
        error = {
            "Code": "ConditionalCheckFailedException",
            "Message": "The conditional request failed",
        }
        stored = canonical(request["Item"])
        raise ClientError({"Error": error, "Item": stored}, "PutItem")  # type: ignore[typeddict-item]


def canonical(attribute: Any) -> Any:
    """An attribute with each number's value kept and its spelling changed (zeros trimmed,
    exponent form)."""
    if isinstance(attribute, dict):
        if "N" in attribute:
            return {"N": str(Decimal(attribute["N"]).normalize(Context(prec=38)))}
        return {k: canonical(v) for k, v in attribute.items()}
    if isinstance(attribute, list):
        return [canonical(v) for v in attribute]
    return attribute


SPELLINGS = [
    "1.0",
    "1E+2",
    "100",
    "0.00100",
    "-0.0",
    "1e-130",
    "12345678901234567890.000",
    "9.90E125",
]


def test_a_retried_put_finding_its_own_write_is_one_item_whatever_the_numbers_spelling() -> None:
    table = _RetriedPut()
    store = TransactionalStore(table, "picus_data", "picus_idempotency", deadline=1.0)  # type: ignore[arg-type]
    payload = to_payload(
        parse_object(('{"n": [' + ", ".join(SPELLINGS) + '], "m": {"x": 1.50}}').encode())
    )
    created = asyncio.run(store.put(Payload(payload)))
    # Recognised as its own write on the first answer: no second key drawn, no second item.
    assert table.calls == 1
    assert is_valid_key(created.object_id)


class _Collision:
    """A table whose first drawn key another item, created at another time, already holds."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    async def put_item(self, **request: Any) -> dict[str, Any]:
        self.keys.append(request["Item"][PARTITION_KEY]["S"])
        if len(self.keys) > 1:
            return {}
        error = {
            "Code": "ConditionalCheckFailedException",
            "Message": "The conditional request failed",
        }
        other = {**request["Item"], CREATED_AT: {"S": "2020-01-01T00:00:00.000Z"}}
        raise ClientError({"Error": error, "Item": other}, "PutItem")  # type: ignore[typeddict-item]


def test_an_item_of_another_time_under_the_key_is_a_collision_and_a_new_key_is_drawn() -> None:
    table = _Collision()
    store = TransactionalStore(table, "picus_data", "picus_idempotency", deadline=1.0)  # type: ignore[arg-type]
    created = asyncio.run(store.put(Payload(to_payload(parse_object(b'{"n": 1.0}')))))
    first, second = table.keys
    assert first != second
    assert created.object_id == second


class _CancelledTransaction:
    """A table whose every transaction DynamoDB cancels, for the reasons given, in the shape
    botocore parses from TransactionCanceledException (its CancellationReasons list)."""

    def __init__(self, *reasons: str, message: str = "") -> None:
        self.reasons = reasons
        self.message = message
        self.calls = 0

    async def transact_write_items(self, **request: Any) -> None:
        self.calls += 1
        error = {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}
        cancelled = [{"Code": code, "Message": self.message} for code in self.reasons]
        raise ClientError(
            {"Error": error, "CancellationReasons": cancelled},  # type: ignore[typeddict-item]
            "TransactWriteItems",
        )


def test_a_concurrent_duplicate_of_an_idempotent_put_is_409() -> None:
    # The draft's 409: another request with the key is being written. On DynamoDB, one of two
    # transactions on one record is cancelled with TransactionConflict; the emulators run
    # them one after the other, so this reason is only ever seen from the real service.
    table = _CancelledTransaction("None", "TransactionConflict")
    store = TransactionalStore(table, "picus_data", "picus_idempotency", deadline=1.0)  # type: ignore[arg-type]
    request = idempotent_request("k", None, b"{}")
    with pytest.raises(Conflict) as raised:
        asyncio.run(store.put(Payload(to_payload({})), request))
    assert raised.value.code is ErrorCode.IDEMPOTENCY_KEY_IN_USE
    assert table.calls == 1


def test_a_transaction_cancelled_for_another_reason_is_a_503_naming_it() -> None:
    table = _CancelledTransaction("ThrottlingError", "None")
    store = TransactionalStore(table, "picus_data", "picus_idempotency", deadline=1.0)  # type: ignore[arg-type]
    with pytest.raises(StoreUnavailable) as raised:
        asyncio.run(store.put(Payload(to_payload({})), idempotent_request("k", None, b"{}")))
    assert "ThrottlingError" in raised.value.message


def test_an_item_dynamodb_refuses_in_a_transaction_is_the_clients_as_in_a_put() -> None:
    # A ValidationError reason is what a plain PutItem raises as ValidationException: a 413 for
    # the item's size, a 400 otherwise, never a 503 the client would retry.
    for message, expected in (
        ("Item size has exceeded the maximum allowed size", ErrorCode.PAYLOAD_TOO_LARGE),
        ("Number overflow", ErrorCode.INVALID_VALUE),
    ):
        table = _CancelledTransaction("ValidationError", "None", message=message)
        store = TransactionalStore(table, "picus_data", "picus_idempotency", deadline=1.0)  # type: ignore[arg-type]
        with pytest.raises(ApiError) as raised:
            asyncio.run(store.put(Payload(to_payload({})), idempotent_request("k", None, b"{}")))
        assert raised.value.code is expected
