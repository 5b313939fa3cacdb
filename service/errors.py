"""Errors a client can see, each a tiny class carrying its :class:`ErrorCode`.

    ApiError
    ├── BadRequest ........ invalid_json, not_an_object, invalid_value, invalid_key, ...
    ├── NotFound
    ├── PayloadTooLarge
    ├── UnsupportedMediaType
    └── StoreUnavailable .. DynamoDB down, slow, throttling or failing: 503

The store translates botocore's exceptions into these at its boundary; routes never see
a foreign exception.
"""

from __future__ import annotations

from picus.errors import ErrorCode


class ApiError(Exception):
    code: ErrorCode = ErrorCode.INTERNAL

    #: Facts the client needs beside the message, e.g. the key a failed put may have used.
    details: dict[str, str]

    def __init__(self, message: str, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = {}
        if code is not None:
            self.code = code


class BadRequest(ApiError):
    code = ErrorCode.INVALID_VALUE


class NotFound(ApiError):
    code = ErrorCode.NOT_FOUND


class PayloadTooLarge(ApiError):
    code = ErrorCode.PAYLOAD_TOO_LARGE


class UnsupportedMediaType(ApiError):
    code = ErrorCode.UNSUPPORTED_MEDIA_TYPE


class StoreUnavailable(ApiError):
    code = ErrorCode.BACKEND_UNAVAILABLE
