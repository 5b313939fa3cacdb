"""The Lambda handler, on captured ALB events, against a real DynamoDB-compatible server."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devkit.processes import free_port
from picus.access_log import FIELDS as ACCESS_FIELDS
from picus.access_log import MAX_PATH, MAX_TRACE_ID
from picus.contract import PARTITION_KEY, REVISION, TABLE_NAME
from tests.backends import REGION
from tests.events import load_event

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

NEW_KEY = "00000000-0000-4000-8000-00000000abcd"


@dataclass
class Context:
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    function_name: str = "delete_fn"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:delete_fn:live"


class Items:
    """The API's table, written and read directly: items as the service stores them."""

    def __init__(self, client: DynamoDBClient) -> None:
        self.client = client

    def put(self, revision: str | None) -> str:
        """Stores an item at ``revision`` (None: written before items carried one)."""
        key = str(uuid.uuid4())
        item: dict[str, Any] = {
            PARTITION_KEY: {"S": key},
            "created_at": {"S": "2026-01-01T00:00:00.000Z"},
            "payload": {"M": {"a": {"N": "1"}}},
        }
        if revision is not None:
            item[REVISION] = {"S": revision}
        self.client.put_item(TableName=TABLE_NAME, Item=item)
        return key

    def exists(self, key: str) -> bool:
        answer = self.client.get_item(
            TableName=TABLE_NAME, Key={PARTITION_KEY: {"S": key}}, ConsistentRead=True
        )
        return "Item" in answer


@pytest.fixture
def items(ddb_endpoint: str) -> Items:
    return Items(boto3.client("dynamodb", region_name=REGION, endpoint_url=ddb_endpoint))


@pytest.fixture
def stored_key(items: Items) -> Callable[[], str]:
    """Stores an item as the service does, with a fresh revision; returns its key."""
    return lambda: items.put(str(uuid.uuid4()))


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
    assert body(response)["error"]["code"] == "no_such_route"
    assert invoke(load_event("alb_delete.json", key))["statusCode"] == 200


def test_a_base64_body_is_ignored(stored_key: Callable[[], str]) -> None:
    key = stored_key()
    response = invoke(load_event("alb_delete_base64_body.json", key))
    assert_well_formed(response, 200)
    assert body(response) == {"deleted": key}


def test_a_wrong_method_is_405(stored_key: Callable[[], str]) -> None:
    # The listener sends an item's GET to the service; should one reach the function, it names
    # every method the item's URL answers, whichever target serves it.
    key = stored_key()
    response = invoke(load_event("alb_get_wrong_method.json", key))
    assert_well_formed(response, 405)
    assert response["headers"]["allow"] == "DELETE, GET, HEAD, PUT"
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
    assert body(response)["error"]["code"] == "no_such_route"
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
    assert body(response)["error"]["code"] == "no_such_route"


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


# --- If-Match (RFC 9110, 13.1.1): evaluated by the DeleteItem itself ---------------------------


def delete_event(key: str, *if_match: str, multi_value: bool = False) -> dict[str, Any]:
    """A DELETE of ``key`` with each of ``if_match`` as one line of the If-Match field: with
    multi-value headers every line reaches the function; without, the one line there is."""
    if multi_value:
        event = load_event("alb_delete_multi_value.json", key)
        if if_match:
            event["multiValueHeaders"]["if-match"] = list(if_match)
        return event
    assert len(if_match) <= 1, "without multi-value headers the load balancer passes one line"
    event = load_event("alb_delete.json", key)
    if if_match:
        event["headers"]["if-match"] = if_match[0]
    return event


def response_headers(response: dict[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = response.get("headers") or {
        k: v[-1] for k, v in response["multiValueHeaders"].items()
    }
    return headers


def assert_precondition_failed(response: dict[str, Any]) -> str:
    """The 412's message."""
    assert_well_formed(response, 412)
    error = body(response)["error"]
    assert error["code"] == "precondition_failed"
    message: str = error["message"]
    return message


def test_if_match_naming_the_current_etag_deletes(items: Items) -> None:
    revision = str(uuid.uuid4())
    key = items.put(revision)
    response = invoke(delete_event(key, f'"{revision}"'))
    assert_well_formed(response, 200)
    assert body(response) == {"deleted": key}
    assert not items.exists(key)


def test_a_stale_if_match_is_412_names_the_current_etag_and_deletes_nothing(
    items: Items,
) -> None:
    # given an item a client read, then someone else wrote (a new revision)
    current = str(uuid.uuid4())
    key = items.put(current)
    # when the client deletes what it read
    response = invoke(delete_event(key, f'"{uuid.uuid4()}"'))
    # then nothing is deleted, and the client learns the item changed and its new ETag
    assert "changed" in assert_precondition_failed(response)
    assert response_headers(response)["etag"] == f'"{current}"'
    assert items.exists(key)


@pytest.mark.parametrize("if_match", ["*", '"0"', '"a-revision"'])
def test_if_match_on_an_item_that_is_gone_is_412_without_an_etag(
    items: Items, if_match: str
) -> None:
    revision = str(uuid.uuid4())
    key = items.put(revision)
    assert invoke(delete_event(key))["statusCode"] == 200
    response = invoke(delete_event(key, if_match))
    message = assert_precondition_failed(response)
    assert "no item" in message and "changed" not in message
    assert "etag" not in response_headers(response)


def test_if_match_star_deletes_whatever_revision_is_there(items: Items) -> None:
    key = items.put(str(uuid.uuid4()))
    assert_well_formed(invoke(delete_event(key, "*")), 200)
    assert not items.exists(key)
    # and on no item it fails, where a plain DELETE answers 404
    assert_precondition_failed(invoke(delete_event(key, "*")))
    assert_well_formed(invoke(delete_event(key)), 404)


@pytest.mark.parametrize("weak", ['W/"{revision}"', 'W/"{revision}", W/"0"'])
def test_weak_tags_never_match_a_delete(items: Items, weak: str) -> None:
    # A weak tag names a representation that is only equivalent: a delete compares strongly,
    # so even the item's own tag, weak, is a 412.
    revision = str(uuid.uuid4())
    key = items.put(revision)
    response = invoke(delete_event(key, weak.format(revision=revision)))
    assert "weak" in assert_precondition_failed(response)
    assert items.exists(key)


@pytest.mark.parametrize(
    "malformed",
    ["", "{revision}", "'{revision}'", '"{revision}" "x"', '*, "{revision}"', 'w/"{revision}"'],
)
def test_a_malformed_if_match_is_400_and_deletes_nothing(items: Items, malformed: str) -> None:
    revision = str(uuid.uuid4())
    key = items.put(revision)
    response = invoke(delete_event(key, malformed.format(revision=revision)))
    assert_well_formed(response, 400)
    assert body(response)["error"]["code"] == "invalid_precondition"
    assert items.exists(key)


def test_an_item_written_before_revisions_has_the_etag_0(items: Items) -> None:
    old = items.put(None)
    stale = invoke(delete_event(old, f'"{uuid.uuid4()}"'))
    assert_precondition_failed(stale)
    assert response_headers(stale)["etag"] == '"0"'
    assert items.exists(old)
    assert_well_formed(invoke(delete_event(old, '"0"')), 200)
    assert not items.exists(old)
    # and "0" names only such an item
    new = items.put(str(uuid.uuid4()))
    assert_precondition_failed(invoke(delete_event(new, '"0"')))
    assert items.exists(new)


@pytest.mark.parametrize("multi_value", [False, True])
def test_a_list_in_if_match_matches_any_of_its_tags(items: Items, multi_value: bool) -> None:
    # One line with a list, or (multi-value headers) the field repeated: one list either way.
    revision = str(uuid.uuid4())
    key = items.put(revision)
    lines = [f'"{revision}"', '"stale"']
    event = (
        delete_event(key, *lines, multi_value=True)
        if multi_value
        else delete_event(key, ", ".join(lines))
    )
    response = invoke(event)
    assert_well_formed(response, 200)
    assert not items.exists(key)


#: An element of a generated If-Match list, as a client may send it.
_ELEMENTS = st.sampled_from(["right", "wrong", "zero", "weak right", "weak wrong"])


@settings(
    max_examples=60,
    deadline=None,
    # The item store is a stateless factory on a session's server: one per test is enough.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    revised=st.booleans(),
    present=st.booleans(),
    star=st.booleans(),
    elements=st.lists(_ELEMENTS, min_size=1, max_size=6),
    lines=st.integers(min_value=1, max_value=3),
    separator=st.sampled_from([",", ", ", " ,\t"]),
)
def test_if_match_deletes_exactly_when_it_names_the_item_strongly(
    items: Items,
    revised: bool,
    present: bool,
    star: bool,
    elements: list[str],
    lines: int,
    separator: str,
) -> None:
    # given an item at a revision (or one from before revisions), there or already deleted
    revision = str(uuid.uuid4()) if revised else None
    key = items.put(revision)
    if not present:
        assert invoke(delete_event(key))["statusCode"] == 200
    right = revision or "0"
    wrong = str(uuid.uuid4())
    spelled = {
        "right": f'"{right}"',
        "wrong": f'"{wrong}"',
        "zero": '"0"',
        "weak right": f'W/"{right}"',
        "weak wrong": f'W/"{wrong}"',
    }
    tags = ["*"] if star else [spelled[e] for e in elements]
    # when it is deleted with the list, on one line or spread over several (multi-value)
    if star or lines == 1:
        event = delete_event(key, separator.join(tags))
    else:
        split = [separator.join(tags[i::lines]) for i in range(lines)]
        event = delete_event(key, *[line for line in split if line], multi_value=True)
    response = invoke(event)
    # then it is gone exactly when the list names its strong tag (or is "*") and it was there
    matches = present and (star or f'"{right}"' in tags)
    assert response["statusCode"] == (200 if matches else 412), body(response)
    assert items.exists(key) == (present and not matches)


def test_if_match_is_evaluated_by_the_delete_itself(items: Items, ddb_endpoint: str) -> None:
    # One DeleteItem whatever the outcome: no read before it that a concurrent write could
    # make stale, and the 412's ETag comes back from that same call.
    from delete_fn.handler import handle, make_client

    client = make_client(ddb_endpoint)
    calls: list[str] = []
    client.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: calls.append(model.name)
    )
    revision = str(uuid.uuid4())
    key = items.put(revision)
    stale = handle(delete_event(key, '"stale"'), Context(), client)
    assert response_headers(stale)["etag"] == f'"{revision}"'
    assert handle(delete_event(key, f'"{revision}"'), Context(), client)["statusCode"] == 200
    assert calls == ["DeleteItem", "DeleteItem"]


def test_concurrent_deletes_with_one_etag_succeed_once(items: Items) -> None:
    from concurrent.futures import ThreadPoolExecutor

    revision = str(uuid.uuid4())
    key = items.put(revision)
    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(
            pool.map(lambda _: invoke(delete_event(key, f'"{revision}"'))["statusCode"], range(8))
        )
    assert statuses == [200] + [412] * 7
