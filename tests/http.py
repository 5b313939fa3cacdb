"""What the tests send and expect over HTTP: the JSON content type and the API's error shape."""

from __future__ import annotations

import json
from typing import Any

import httpx

from picus import contract
from picus.errors import ErrorCode

JSON = {"content-type": "application/json"}


def put(http: httpx.Client, base: str, body: Any, headers: dict[str, str] = JSON) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return http.post(f"{base}/picus/put", content=content, headers=headers)


def assert_error(response: httpx.Response, code: ErrorCode) -> dict[str, Any]:
    assert response.status_code == code.status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) - {"code", "message", "request_id"} <= {contract.PARTITION_KEY}
    assert body["error"]["code"] == code.code
    assert body["error"]["message"]
    assert body["error"]["request_id"] == response.headers["x-request-id"]
    return body
