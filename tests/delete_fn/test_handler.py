"""The Lambda handler, on captured ALB events, against a real DynamoDB-compatible server."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from devkit.processes import free_port
from picus.access_log import FIELDS as ACCESS_FIELDS
from picus.access_log import MAX_PATH, MAX_TRACE_ID
from picus.contract import PARTITION_KEY, TABLE_NAME
from tests.backends import REGION
from tests.events import load_event

NEW_KEY = "00000000-0000-4000-8000-00000000abcd"


@dataclass
class Context:
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    function_name: str = "delete_fn"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:delete_fn:live"


@pytest.fixture
def stored_key(ddb_endpoint: str) -> Callable[[], str]:
    client = boto3.client("dynamodb", region_name=REGION, endpoint_url=ddb_endpoint)

    def put() -> str:
        import uuid

        key = str(uuid.uuid4())
        client.put_item(
            TableName=TABLE_NAME,
            Item={
                PARTITION_KEY: {"S": key},
                "created_at": {"S": "2026-01-01T00:00:00.000Z"},
                "payload": {"M": {"a": {"N": "1"}}},
            },
        )
        return key

    return put


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    from delete_fn.handler import handler

    response: dict[str, Any] = handler(event, Context())
    return response


def body(response: dict[str, Any]) -> Any:
    assert response["isBase64Encoded"] is False
    return json.loads(response["body"])


def assert_well_formed(response: dict[str, Any], status: int) -> None:
    assert response["statusCode"] == status
    assert response["statusDescription"].startswith(f"{status} ")
    headers = response.get("headers") or {
        k: v[-1] for k, v in response["multiValueHeaders"].items()
    }
    assert headers["content-type"] == "application/json"


def test_deletes_an_existing_item(stored_key: Callable[[], str]) -> None:
    # given
    key = stored_key()
    # when
    first = invoke(load_event("alb_delete.json", key))
    second = invoke(load_event("alb_delete.json", key))
    # then
    assert_well_formed(first, 200)
    assert body(first) == {"deleted": key}
    assert_well_formed(second, 404)
    assert body(second)["error"]["code"] == "not_found"


def test_multi_value_headers_in_and_out(stored_key: Callable[[], str]) -> None:
    key = stored_key()
    response = invoke(load_event("alb_delete_multi_value.json", key))
    assert_well_formed(response, 200)
    assert "headers" not in response
    assert response["multiValueHeaders"]["x-request-id"] == ["client-req-42"]


def test_a_percent_encoded_key_names_no_route_and_deletes_nothing(
    stored_key: Callable[[], str],
) -> None:
    # The ALB passes the path as sent; a second spelling of a key is no key (picus/targets.py).
    key = stored_key()
    response = invoke(load_event("alb_delete_url_encoded.json", key))
    assert_well_formed(response, 404)
    assert body(response)["error"]["code"] == "not_found"
    assert invoke(load_event("alb_delete.json", key))["statusCode"] == 200


def test_a_base64_body_is_ignored(stored_key: Callable[[], str]) -> None:
    key = stored_key()
    response = invoke(load_event("alb_delete_base64_body.json", key))
    assert_well_formed(response, 200)
    assert body(response) == {"deleted": key}


def test_a_wrong_method_is_405(stored_key: Callable[[], str]) -> None:
    key = stored_key()
    response = invoke(load_event("alb_get_wrong_method.json", key))
    assert_well_formed(response, 405)
    assert response["headers"]["allow"] == "DELETE"
    assert body(response)["error"]["code"] == "method_not_allowed"
    # and nothing was deleted
    assert invoke(load_event("alb_delete.json", key))["statusCode"] == 200


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/picus/put", "POST"),
        ("/picus/list", "GET, HEAD"),
        ("/picus/health", "GET, HEAD"),
        (f"/picus/get/{NEW_KEY}", "GET, HEAD"),
    ],
)
def test_a_delete_of_another_operations_path_is_405_with_its_allow(
    ddb_endpoint: str, path: str, allow: str
) -> None:
    # The listener sends every DELETE under the prefix here: a path that is another
    # operation's is no key to refuse (400) but a method that path does not answer.
    event = load_event("alb_delete.json", NEW_KEY)
    event["path"] = path
    response = invoke(event)
    assert_well_formed(response, 405)
    assert response["headers"]["allow"] == allow
    assert body(response)["error"]["code"] == "method_not_allowed"


def test_a_delete_of_a_path_no_operation_has_is_404(ddb_endpoint: str) -> None:
    event = load_event("alb_delete.json", NEW_KEY)
    event["path"] = f"/picus/{NEW_KEY}/{NEW_KEY}"
    response = invoke(event)
    assert_well_formed(response, 404)
    assert body(response)["error"]["message"] == "no such route"


@pytest.mark.parametrize("key", ["nope", NEW_KEY.upper()])
def test_a_key_that_can_never_exist_is_400(ddb_endpoint: str, key: str) -> None:
    response = invoke(load_event("alb_delete.json", key))
    assert_well_formed(response, 400)
    assert body(response)["error"]["code"] == "invalid_key"


@pytest.mark.parametrize(
    "key", ["", "%ZZ", "%FF%FE", f"{NEW_KEY}/", f"{NEW_KEY};x", f"./{NEW_KEY}"]
)
def test_a_path_with_a_second_spelling_is_404(ddb_endpoint: str, key: str) -> None:
    response = invoke(load_event("alb_delete.json", key))
    assert_well_formed(response, 404)
    assert body(response)["error"]["code"] == "not_found"


def test_an_encoded_slash_is_not_a_key(stored_key: Callable[[], str]) -> None:
    key = stored_key()
    response = invoke(load_event("alb_delete_encoded_slash.json", key))
    assert_well_formed(response, 404)
    assert invoke(load_event("alb_delete.json", key))["statusCode"] == 200


def test_the_request_id_is_the_trace_id_and_logged(
    stored_key: Callable[[], str], caplog: pytest.LogCaptureFixture
) -> None:
    key = stored_key()
    with caplog.at_level("INFO", logger="picus.delete_fn"):
        response = invoke(load_event("alb_delete.json", key))
    trace = "Root=1-5c536348-3d683b8b04734faae651f476"
    assert response["headers"]["x-request-id"] == trace
    (record,) = [r for r in caplog.records if r.name == "picus.delete_fn"]
    # The service's access line has the same fields (tests/service/test_middleware.py).
    fields = {k: getattr(record, k) for k in ACCESS_FIELDS}
    assert fields["trace_id"] == fields["request_id"] == trace
    assert (fields["method"], fields["status"]) == ("DELETE", 200)
    assert fields["path"] == f"/picus/{key}" and fields["duration_ms"] >= 0
    assert fields["route"] == "/picus/{key}"
    # A public stack: nobody verified a token, so no subject is logged.
    assert fields["subject"] is None


def test_without_auth_an_unverified_subject_is_never_logged(
    stored_key: Callable[[], str], caplog: pytest.LogCaptureFixture
) -> None:
    from local.auth import LocalIssuer

    issuer = LocalIssuer("https://issuer.test")
    issuer.rotate(path=None)
    event = load_event("alb_delete.json", stored_key())
    event["headers"]["authorization"] = "Bearer " + issuer.mint([], subject="mallory")
    with caplog.at_level("INFO", logger="picus.delete_fn"):
        assert invoke(event)["statusCode"] == 200
    (record,) = [r for r in caplog.records if r.name == "picus.delete_fn"]
    assert record.subject is None  # type: ignore[attr-defined]
    assert "mallory" not in caplog.text


def test_a_path_full_of_control_characters_is_logged_bounded_and_escaped(
    ddb_endpoint: str, caplog: pytest.LogCaptureFixture
) -> None:
    event = load_event("alb_delete.json", NEW_KEY)
    event["path"] = "/picus/\x1b[2J\r\n" + "x" * 10_000
    event["headers"]["x-amzn-trace-id"] = "Root=" + "y" * 9000
    with caplog.at_level("INFO", logger="picus.delete_fn"):
        assert invoke(event)["statusCode"] == 404
    (record,) = [r for r in caplog.records if r.name == "picus.delete_fn"]
    assert record.path.startswith("/picus/\\x1b[2J\\x0d\\x0a")  # type: ignore[attr-defined]
    # At most so many characters of what the client sent, each escaped to at most four.
    assert len(record.path) <= 4 * MAX_PATH + 1  # type: ignore[attr-defined]
    assert len(record.trace_id) <= MAX_TRACE_ID + 1  # type: ignore[attr-defined]
    assert record.route is None  # type: ignore[attr-defined]


def test_a_dead_table_gives_a_fast_503_not_an_exception(ddb_endpoint: str) -> None:
    from delete_fn.handler import handle, make_client

    # The function's own client, as deployed, against a port where nothing listens.
    dead = make_client(f"http://127.0.0.1:{free_port()}")
    started = time.monotonic()
    response = handle(load_event("alb_delete.json", NEW_KEY), Context(), dead)
    assert time.monotonic() - started < 5
    assert_well_formed(response, 503)
    assert response["headers"]["retry-after"]
    assert body(response)["error"]["code"] == "backend_unavailable"


def test_with_auth_on_the_function_checks_the_scope_and_logs_the_subject(
    stored_key: Callable[[], str], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import delete_fn.handler
    from local.auth import LocalIssuer
    from picus.auth import ScopePolicy

    monkeypatch.setattr(delete_fn.handler, "SCOPES", ScopePolicy())
    issuer = LocalIssuer("https://issuer.test")
    issuer.rotate(path=None)
    key = stored_key()
    event = load_event("alb_delete.json", key)
    event["headers"]["authorization"] = "Bearer " + issuer.mint(["picus:read"], subject="bob")
    refused = invoke(event)
    assert_well_formed(refused, 403)
    assert body(refused)["error"]["code"] == "insufficient_scope"
    event["headers"]["authorization"] = "Bearer " + issuer.mint(["picus:delete"], subject="bob")
    with caplog.at_level("INFO", logger="picus.delete_fn"):
        assert invoke(event)["statusCode"] == 200
    (record,) = [r for r in caplog.records if r.name == "picus.delete_fn"]
    assert record.subject == "bob"  # type: ignore[attr-defined]
    assert "Bearer" not in caplog.text
