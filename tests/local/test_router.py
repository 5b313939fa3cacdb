"""The local origin over real HTTP: routing, the ALB's limits and its 502s."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio.to_thread
import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from devkit.asgi import serving
from devkit.processes import wait_until
from local.router import LocalAlb
from picus import alb
from picus.contract import ALB_LAMBDA_MAX_BYTES, PATH_PARAMETER
from picus.errors import NO_SUCH_ROUTE, ErrorCode
from picus.routing import RULES, allowed_methods
from service.settings import Settings
from tests.http import JSON, assert_error

KEY = "2f897e49-a179-4160-8056-d96c51aab199"


def listed_keys(http: httpx.Client, api_url: str) -> set[str]:
    """Every key the list pages through (other tests share the table)."""
    keys: set[str] = set()
    params: dict[str, str | int] = {"limit": 1000}
    while True:
        page = http.get(f"{api_url}/picus/list", params=params).json()
        keys |= {item["object_id"] for item in page["items"]}
        if page["next_cursor"] is None:
            return keys
        params["cursor"] = page["next_cursor"]


def test_the_walkthrough(http: httpx.Client, api_url: str) -> None:
    key = http.post(f"{api_url}/picus/put", content=b'{"a": 1}', headers=JSON).json()["object_id"]
    assert key in listed_keys(http, api_url)
    assert http.get(f"{api_url}/picus/get/{key}").json()["payload"] == {"a": 1}
    deleted = http.delete(f"{api_url}/picus/{key}")
    assert (deleted.status_code, deleted.json()) == (200, {"deleted": key})
    assert_error(http.get(f"{api_url}/picus/get/{key}"), ErrorCode.NOT_FOUND)
    assert_error(http.delete(f"{api_url}/picus/{key}"), ErrorCode.NOT_FOUND)


def test_delete_with_a_bad_key_reaches_the_lambda(http: httpx.Client, api_url: str) -> None:
    assert_error(http.delete(f"{api_url}/picus/not-a-key"), ErrorCode.INVALID_KEY)
    # An escaped path is another spelling: the function refuses it as the service does.
    assert_error(http.delete(f"{api_url}/picus/a%2Fb"), ErrorCode.NO_ROUTE)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")
#: The operations that need a token; an open one answers GET and HEAD alone, and any other
#: method there is no route at all (tests/picus/test_targets.py).
_OPERATIONS = sorted({rule.operation for rule in RULES if rule.operation and rule.authenticated})


@pytest.mark.parametrize("operation", _OPERATIONS)
def test_every_method_an_operation_does_not_answer_is_405_with_its_allow(
    http: httpx.Client, api_url: str, operation: str
) -> None:
    # Whichever runtime the routing table sends it to, the service or the function, answers
    # with the methods the routing table gives the operation.
    allowed = allowed_methods(operation)
    path = PATH_PARAMETER.sub(KEY, operation)
    for method in _METHODS:
        if method in allowed:
            continue
        response = http.request(method, f"{api_url}{path}")
        assert response.status_code == 405, (method, path, response.text)
        assert response.headers["allow"] == ", ".join(allowed), (method, path)
        if method != "HEAD":
            assert response.json()["error"]["code"] == ErrorCode.METHOD_NOT_ALLOWED.code


def test_a_delete_under_the_prefix_that_is_no_operation_is_404(
    http: httpx.Client, api_url: str
) -> None:
    response = http.delete(f"{api_url}/picus/{KEY}/more")
    assert_error(response, ErrorCode.NO_ROUTE)
    assert response.json()["error"]["message"] == NO_SUCH_ROUTE


def assert_the_load_balancers_own(response: httpx.Response, status: int) -> None:
    # What the ALB itself sends: its HTML page, not the API's JSON error.
    assert response.status_code == status
    assert response.headers["content-type"] == "text/html"
    assert response.headers["server"] == "awselb/2.0"
    assert response.content == alb.error_page(status)
    assert f"<title>{status} " in response.text


def test_a_request_over_1mb_to_the_lambda_is_the_albs_413(http: httpx.Client, api_url: str) -> None:
    response = http.request(
        "DELETE", f"{api_url}/picus/{KEY}", content=b"x" * (ALB_LAMBDA_MAX_BYTES + 1)
    )
    assert_the_load_balancers_own(response, 413)


def _fake_service() -> Starlette:
    async def anything(request: Any) -> PlainTextResponse:
        return PlainTextResponse(f"service {request.method} {request.url.path}")

    return Starlette(routes=[Route("/{p:path}", anything, methods=["GET", "DELETE", "POST"])])


def _raises(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("boom")


def _malformed(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": "200"}


def _echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 202, "headers": {"x-path": event["path"]}, "body": json.dumps(event)}


@pytest.fixture(scope="module")
def fakes() -> Iterator[dict[str, str]]:
    with (
        serving(LocalAlb(_fake_service(), _raises)) as raising,
        serving(LocalAlb(_fake_service(), _malformed)) as malformed,
        serving(LocalAlb(_fake_service(), _echo)) as echo,
    ):
        yield {"raising": raising, "malformed": malformed, "echo": echo}


@pytest.mark.parametrize("which", ["raising", "malformed"])
def test_a_failing_handler_is_the_albs_502(
    http: httpx.Client, fakes: dict[str, str], which: str
) -> None:
    assert_the_load_balancers_own(http.delete(f"{fakes[which]}/picus/{KEY}"), 502)


def test_only_delete_under_the_prefix_reaches_the_lambda(
    http: httpx.Client, fakes: dict[str, str]
) -> None:
    url = fakes["echo"]
    lambda_answer = http.delete(f"{url}/picus/a%20b?x=%41")
    assert lambda_answer.status_code == 202
    event = lambda_answer.json()
    assert event["path"] == "/picus/a%20b"
    assert event["queryStringParameters"] == {"x": "%41"}
    assert event["requestContext"]["elb"]["targetGroupArn"].startswith(
        "arn:aws:elasticloadbalancing:"
    )
    # No rule names it: the listener's fixed 404, from neither target.
    no_route = http.delete(f"{url}/other")
    assert (no_route.status_code, no_route.content) == (alb.NO_ROUTE_STATUS, alb.NO_ROUTE_BODY)
    assert http.get(f"{url}/picus/x").text == "service GET /picus/x"


class _StartingBackend:
    """A backend that is ready (or has failed) when the test says so."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.waiting = threading.Event()
        self.ok = True

    async def until_ready(self) -> bool:
        if not self.released.is_set():
            self.waiting.set()
            await anyio.to_thread.run_sync(self.released.wait)
        return self.ok


def test_health_answers_at_once_and_other_requests_wait_for_the_backend() -> None:
    backend = _StartingBackend()
    with (
        serving(LocalAlb(_fake_service(), _echo, until_ready=backend.until_ready)) as url,
        ThreadPoolExecutor() as pool,
    ):
        assert httpx.get(f"{url}/health").text == "service GET /health"
        listing = pool.submit(httpx.get, f"{url}/picus/list", timeout=30)
        deleting = pool.submit(httpx.delete, f"{url}/picus/{KEY}", timeout=30)
        wait_until(backend.waiting.is_set, "the list request never reached the router")
        assert not listing.done() and not deleting.done()
        backend.released.set()
        # Held, not refused: both are answered once the backend serves.
        assert listing.result().text == "service GET /picus/list"
        assert deleting.result().status_code == 202


def test_a_backend_that_never_starts_is_a_503_and_health_still_answers() -> None:
    backend = _StartingBackend()
    backend.ok = False
    backend.released.set()
    with serving(LocalAlb(_fake_service(), _echo, until_ready=backend.until_ready)) as url:
        assert httpx.get(f"{url}/health").status_code == 200
        assert_error(httpx.get(f"{url}/picus/list"), ErrorCode.BACKEND_UNAVAILABLE)
        assert_error(httpx.delete(f"{url}/picus/{KEY}"), ErrorCode.BACKEND_UNAVAILABLE)


def test_with_auth_the_document_names_the_local_issuer_and_its_keys(
    http: httpx.Client, settings: Settings
) -> None:
    from local.auth import LocalIssuer
    from tests.auth_origin import auth_origin

    issuer = LocalIssuer("http://issuer.local")
    issuer.rotate(path=None)
    with auth_origin(settings, issuer) as url:
        document = http.get(f"{url}/openapi.json").json()
        discovery = http.get(f"{url}/.well-known/openid-configuration").json()
        keys = http.get(f"{url}/.well-known/jwks.json").json()
    scheme = document["components"]["securitySchemes"]["openId"]
    assert scheme["openIdConnectUrl"] == "http://issuer.local/.well-known/openid-configuration"
    assert discovery["issuer"] == "http://issuer.local"
    assert discovery["jwks_uri"] == "http://issuer.local/.well-known/jwks.json"
    assert [k["kid"] for k in keys["keys"]] == [issuer.keys[-1].kid]
    # Every data operation requires a token; none says anonymous calls are welcome.
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert {} not in operation["security"], f"{method} {path}"
