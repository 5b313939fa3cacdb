"""The client against the real local origin (the service and the function routed as by the
load balancer, over HTTP, on the test DynamoDB), with auth off and on; every call it makes is
an operation of the document that origin serves; the client page's example runs as written."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from client import (
    AsyncPicusClient,
    IdempotencyKeyReused,
    NoSuchRoute,
    NotFound,
    PicusClient,
    PreconditionFailed,
    PreconditionRequired,
    Unauthorized,
    errors,
    operations,
)
from docsite.pages import CLIENT
from picus import contract
from picus.auth import DEFAULT_SCOPE_NAMES, Scope
from tests.auth_origin import auth_origin

if TYPE_CHECKING:
    from local.auth import LocalIssuer
    from service.settings import Settings

pytestmark = pytest.mark.ddb

KEY = "2f897e49-a179-4160-8056-d96c51aab199"
READ, WRITE, DELETE = (DEFAULT_SCOPE_NAMES[s] for s in (Scope.READ, Scope.WRITE, Scope.DELETE))


@pytest.fixture
def api(api_url: str) -> Iterator[PicusClient]:
    with PicusClient(api_url) as client:
        yield client


def test_an_item_s_life_through_the_client(api: PicusClient) -> None:
    payload = {"name": "picus", "n": 0.5, "nested": {"ok": True, "list": [1, "two"]}}
    created = api.put(payload)
    assert created.location == contract.item_url(created.object_id)

    item = api.get(created.object_id)
    assert item.payload == payload and item.updated_at is None
    assert item.etag is not None and item.etag.startswith('"')
    assert api.get(created.object_id, if_none_match=item.etag) is None

    replaced = api.replace(created.object_id, {"n": 2}, if_match=item.etag)
    assert replaced.payload == {"n": 2} and replaced.created_at == item.created_at
    assert replaced.updated_at is not None and replaced.etag not in (None, item.etag)
    assert api.get(created.object_id, if_none_match=item.etag) == replaced

    with pytest.raises(PreconditionFailed):
        api.replace(created.object_id, {"n": 3}, if_match=item.etag)
    without = api.request("PUT", contract.item_url(created.object_id), json={"n": 3})
    assert type(errors.from_response(without)) is PreconditionRequired
    with pytest.raises(PreconditionFailed):
        api.delete(created.object_id, if_match=item.etag)

    assert replaced.etag is not None
    assert api.delete(created.object_id, if_match=replaced.etag) == created.object_id
    with pytest.raises(NotFound):
        api.get(created.object_id)
    with pytest.raises(PreconditionFailed):  # If-Match on an item that is gone (RFC 9110, 13.1.1)
        api.delete(created.object_id, if_match=replaced.etag)
    with pytest.raises(NotFound):
        api.delete(created.object_id)


def test_a_wrong_path_is_no_such_route_never_a_missing_item(api: PicusClient) -> None:
    answer = api.request("GET", "/picus/gte/" + KEY)
    assert type(errors.from_response(answer)) is NoSuchRoute


def test_a_retried_put_is_one_item_and_a_key_reused_for_another_body_is_refused(
    api: PicusClient,
) -> None:
    key = str(uuid.uuid4())
    first = api.put({"order": 7}, idempotency_key=key)
    again = api.put({"order": 7}, idempotency_key=key)
    assert again.object_id == first.object_id
    with pytest.raises(IdempotencyKeyReused):
        api.put({"order": 8}, idempotency_key=key)
    api.delete(first.object_id)


def test_iter_items_walks_every_page(api: PicusClient) -> None:
    written = {api.put({"page": n}).object_id for n in range(3)}
    seen = [item.object_id for item in api.iter_items(limit=1)]
    assert written <= set(seen) and len(seen) == len(set(seen))
    for key in written:
        api.delete(key)


def test_the_async_client_does_the_same(api_url: str) -> None:
    async def run() -> None:
        async with AsyncPicusClient(api_url) as client:
            created = await client.put({"async": True})
            item = await client.get(created.object_id)
            assert item.payload == {"async": True} and item.etag is not None
            assert await client.get(created.object_id, if_none_match=item.etag) is None
            replaced = await client.replace(created.object_id, {"async": 2}, if_match=item.etag)
            keys = [i.object_id async for i in client.iter_items(limit=2)]
            assert created.object_id in keys
            assert replaced.etag is not None
            await client.delete(created.object_id, if_match=replaced.etag)
            with pytest.raises(NotFound):
                await client.get(created.object_id)

    asyncio.run(run())


def test_with_auth_on_the_token_hook_is_asked_for_every_call(
    settings: Settings, issuer: LocalIssuer
) -> None:
    asked: list[str] = []

    def token() -> str:
        asked.append("token")
        return issuer.mint([READ, WRITE, DELETE], subject="client-test")

    with auth_origin(settings, issuer) as url:
        with PicusClient(url) as anonymous, pytest.raises(Unauthorized) as refused:
            anonymous.get(KEY)
        assert refused.value.code is None  # the load balancer's page, not the API's JSON
        with PicusClient(url, token=token) as api:
            created = api.put({"auth": True})
            assert api.get(created.object_id).payload == {"auth": True}
            api.delete(created.object_id)
        assert len(asked) == 3
        # The load balancer checks each rule's scope itself: a reader's put is its 401 too.
        with PicusClient(url, token=lambda: issuer.mint([READ])) as reader:
            with pytest.raises(Unauthorized):
                reader.put({"auth": False})
            with pytest.raises(NotFound):  # and its read passes, to find the item gone
                reader.get(created.object_id)


# --- The document -----------------------------------------------------------------------------


def every_call() -> list[operations.Call[Any]]:
    """Every request the client's operations make, each option set."""
    return [
        operations.put({"n": 1}),
        operations.get(KEY),
        operations.get(KEY, '"r"'),
        operations.replace(KEY, {"n": 1}, '"r"'),
        operations.delete(KEY),
        operations.delete(KEY, '"r"'),
        operations.page(),
        operations.page(10, "c"),
    ]


def test_every_call_the_client_makes_is_an_operation_of_the_served_document(
    api_url: str,
) -> None:
    document = httpx.get(f"{api_url}{contract.OPENAPI_PATH}").json()
    for call in every_call():
        operation = document["paths"].get(call.template, {}).get(call.method.lower())
        assert operation is not None, f"{call.method} {call.template} is not in the document"
        # Each success it reads is one the operation declares.
        for status in call.ok:
            assert str(status) in operation["responses"], f"{call.method} {call.template} {status}"
        # Each header it sends is a parameter the operation declares.
        declared = {
            p["name"].lower()
            for p in operation.get("parameters", [])
            if isinstance(p, dict) and p.get("in") == "header"
        }
        for name in call.headers.keys() - {"content-type"}:
            assert name in declared, f"{call.method} {call.template} does not declare {name}"
        for name in call.params:
            assert any(p.get("name") == name for p in operation.get("parameters", [])), (
                f"{call.method} {call.template} does not declare ?{name}"
            )


def test_the_readme_example_runs(api_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    section = CLIENT.read_text()
    blocks = [b.split("\n", 1)[1] for b in section.split("```")[1::2] if b.startswith("python")]
    assert blocks, "the client page has a python example"
    monkeypatch.setenv("PICUS_URL", api_url)
    exec(compile(blocks[0], "docs/client.md", "exec"), {"__name__": "readme"})
