"""Listing through cursors, on a table of its own."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

import httpx
import pytest

from devkit.asgi import serving
from picus import contract
from picus.errors import ErrorCode
from service.cursor import encode_cursor
from tests.http import JSON, assert_error

if TYPE_CHECKING:
    from service.settings import Settings

ITEMS = 25


@pytest.fixture(scope="module")
def listing(settings: Settings, new_table_module: str) -> Iterator[tuple[str, set[str]]]:
    from service.app import create_app

    with serving(create_app(replace(settings, table_name=new_table_module))) as url:
        with httpx.Client(timeout=30) as client:
            keys = {
                client.post(f"{url}/picus/put", content=json.dumps({"i": i}), headers=JSON).json()[
                    "object_id"
                ]
                for i in range(ITEMS)
            }
        yield url, keys


@pytest.fixture(scope="module")
def new_table_module(ddb_endpoint: str) -> str:
    import uuid

    from local.embedded import ensure_table
    from tests.backends import REGION

    name = f"picus_list_{uuid.uuid4().hex[:8]}"
    ensure_table(name, region=REGION, endpoint_url=ddb_endpoint)
    return name


def traverse(http: httpx.Client, url: str, limit: int) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    cursor = None
    for _ in range(1000):
        params: dict[str, str | int] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        page = http.get(f"{url}/picus/list", params=params).json()
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the traversal never ended")


@pytest.mark.parametrize("limit", [1, 7, 25, 1000])
def test_a_traversal_returns_every_item_once(
    http: httpx.Client, listing: tuple[str, set[str]], limit: int
) -> None:
    url, keys = listing
    items = traverse(http, url, limit)
    seen = [item["object_id"] for item in items]
    assert len(seen) == len(set(seen))
    assert set(seen) == keys
    assert all(set(item) == {"object_id", "created_at", "payload"} for item in items)


def test_the_default_page_size(http: httpx.Client, listing: tuple[str, set[str]]) -> None:
    url, keys = listing
    page = http.get(f"{url}/picus/list").json()
    assert len(page["items"]) == min(len(keys), contract.LIST_DEFAULT_LIMIT)


@pytest.mark.parametrize("limit", ["0", "1001", "-1", "abc", "1.5", "", "٣", "9" * 30])
def test_a_bad_limit_is_400(http: httpx.Client, listing: tuple[str, set[str]], limit: str) -> None:
    url, _ = listing
    assert_error(http.get(f"{url}/picus/list", params={"limit": limit}), ErrorCode.INVALID_LIMIT)


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "",
        encode_cursor("not-a-key"),
        encode_cursor("00000000-0000-4000-8000-000000000000")[:-2],
        "djE6" + "A" * 60,
        "%%%",
    ],
)
def test_a_forged_or_truncated_cursor_is_400(
    http: httpx.Client, listing: tuple[str, set[str]], cursor: str
) -> None:
    url, _ = listing
    assert_error(http.get(f"{url}/picus/list", params={"cursor": cursor}), ErrorCode.INVALID_CURSOR)


def test_a_well_formed_cursor_only_moves_within_the_table(
    http: httpx.Client, listing: tuple[str, set[str]]
) -> None:
    url, keys = listing
    cursor = encode_cursor("ffffffff-ffff-4fff-bfff-ffffffffffff")
    page = http.get(f"{url}/picus/list", params={"cursor": cursor, "limit": 1000}).json()
    assert {item["object_id"] for item in page["items"]} <= keys


def test_an_empty_table_lists_nothing(
    http: httpx.Client, settings: Settings, new_table: Callable[[], str]
) -> None:
    from service.app import create_app

    with serving(create_app(replace(settings, table_name=new_table()))) as url:
        assert http.get(f"{url}/picus/list").json() == {"items": [], "next_cursor": None}
