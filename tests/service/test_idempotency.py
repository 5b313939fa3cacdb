"""``Idempotency-Key`` on ``POST /picus/put`` (IETF httpapi draft): a retry with the key gets
the first answer and stores nothing new; the key with another body is 422; concurrent
duplicates store one item; each caller's keys are its own; a key is forgotten after its
time. Through the local origin, on each backend the suite runs on, in each consistency mode:
with a transaction (eventual, and a single Region) and without (strong: service/keyed_put.py)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import boto3
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devkit.asgi import serving
from devkit.fault_proxy import Fault, FaultProxy
from picus import contract
from picus.auth import Scope, ScopePolicy
from picus.errors import ErrorCode
from picus.regions import Consistency
from service.idempotency import idempotent_request
from service.settings import Settings
from tests.auth_origin import auth_origin
from tests.backends import REGION
from tests.fault_origin import fault_origin
from tests.http import JSON, assert_error
from tests.service.test_faults import FAULTS, SPELLINGS, by_value
from tests.stored import keys_marked

#: Every item these tests store carries this, so the table can be searched for their copies.
MARK = "idempotency-test"


def create(
    http: httpx.Client,
    url: str,
    body: bytes,
    key: str | None,
    token: str | None = None,
) -> httpx.Response:
    headers = dict(JSON)
    if key is not None:
        headers[contract.IDEMPOTENCY_KEY_HEADER] = key
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    return http.post(f"{url}{contract.PUT_PATH}", content=body, headers=headers)


def marked(marker: str, extra: str = "") -> bytes:
    return f'{{"{MARK}": "{marker}"{extra}}}'.encode()


@pytest.fixture(scope="module", params=list(Consistency), ids=str)
def mode(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """The suite's settings in one consistency mode: every test here runs in each."""
    return replace(settings, consistency=request.param)


@pytest.fixture(scope="module")
def api_url(mode: Settings) -> Iterator[str]:
    """The local origin (the conftest's), its service in the mode."""
    from delete_fn.handler import handler
    from local.router import LocalAlb
    from service.app import create_app

    with serving(LocalAlb(create_app(mode), handler)) as url:
        yield url


@pytest.fixture(scope="module")
def table(ddb_endpoint: str, settings: Settings) -> Any:
    return boto3.client("dynamodb", region_name=REGION, endpoint_url=ddb_endpoint)


def copies(table: Any, settings: Settings, marker: str) -> list[str]:
    """The keys of every stored item carrying ``marker``."""
    return keys_marked(table, settings.table_name, MARK, marker)


def test_a_retry_gets_the_first_answer_and_stores_nothing_new(
    http: httpx.Client, api_url: str, table: Any, settings: Settings
) -> None:
    marker, key = uuid.uuid4().hex, f'"{uuid.uuid4()}"'
    body = marked(marker, f', "n": [{", ".join(SPELLINGS)}]')
    first = create(http, api_url, body, key)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    for _ in range(3):
        again = create(http, api_url, body, key)
        assert again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["location"] == first.headers["location"]
        assert again.headers["idempotent-replayed"] == "true"
    assert copies(table, settings, marker) == [first.json()[contract.PARTITION_KEY]]


def test_a_key_quoted_or_bare_is_one_key(
    http: httpx.Client, api_url: str, table: Any, settings: Settings
) -> None:
    # The draft's field is a Structured Field string; a bare token names the same key.
    marker, key = uuid.uuid4().hex, str(uuid.uuid4())
    body = marked(marker)
    first = create(http, api_url, body, f'"{key}"')
    second = create(http, api_url, body, key)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert len(copies(table, settings, marker)) == 1


def test_the_key_with_another_body_is_422_and_stores_nothing(
    http: httpx.Client, api_url: str, table: Any, settings: Settings
) -> None:
    marker, key = uuid.uuid4().hex, str(uuid.uuid4())
    assert create(http, api_url, marked(marker), key).status_code == 201
    other = uuid.uuid4().hex
    assert_error(create(http, api_url, marked(other), key), ErrorCode.IDEMPOTENCY_KEY_REUSED)
    assert copies(table, settings, other) == []
    # The first answer stands.
    assert create(http, api_url, marked(marker), key).status_code == 201


def test_without_a_key_each_put_is_a_new_item(
    http: httpx.Client, api_url: str, table: Any, settings: Settings
) -> None:
    marker = uuid.uuid4().hex
    for _ in range(2):
        assert create(http, api_url, marked(marker), None).status_code == 201
    assert len(copies(table, settings, marker)) == 2


def test_concurrent_duplicates_store_one_item(
    http: httpx.Client, api_url: str, table: Any, settings: Settings
) -> None:
    # Whichever arrives first writes; each other one gets the first answer, or 409 while it
    # is being written (DynamoDB cancels one of two transactions on one record). The emulators
    # run transactions one at a time, so here every duplicate is a replay: the 409 itself is
    # tested at the store boundary in DynamoDB's error shape (test_store.py).
    marker, key = uuid.uuid4().hex, str(uuid.uuid4())
    body = marked(marker)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: create(http, api_url, body, key), range(8)))
    created = {a.json()[contract.PARTITION_KEY] for a in answers if a.status_code == 201}
    in_use = [a for a in answers if a.status_code == 409]
    assert len(created) == 1 and len(in_use) + sum(a.status_code == 201 for a in answers) == 8
    for answer in in_use:
        assert_error(answer, ErrorCode.IDEMPOTENCY_KEY_IN_USE)
    assert copies(table, settings, marker) == list(created)


def test_a_late_retry_does_not_bring_back_a_deleted_item(
    http: httpx.Client, api_url: str, table: Any, settings: Settings
) -> None:
    # The record remembers the answer, not the item: deleted since, it stays deleted.
    marker, key = uuid.uuid4().hex, str(uuid.uuid4())
    body = marked(marker)
    first = create(http, api_url, body, key)
    assert http.delete(f"{api_url}{first.headers['location']}").status_code == 200
    again = create(http, api_url, body, key)
    assert (again.status_code, again.json()) == (201, first.json())
    assert http.get(f"{api_url}{first.headers['location']}").status_code == 404
    assert copies(table, settings, marker) == []


def test_a_forgotten_key_creates_anew(
    http: httpx.Client, api_url: str, table: Any, settings: Settings
) -> None:
    # TTL deletes an expired record within days, not at once: until then it must not count.
    marker, key = uuid.uuid4().hex, str(uuid.uuid4())
    body = marked(marker)
    first = create(http, api_url, body, key).json()
    record = idempotent_request(key, None, body).request_key
    table.update_item(
        TableName=settings.idempotency_table_name,
        Key={contract.IDEMPOTENCY_PARTITION_KEY: {"S": record}},
        UpdateExpression="SET #e = :past",
        ExpressionAttributeNames={"#e": contract.IDEMPOTENCY_EXPIRES_AT},
        ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 1)}},
    )
    again = create(http, api_url, body, key)
    assert again.status_code == 201
    assert "idempotent-replayed" not in again.headers
    assert again.json() != first
    assert sorted(copies(table, settings, marker)) == sorted(
        [first[contract.PARTITION_KEY], again.json()[contract.PARTITION_KEY]]
    )


def test_the_record_expires_after_the_documented_period(
    http: httpx.Client, api_url: str, table: Any, settings: Settings
) -> None:
    key, body = str(uuid.uuid4()), marked(uuid.uuid4().hex)
    before = int(time.time())
    create(http, api_url, body, key)
    record = table.get_item(
        TableName=settings.idempotency_table_name,
        Key={
            contract.IDEMPOTENCY_PARTITION_KEY: {
                "S": idempotent_request(key, None, body).request_key
            }
        },
        ConsistentRead=True,
    )["Item"]
    expires = int(record[contract.IDEMPOTENCY_EXPIRES_AT]["N"])
    assert before + contract.IDEMPOTENCY_TTL_SECONDS <= expires
    assert expires <= int(time.time()) + contract.IDEMPOTENCY_TTL_SECONDS
    # The key itself is never stored: a digest of it and of who sent it.
    assert key not in json.dumps(record)


@pytest.fixture(scope="module")
def secured(mode: Settings, issuer: Any) -> Iterator[str]:
    with auth_origin(mode, issuer) as url:
        yield url


def test_each_subjects_keys_are_its_own(
    http: httpx.Client, secured: str, issuer: Any, table: Any, settings: Settings
) -> None:
    write = ScopePolicy().names[Scope.WRITE]
    marker, key = uuid.uuid4().hex, str(uuid.uuid4())
    body = marked(marker)
    alice, bob = (
        create(http, secured, body, key, issuer.mint([write], subject=who))
        for who in ("alice", "bob")
    )
    assert alice.status_code == bob.status_code == 201, (alice.text, bob.text)
    assert alice.json() != bob.json()
    assert len(copies(table, settings, marker)) == 2


def test_a_token_naming_no_subject_cannot_send_a_key(
    http: httpx.Client, secured: str, issuer: Any, table: Any, settings: Settings
) -> None:
    # Its keys would be every such token's: refused, and nothing stored.
    marker = uuid.uuid4().hex
    token = issuer.mint([ScopePolicy().names[Scope.WRITE]], subject="")
    refused = create(http, secured, marked(marker), str(uuid.uuid4()), token)
    assert_error(refused, ErrorCode.INVALID_IDEMPOTENCY_KEY)
    assert copies(table, settings, marker) == []
    # Without a key, the same token creates as before.
    assert create(http, secured, marked(marker), None, token).status_code == 201


@pytest.fixture(scope="module")
def faulty_api(mode: Settings, proxy: FaultProxy) -> Iterator[str]:
    with fault_origin(mode, proxy) as url:
        yield url


def test_a_put_whose_answer_was_lost_is_retried_safely_with_its_key(
    http: httpx.Client, faulty_api: str, proxy: FaultProxy, table: Any, settings: Settings
) -> None:
    # The reset hits after DynamoDB wrote the transaction. Whatever the client then got (a
    # 201 from botocore's own retry, or a 503), the same request with the same key answers
    # the one item, with numbers of every spelling.
    marker, key = uuid.uuid4().hex, str(uuid.uuid4())
    body = marked(marker, f', "n": [{", ".join(SPELLINGS)}]')
    proxy.set(Fault.RESET)
    try:
        first = create(http, faulty_api, body, key)
    finally:
        proxy.set(Fault.NONE)
    if first.status_code == 503:
        error = first.json()["error"]
        assert "Idempotency-Key" in error["message"]
        assert contract.PARTITION_KEY not in error
    retried = create(http, faulty_api, body, key)
    assert retried.status_code == 201, retried.text
    if first.status_code == 201:
        assert retried.json() == first.json()
    stored = copies(table, settings, marker)
    assert stored == [retried.json()[contract.PARTITION_KEY]]
    got = http.get(f"{faulty_api}{retried.headers['location']}")
    assert by_value(got.text)["payload"] == by_value(body.decode())


@pytest.mark.parametrize("fault", FAULTS, ids=[f.value for f in FAULTS])
def test_a_keyed_put_under_a_fault_is_stored_once_by_its_retry(
    http: httpx.Client,
    faulty_api: str,
    proxy: FaultProxy,
    table: Any,
    settings: Settings,
    fault: Fault,
) -> None:
    # Whichever of its writes the fault hit (both, under strong consistency, being two), the
    # put is a 503 that says to retry, or a 201; the retry once the table is back answers
    # the one item.
    marker, key = uuid.uuid4().hex, str(uuid.uuid4())
    body = marked(marker)
    proxy.set(fault)
    try:
        during = create(http, faulty_api, body, key)
    finally:
        proxy.set(Fault.NONE)
    assert during.status_code in (201, 503), during.text
    if during.status_code == 503:
        assert "Idempotency-Key" in during.json()["error"]["message"]
    retried = create(http, faulty_api, body, key)
    assert retried.status_code == 201, retried.text
    if during.status_code == 201:
        assert retried.json() == during.json()
    assert copies(table, settings, marker) == [retried.json()[contract.PARTITION_KEY]]


_KEYS = st.one_of(
    st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters='",'),
        min_size=1,
        max_size=40,
    ),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40).map(
        lambda k: '"' + k.replace("\\", "\\\\").replace('"', '\\"') + '"'
    ),
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(key=_KEYS, bodies=st.lists(st.sampled_from(["a", "b"]), min_size=1, max_size=4))
def test_any_key_answers_every_request_like_the_first_with_that_body(
    http: httpx.Client,
    api_url: str,
    table: Any,
    settings: Settings,
    key: str,
    bodies: list[str],
) -> None:
    # Whatever the key's spelling: 400 for a key the draft does not allow, else the first
    # request's answer for each request with its body, 422 for any other body; one item.
    marker = uuid.uuid4().hex
    key = f"{key[:-1]}{marker[:8]}{key[-1]}" if key.startswith('"') else f"{key}{marker[:8]}"
    answers = [create(http, api_url, marked(marker, f', "b": "{b}"'), key) for b in bodies]
    if answers[0].status_code == 400:
        assert all(a.json()["error"]["code"] == "invalid_idempotency_key" for a in answers)
        assert copies(table, settings, marker) == []
        return
    first = answers[0]
    assert first.status_code == 201, first.text
    for body, answer in zip(bodies, answers, strict=True):
        if body == bodies[0]:
            assert (answer.status_code, answer.json()) == (201, first.json())
        else:
            assert_error(answer, ErrorCode.IDEMPOTENCY_KEY_REUSED)
    assert copies(table, settings, marker) == [first.json()[contract.PARTITION_KEY]]
