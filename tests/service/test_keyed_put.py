"""A put with an Idempotency-Key under strong consistency, written without a transaction
(service/keyed_put.py): a first attempt that died between its writes is completed by its
retry, a uuid4 collision moves the record, concurrent twins store one item, and nothing is
sent as a transaction. The promises both modes share are tests/service/test_idempotency.py's,
run in each mode."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import httpx
import pytest

from devkit.asgi import serving
from devkit.fault_proxy import Fault, FaultProxy
from picus import contract
from picus.regions import Consistency
from service.idempotency import idempotent_request
from service.items import utc_now
from service.settings import Settings
from tests.fault_origin import fault_origin
from tests.service.test_idempotency import MARK, copies, create, marked


@pytest.fixture(scope="module")
def strong(settings: Settings) -> Settings:
    return replace(settings, consistency=Consistency.STRONG)


@pytest.fixture(scope="module")
def api_url(strong: Settings) -> Iterator[str]:
    from delete_fn.handler import handler
    from local.router import LocalAlb
    from service.app import create_app

    with serving(LocalAlb(create_app(strong), handler)) as url:
        yield url


def record_key(key: str, body: bytes) -> dict[str, Any]:
    return {
        contract.IDEMPOTENCY_PARTITION_KEY: {"S": idempotent_request(key, None, body).request_key}
    }


def seed_claim(table: Any, settings: Settings, key: str, body: bytes) -> tuple[str, str]:
    """A record as a first attempt's claim leaves it, before its item and its mark."""
    object_id, created_at = str(uuid.uuid4()), utc_now()
    request = idempotent_request(key, None, body)
    table.put_item(
        TableName=settings.idempotency_table_name,
        Item={
            **record_key(key, body),
            contract.IDEMPOTENCY_OBJECT_ID: {"S": object_id},
            contract.CREATED_AT: {"S": created_at},
            contract.IDEMPOTENCY_FINGERPRINT: {"S": request.fingerprint},
            contract.IDEMPOTENCY_EXPIRES_AT: {"N": "99999999999"},
        },
    )
    return object_id, created_at


def seed_item(table: Any, settings: Settings, object_id: str, created_at: str, marker: str) -> None:
    """An item as ``marked(marker)`` is stored."""
    table.put_item(
        TableName=settings.table_name,
        Item={
            contract.PARTITION_KEY: {"S": object_id},
            contract.CREATED_AT: {"S": created_at},
            contract.REVISION: {"S": str(uuid.uuid4())},
            contract.PAYLOAD: {"M": {MARK: {"S": marker}}},
        },
    )


def record_of(table: Any, settings: Settings, key: str, body: bytes) -> dict[str, Any]:
    item: dict[str, Any] = table.get_item(
        TableName=settings.idempotency_table_name, Key=record_key(key, body), ConsistentRead=True
    )["Item"]
    return item


@pytest.mark.parametrize("item_written", [False, True], ids=["before-item", "before-mark"])
def test_a_first_attempt_that_died_between_its_writes_is_completed_by_its_retry(
    http: httpx.Client, api_url: str, table: Any, settings: Settings, item_written: bool
) -> None:
    # given a key claimed by an attempt that died before writing its item (or its mark)
    marker, key = uuid.uuid4().hex, str(uuid.uuid4())
    body = marked(marker)
    object_id, created_at = seed_claim(table, settings, key, body)
    if item_written:
        seed_item(table, settings, object_id, created_at, marker)
    # when the client retries with the key
    retried = create(http, api_url, body, key)
    # then the item is stored once, under the first attempt's key, and answered as the first
    assert retried.status_code == 201, retried.text
    assert retried.json() == {contract.PARTITION_KEY: object_id}
    assert retried.headers["idempotent-replayed"] == "true"
    got = http.get(f"{api_url}{retried.headers['location']}").json()
    assert (got[contract.CREATED_AT], got[contract.PAYLOAD]) == (created_at, {MARK: marker})
    assert contract.IDEMPOTENCY_STORED in record_of(table, settings, key, body)
    assert create(http, api_url, body, key).json() == retried.json()
    assert copies(table, settings, marker) == [object_id]


def test_a_collision_under_the_claimed_key_moves_the_record_and_stores_the_item_once(
    http: httpx.Client, api_url: str, table: Any, settings: Settings
) -> None:
    # given a claim whose drawn key another item, stored before, already holds (a collision)
    marker, key = uuid.uuid4().hex, str(uuid.uuid4())
    body = marked(marker)
    taken, _ = seed_claim(table, settings, key, body)
    other = uuid.uuid4().hex
    seed_item(table, settings, taken, "2020-01-01T00:00:00.000Z", other)
    # when the request is retried
    answer = create(http, api_url, body, key)
    # then the item is stored once under a fresh key, and the other item is untouched
    assert answer.status_code == 201, answer.text
    moved = answer.json()[contract.PARTITION_KEY]
    assert moved != taken
    assert copies(table, settings, marker) == [moved]
    assert copies(table, settings, other) == [taken]
    record = record_of(table, settings, key, body)
    assert record[contract.IDEMPOTENCY_OBJECT_ID]["S"] == moved
    assert contract.IDEMPOTENCY_STORED in record
    assert create(http, api_url, body, key).json() == answer.json()


def test_an_item_replaced_before_its_201_is_still_the_one_item(
    http: httpx.Client, api_url: str, table: Any, settings: Settings
) -> None:
    # given a first attempt that wrote its item and died before marking its record, and a
    # client who found the item listed and replaced it meanwhile
    marker, key = uuid.uuid4().hex, str(uuid.uuid4())
    body = marked(marker)
    object_id, created_at = seed_claim(table, settings, key, body)
    replaced = uuid.uuid4().hex
    seed_item(table, settings, object_id, created_at, replaced)
    # when the client retries the put
    retried = create(http, api_url, body, key)
    # then it gets the first attempt's item, as it is now, and nothing is stored again
    assert retried.status_code == 201, retried.text
    assert retried.json() == {contract.PARTITION_KEY: object_id}
    assert copies(table, settings, marker) == []
    assert copies(table, settings, replaced) == [object_id]


def test_concurrent_twins_all_get_the_one_item(
    http: httpx.Client, api_url: str, table: Any, settings: Settings
) -> None:
    # Without a transaction there is no cancelled twin: each twin that finds the claim writes
    # or finds the one item and answers it.
    for _ in range(4):
        marker, key = uuid.uuid4().hex, str(uuid.uuid4())
        body = marked(marker)
        with ThreadPoolExecutor(16) as pool:
            sent = [pool.submit(create, http, api_url, body, key) for _ in range(16)]
            answers = [future.result() for future in sent]
        assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
        created = {a.json()[contract.PARTITION_KEY] for a in answers}
        assert len(created) == 1
        assert sum("idempotent-replayed" not in a.headers for a in answers) >= 1
        assert copies(table, settings, marker) == list(created)


@pytest.fixture(scope="module")
def table(ddb_endpoint: str) -> Any:
    import boto3

    from tests.backends import REGION

    return boto3.client("dynamodb", region_name=REGION, endpoint_url=ddb_endpoint)


@pytest.mark.parametrize("mode", list(Consistency), ids=str)
def test_strong_mode_never_sends_a_transaction(
    http: httpx.Client, settings: Settings, proxy: FaultProxy, mode: Consistency
) -> None:
    # Counted on the wire, at a proxy in front of the table: DynamoDB refuses
    # TransactWriteItems on a global table in strong mode. The eventual mode's count shows the
    # proxy sees them.
    with fault_origin(replace(settings, consistency=mode), proxy) as url:
        proxy.received.clear()
        key, body = str(uuid.uuid4()), marked(uuid.uuid4().hex)
        assert create(http, url, body, key).status_code == 201
        assert create(http, url, body, key).status_code == 201
        assert create(http, url, marked(uuid.uuid4().hex), key).status_code == 422
        assert create(http, url, body, None).status_code == 201
    sent = set(proxy.received)
    if mode is Consistency.STRONG:
        assert "TransactWriteItems" not in sent and "PutItem" in sent, sent
    else:
        assert "TransactWriteItems" in sent, sent


@pytest.mark.parametrize("mode", list(Consistency), ids=str)
def test_an_item_dynamodb_refuses_spends_no_key(
    http: httpx.Client, settings: Settings, proxy: FaultProxy, table: Any, mode: Consistency
) -> None:
    # given an item DynamoDB refuses (a value the service let through), after the key's claim
    # went through in strong mode (the eventual mode's one transaction is refused whole)
    with fault_origin(replace(settings, consistency=mode, max_attempts=1), proxy) as url:
        key, marker = str(uuid.uuid4()), uuid.uuid4().hex
        proxy.error = (400, "ValidationException", "One or more parameter values were invalid")
        proxy.spare = 1 if mode is Consistency.STRONG else 0
        proxy.times = 1
        proxy.set(Fault.ERROR)
        try:
            refused = create(http, url, marked(uuid.uuid4().hex), key)
        finally:
            proxy.set(Fault.NONE)
        # then the client hears why, and its key is still free for the corrected body
        assert refused.status_code == 400, refused.text
        corrected = create(http, url, marked(marker), key)
        assert corrected.status_code == 201, corrected.text
        assert "idempotent-replayed" not in corrected.headers
    assert copies(table, settings, marker) == [corrected.json()[contract.PARTITION_KEY]]
