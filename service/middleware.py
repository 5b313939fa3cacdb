"""Pure ASGI middleware: the request id and the access log, the request's size limits, and the
refusal of a request target with more than one spelling."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from picus.access_log import MESSAGE, access_fields
from picus.contract import MAX_HEADER_BYTES, MAX_URL_BYTES, REQUEST_ID_HEADER, TRACE_ID_HEADER
from picus.errors import ErrorCode
from picus.request_id import pick_request_id
from picus.targets import NOT_CANONICAL, is_canonical
from service.logs import request_fields
from service.responses import send_error

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("picus.access")
header_name = REQUEST_ID_HEADER.encode()


class RequestContextMiddleware:
    """Gives each request an id (``request.state.request_id``), returns it in ``X-Request-Id``
    and writes one access-log line when the response is done: the path as the client sent it,
    the route that served it, and the subject only where the route's access check read a
    verified token (service/access.py). Never logs bodies."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope["headers"])
        trace_id = _header(headers, TRACE_ID_HEADER)
        # The caller's X-Request-Id, else the ALB's trace id, else a new one.
        request_id = pick_request_id(_header(headers, REQUEST_ID_HEADER), trace_id)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                if all(name != header_name for name, _ in headers):
                    headers.append((header_name, request_id.encode()))
                message["headers"] = headers
            await send(message)

        with request_fields(request_id, trace_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                access_log.info(
                    MESSAGE,
                    extra=access_fields(
                        request_id=request_id,
                        trace_id=trace_id,
                        subject=state.get("subject"),
                        method=scope["method"],
                        path=_raw_path(scope),
                        route=_route(scope),
                        status=status,
                        started=started,
                    ),
                )


def _raw_path(scope: Scope) -> str:
    raw: bytes | None = scope.get("raw_path")
    return raw.decode("latin-1") if raw is not None else str(scope["path"])


def _route(scope: Scope) -> str | None:
    # Starlette's router records the route it handed the request to.
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else None


def _header(headers: dict[bytes, bytes], name: str) -> str | None:
    value = headers.get(name.encode())
    return value.decode("latin-1") if value is not None else None


class RequestLimitsMiddleware:
    """Refuses a URL or headers far larger than any request of this API, before any work."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            url_bytes = len(scope.get("raw_path") or b"") + len(scope.get("query_string", b""))
            header_bytes = sum(len(k) + len(v) + 4 for k, v in scope["headers"])
            if url_bytes > MAX_URL_BYTES:
                message = f"the URL is over {MAX_URL_BYTES} bytes"
                await send_error(send, ErrorCode.URI_TOO_LONG, message, _request_id(scope))
                return
            if header_bytes > MAX_HEADER_BYTES:
                message = f"the headers are over {MAX_HEADER_BYTES} bytes"
                await send_error(send, ErrorCode.HEADERS_TOO_LARGE, message, _request_id(scope))
                return
        await self.app(scope, receive, send)


def _request_id(scope: Scope) -> str:
    request_id: str = scope.get("state", {}).get("request_id", "")
    return request_id


class CanonicalTargetMiddleware:
    """Answers the contract's 404 to a path with more than one spelling (a percent-escape, a dot
    or empty segment, a trailing slash, a ``;`` parameter: picus/targets.py), before routing:
    the load balancer's rules and Starlette's routes then read one and the same path, and
    Starlette never answers a trailing slash with a redirect built from the client's Host."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not is_canonical(_raw_path(scope)):
            await send_error(send, ErrorCode.NO_ROUTE, NOT_CANONICAL, _request_id(scope))
            return
        await self.app(scope, receive, send)
