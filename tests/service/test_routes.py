"""The service's endpoints over real HTTP, against a real DynamoDB-compatible server."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import httpx
import pytest

from picus import contract
from picus.alb import NO_ROUTE_BODY, NO_ROUTE_STATUS
from picus.errors import ErrorCode
from picus.routing import RULES
from tests.http import JSON, assert_error, put


def test_put_returns_a_new_key_and_its_location(http: httpx.Client, api_url: str) -> None:
    response = put(http, api_url, {"name": "picus"})
    assert response.status_code == 201
    key = response.json()["object_id"]
    assert contract.is_valid_key(key)
    # The item's one URL (the seed's /picus/get/{key} is an alias of it).
    assert response.headers["location"] == f"/picus/{key}"
    assert put(http, api_url, {"name": "picus"}).json()["object_id"] != key


def test_get_returns_the_item_as_stored(http: httpx.Client, api_url: str) -> None:
    payload = {"name": "picus", "tags": ["a", "b"], "nested": {"x": None, "ok": True}}
    key = put(http, api_url, payload).json()["object_id"]
    item = http.get(f"{api_url}/picus/get/{key}").json()
    assert item["object_id"] == key
    assert item["payload"] == payload
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", item["created_at"])


def test_a_client_cannot_overwrite_the_key_or_timestamp(http: httpx.Client, api_url: str) -> None:
    payload = {"object_id": "mine", "created_at": "1970-01-01T00:00:00Z"}
    key = put(http, api_url, payload).json()["object_id"]
    item = http.get(f"{api_url}/picus/get/{key}").json()
    assert item["object_id"] == key
    assert item["created_at"] != "1970-01-01T00:00:00Z"
    assert item["payload"] == payload


@pytest.mark.parametrize(
    "number",
    [
        "9.9999999999999999999999999999999999999E+125",
        "-9.9999999999999999999999999999999999999E+125",
        "1E-130",
        "-1E-130",
        "12345678901234567890123456789012345678",
        "0.1",
        "1.5e3",
        "-0",
        "0.30000000000000004",
    ],
)
def test_numbers_round_trip_exactly(http: httpx.Client, api_url: str, number: str) -> None:
    key = put(http, api_url, f'{{"n": {number}}}'.encode()).json()["object_id"]
    text = http.get(f"{api_url}/picus/get/{key}").text
    stored = json.loads(text, parse_float=Decimal, parse_int=Decimal)["payload"]["n"]
    assert stored == Decimal(number)


def test_unicode_empty_strings_and_empty_containers_round_trip(
    http: httpx.Client, api_url: str
) -> None:
    payload: dict[str, Any] = {
        "s": "",
        "é✓🐦": "中文",
        "e": [],
        "m": {},
        "z": [None, False, [[]]],
        "q": '"\\',
    }
    key = put(http, api_url, payload).json()["object_id"]
    assert http.get(f"{api_url}/picus/get/{key}").json()["payload"] == payload


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def test_nesting_to_dynamodb_limit_is_stored(http: httpx.Client, api_url: str) -> None:
    payload = nested(contract.MAX_PAYLOAD_DEPTH)
    response = put(http, api_url, payload)
    assert response.status_code == 201, response.text
    key = response.json()["object_id"]
    assert http.get(f"{api_url}/picus/get/{key}").json()["payload"] == payload


def test_nesting_beyond_dynamodb_limit_is_rejected(http: httpx.Client, api_url: str) -> None:
    assert_error(
        put(http, api_url, nested(contract.MAX_PAYLOAD_DEPTH + 1)), ErrorCode.INVALID_VALUE
    )


@pytest.mark.parametrize(
    "number",
    ["1E+126", "1E-131", "123456789012345678901234567890123456789", "1e400", "-1e-400"],
)
def test_numbers_dynamodb_cannot_hold_are_rejected(
    http: httpx.Client, api_url: str, number: str
) -> None:
    body = assert_error(put(http, api_url, f'{{"n": {number}}}'.encode()), ErrorCode.INVALID_VALUE)
    assert "number" in body["error"]["message"]


@pytest.mark.parametrize(
    ("body", "headers", "code"),
    [
        (b"{not json", JSON, ErrorCode.INVALID_JSON),
        (b"", JSON, ErrorCode.INVALID_JSON),
        (b"[1, 2]", JSON, ErrorCode.NOT_AN_OBJECT),
        (b'"text"', JSON, ErrorCode.NOT_AN_OBJECT),
        (b"null", JSON, ErrorCode.NOT_AN_OBJECT),
        (b'{"n": NaN}', JSON, ErrorCode.INVALID_VALUE),
        (b'{"n": Infinity}', JSON, ErrorCode.INVALID_VALUE),
        (b'{"s": "\\ud800"}', JSON, ErrorCode.INVALID_VALUE),
        (b'{"s": "\xff"}', JSON, ErrorCode.INVALID_JSON),
        (b'{"": 1}', JSON, ErrorCode.INVALID_VALUE),
        (b'{"a": {"": 1}}', JSON, ErrorCode.INVALID_VALUE),
        (b'{"a": 1}', {"content-type": "text/plain"}, ErrorCode.UNSUPPORTED_MEDIA_TYPE),
        (b'{"a": 1}', {}, ErrorCode.UNSUPPORTED_MEDIA_TYPE),
    ],
)
def test_bad_bodies_get_a_clear_4xx(
    http: httpx.Client, api_url: str, body: bytes, headers: dict[str, str], code: ErrorCode
) -> None:
    assert_error(put(http, api_url, body, headers), code)


def test_a_body_over_the_limit_is_413(http: httpx.Client, api_url: str) -> None:
    body = json.dumps({"s": "x" * contract.MAX_BODY_BYTES}).encode()
    assert_error(put(http, api_url, body), ErrorCode.PAYLOAD_TOO_LARGE)


def test_a_chunked_body_over_the_limit_is_413(http: httpx.Client, api_url: str) -> None:
    def chunks() -> Any:
        yield b'{"s": "'
        for _ in range(contract.MAX_BODY_BYTES // 4096 + 1):
            yield b"x" * 4096
        yield b'"}'

    response = http.post(f"{api_url}/picus/put", content=chunks(), headers=JSON)
    assert_error(response, ErrorCode.PAYLOAD_TOO_LARGE)


def test_an_item_over_dynamodb_size_is_413(http: httpx.Client, api_url: str) -> None:
    # Under the body limit as text, over DynamoDB's 400 KB as an item: DynamoDB spends three
    # bytes on each list element "1," takes two.
    payload = {"l": [1] * 150_000}
    body = json.dumps(payload, separators=(",", ":")).encode()
    assert len(body) <= contract.MAX_BODY_BYTES
    assert_error(put(http, api_url, body), ErrorCode.PAYLOAD_TOO_LARGE)


@pytest.mark.parametrize(
    "key",
    [
        "nope",
        "2F897E49-A179-4160-8056-D96C51AAB199",
        "x/y",
        "k" * 2000,
    ],
)
def test_a_key_that_can_never_exist_is_400(http: httpx.Client, api_url: str, key: str) -> None:
    assert_error(http.get(f"{api_url}/picus/get/{key}"), ErrorCode.INVALID_KEY)


@pytest.mark.parametrize(
    "key", ["a%2Fb", "%2E%2E", "%00", "é", "%32f897e49-a179-4160-8056-d96c51aab199"]
)
def test_a_key_spelled_with_escapes_names_no_route(
    http: httpx.Client, api_url: str, key: str
) -> None:
    # A path has one spelling (picus/targets.py): an escape, even of a plain letter, names no
    # route, and says so: not the 404 of a missing item.
    assert_error(http.get(f"{api_url}/picus/get/{key}"), ErrorCode.NO_ROUTE)
    assert_error(http.get(f"{api_url}/picus/{key}"), ErrorCode.NO_ROUTE)


def test_an_unknown_key_is_404(http: httpx.Client, api_url: str) -> None:
    assert_error(
        http.get(f"{api_url}/picus/get/00000000-0000-4000-8000-000000000000"), ErrorCode.NOT_FOUND
    )


def test_a_method_not_served_is_405_with_allow(http: httpx.Client, api_url: str) -> None:
    response = http.post(f"{api_url}/picus/get/00000000-0000-4000-8000-000000000000")
    assert_error(response, ErrorCode.METHOD_NOT_ALLOWED)
    assert "GET" in response.headers["allow"]


def test_an_unknown_route_is_404_in_the_error_shape(
    http: httpx.Client, api_url: str, service_url: str
) -> None:
    # The load balancer answers it itself (its default action): no target, no request id.
    at_the_edge = http.get(f"{api_url}/nothing/here")
    assert at_the_edge.status_code == NO_ROUTE_STATUS
    assert at_the_edge.headers["content-type"] == "application/json"
    assert at_the_edge.content == NO_ROUTE_BODY
    assert at_the_edge.json()["error"]["code"] == ErrorCode.NO_ROUTE.code
    # Behind a load balancer that let it through, the service answers the same shape.
    assert_error(http.get(f"{service_url}/nothing/here"), ErrorCode.NO_ROUTE)


def test_the_service_does_not_serve_delete(http: httpx.Client, service_url: str) -> None:
    key = put(http, service_url, {"a": 1}).json()["object_id"]
    # The item's URL is the service's for GET and PUT; the load balancer sends DELETE to the
    # function, so the service itself answers it 405 with what it serves, and deletes nothing.
    response = http.delete(f"{service_url}/picus/{key}")
    assert_error(response, ErrorCode.METHOD_NOT_ALLOWED)
    assert response.headers["allow"] == "GET, HEAD, PUT"
    assert http.get(f"{service_url}/picus/get/{key}").status_code == 200


@pytest.mark.parametrize("path", [contract.HEALTH_PATH, contract.SEED_HEALTH_PATH])
def test_health_answers_on_both_paths(http: httpx.Client, api_url: str, path: str) -> None:
    # Through the local origin, routed as by the ALB: GET /picus/health is the service's.
    response = http.get(f"{api_url}{path}")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert path in http.get(f"{api_url}/openapi.json").json()["paths"]


def test_request_id_is_taken_from_the_caller(http: httpx.Client, api_url: str) -> None:
    response = http.get(f"{api_url}/health", headers={"x-request-id": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"


def test_request_id_falls_back_to_the_alb_trace_id(http: httpx.Client, api_url: str) -> None:
    trace = "Root=1-67891233-abcdef012345678912345678"
    response = http.get(f"{api_url}/picus/get/bad", headers={"x-amzn-trace-id": trace})
    assert response.headers["x-request-id"] == trace
    assert response.json()["error"]["request_id"] == trace


def test_a_hostile_request_id_is_replaced(http: httpx.Client, api_url: str) -> None:
    response = http.get(f"{api_url}/health", headers={"x-request-id": "a b\tc" + "x" * 300})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


def test_openapi_describes_every_route_and_error(http: httpx.Client, api_url: str) -> None:
    spec = http.get(f"{api_url}/openapi.json").json()
    operations = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    # Every operation of the routing table (HEAD is GET's), and the two health paths.
    served = {
        (method, rule.operation)
        for rule in RULES
        if rule.operation is not None and rule.authenticated
        for method in rule.allowed
        if method != "HEAD"
    }
    assert ("PUT", "/picus/{key}") in served
    health = {("GET", contract.HEALTH_PATH), ("GET", contract.SEED_HEALTH_PATH)}
    assert operations == served | health
    codes = spec["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]
    assert set(codes["enum"]) == {c.code for c in ErrorCode}
    put_responses = spec["paths"]["/picus/put"]["post"]["responses"]
    assert {"201", "400", "413", "415", "503"} <= set(put_responses)
