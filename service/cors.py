"""Pure ASGI middleware: the service's side of CORS (picus/cors.py), for every path it serves."""

from __future__ import annotations

from typing import TYPE_CHECKING

from picus.cors import ORIGIN, REQUEST_METHOD, VARY, CorsPolicy

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send


class CorsMiddleware:
    """Answers a browser's preflight from an allowed origin with a 204 of its own, before
    routing and before any access check (a preflight never carries a token: the load balancer
    lets it through unauthenticated, routing rule 95), and adds the CORS headers to every other
    answer of the service. Without a policy (the default: no origin) it does nothing."""

    def __init__(self, app: ASGIApp, policy: CorsPolicy | None = None) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.policy is None:
            await self.app(scope, receive, send)
            return
        origin = _one(scope, ORIGIN)
        raw: bytes | None = scope.get("raw_path")
        raw_path = raw.decode("latin-1") if raw is not None else str(scope["path"])
        request_method = _one(scope, REQUEST_METHOD)
        preflight = self.policy.preflight(scope["method"], raw_path, origin, request_method)
        if preflight is not None:
            await send(
                {"type": "http.response.start", "status": 204, "headers": _encode(preflight)}
            )
            await send({"type": "http.response.body", "body": b""})
            return
        if scope["method"] == "OPTIONS" and request_method is not None:
            # A preflight the policy does not answer (another origin, no such path) is told
            # nothing: the app's 404 or 405 then fails it in the browser.
            extra = {VARY: ORIGIN}
        else:
            extra = self.policy.response_headers(origin)

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _merged(list(message.get("headers", [])), extra)
            await send(message)

        await self.app(scope, receive, send_with_cors)


def _one(scope: Scope, name: str) -> str | None:
    # Two values of one of these headers is no request a browser sends: treated as none.
    values = [v for k, v in scope["headers"] if k == name.encode()]
    return values[0].decode("latin-1") if len(values) == 1 else None


def _encode(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


def _merged(headers: list[tuple[bytes, bytes]], extra: dict[str, str]) -> list[tuple[bytes, bytes]]:
    vary = [v.decode("latin-1") for k, v in headers if k == VARY.encode()]
    kept = [(k, v) for k, v in headers if k != VARY.encode()]
    # A route's own Vary stays; Origin is added to it once.
    fields = [f.strip() for value in vary for f in value.split(",") if f.strip()]
    if all(f.lower() != ORIGIN for f in fields):
        fields.append(extra[VARY])
    return kept + _encode({**extra, VARY: ", ".join(fields)})
