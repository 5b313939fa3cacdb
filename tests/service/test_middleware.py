"""The access log: one structured line per request, never the body."""

from __future__ import annotations

import time

import httpx
import pytest

from picus.access_log import MAX_TRACE_ID
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
    assert record.route == "/picus/put"  # type: ignore[attr-defined]
    # A public stack: no subject, whatever token a client sends.
    assert record.subject is None  # type: ignore[attr-defined]
    assert record.request_id == response.headers["x-request-id"]  # type: ignore[attr-defined]
    assert record.duration_ms >= 0  # type: ignore[attr-defined]
    assert secret not in caplog.text


def test_the_access_line_says_what_was_asked_and_bounds_what_the_client_chose(
    http: httpx.Client, service_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="picus.access"):
        # An escaped path that decodes to a control sequence, and a 9 KB trace id.
        response = http.get(
            f"{service_url}/picus/%1b%5b2J%0d%0a",
            headers={"x-amzn-trace-id": "Root=" + "t" * 9000},
        )
        deadline = time.monotonic() + 5
        while not (records := [r for r in caplog.records if r.name == "picus.access"]):
            assert time.monotonic() < deadline
            time.sleep(0.01)
    assert response.status_code == 404
    (record,) = records
    # As sent, still escaped: the decoded text never reaches the line.
    assert record.path == "/picus/%1b%5b2J%0d%0a"  # type: ignore[attr-defined]
    assert record.route is None  # type: ignore[attr-defined]
    assert len(record.trace_id) == MAX_TRACE_ID + 1  # type: ignore[attr-defined]
    assert "\x1b" not in caplog.text
