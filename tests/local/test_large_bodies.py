"""The largest bodies the API accepts, of every shape, through ``serve`` and its embedded
DynamoDB: each is stored, read, listed and deleted within the service's deadline, and the API
answers a small put and a list at once afterwards. Once a long list made every list a 503 for
minutes (moto walked each element on every call, and the calls the service had given up on
still ran, one at a time, before anyone else's)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from devkit.processes import Running, local_origin
from picus.contract import MAX_BODY_BYTES, MAX_PAYLOAD_DEPTH
from picus.errors import ApiError
from service.codec import payload_of
from service.settings import Settings

#: The most a call to the table may take, retries included: every answer here comes sooner,
#: but for slack where a loaded machine slows the client and the runtimes around the call (the
#: function's botocore reads the deleted item whole). Before, the first put alone was a 503,
#: and every list after it for minutes.
DEADLINE = Settings().store_deadline
SLACK = 2.0
JSON = {"content-type": "application/json"}


def _compact(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _nested(depth: int, inner: Any) -> Any:
    for _ in range(depth):
        inner = [inner]
    return inner


#: Lists around the innermost one: with the payload's own map and the innermost list, the
#: deepest nesting DynamoDB stores.
DEPTH = MAX_PAYLOAD_DEPTH - 2


def _accepted(value: dict[str, Any]) -> bool:
    body = _compact(value)
    if len(body) > MAX_BODY_BYTES:
        return False
    try:
        payload_of(body)
    except ApiError:
        return False
    return True


#: Each shape as a function of its size: the larger, the longer or wider.
SHAPES: dict[str, Callable[[int], dict[str, Any]]] = {
    "long list": lambda n: {"a": [1] * n},
    "wide map": lambda n: {f"k{i:06d}": 1 for i in range(n)},
    "deep nesting": lambda n: {"a": _nested(DEPTH, [1] * n)},
    "long string": lambda n: {"a": "x" * n},
}


def largest(shape: Callable[[int], dict[str, Any]]) -> int:
    """The largest size of ``shape`` the API accepts (as its codec and body limit decide)."""
    low, high = 1, MAX_BODY_BYTES
    while low < high:
        middle = (low + high + 1) // 2
        if _accepted(shape(middle)):
            low = middle
        else:
            high = middle - 1
    return low


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with local_origin(tmp_path_factory.mktemp("large")) as running:
        yield running


def _timed(send: Callable[[], httpx.Response], what: str) -> httpx.Response:
    started = time.monotonic()
    response = send()
    took = time.monotonic() - started
    assert took < DEADLINE + SLACK, f"{what} took {took:.2f} s"
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:200]}"
    return response


def test_the_deep_shape_is_as_deep_as_the_api_takes() -> None:
    assert _accepted(SHAPES["deep nesting"](1))
    assert not _accepted({"a": _nested(DEPTH + 1, [1])})


@pytest.mark.parametrize("shape", SHAPES)
def test_the_largest_body_of_each_shape_is_stored_read_listed_and_deleted_in_time(
    served: Running, shape: str
) -> None:
    size = largest(SHAPES[shape])
    value = SHAPES[shape](size)
    body = _compact(value)
    with httpx.Client(base_url=served.url, timeout=60) as client:
        # One more and the API refuses it: this is the largest body of its shape.
        refused = client.post("/picus/put", content=_compact(SHAPES[shape](size + 1)), headers=JSON)
        assert refused.status_code == 413, refused.text[:200]
        created = _timed(lambda: client.post("/picus/put", content=body, headers=JSON), "put")
        assert created.status_code == 201, created.text[:200]
        key = created.json()["object_id"]
        read = _timed(lambda: client.get(f"/picus/{key}"), "get")
        assert read.status_code == 200 and read.json()["payload"] == value
        page = _timed(lambda: client.get("/picus/list", params={"limit": "1000"}), "list")
        assert key in {item["object_id"] for item in page.json()["items"]}
        deleted = _timed(lambda: client.delete(f"/picus/{key}"), "delete")
        assert deleted.status_code in (200, 204)
        assert client.get(f"/picus/{key}").status_code == 404
        small = _timed(
            lambda: client.post("/picus/put", content=b'{"small": 1}', headers=JSON), "small put"
        )
        assert small.status_code == 201
        listed = _timed(lambda: client.get("/picus/list"), "list after")
        assert listed.status_code == 200


def test_the_body_of_the_first_report_leaves_the_api_up(served: Running) -> None:
    # 60,000 ones: 30% of the body limit, and every list a 503 for minutes after it.
    with httpx.Client(base_url=served.url, timeout=60) as client:
        body = _compact({"a": [1] * 60_000})
        created = _timed(lambda: client.post("/picus/put", content=body, headers=JSON), "put")
        assert created.status_code == 201
        for _ in range(3):
            assert _timed(lambda: client.get("/picus/list"), "list").status_code == 200
        small = _timed(lambda: client.post("/picus/put", content=b"{}", headers=JSON), "put")
        assert small.status_code == 201
