"""Logs: one JSON object per line, and every line written while serving a request carries
that request's id and the load balancer's trace id."""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from devkit.fault_proxy import Fault, FaultProxy
from devkit.processes import start_service
from service.logs import JsonFormatter, RequestFields, request_fields

TRACE = "Root=1-67891233-abcdef012345678912345678"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestFields())
    logger = logging.getLogger("picus.test.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield out
    finally:
        logger.removeHandler(handler)


def test_lines_logged_while_serving_carry_the_request(captured: io.StringIO) -> None:
    logger = logging.getLogger("picus.test.logs")
    with request_fields("req-1", TRACE + "x" * 1000):
        logger.info("inside")
    logger.info("outside")
    inside, outside = (json.loads(line) for line in captured.getvalue().splitlines())
    assert inside["request_id"] == "req-1"
    # Bounded, and marked as cut.
    assert inside["trace_id"].startswith(TRACE) and len(inside["trace_id"]) == 256 + 1
    assert inside["trace_id"].endswith("…")
    assert "request_id" not in outside and "trace_id" not in outside


def test_the_running_service_logs_the_trace_id_on_every_line(ddb_endpoint: str) -> None:
    upstream = urlsplit(ddb_endpoint)
    with FaultProxy(upstream.hostname or "", upstream.port or 0).running() as proxy:
        proxy.set(Fault.SERVER_ERROR)
        process, url = start_service(
            proxy.endpoint, {"PICUS_LOG_LEVEL": "INFO"}, output=subprocess.PIPE
        )
        try:
            key = "2f897e49-a179-4160-8056-d96c51aab199"
            response = httpx.get(f"{url}/picus/get/{key}", headers={"x-amzn-trace-id": TRACE})
            assert response.status_code == 503
        finally:
            process.terminate()
            output, _ = process.communicate(timeout=30)
    lines = [json.loads(line) for line in output.decode().splitlines()]
    traced = [line for line in lines if line.get("trace_id") == TRACE]
    messages = {line["message"] for line in traced}
    assert "request" in messages, "the access line"
    assert any(m.startswith("dynamodb GetItem failed") for m in messages), messages
    for line in traced:
        assert line["request_id"] == TRACE  # the ALB's trace id is the request id too


def test_the_text_format_is_short_and_coloured_by_status() -> None:
    from service.logs import TextFormatter

    access = logging.makeLogRecord(
        {
            "msg": "request",
            "method": "GET",
            "path": "/picus/list",
            "status": 503,
            "duration_ms": 12.4,
            "levelname": "INFO",
        }
    )
    plain = TextFormatter(colour=False).format(access)
    assert re.fullmatch(r"\d\d:\d\d:\d\d GET    /picus/list 503 12 ms", plain), plain
    assert "\033[31m503\033[0m" in TextFormatter(colour=True).format(access)
    other = logging.makeLogRecord({"msg": "table %s", "args": ("down",), "levelname": "WARNING"})
    assert TextFormatter(colour=False).format(other).endswith("WARNING table down")


def test_the_text_format_never_hands_a_terminal_a_control_character() -> None:
    from service.logs import TextFormatter

    # A path that would clear the screen and forge a second line, and a message carrying one.
    access = logging.makeLogRecord(
        {
            "msg": "request",
            "method": "GET\x1b",
            "path": "/picus/\x1b[2J\r\n14:00:00 POST   /picus/put 201 1 ms",
            "status": 404,
            "duration_ms": 1.0,
            "levelname": "INFO",
        }
    )
    other = logging.makeLogRecord({"msg": "bad %s", "args": ("\x9b\x07",), "levelname": "INFO"})
    for record in (access, other):
        for colour in (False, True):
            line = TextFormatter(colour=colour).format(record)
            # Only the formatter's own colour codes are escape sequences.
            assert not re.search(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]", re.sub(r"\033\[\d+m", "", line))
            assert "\n" not in line and "\r" not in line
    assert "\\x1b[2J\\x0d\\x0a" in TextFormatter(colour=False).format(access)
