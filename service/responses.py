"""Responses whose JSON text is already built (items are written straight from DynamoDB)."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from picus.contract import REQUEST_ID_HEADER
from picus.errors import ErrorCode, error_json, retry_headers

JSON = "application/json"


def json_text(text: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(text.encode(), status_code=status, headers=headers, media_type=JSON)


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
