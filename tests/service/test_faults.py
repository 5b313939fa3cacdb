"""The API under DynamoDB faults: a fast 503 or the right answer, recovery without restart,
and nothing acknowledged lost. A fault-injecting proxy sits in front of a real DynamoDB."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from decimal import Decimal
from typing import Any

import boto3
import httpx
import pytest

from client.retry import DEFAULT_RETRIES, wait_after_answer
from devkit.fault_proxy import Fault, FaultProxy
from picus.contract import IDEMPOTENCY_KEY_HEADER, PARTITION_KEY, PUT_PATH, item_url
from picus.errors import REPLICATED_WRITE_CONFLICT, ErrorCode
from picus.regions import Consistency
from service.settings import Settings
from tests.backends import REGION
from tests.fault_origin import fault_origin
from tests.http import assert_error, put
from tests.stored import keys_marked

JSON = {"content-type": "application/json"}
FAULTS = [f for f in Fault if f not in (Fault.NONE, Fault.ERROR)]
#: One value in several spellings, and spellings DynamoDB rewrites: exponents, zeros either
#: side, a negative zero, the ends of the range.
SPELLINGS = [
    "1",
    "1.0",
    "1E+0",
    "10e-1",
    "100",
    "1E+2",
    "1e2",
    "0.00100",
    "-0.0",
    "1e-130",
    "12345678901234567890.000",
    "9.90E125",
    "-1.5e-3",
]


def by_value(text: str) -> Any:
    """The JSON text's value, each number as its exact decimal value."""
    return json.loads(text, parse_float=Decimal, parse_int=Decimal)


@pytest.fixture(scope="module")
def faulty_api(settings: Settings, proxy: FaultProxy) -> Iterator[str]:
    with fault_origin(settings, proxy) as url:
        yield url


@pytest.fixture(autouse=True)
def healthy_after(proxy: FaultProxy) -> Iterator[None]:
    yield
    proxy.set(Fault.NONE)


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "1"
    assert response.json()["error"]["code"] == ErrorCode.BACKEND_UNAVAILABLE.code


@pytest.mark.parametrize("fault", FAULTS, ids=[f.value for f in FAULTS])
def test_a_fault_is_a_bounded_503_and_recovery_needs_no_restart(
    http: httpx.Client, faulty_api: str, proxy: FaultProxy, settings: Settings, fault: Fault
) -> None:
    # given an item stored while the table is healthy
    existing = put(http, faulty_api, {"before": True}).json()[PARTITION_KEY]
    doomed = put(http, faulty_api, {"doomed": True}).json()[PARTITION_KEY]

    # when the table fails
    proxy.set(fault)
    payloads = [{"during": str(fault), "i": i} for i in range(3)]
    requests: list[tuple[str, Any]] = [
        *(("put", p) for p in payloads),
        ("get", existing),
        ("list", None),
        ("delete", doomed),
    ]

    def send(request: tuple[str, Any]) -> tuple[float, httpx.Response]:
        kind, arg = request
        started = time.monotonic()
        if kind == "put":
            response = put(http, faulty_api, arg)
        elif kind == "get":
            response = http.get(f"{faulty_api}/picus/get/{arg}")
        elif kind == "list":
            response = http.get(f"{faulty_api}/picus/list")
        else:
            response = http.delete(f"{faulty_api}/picus/{arg}")
        return time.monotonic() - started, response

    with ThreadPoolExecutor(len(requests)) as pool:
        outcomes = list(pool.map(send, requests))
        # /health never depends on the table
        assert http.get(f"{faulty_api}/health").status_code == 200

    # then every request ends fast, with a 503 or the correct answer
    budget = Settings().store_deadline + 2.0  # the client side of a loaded machine
    lambda_budget = 2 * (1 + 2) + 1.5  # two attempts of connect + read, with backoff
    for (kind, _), (elapsed, response) in zip(requests, outcomes, strict=True):
        assert elapsed < (lambda_budget if kind == "delete" else budget), (kind, elapsed)
        if response.status_code == 503:
            assert_unavailable(response)
        else:
            expected = {"put": 201, "get": 200, "list": 200, "delete": 200}[kind]
            assert response.status_code == expected, (kind, response.text)
    if fault is not Fault.RESET:
        # These faults answer before the table is touched: every call fails.
        assert all(r.status_code == 503 for _, r in outcomes), fault

    # and once the fault clears, the same process serves again
    proxy.set(Fault.NONE)
    after = put(http, faulty_api, {"after": str(fault)})
    assert after.status_code == 201
    assert http.get(f"{faulty_api}/picus/get/{after.json()[PARTITION_KEY]}").status_code == 200

    # and nothing acknowledged is lost; an unacknowledged put is absent or readable in full
    for payload, (_, response) in zip(payloads, outcomes[: len(payloads)], strict=True):
        if response.status_code == 201:
            key = response.json()[PARTITION_KEY]
            assert http.get(f"{faulty_api}/picus/get/{key}").json()["payload"] == payload
        else:
            key = response.json()["error"][PARTITION_KEY]
            later = http.get(f"{faulty_api}/picus/get/{key}")
            assert later.status_code in (200, 404)
            if later.status_code == 200:
                assert later.json()["payload"] == payload
    delete = outcomes[-1][1]
    get_doomed = http.get(f"{faulty_api}/picus/get/{doomed}")
    assert get_doomed.status_code == (404 if delete.status_code == 200 else get_doomed.status_code)


def test_a_slow_table_within_the_timeout_is_just_slow(
    http: httpx.Client, faulty_api: str, proxy: FaultProxy, settings: Settings
) -> None:
    proxy.delay = Settings().read_timeout / 4
    proxy.set(Fault.SLOW)
    response = put(http, faulty_api, {"slow": True})
    assert response.status_code == 201
    proxy.delay = 3.0


def test_a_put_lost_in_transit_is_not_stored_twice(
    http: httpx.Client, faulty_api: str, proxy: FaultProxy, ddb_endpoint: str, settings: Settings
) -> None:
    # The reset hits after DynamoDB wrote the item; botocore's retry then finds that item,
    # recognised as its own write whatever the spelling its numbers came back in.
    marker = uuid.uuid4().hex
    body = f'{{"marker": "{marker}", "n": [{", ".join(SPELLINGS)}], "m": {{"x": 1.50}}}}'
    proxy.set(Fault.RESET)
    response = put(http, faulty_api, body.encode())
    proxy.set(Fault.NONE)
    key = (
        response.json()[PARTITION_KEY]
        if response.status_code == 201
        else response.json()["error"][PARTITION_KEY]
    )
    got = http.get(f"{faulty_api}/picus/get/{key}")
    assert by_value(got.text)["payload"] == by_value(body)
    table = boto3.client("dynamodb", region_name=REGION, endpoint_url=ddb_endpoint)
    listed = keys_marked(table, settings.table_name, "marker", marker)
    assert listed == [key]


@pytest.mark.parametrize("mode", list(Consistency), ids=str)
def test_a_write_another_region_is_making_is_an_answer_the_client_retries(
    http: httpx.Client, settings: Settings, proxy: FaultProxy, ddb_endpoint: str, mode: Consistency
) -> None:
    # Strong consistency refuses a write to an item another Region is writing at the same
    # moment, retryable (ReplicatedWriteConflictException). botocore retries it itself, as it
    # is modelled retryable, within its attempts: one attempt here, so what the service does
    # with what is left is seen at once.
    with fault_origin(replace(settings, consistency=mode, max_attempts=1), proxy) as url:
        existing = put(http, url, {"before": True}).json()[PARTITION_KEY]
        etag = http.get(f"{url}{item_url(existing)}").headers["etag"]
        marker, key = uuid.uuid4().hex, str(uuid.uuid4())
        body = f'{{"marker": "{marker}"}}'.encode()
        keyed_put = {**JSON, IDEMPOTENCY_KEY_HEADER: key}
        proxy.error = (400, REPLICATED_WRITE_CONFLICT, "being modified in another Region")
        proxy.set(Fault.ERROR)
        try:
            keyed = http.post(f"{url}{PUT_PATH}", content=body, headers=keyed_put)
            keyless = put(http, url, {"keyless": True})
            replaced = http.put(
                f"{url}{item_url(existing)}", json={"after": True}, headers={"if-match": etag}
            )
        finally:
            proxy.set(Fault.NONE)
        # then a put with its key hears that its twin is in progress (the draft's 409), any
        # other write that the table is unavailable for now; the client sends each again
        assert_error(keyed, ErrorCode.IDEMPOTENCY_KEY_IN_USE)
        assert_unavailable(keyless)
        assert_unavailable(replaced)
        for answer in (keyed, replaced):
            assert wait_after_answer(DEFAULT_RETRIES, 1, answer.request, answer) is not None
        # and the keyed put's retry, once the other Region is done, stores its item once
        retried = http.post(f"{url}{PUT_PATH}", content=body, headers=keyed_put)
        assert retried.status_code == 201, retried.text
    table = boto3.client("dynamodb", region_name=REGION, endpoint_url=ddb_endpoint)
    assert keys_marked(table, settings.table_name, "marker", marker) == [
        retried.json()[PARTITION_KEY]
    ]
