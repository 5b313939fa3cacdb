"""Errors a client can see: their codes, their one JSON shape, and the one translation of
DynamoDB's errors that both runtimes use.

    ApiError
    ├── BadRequest ........ invalid_json, not_an_object, invalid_value, invalid_key, ...
    ├── NotFound .......... not_found (no such item), no_such_route (no such path)
    ├── MethodNotAllowed
    ├── Conflict .......... an Idempotency-Key's first request still in progress
    ├── PreconditionFailed  If-Match that no longer holds; 428 when it is required and absent
    ├── UnprocessableContent  an Idempotency-Key reused with another body
    ├── PayloadTooLarge
    ├── RequestTimeout .... a body slower than the service waits for: 408, connection closed
    ├── UnsupportedMediaType
    ├── InsufficientScope
    └── StoreUnavailable .. DynamoDB down, slow, throttling or failing: 503
        └── WriteConflict . the item is being written in another Region (MRSC): 503, or 409
                            for a put with an Idempotency-Key (its twin is in progress)

Each runtime translates its client library's exceptions at its store boundary, through
:func:`from_client_error`; handlers never see a foreign exception.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import Enum
from http import HTTPStatus
from typing import Any, Final

from picus.contract import ETAG_HEADER


class ErrorCode(Enum):
    """A code a client can branch on, and the HTTP status it travels with."""

    INVALID_JSON = ("invalid_json", HTTPStatus.BAD_REQUEST)
    NOT_AN_OBJECT = ("not_an_object", HTTPStatus.BAD_REQUEST)
    INVALID_VALUE = ("invalid_value", HTTPStatus.BAD_REQUEST)
    INVALID_KEY = ("invalid_key", HTTPStatus.BAD_REQUEST)
    INVALID_LIMIT = ("invalid_limit", HTTPStatus.BAD_REQUEST)
    INVALID_CURSOR = ("invalid_cursor", HTTPStatus.BAD_REQUEST)
    INSUFFICIENT_SCOPE = ("insufficient_scope", HTTPStatus.FORBIDDEN)
    INVALID_PRECONDITION = ("invalid_precondition", HTTPStatus.BAD_REQUEST)
    INVALID_IDEMPOTENCY_KEY = ("invalid_idempotency_key", HTTPStatus.BAD_REQUEST)
    #: A missing item, as against a path that names nothing (``NO_ROUTE``).
    NOT_FOUND = ("not_found", HTTPStatus.NOT_FOUND)
    NO_ROUTE = ("no_such_route", HTTPStatus.NOT_FOUND)
    METHOD_NOT_ALLOWED = ("method_not_allowed", HTTPStatus.METHOD_NOT_ALLOWED)
    IDEMPOTENCY_KEY_IN_USE = ("idempotency_key_in_use", HTTPStatus.CONFLICT)
    PRECONDITION_FAILED = ("precondition_failed", HTTPStatus.PRECONDITION_FAILED)
    IDEMPOTENCY_KEY_REUSED = ("idempotency_key_reused", HTTPStatus.UNPROCESSABLE_ENTITY)
    PRECONDITION_REQUIRED = ("precondition_required", HTTPStatus.PRECONDITION_REQUIRED)
    PAYLOAD_TOO_LARGE = ("payload_too_large", HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    #: Headers or a body that did not arrive within the service's limits (its settings).
    REQUEST_TIMEOUT = ("request_timeout", HTTPStatus.REQUEST_TIMEOUT)
    URI_TOO_LONG = ("uri_too_long", HTTPStatus.REQUEST_URI_TOO_LONG)
    HEADERS_TOO_LARGE = ("headers_too_large", HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
    UNSUPPORTED_MEDIA_TYPE = ("unsupported_media_type", HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
    INTERNAL = ("internal_error", HTTPStatus.INTERNAL_SERVER_ERROR)
    BACKEND_UNAVAILABLE = ("backend_unavailable", HTTPStatus.SERVICE_UNAVAILABLE)

    def __init__(self, code: str, status: HTTPStatus) -> None:
        self.code = code
        self.status = status


#: The codes a framework's own status may stand for: a 404 is for a path, never an item, and
#: a 409, 412, 422 or 428 means something only where this API raises it itself.
_BY_STATUS: Final = {
    int(c.status): c
    for c in (
        ErrorCode.INSUFFICIENT_SCOPE,
        ErrorCode.NO_ROUTE,
        ErrorCode.METHOD_NOT_ALLOWED,
        ErrorCode.PAYLOAD_TOO_LARGE,
        ErrorCode.URI_TOO_LONG,
        ErrorCode.HEADERS_TOO_LARGE,
        ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        ErrorCode.INTERNAL,
        ErrorCode.BACKEND_UNAVAILABLE,
    )
}


def code_for_status(status: int) -> ErrorCode:
    """The API's code for a status a framework answered with: its own where the API has one
    (404, 405, 413, ...), a bad request for any other 4xx, an internal error otherwise."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ErrorCode.INVALID_VALUE if 400 <= status < 500 else ErrorCode.INTERNAL


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


#: The message of a 404 for a path no operation serves, from the load balancer and the runtimes.
NO_SUCH_ROUTE = "no such route"


class ApiError(Exception):
    code: ErrorCode = ErrorCode.INTERNAL

    #: Facts the client needs beside the message, e.g. the key a failed put may have used.
    details: dict[str, str]
    #: False where the cause is not the client's and not a known transient state: log it as
    #: an error for the operator.
    expected: bool = True

    def __init__(self, message: str, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = {}
        if code is not None:
            self.code = code

    @property
    def headers(self) -> dict[str, str]:
        """Header fields the status calls for, beside the body."""
        return {}


class BadRequest(ApiError):
    code = ErrorCode.INVALID_VALUE


class NotFound(ApiError):
    code = ErrorCode.NOT_FOUND


class NoSuchRoute(NotFound):
    code = ErrorCode.NO_ROUTE

    def __init__(self, message: str = NO_SUCH_ROUTE) -> None:
        super().__init__(message)


class Conflict(ApiError):
    code = ErrorCode.IDEMPOTENCY_KEY_IN_USE


class PreconditionFailed(ApiError):
    """A 412 that carries the item's current ETag when the item still exists (RFC 9110, 8.8.3
    lets any response name the representation's ETag): the client learns what it would have
    to match without a GET."""

    code = ErrorCode.PRECONDITION_FAILED

    def __init__(self, message: str, current: str | None = None) -> None:
        super().__init__(message)
        #: The item's ETag now; None when it is gone, or was not read (weak tags only).
        self.current = current

    @property
    def headers(self) -> dict[str, str]:
        return {} if self.current is None else {ETAG_HEADER: self.current}


class UnprocessableContent(ApiError):
    code = ErrorCode.IDEMPOTENCY_KEY_REUSED


class MethodNotAllowed(ApiError):
    code = ErrorCode.METHOD_NOT_ALLOWED

    def __init__(self, allow: tuple[str, ...]) -> None:
        super().__init__(f"this path answers {', '.join(allow)} only")
        #: What the path does answer (RFC 9110, 15.5.6: a 405 carries ``Allow``).
        self.allow = allow

    @property
    def headers(self) -> dict[str, str]:
        return {"allow": ", ".join(self.allow)}


class PayloadTooLarge(ApiError):
    code = ErrorCode.PAYLOAD_TOO_LARGE


class RequestTimeout(ApiError):
    code = ErrorCode.REQUEST_TIMEOUT

    @property
    def headers(self) -> dict[str, str]:
        # What is left of the body would be read as the next request: the connection ends.
        return {"connection": "close"}


class UnsupportedMediaType(ApiError):
    code = ErrorCode.UNSUPPORTED_MEDIA_TYPE


class InsufficientScope(ApiError):
    code = ErrorCode.INSUFFICIENT_SCOPE


class StoreUnavailable(ApiError):
    code = ErrorCode.BACKEND_UNAVAILABLE


class WriteConflict(StoreUnavailable):
    """A write refused because another Region is writing the same item at this moment; it
    succeeds once that write is done."""


#: A global table in strong mode (MRSC) refuses a write to an item that another Region is
#: writing at the same moment; retrying succeeds once that write is done ("How DynamoDB global
#: tables work", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html).
#: botocore retries it as modelled retryable within the call's attempts; what is left is ours.
REPLICATED_WRITE_CONFLICT: Final = "ReplicatedWriteConflictException"

#: DynamoDB's answers that mean "not now": the client gets a 503 and retries later.
TRANSIENT_CODES: Final = frozenset(
    {
        REPLICATED_WRITE_CONFLICT,
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "LimitExceededException",
        "TransactionConflictException",
    }
)


def from_client_error(error: Mapping[str, Any], key: str | None = None) -> ApiError:
    """The API's error for DynamoDB's ``{"Code": ..., "Message": ...}`` (botocore's
    ``ClientError.response["Error"]``). ``key`` names the item a conditional write was about.

    A condition that failed means the item is not there (a conditional delete); a value
    DynamoDB refuses is the client's (413 when it is the item's size); anything else is the
    table's state, a 503 the client may retry, logged as an error when it is not a known
    transient one (access, a missing table, an unknown code).
    """
    code = str(error.get("Code", "") or "error")
    message = str(error.get("Message", "") or "")
    if code == "ConditionalCheckFailedException":
        return NotFound(f"no item has the key {key}" if key else "no such item")
    if code == "ValidationException":
        if "size" in message.lower():
            return PayloadTooLarge("the item is larger than DynamoDB's 400 KB limit")
        return BadRequest(f"DynamoDB cannot store this value: {message}")
    if code == REPLICATED_WRITE_CONFLICT:
        return WriteConflict("the item is being written in another Region: retry it")
    unavailable = StoreUnavailable(f"the table is unavailable ({code})")
    unavailable.expected = code in TRANSIENT_CODES
    return unavailable
