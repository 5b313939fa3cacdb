"""Conditional requests on an item's one URL (RFC 9110, 13.1): its strong ETag, a 304 for a
version the client holds, and a replace that happens only while the item is the version read.
Through the local origin, on each backend the suite runs on."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from picus import contract
from picus.errors import ErrorCode
from tests.http import JSON, assert_error, put

#: RFC 9110, 8.8.3: a strong entity-tag.
STRONG_ETAG = re.compile(r'"[\x21\x23-\x7e]*"')


def stored(http: httpx.Client, api_url: str, payload: Any) -> tuple[str, str]:
    """A new item's key and its ETag."""
    key = put(http, api_url, payload).json()[contract.PARTITION_KEY]
    response = http.get(f"{api_url}{contract.item_url(key)}")
    assert response.status_code == 200
    return key, response.headers["etag"]


def replace(
    http: httpx.Client, api_url: str, key: str, payload: Any, if_match: str | None
) -> httpx.Response:
    headers = JSON if if_match is None else {**JSON, "if-match": if_match}
    return http.put(
        f"{api_url}{contract.item_url(key)}", content=json.dumps(payload), headers=headers
    )


def test_the_item_has_one_url_and_the_seed_path_is_its_alias(
    http: httpx.Client, api_url: str
) -> None:
    created = put(http, api_url, {"a": 1})
    key = created.json()[contract.PARTITION_KEY]
    assert created.headers["location"] == f"/picus/{key}"
    at_url = http.get(f"{api_url}{created.headers['location']}")
    alias = http.get(f"{api_url}/picus/get/{key}")
    assert at_url.status_code == alias.status_code == 200
    assert at_url.content == alias.content
    assert at_url.headers["etag"] == alias.headers["etag"]
    assert STRONG_ETAG.fullmatch(at_url.headers["etag"])
    head = http.head(f"{api_url}/picus/{key}")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == at_url.headers["etag"]


def test_a_missing_item_and_a_missing_route_are_told_apart(
    http: httpx.Client, api_url: str
) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    assert_error(http.get(f"{api_url}/picus/{missing}"), ErrorCode.NOT_FOUND)
    assert_error(http.get(f"{api_url}/picus/{missing}/x"), ErrorCode.NO_ROUTE)
    # The load balancer's own 404 (no request id to carry) has the same code.
    assert http.get(f"{api_url}/nothing").json()["error"]["code"] == ErrorCode.NO_ROUTE.code


def test_if_none_match_with_the_current_etag_is_304_without_a_body(
    http: httpx.Client, api_url: str
) -> None:
    key, etag = stored(http, api_url, {"a": 1})
    url = f"{api_url}/picus/{key}"
    for held in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = http.get(url, headers={"if-none-match": held})
        assert response.status_code == 304, held
        assert response.content == b""
        assert response.headers["etag"] == etag
    assert http.get(url, headers={"if-none-match": '"other"'}).status_code == 200


def test_a_replace_needs_if_match_and_keeps_the_items_identity(
    http: httpx.Client, api_url: str
) -> None:
    key, etag = stored(http, api_url, {"v": 1})
    before = http.get(f"{api_url}/picus/{key}").json()
    assert_error(replace(http, api_url, key, {"v": 2}, None), ErrorCode.PRECONDITION_REQUIRED)
    replaced = replace(http, api_url, key, {"v": 2}, etag)
    assert replaced.status_code == 200, replaced.text
    body = replaced.json()
    assert body[contract.PARTITION_KEY] == key
    assert body[contract.CREATED_AT] == before[contract.CREATED_AT]
    assert body[contract.UPDATED_AT] >= before[contract.CREATED_AT]
    assert body[contract.PAYLOAD] == {"v": 2}
    assert replaced.headers["etag"] != etag
    assert replaced.headers["content-location"] == f"/picus/{key}"
    read = http.get(f"{api_url}/picus/{key}")
    assert read.json() == body
    assert read.headers["etag"] == replaced.headers["etag"]


def test_a_stale_or_weak_etag_is_412_and_changes_nothing(http: httpx.Client, api_url: str) -> None:
    key, etag = stored(http, api_url, {"v": 1})
    current = replace(http, api_url, key, {"v": 2}, etag).headers["etag"]
    for stale in (etag, f"W/{current}", '"nope"'):
        assert_error(replace(http, api_url, key, {"v": 3}, stale), ErrorCode.PRECONDITION_FAILED)
    read = http.get(f"{api_url}/picus/{key}")
    assert read.json()[contract.PAYLOAD] == {"v": 2}
    assert read.headers["etag"] == current


def test_a_replace_of_a_missing_item_is_412_and_creates_nothing(
    http: httpx.Client, api_url: str
) -> None:
    missing = "00000000-0000-4000-8000-00000000abcd"
    for condition in ("*", '"0"', '"x"'):
        response = replace(http, api_url, missing, {"v": 1}, condition)
        assert_error(response, ErrorCode.PRECONDITION_FAILED)
    assert_error(http.get(f"{api_url}/picus/{missing}"), ErrorCode.NOT_FOUND)


def test_a_replaced_item_is_deleted_only_at_its_current_version(
    http: httpx.Client, api_url: str
) -> None:
    key, etag = stored(http, api_url, {"v": 1})
    current = replace(http, api_url, key, {"v": 2}, etag).headers["etag"]
    url = f"{api_url}/picus/{key}"
    assert_error(http.delete(url, headers={"if-match": etag}), ErrorCode.PRECONDITION_FAILED)
    assert http.delete(url, headers={"if-match": current}).status_code == 200
    assert_error(http.get(url), ErrorCode.NOT_FOUND)


def test_concurrent_replaces_of_one_version_have_exactly_one_winner(
    http: httpx.Client, api_url: str
) -> None:
    # Optimistic concurrency: every writer read the same version; one write lands, each other
    # is told its version is gone, and the item holds the winner's payload.
    key, etag = stored(http, api_url, {"v": 0})
    writers = range(8)
    with ThreadPoolExecutor(len(writers)) as pool:
        answers = list(pool.map(lambda n: replace(http, api_url, key, {"v": n + 1}, etag), writers))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [412] * (len(writers) - 1), statuses
    winner = next(a for a in answers if a.status_code == 200)
    assert http.get(f"{api_url}/picus/{key}").json() == winner.json()


_TAG = st.text(st.characters(min_codepoint=0x23, max_codepoint=0x7E), max_size=8)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    others=st.lists(_TAG.map(lambda t: f'"{t}"'), max_size=3),
    include_current=st.sampled_from(["strong", "weak", "absent"]),
)
def test_a_replace_lands_exactly_when_if_match_holds_the_current_strong_etag(
    http: httpx.Client, api_url: str, others: list[str], include_current: str
) -> None:
    key, etag = stored(http, api_url, {"v": 0})
    tags = list(others)
    if include_current == "strong":
        tags.append(etag)
    elif include_current == "weak":
        tags.append(f"W/{etag}")
    response = replace(http, api_url, key, {"v": 1}, ", ".join(tags) or '"none"')
    holds = include_current == "strong" or etag in others
    assert response.status_code == (200 if holds else 412), response.text
    after = http.get(f"{api_url}/picus/{key}").json()[contract.PAYLOAD]
    assert after == ({"v": 1} if holds else {"v": 0})


@pytest.mark.parametrize("method", ["PATCH", "POST"])
def test_the_item_url_answers_405_with_its_methods(
    http: httpx.Client, api_url: str, method: str
) -> None:
    key, _ = stored(http, api_url, {"a": 1})
    response = http.request(method, f"{api_url}/picus/{key}")
    assert_error(response, ErrorCode.METHOD_NOT_ALLOWED)
    assert response.headers["allow"] == "DELETE, GET, HEAD, PUT"
