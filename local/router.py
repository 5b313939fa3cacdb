"""One local origin that routes exactly as the ALB's listener: the same rules, in order, and the
listener's fixed 404 for a request no rule names."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from local.alb_event import LambdaContext, MalformedResponse, build_event, parse_response
from local.token_check import JWKS_PATH, TokenCheck, Unauthorized
from picus.access_log import CLIENT_CLOSED_REQUEST, printable
from picus.alb import (
    NO_ROUTE_BODY,
    NO_ROUTE_CONTENT_TYPE,
    NO_ROUTE_STATUS,
    error_headers,
    error_page,
)
from picus.auth import ALGORITHM, OIDC_DISCOVERY_PATH, AmbiguousAuthorization, authorization
from picus.contract import ALB_LAMBDA_MAX_BYTES, HEALTH_PATH, SEED_HEALTH_PATH
from picus.errors import ErrorCode
from picus.routing import LAMBDA_MULTI_VALUE_HEADERS, Target, rule_for
from service.responses import send_error

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

LambdaHandler = Callable[[dict[str, Any], Any], Any]

log = logging.getLogger("picus.local")
#: The most of a refused token's reason the log keeps.
MAX_REASON = 200


class _TooLarge(Exception):
    pass


class _ClientLeft(Exception):
    pass


class LocalAlb:
    """ASGI app: ``DELETE /picus/*`` invokes the Lambda handler with an ALB event, everything
    else goes to the service. Lifespan events go to the service."""

    def __init__(
        self,
        service: ASGIApp,
        delete_handler: LambdaHandler,
        *,
        multi_value: bool = LAMBDA_MULTI_VALUE_HEADERS,
        verifier: TokenCheck | None = None,
        jwks: Callable[[], Mapping[str, Any]] | None = None,
        issuer: str | None = None,
        until_ready: Callable[[], Awaitable[bool]] | None = None,
        cors: bool = False,
    ) -> None:
        self.service = service
        self.delete_handler = delete_handler
        self.multi_value = multi_value
        #: With auth on, every rule that needs a token verifies it first, as the ALB does.
        self.verifier = verifier
        #: The local issuer's key set, published on this origin.
        self.jwks = jwks
        #: The local issuer, whose OpenID Connect discovery document this origin publishes.
        self.issuer = issuer
        #: A backend still starting: requests other than health checks wait for it.
        self.until_ready = until_ready
        #: Whether the stack names CORS origins, so that its listener has the preflight's rule.
        self.cors = cors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.service(scope, receive, send)
            return
        raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        if self.jwks is not None and raw_path == JWKS_PATH and scope["method"] == "GET":
            body = json.dumps(self.jwks()).encode()
            await send_bytes(send, 200, body, "application/json")
            return
        if self.issuer is not None and raw_path == OIDC_DISCOVERY_PATH and scope["method"] == "GET":
            body = json.dumps(_discovery(self.issuer)).encode()
            await send_bytes(send, 200, body, "application/json")
            return
        if (
            self.until_ready is not None
            and raw_path not in (HEALTH_PATH, SEED_HEALTH_PATH)
            and not await self.until_ready()
        ):
            message = "the embedded DynamoDB did not start; its error is in the log"
            await send_error(send, ErrorCode.BACKEND_UNAVAILABLE, message, "")
            return
        rule = rule_for(scope["method"], raw_path, self.cors)
        if rule is None:
            # The listener's default action: a fixed response, no target.
            await send_bytes(send, NO_ROUTE_STATUS, NO_ROUTE_BODY, NO_ROUTE_CONTENT_TYPE)
            return
        if self.verifier is not None and rule.authenticated:
            values = [v.decode("latin-1") for k, v in scope["headers"] if k == b"authorization"]
            try:
                self.verifier.verify(authorization(values), rule.scope)
            except AmbiguousAuthorization as why:
                await send_error(send, why.code, why.message, "")
                return
            except Unauthorized as why:
                # The reason may quote the token's own header: bounded and escaped.
                log.info("401 from the token check: %s", printable(str(why), MAX_REASON))
                await _alb_error(send, 401)
                return
        if rule.target is Target.SERVICE:
            await self.service(scope, receive, send)
        else:
            await self._invoke(scope, raw_path, receive, send)

    async def _invoke(self, scope: Scope, raw_path: str, receive: Receive, send: Send) -> None:
        # The ALB answers these errors itself, with its own page (picus/alb.py).
        try:
            body = await _read_body(receive, ALB_LAMBDA_MAX_BYTES)
        except _TooLarge:
            await _alb_error(send, 413)
            return
        except _ClientLeft:
            # Half a request is no request: the function is not invoked with it.
            log.info("%d: the client left before its request was read whole", CLIENT_CLOSED_REQUEST)
            await send_bytes(send, CLIENT_CLOSED_REQUEST, b"", "text/plain")
            return
        event = build_event(
            method=scope["method"],
            raw_path=raw_path,
            query_string=scope.get("query_string", b""),
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]],
            body=body,
            multi_value=self.multi_value,
        )
        context = LambdaContext()
        try:
            answer = await anyio.to_thread.run_sync(self.delete_handler, event, context)
            response = parse_response(
                answer, multi_value=self.multi_value, max_bytes=ALB_LAMBDA_MAX_BYTES
            )
        except MalformedResponse as exc:
            log.error("lambda response malformed: %s", exc)
            await _alb_error(send, 502)
            return
        except Exception:
            log.exception("lambda handler raised")
            await _alb_error(send, 502)
            return
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
                + [(b"content-length", str(len(response.body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": response.body})


def _discovery(issuer: str) -> dict[str, Any]:
    """The parts of an OpenID Connect discovery document that name the issuer's keys."""
    return {
        "issuer": issuer,
        "jwks_uri": issuer.rstrip("/") + JWKS_PATH,
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
    }


async def send_bytes(send: Send, status: int, body: bytes, content_type: str) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _alb_error(send: Send, status: int) -> None:
    await send({"type": "http.response.start", "status": status, "headers": error_headers(status)})
    await send({"type": "http.response.body", "body": error_page(status)})


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientLeft
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
