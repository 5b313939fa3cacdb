"""What the load balancer answers itself, before or instead of a target: its own small HTML
page, not the API's JSON error. Clients meet these in production, so the local origin answers
them too, byte for byte, and the OpenAPI document describes them."""

from __future__ import annotations

from typing import Final

from picus.errors import NO_SUCH_ROUTE, ErrorCode, error_json

#: The statuses the ALB (or the WAF in front of it) answers for this API, with its phrases.
PHRASES: Final = {
    401: "Authorization Required",  # no token, or one the jwt-validation action refuses
    403: "Forbidden",  # the firewall blocked the request
    413: "Request Entity Too Large",  # over 1 MB to a Lambda target
    502: "Bad Gateway",  # the function raised, timed out or answered malformed
}
CONTENT_TYPE: Final = "text/html"
SERVER: Final = "awselb/2.0"


def error_page(status: int) -> bytes:
    title = f"{status} {PHRASES[status]}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    ).encode()


def error_headers(status: int) -> list[tuple[bytes, bytes]]:
    return [
        (b"server", SERVER.encode()),
        (b"content-type", CONTENT_TYPE.encode()),
        (b"content-length", str(len(error_page(status))).encode()),
    ]


#: The listener's default action, for a request no rule names: a fixed response, the API's own
#: error shape (a fixed response cannot carry the request id, so it is empty).
NO_ROUTE_STATUS: Final = 404
NO_ROUTE_CONTENT_TYPE: Final = "application/json"
NO_ROUTE_BODY: Final = error_json(ErrorCode.NO_ROUTE, NO_SUCH_ROUTE, "")
#: What a fixed response may carry (Elastic Load Balancing's FixedResponseActionConfig).
FIXED_RESPONSE_MAX_BYTES: Final = 1024
