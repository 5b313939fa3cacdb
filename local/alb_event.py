"""ALB <-> Lambda translation, as the load balancer does it for a ``lambda`` target group."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass, field
from typing import Any

#: Any well-formed ARN: the handler may read it, the local origin has no real one.
LOCAL_TARGET_GROUP_ARN = (
    "arn:aws:elasticloadbalancing:us-east-1:000000000000:"
    "targetgroup/picus-delete-fn/0000000000000000"
)

_TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml")


class MalformedResponse(ValueError):
    """The function's answer is not one the ALB can turn into an HTTP response (a 502)."""


@dataclass(frozen=True)
class LambdaContext:
    """What the Lambda runtime hands a handler, as far as a handler reads it."""

    function_name: str = "delete_fn"
    memory_limit_in_mb: int = 256
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:delete_fn:live"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def _is_text(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media.startswith(_TEXT_TYPES) or media.endswith("+json")


def _query_pairs(query_string: bytes) -> list[tuple[str, str]]:
    # Passed on as they arrived, still percent-encoded, as the ALB does.
    pairs = []
    for part in query_string.decode("latin-1").split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((name, value))
    return pairs


def build_event(
    *,
    method: str,
    raw_path: str,
    query_string: bytes,
    headers: list[tuple[str, str]],
    body: bytes,
    multi_value: bool,
) -> dict[str, Any]:
    content_type = next((v for k, v in headers if k == "content-type"), None)
    is_text = _is_text(content_type)
    try:
        text = body.decode("utf-8") if is_text else None
    except UnicodeDecodeError:
        text = None
    event: dict[str, Any] = {
        "requestContext": {"elb": {"targetGroupArn": LOCAL_TARGET_GROUP_ARN}},
        "httpMethod": method,
        "path": raw_path,
        "body": text if text is not None else base64.b64encode(body).decode(),
        "isBase64Encoded": text is None,
    }
    pairs = _query_pairs(query_string)
    if multi_value:
        mv_headers: dict[str, list[str]] = {}
        for name, value in headers:
            mv_headers.setdefault(name, []).append(value)
        mv_query: dict[str, list[str]] = {}
        for name, value in pairs:
            mv_query.setdefault(name, []).append(value)
        event["multiValueHeaders"] = mv_headers
        event["multiValueQueryStringParameters"] = mv_query
    else:
        # Single-value mode: the last value of a repeated name wins.
        event["headers"] = dict(headers)
        event["queryStringParameters"] = dict(pairs)
    return event


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def parse_response(response: Any, *, multi_value: bool, max_bytes: int) -> HttpResponse:
    """The HTTP response the ALB makes of a function's answer; MalformedResponse if none."""
    if not isinstance(response, dict):
        raise MalformedResponse("the function did not return an object")
    status = response.get("statusCode")
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise MalformedResponse("statusCode is missing or not an HTTP status")
    headers: list[tuple[str, str]] = []
    key = "multiValueHeaders" if multi_value else "headers"
    raw_headers = response.get(key)
    if raw_headers is None:
        raw_headers = {}
    if not isinstance(raw_headers, dict):
        raise MalformedResponse(f"{key} is not an object")
    for name, value in raw_headers.items():
        values = value if multi_value else [value]
        if not isinstance(name, str) or not isinstance(values, list):
            raise MalformedResponse(f"{key} has a malformed entry")
        for v in values:
            if not isinstance(v, str | int | float) or isinstance(v, bool):
                raise MalformedResponse(f"header {name} has a malformed value")
            headers.append((name.lower(), str(v)))
    body = response.get("body") or ""
    if not isinstance(body, str):
        raise MalformedResponse("body is not a string")
    if response.get("isBase64Encoded"):
        try:
            payload = base64.b64decode(body, validate=True)
        except binascii.Error as exc:
            raise MalformedResponse("body is not valid base64") from exc
    else:
        payload = body.encode()
    if len(payload) > max_bytes:
        raise MalformedResponse("the response is larger than the ALB passes on")
    return HttpResponse(status, headers, payload)
