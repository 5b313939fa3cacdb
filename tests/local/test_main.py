"""The README's run command, as a user runs it: one process, embedded DynamoDB, curl."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.backends import ROOT, free_port

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")


def curl(*args: str) -> tuple[int, str]:
    out = subprocess.run(
        ["curl", "-s", "-w", "\n%{http_code}", *args], capture_output=True, text=True, check=True
    ).stdout
    body, _, status = out.rpartition("\n")
    return int(status), body


def test_run_command_serves_the_walkthrough_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    # A laptop with no AWS configured at all.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = str(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "local", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline, "the API did not come up"
            time.sleep(0.1)

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
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=15)
    assert process.returncode == 0, output
    assert "embedded DynamoDB" in output
    assert "Traceback" not in output
