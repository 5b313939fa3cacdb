"""The README's run command, as a user runs it: one process, embedded DynamoDB, curl."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from devkit.processes import local_origin

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")


def curl(*args: str) -> tuple[int, str]:
    out = subprocess.run(
        ["curl", "-s", "-w", "\n%{http_code}", *args], capture_output=True, text=True, check=True
    ).stdout
    body, _, status = out.rpartition("\n")
    return int(status), body


def test_run_command_serves_the_walkthrough_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    with local_origin(tmp_path) as served:
        base = served.url
        status, body = curl(
            "-X",
            "POST",
            f"{base}/picus/put",
            "-H",
            "Content-Type: application/json",
            "-d",
            '{"hello": "world"}',
        )
        assert status == 201
        key = json.loads(body)["object_id"]
        status, body = curl(f"{base}/picus/list")
        assert status == 200 and key in body
        status, body = curl(f"{base}/picus/get/{key}")
        assert status == 200 and json.loads(body)["payload"] == {"hello": "world"}
        assert curl("-X", "DELETE", f"{base}/picus/{key}")[0] == 200
        assert curl(f"{base}/picus/get/{key}")[0] == 404
        assert curl("-X", "DELETE", f"{base}/picus/{key}")[0] == 404
    output = served.output
    assert served.process.returncode == 0, output
    assert "embedded DynamoDB" in output
    assert "Traceback" not in output
    # Not a terminal: JSON lines, as the container writes, and none of the embedded server's.
    for line in output.splitlines():
        assert isinstance(json.loads(line), dict), line


def test_text_logs_show_a_banner_and_short_access_lines(tmp_path: Path) -> None:
    with local_origin(tmp_path, "--log-format", "text") as served:
        base = served.url
        assert httpx.post(f"{base}/picus/put", json={"a": 1}).status_code == 201
        assert httpx.delete(f"{base}/picus/not-a-key").status_code == 400
    output = served.output
    assert served.process.returncode == 0, output
    lines = output.splitlines()
    assert f"docs       {base}/docs" in lines
    assert any(line.startswith("data ") and "in memory" in line for line in lines)
    access = r"\d\d:\d\d:\d\d {method} +{path} {status} \d+ ms"
    assert any(
        re.fullmatch(access.format(method="POST", path="/picus/put", status=201), ln)
        for ln in lines
    )
    # The DELETE, answered by the function, reads the same way.
    delete = access.format(method="DELETE", path="/picus/not-a-key", status=400)
    assert any(re.fullmatch(delete, ln) for ln in lines)
    assert "HTTP/1.1" not in output, "the embedded server's own access lines"
    assert "\033[" not in output, "no colour when the output is not a terminal"
    assert "Traceback" not in output and "Uvicorn running" not in output
