"""The access log: one structured line per request, never the body."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.http import JSON


def test_one_access_log_line_per_request(
    http: httpx.Client, api_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "do-not-log-this-value"
    with caplog.at_level("INFO", logger="picus.access"):
        response = http.post(
            f"{api_url}/picus/put", content=f'{{"s": "{secret}"}}'.encode(), headers=JSON
        )
        # The line is written once the response is done, on the server's thread.
        deadline = time.monotonic() + 5
        while not (records := [r for r in caplog.records if r.name == "picus.access"]):
            assert time.monotonic() < deadline
            time.sleep(0.01)
    assert len(records) == 1
    record = records[0]
    assert (record.method, record.path, record.status) == ("POST", "/picus/put", 201)  # type: ignore[attr-defined]
    assert record.request_id == response.headers["x-request-id"]  # type: ignore[attr-defined]
    assert record.duration_ms >= 0  # type: ignore[attr-defined]
    assert secret not in caplog.text
