"""Responses whose JSON is already built (items are written straight from DynamoDB)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from picus.contract import REQUEST_ID_HEADER
from picus.errors import ErrorCode, error_json, retry_headers

if TYPE_CHECKING:
    from starlette.types import Send

JSON = "application/json"


def json_text(
    text: str | bytes, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    body = text.encode() if isinstance(text, str) else text
    return Response(body, status_code=status, headers=headers, media_type=JSON)


def error_response(
    request: Request,
    code: ErrorCode,
    message: str,
    headers: Mapping[str, str] | None = None,
    details: dict[str, str] | None = None,
) -> Response:
    request_id: str = getattr(request.state, "request_id", "")
    extra = {**retry_headers(code), **(headers or {})}
    if request_id:
        # The middleware adds it too, except on the outermost 500 path.
        extra.setdefault(REQUEST_ID_HEADER, request_id)
    return Response(
        error_json(code, message, request_id, details),
        status_code=code.status,
        headers=extra,
        media_type=JSON,
    )


async def send_error(send: Send, code: ErrorCode, message: str, request_id: str) -> None:
    """The API's error shape straight onto an ASGI connection, for code that runs before a
    Starlette request exists (middleware, the local router)."""
    body = error_json(code, message, request_id)
    await send(
        {
            "type": "http.response.start",
            "status": int(code.status),
            "headers": [
                (b"content-type", JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                (REQUEST_ID_HEADER.encode(), request_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
