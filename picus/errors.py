"""The one JSON shape of every error the API returns, and its machine-readable codes."""

from __future__ import annotations

import json
from enum import Enum
from http import HTTPStatus
from typing import Any


class ErrorCode(Enum):
    """A code a client can branch on, and the HTTP status it travels with."""

    INVALID_JSON = ("invalid_json", HTTPStatus.BAD_REQUEST)
    NOT_AN_OBJECT = ("not_an_object", HTTPStatus.BAD_REQUEST)
    INVALID_VALUE = ("invalid_value", HTTPStatus.BAD_REQUEST)
    INVALID_KEY = ("invalid_key", HTTPStatus.BAD_REQUEST)
    INVALID_LIMIT = ("invalid_limit", HTTPStatus.BAD_REQUEST)
    INVALID_CURSOR = ("invalid_cursor", HTTPStatus.BAD_REQUEST)
    INSUFFICIENT_SCOPE = ("insufficient_scope", HTTPStatus.FORBIDDEN)
    NOT_FOUND = ("not_found", HTTPStatus.NOT_FOUND)
    METHOD_NOT_ALLOWED = ("method_not_allowed", HTTPStatus.METHOD_NOT_ALLOWED)
    PAYLOAD_TOO_LARGE = ("payload_too_large", HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    URI_TOO_LONG = ("uri_too_long", HTTPStatus.REQUEST_URI_TOO_LONG)
    HEADERS_TOO_LARGE = ("headers_too_large", HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
    UNSUPPORTED_MEDIA_TYPE = ("unsupported_media_type", HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
    INTERNAL = ("internal_error", HTTPStatus.INTERNAL_SERVER_ERROR)
    BACKEND_UNAVAILABLE = ("backend_unavailable", HTTPStatus.SERVICE_UNAVAILABLE)

    def __init__(self, code: str, status: HTTPStatus) -> None:
        self.code = code
        self.status = status


#: Seconds a client should wait before retrying a 503.
RETRY_AFTER_SECONDS = 1


def error_body(
    code: ErrorCode, message: str, request_id: str, details: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "error": {
            "code": code.code,
            "message": message,
            "request_id": request_id,
            **(details or {}),
        }
    }


def error_json(
    code: ErrorCode, message: str, request_id: str, details: dict[str, str] | None = None
) -> bytes:
    return json.dumps(error_body(code, message, request_id, details)).encode()


def retry_headers(code: ErrorCode) -> dict[str, str]:
    if code.status == HTTPStatus.SERVICE_UNAVAILABLE:
        return {"retry-after": str(RETRY_AFTER_SECONDS)}
    return {}
