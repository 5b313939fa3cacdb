"""The client against a scripted API (httpx.MockTransport): what it sends, when it sends it
again, and what each answer becomes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from client import (
    NEVER,
    AsyncPicusClient,
    InsecureTransport,
    PicusClient,
    RetryPolicy,
    Unreachable,
    errors,
)
from client.retry import retry_after
from picus import alb
from picus.contract import IDEMPOTENCY_KEY_HEADER, item_url
from picus.errors import ErrorCode, error_json

KEY = "2f897e49-a179-4160-8056-d96c51aab199"
ITEM = {"object_id": KEY, "created_at": "2025-01-02T03:04:05.678Z", "payload": {"n": 1}}
BASE = "https://api.test"

#: One scripted answer: a response, or an exception the transport raises (no answer).
Step = httpx.Response | Exception


def error(code: ErrorCode, **headers: str) -> httpx.Response:
    return httpx.Response(
        code.status,
        content=error_json(code, "scripted", "req-1"),
        headers={"content-type": "application/json", **headers},
    )


def page(items: list[dict[str, Any]], cursor: str | None) -> httpx.Response:
    return httpx.Response(200, json={"items": items, "next_cursor": cursor})


@dataclass
class Api:
    """Answers each request with the next step; records what was sent and every sleep."""

    steps: list[Step]
    sent: list[httpx.Request] = field(default_factory=list)
    slept: list[float] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        # A copy: a retry sends the same request again, its Authorization set anew.
        self.sent.append(
            httpx.Request(
                request.method, request.url, headers=request.headers, content=request.content
            )
        )
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    def client(self, **options: Any) -> PicusClient:
        options.setdefault("retries", RetryPolicy(jitter=False))
        return PicusClient(
            BASE, transport=httpx.MockTransport(self.handle), sleep=self.slept.append, **options
        )

    def async_client(self, **options: Any) -> AsyncPicusClient:
        async def handle(request: httpx.Request) -> httpx.Response:
            await request.aread()
            return self.handle(request)

        async def sleep(seconds: float) -> None:
            self.slept.append(seconds)

        options.setdefault("retries", RetryPolicy(jitter=False))
        return AsyncPicusClient(BASE, transport=httpx.MockTransport(handle), sleep=sleep, **options)

    def keys(self) -> list[str | None]:
        return [r.headers.get(IDEMPOTENCY_KEY_HEADER) for r in self.sent]


# --- Retries ----------------------------------------------------------------------------------


def test_a_put_retried_after_a_503_waits_its_retry_after_and_sends_the_same_key() -> None:
    api = Api(
        [
            error(ErrorCode.BACKEND_UNAVAILABLE, **{"retry-after": "2"}),
            httpx.ConnectError("refused"),
            httpx.Response(201, json={"object_id": KEY}, headers={"location": item_url(KEY)}),
        ]
    )
    with api.client() as client:
        created = client.put({"n": 1})
    assert created.object_id == KEY and created.location == f"/picus/{KEY}"
    # The 503's Retry-After, then the backoff after no answer (the first attempt's, doubled once).
    assert api.slept == [2.0, 0.5]
    (key,) = set(api.keys())
    assert key is not None and key.startswith('"') and len(key) == 38  # a quoted uuid4
    assert [json.loads(r.content) for r in api.sent] == [{"n": 1}] * 3


def test_a_key_the_caller_gives_is_sent_as_a_structured_string() -> None:
    api = Api([httpx.Response(201, json={"object_id": KEY})])
    with api.client() as client:
        created = client.put({"n": 1}, idempotency_key='order "7"')
    assert api.keys() == ['"order \\"7\\""']
    # No Location: the item's one URL, built from the contract.
    assert created.location == item_url(KEY)
    with pytest.raises(ValueError, match="printable ASCII"):
        client.put({}, idempotency_key="é")


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after(format_datetime(now + timedelta(seconds=7), usegmt=True), now) == 7.0
    assert retry_after(format_datetime(now - timedelta(seconds=7), usegmt=True), now) == 0.0
    assert retry_after("3", now) == 3.0
    assert retry_after("soon", now) is None
    assert retry_after(None, now) is None

    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    api = Api([httpx.Response(429, headers={"retry-after": later}), page([], None)])
    with api.client() as client:
        assert list(client.iter_items()) == []
    (waited,) = api.slept
    assert 28 <= waited <= 30


def test_a_post_without_its_key_is_never_sent_twice() -> None:
    # The raw helper sends what it is given: a POST without a key may be written twice if sent
    # twice, so neither a 503 nor a lost answer sends it again.
    api = Api([error(ErrorCode.BACKEND_UNAVAILABLE, **{"retry-after": "1"})])
    with api.client() as client:
        answered = client.request("POST", "/picus/put", json={"n": 1})
    assert answered.status_code == 503 and len(api.sent) == 1 and api.slept == []

    api = Api([httpx.ReadTimeout("timed out")])
    with api.client() as client, pytest.raises(Unreachable, match=r"POST .*/picus/put: timed out"):
        client.request("POST", "/picus/put", json={"n": 1})
    assert len(api.sent) == 1

    # With its key, the same POST is sent again.
    api = Api([httpx.ReadTimeout("timed out"), httpx.Response(201, json={"object_id": KEY})])
    with api.client() as client:
        headers = {IDEMPOTENCY_KEY_HEADER: '"k"'}
        answered = client.request("POST", "/picus/put", json={"n": 1}, headers=headers)
    assert answered.status_code == 201 and api.keys() == ['"k"', '"k"']


def test_attempts_are_bounded_and_the_last_answer_is_raised() -> None:
    api = Api([error(ErrorCode.BACKEND_UNAVAILABLE, **{"retry-after": "1"})] * 3)
    policy = RetryPolicy(attempts=3)
    with api.client(retries=policy) as client, pytest.raises(errors.ServiceUnavailable) as raised:
        client.get(KEY)
    assert len(api.sent) == 3 and api.slept == [1.0, 1.0]
    assert raised.value.retry_after == 1.0 and raised.value.request_id == "req-1"


def test_no_answer_backs_off_doubling_up_to_its_ceiling_then_is_unreachable() -> None:
    api = Api([httpx.ConnectError("refused")] * 5)
    policy = RetryPolicy(attempts=5, backoff_s=1, max_backoff_s=3, jitter=False)
    with api.client(retries=policy) as client, pytest.raises(Unreachable) as raised:
        client.delete(KEY)
    assert api.slept == [1, 2, 3, 3]
    assert str(raised.value) == f"DELETE {BASE}/picus/{KEY}: refused (5 attempts)"


def test_jitter_waits_at_most_the_backoff() -> None:
    policy = RetryPolicy(backoff_s=1, max_backoff_s=4)
    assert all(
        0 <= policy.backoff(n) <= min(4, 2 ** (n - 1)) for n in range(1, 8) for _ in range(20)
    )


def test_a_retry_after_longer_than_the_policy_allows_is_raised_not_slept() -> None:
    api = Api([error(ErrorCode.BACKEND_UNAVAILABLE, **{"retry-after": "3600"})])
    with api.client() as client, pytest.raises(errors.ServiceUnavailable) as raised:
        client.get(KEY)
    assert api.slept == [] and raised.value.retry_after == 3600.0


def test_a_put_whose_key_is_in_use_is_retried_and_one_reused_is_not() -> None:
    created = httpx.Response(201, json={"object_id": KEY})
    api = Api([error(ErrorCode.IDEMPOTENCY_KEY_IN_USE), created])
    with api.client() as client:
        assert client.put({"n": 1}).object_id == KEY
    assert len(api.sent) == 2 and len(set(api.keys())) == 1

    api = Api([error(ErrorCode.IDEMPOTENCY_KEY_REUSED)])
    with api.client() as client, pytest.raises(errors.IdempotencyKeyReused):
        client.put({"n": 2}, idempotency_key="k")
    assert len(api.sent) == 1


def test_replace_and_delete_are_retried_with_their_preconditions() -> None:
    replaced = httpx.Response(200, json={**ITEM, "updated_at": ITEM["created_at"]})
    api = Api([error(ErrorCode.BACKEND_UNAVAILABLE), replaced])
    with api.client() as client:
        item = client.replace(KEY, {"n": 2}, if_match='"r1"')
    assert item.updated_at == item.created_at
    assert [(r.method, r.headers["if-match"]) for r in api.sent] == [("PUT", '"r1"')] * 2


def test_a_write_retried_after_no_answer_and_told_its_version_is_gone_may_have_landed() -> None:
    # The first replace may have reached the table before its answer was lost: the 412 of its
    # retry would then be its own doing, and the error says so. Without a lost attempt, a 412
    # is only a 412.
    etag = '"r1"'
    retried = Api([httpx.ReadTimeout("lost"), error(ErrorCode.PRECONDITION_FAILED)])
    with retried.client() as api, pytest.raises(errors.PreconditionFailed) as raised:
        api.replace(KEY, {"n": 2}, if_match=etag)
    assert raised.value.maybe_applied_before
    deleted = Api([error(ErrorCode.BACKEND_UNAVAILABLE), error(ErrorCode.NOT_FOUND)])
    with deleted.client() as api, pytest.raises(errors.NotFound) as gone:
        api.delete(KEY)
    assert gone.value.maybe_applied_before
    plain = Api([error(ErrorCode.PRECONDITION_FAILED)])
    with plain.client() as api, pytest.raises(errors.PreconditionFailed) as once:
        api.delete(KEY, if_match=etag)
    assert not once.value.maybe_applied_before
    # A read is never "applied": its 404 after a lost attempt is the item's absence.
    read = Api([httpx.ReadTimeout("lost"), error(ErrorCode.NOT_FOUND)])
    with read.client() as api, pytest.raises(errors.NotFound) as missing:
        api.get(KEY)
    assert not missing.value.maybe_applied_before


def test_never_sends_once() -> None:
    api = Api([httpx.ConnectError("refused")])
    with api.client(retries=NEVER) as client, pytest.raises(Unreachable):
        client.get(KEY)
    assert len(api.sent) == 1


# --- The token hook ---------------------------------------------------------------------------


def tokens() -> Callable[[], str]:
    issued = iter(f"token-{n}" for n in range(1, 10))
    return lambda: next(issued)


def test_the_token_hook_is_called_for_every_attempt() -> None:
    api = Api([error(ErrorCode.BACKEND_UNAVAILABLE), httpx.Response(200, json=ITEM)])
    with api.client(token=tokens()) as client:
        client.get(KEY)
    assert [r.headers["authorization"] for r in api.sent] == ["Bearer token-1", "Bearer token-2"]


def test_a_token_never_goes_over_plain_http_except_to_this_machine() -> None:
    api = Api([httpx.Response(200, json=ITEM)])
    with (
        PicusClient(
            "http://api.test", token=lambda: "t", transport=httpx.MockTransport(api.handle)
        ) as client,
        pytest.raises(InsecureTransport),
    ):
        client.get(KEY)
    assert api.sent == []
    with PicusClient(
        "http://127.0.0.1:8000", token=lambda: "t", transport=httpx.MockTransport(api.handle)
    ) as client:
        client.get(KEY)
    assert api.sent[0].headers["authorization"] == "Bearer t"


def test_the_async_client_awaits_its_token_hook_per_attempt_and_retries_the_same() -> None:
    api = Api(
        [
            error(ErrorCode.BACKEND_UNAVAILABLE, **{"retry-after": "1"}),
            httpx.Response(201, json={"object_id": KEY}),
            page([ITEM], "c1"),
            httpx.ReadTimeout("timed out"),
            page([ITEM], None),
        ]
    )
    issued = tokens()

    async def token() -> str:
        return issued()

    async def run() -> list[str]:
        async with api.async_client(token=token) as client:
            await client.put({"n": 1})
            return [item.object_id async for item in client.iter_items(limit=1)]

    assert asyncio.run(run()) == [KEY, KEY]
    assert [r.headers["authorization"] for r in api.sent] == [
        f"Bearer token-{n}" for n in range(1, 6)
    ]
    assert api.slept == [1.0, 0.25]
    assert len(set(api.keys()[:2])) == 1
    assert [r.url.params.get("cursor") for r in api.sent[2:]] == [None, "c1", "c1"]


# --- Answers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", list(ErrorCode), ids=lambda c: c.code)
def test_every_error_code_is_its_own_typed_error(code: ErrorCode) -> None:
    api = Api([error(code)])
    with api.client(retries=NEVER) as client, pytest.raises(errors.ApiError) as raised:
        client.get(KEY)
    assert type(raised.value) is errors.BY_CODE[code]
    assert raised.value.code is code and raised.value.status == code.status
    assert raised.value.message == "scripted" and raised.value.request_id == "req-1"


def test_a_missing_item_and_a_wrong_path_are_told_apart() -> None:
    assert not issubclass(errors.NoSuchRoute, errors.NotFound)
    assert not issubclass(errors.NotFound, errors.NoSuchRoute)
    api = Api([error(ErrorCode.NOT_FOUND), error(ErrorCode.NO_ROUTE)])
    with api.client() as client:
        with pytest.raises(errors.NotFound):
            client.get(KEY)
        with pytest.raises(errors.NoSuchRoute):
            client.delete(KEY)


@pytest.mark.parametrize(
    ("status", "raised"),
    [
        (401, errors.Unauthorized),
        (403, errors.Forbidden),
        (413, errors.PayloadTooLarge),
        (502, errors.BadGateway),
    ],
)
def test_the_load_balancers_own_pages_are_typed_errors(
    status: int, raised: type[errors.ApiError]
) -> None:
    page_answer = httpx.Response(
        status,
        content=alb.error_page(status),
        headers={"content-type": alb.CONTENT_TYPE, "server": alb.SERVER},
    )
    api = Api([page_answer])
    with api.client() as client, pytest.raises(raised) as caught:
        client.get(KEY)
    assert type(caught.value) is raised and caught.value.code is None
    assert caught.value.message == alb.PHRASES[status]


def test_a_put_s_503_names_the_key_it_may_have_used() -> None:
    body = json.loads(error_json(ErrorCode.BACKEND_UNAVAILABLE, "later", "r", {"object_id": KEY}))
    api = Api([httpx.Response(503, json=body)])
    with api.client(retries=NEVER) as client, pytest.raises(errors.ServiceUnavailable) as raised:
        client.put({"n": 1})
    assert raised.value.details == {"object_id": KEY}


def test_get_reads_the_item_and_its_etag_and_a_304_is_none() -> None:
    api = Api([httpx.Response(200, json=ITEM, headers={"etag": '"r1"'}), httpx.Response(304)])
    with api.client() as client:
        item = client.get(KEY)
        assert item.etag == '"r1"' and item.payload == {"n": 1} and item.updated_at is None
        assert item.created_at == datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
        assert client.get(KEY, if_none_match='"r1"') is None
    assert [r.url.path for r in api.sent] == [f"/picus/{KEY}"] * 2
    assert api.sent[1].headers["if-none-match"] == '"r1"'


def test_replace_without_a_fresh_etag_and_delete_of_a_changed_item_are_typed() -> None:
    api = Api(
        [
            error(ErrorCode.PRECONDITION_REQUIRED),
            error(ErrorCode.PRECONDITION_FAILED),
            error(ErrorCode.PRECONDITION_FAILED),
            httpx.Response(200, json={"deleted": KEY}),
        ]
    )
    with api.client() as client:
        with pytest.raises(errors.PreconditionRequired):
            client.replace(KEY, {"n": 2}, if_match="*")
        with pytest.raises(errors.PreconditionFailed):
            client.replace(KEY, {"n": 2}, if_match='"old"')
        with pytest.raises(errors.PreconditionFailed):
            client.delete(KEY, if_match='"old"')
        assert client.delete(KEY) == KEY
    assert [r.headers.get("if-match") for r in api.sent] == ["*", '"old"', '"old"', None]


def test_iter_items_follows_next_cursor_to_the_end() -> None:
    other = {**ITEM, "object_id": "3f897e49-a179-4160-8056-d96c51aab199"}
    api = Api([page([ITEM], "c1"), page([], "c2"), page([other], None)])
    with api.client() as client:
        keys = [item.object_id for item in client.iter_items(limit=1)]
    assert keys == [KEY, other["object_id"]]
    assert [dict(r.url.params) for r in api.sent] == [
        {"limit": "1"},
        {"limit": "1", "cursor": "c1"},
        {"limit": "1", "cursor": "c2"},
    ]


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(307, headers={"location": "http://elsewhere.test/steal"}),
        httpx.Response(200, json=["not", "an", "object"]),
        httpx.Response(200, json={"object_id": KEY}),
        httpx.Response(200, text="<html>"),
    ],
)
def test_an_answer_the_document_does_not_describe_is_unexpected(answer: httpx.Response) -> None:
    api = Api([answer])
    with api.client() as client, pytest.raises(errors.UnexpectedResponse):
        client.get(KEY)
    assert len(api.sent) == 1  # a redirect is never followed


@pytest.mark.parametrize("key", ["../put", "list", KEY.upper(), ""])
def test_a_key_the_api_never_hands_out_is_refused_before_sending(key: str) -> None:
    api = Api([])
    with api.client() as client, pytest.raises(ValueError, match="not a key"):
        client.delete(key)
    assert api.sent == []


# --- Where the client stands ------------------------------------------------------------------


def _imports(folder: str) -> set[str]:
    import ast

    from devkit import ROOT

    found: set[str] = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return found


def test_the_client_stands_on_picus_alone_and_nothing_deployed_imports_it() -> None:
    # ARCHITECTURE: the top floor, beside deploy/; a consumer installs httpx and picus/ only.
    project = {"service", "delete_fn", "components", "local", "devkit", "deploy", "bench"}
    assert _imports("client") & project == set()
    assert {"httpx", "picus"} <= _imports("client")
    for deployed in ("service", "delete_fn", "components", "picus"):
        assert "client" not in _imports(deployed), deployed
