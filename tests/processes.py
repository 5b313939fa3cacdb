"""The service as the container runs it, ``python -m service``, in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.backends import ROOT, free_port


def start_service(endpoint: str, **settings: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        "PICUS_HOST": "127.0.0.1",
        "PICUS_PORT": str(port),
        "PICUS_LOG_LEVEL": "WARNING",
        **settings,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "service"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        if wait_healthy(process, f"{url}/health").status_code != 200:
            raise RuntimeError("the service started unhealthy")
    except RuntimeError:
        process.kill()
        raise
    return process, url


def wait_healthy(process: subprocess.Popen[bytes], health_url: str) -> httpx.Response:
    """The first answer of a starting process's health endpoint."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return httpx.get(health_url)
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the service did not start")
        time.sleep(0.05)


@contextmanager
def service_process(
    endpoint: str, **settings: str
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    process, url = start_service(endpoint, **settings)
    try:
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))
