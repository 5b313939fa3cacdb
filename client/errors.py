"""Everything the client raises, one class per answer a caller may branch on.

    PicusError
    ├── Unreachable ............. no answer: DNS, connection, TLS, a dropped connection, a
    │                             timeout (after the retries the call allowed)
    ├── UnexpectedResponse ...... an answer the API's document does not describe (a redirect,
    │                             a success of another shape)
    └── ApiError ................ an error status; ``status``, ``code``, ``message``,
        │                         ``request_id``, ``details``, ``retry_after``
        ├── BadRequest .......... 400: invalid_json, not_an_object, invalid_value, invalid_key,
        │                         invalid_limit, invalid_cursor, invalid_precondition,
        │                         invalid_idempotency_key (``code`` says which)
        ├── Unauthorized ........ 401: the load balancer's page (no token, or one it refuses)
        ├── Forbidden ........... 403: the firewall's page
        │   └── InsufficientScope  403 insufficient_scope: the token lacks the operation's scope
        ├── NotFound ............ 404 not_found: no item under that key (deleted, or never)
        ├── NoSuchRoute ......... 404 no_such_route: no operation at that path (not an item!)
        ├── MethodNotAllowed .... 405 method_not_allowed
        ├── IdempotencyKeyInUse . 409 idempotency_key_in_use: the key's first request runs still
        ├── PreconditionFailed .. 412 precondition_failed: If-Match no longer holds
        ├── PayloadTooLarge ..... 413 payload_too_large (or the load balancer's page)
        ├── UriTooLong .......... 414 uri_too_long
        ├── UnsupportedMediaType  415 unsupported_media_type
        ├── IdempotencyKeyReused  422 idempotency_key_reused: the key was sent with another body
        ├── PreconditionRequired  428 precondition_required: replace needs If-Match
        ├── TooManyRequests ..... 429
        ├── HeadersTooLarge ..... 431 headers_too_large
        └── ServerError ......... 5xx
            ├── InternalError ... 500 internal_error
            ├── BadGateway ...... 502: the load balancer's page
            ├── ServiceUnavailable  503 backend_unavailable, or the load balancer's page
            └── GatewayTimeout .. 504: the load balancer's page

An answer is read once, at one boundary (:func:`from_response`): the API's JSON error gives the
class by its ``code``; anything else with an error status (the load balancer's HTML page) by
its status alone, with ``code`` None.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, ClassVar, Final

from client import retry
from picus.errors import ErrorCode

if TYPE_CHECKING:
    import httpx


class PicusError(Exception):
    """Anything the client raises about a call."""


class Unreachable(PicusError):
    """The call got no answer."""


class UnexpectedResponse(PicusError):
    """An answer the API's document does not describe."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class ApiError(PicusError):
    """An answer with an error status."""

    #: The code this class stands for, where it stands for one.
    for_code: ClassVar[ErrorCode | None] = None

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: ErrorCode | None = None,
        request_id: str | None = None,
        details: dict[str, str] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{status} {code.code if code else 'error'}: {message}")
        self.status = status
        #: None when the answer is not the API's JSON error (the load balancer's own page).
        self.code = code
        self.message = message
        self.request_id = request_id
        #: Facts beside the message, e.g. ``object_id`` on a put's 503.
        self.details = details or {}
        #: Seconds the answer asked the client to wait before trying again.
        self.retry_after = retry_after
        #: A replace or delete sent again after an attempt got no answer (or a 503), now told
        #: its version or item is gone: that earlier attempt may have done the write. GET the
        #: item to know.
        self.maybe_applied_before = False


class BadRequest(ApiError):
    pass


class Unauthorized(ApiError):
    pass


class Forbidden(ApiError):
    pass


class InsufficientScope(Forbidden):
    for_code = ErrorCode.INSUFFICIENT_SCOPE


# Not a subclass of NoSuchRoute or the other way round: the API answers them apart so that a
# caller can tell a deleted item from a wrong URL, and ``except NotFound`` must not blur them.
class NotFound(ApiError):
    for_code = ErrorCode.NOT_FOUND


class NoSuchRoute(ApiError):
    for_code = ErrorCode.NO_ROUTE


class MethodNotAllowed(ApiError):
    for_code = ErrorCode.METHOD_NOT_ALLOWED


class RequestTimeout(ApiError):
    """The request's headers or body did not arrive in time; the connection was closed."""

    for_code = ErrorCode.REQUEST_TIMEOUT


class IdempotencyKeyInUse(ApiError):
    for_code = ErrorCode.IDEMPOTENCY_KEY_IN_USE


class PreconditionFailed(ApiError):
    for_code = ErrorCode.PRECONDITION_FAILED


class PayloadTooLarge(ApiError):
    for_code = ErrorCode.PAYLOAD_TOO_LARGE


class UriTooLong(ApiError):
    for_code = ErrorCode.URI_TOO_LONG


class UnsupportedMediaType(ApiError):
    for_code = ErrorCode.UNSUPPORTED_MEDIA_TYPE


class IdempotencyKeyReused(ApiError):
    for_code = ErrorCode.IDEMPOTENCY_KEY_REUSED


class PreconditionRequired(ApiError):
    for_code = ErrorCode.PRECONDITION_REQUIRED


class TooManyRequests(ApiError):
    pass


class HeadersTooLarge(ApiError):
    for_code = ErrorCode.HEADERS_TOO_LARGE


class ServerError(ApiError):
    pass


class InternalError(ServerError):
    for_code = ErrorCode.INTERNAL


class BadGateway(ServerError):
    pass


class ServiceUnavailable(ServerError):
    for_code = ErrorCode.BACKEND_UNAVAILABLE


class GatewayTimeout(ServerError):
    pass


def _classes(root: type[ApiError]) -> list[type[ApiError]]:
    found = [root]
    for sub in root.__subclasses__():
        found.extend(_classes(sub))
    return found


#: The class of each code; 400's codes share BadRequest (their ``code`` tells them apart).
BY_CODE: Final[dict[ErrorCode, type[ApiError]]] = {
    **{code: BadRequest for code in ErrorCode if code.status == 400},
    **{cls.for_code: cls for cls in _classes(ApiError) if cls.for_code is not None},
}
#: The class of an error status without the API's JSON: the load balancer's pages, mostly.
BY_STATUS: Final[dict[int, type[ApiError]]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    # Nothing served the path: the API's own 404 always names its code.
    404: NoSuchRoute,
    405: MethodNotAllowed,
    409: IdempotencyKeyInUse,
    412: PreconditionFailed,
    413: PayloadTooLarge,
    414: UriTooLong,
    415: UnsupportedMediaType,
    422: IdempotencyKeyReused,
    428: PreconditionRequired,
    429: TooManyRequests,
    431: HeadersTooLarge,
    500: InternalError,
    502: BadGateway,
    503: ServiceUnavailable,
    504: GatewayTimeout,
}
_CODES: Final = {code.code: code for code in ErrorCode}
#: The load balancer's page is ``<title>502 Bad Gateway</title>`` (picus/alb.py).
_TITLE: Final = re.compile(r"<title>\s*(?:\d{3}\s+)?([^<]*)</title>", re.IGNORECASE)


def _error_object(response: httpx.Response) -> dict[str, Any] | None:
    if "json" not in response.headers.get("content-type", ""):
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else None


def from_response(response: httpx.Response) -> ApiError:
    """The error an answer with a 4xx or 5xx status stands for."""
    error = _error_object(response)
    code = _CODES.get(str(error.get("code"))) if error else None
    if code is not None and code.status == response.status_code:
        cls = BY_CODE[code]
    else:
        code = None
        fallback = ServerError if response.status_code >= 500 else ApiError
        cls = BY_STATUS.get(response.status_code, fallback)
    if error is not None:
        message = str(error.get("message", ""))
        request_id = str(error["request_id"]) if error.get("request_id") else None
        details = {
            str(k): str(v) for k, v in error.items() if k not in ("code", "message", "request_id")
        }
    else:  # the load balancer's page: its title says it all
        title = _TITLE.search(response.text[:1024])
        message = title[1].strip() if title else response.reason_phrase
        request_id, details = response.headers.get("x-request-id"), {}
    return cls(
        response.status_code,
        message,
        code=code,
        request_id=request_id,
        details=details,
        retry_after=retry.retry_after(response.headers.get("retry-after")),
    )
