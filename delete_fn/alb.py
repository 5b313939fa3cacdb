"""A typed, read-only view of an ALB target-group event, and the response the ALB expects.

The ALB passes the path and query string still percent-encoded, lowercases header names,
base64-encodes bodies it considers binary, and, when the target group enables multi-value
headers, sends ``multiValueHeaders`` and wants them back in the response.
"""

from __future__ import annotations

import base64
import json
from http import HTTPStatus
from typing import Any


class AlbRequest:
    __slots__ = ("_event",)

    def __init__(self, event: dict[str, Any]) -> None:
        self._event = event

    @property
    def method(self) -> str:
        return str(self._event.get("httpMethod", ""))

    @property
    def raw_path(self) -> str:
        return str(self._event.get("path", ""))

    @property
    def multi_value(self) -> bool:
        return "multiValueHeaders" in self._event

    def header(self, name: str) -> str | None:
        values = self.header_values(name)
        return values[-1] if values else None

    def header_values(self, name: str) -> list[str]:
        """Every value of a header: all of them with multi-value headers, else the one the
        load balancer passes (the last)."""
        if self.multi_value:
            values = (self._event.get("multiValueHeaders") or {}).get(name)
            return [v for v in values or () if isinstance(v, str)]
        value = (self._event.get("headers") or {}).get(name)
        return [value] if isinstance(value, str) else []

    @property
    def body(self) -> bytes:
        body = self._event.get("body") or ""
        if self._event.get("isBase64Encoded"):
            return base64.b64decode(body)
        return str(body).encode()


def alb_response(
    request: AlbRequest, status: int, body: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    all_headers = {"content-type": "application/json", **headers}
    response: dict[str, Any] = {
        "statusCode": status,
        "statusDescription": f"{status} {HTTPStatus(status).phrase}",
        "isBase64Encoded": False,
        "body": json.dumps(body),
    }
    if request.multi_value:
        response["multiValueHeaders"] = {k: [v] for k, v in all_headers.items()}
    else:
        response["headers"] = all_headers
    return response
