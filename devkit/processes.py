"""Starting what a user starts, in processes of their own, and knowing when they answer:
``python -m service`` as the container runs it, ``python -m local`` as ``dev.py serve`` does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from devkit import ROOT

# The local origin picks its embedded DynamoDB's port the same way; one definition for both.
from local.embedded import free_port as free_port
from picus.contract import HEALTH_PATH


def wait_until(condition: Callable[[], bool], failure: str, timeout_s: float = 15) -> None:
    """Returns once ``condition()`` holds; fails with ``failure`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(failure)
        time.sleep(0.01)


def wait_healthy(
    process: subprocess.Popen[Any], health_url: str, timeout_s: float = 30
) -> httpx.Response:
    """The first answer of a starting process's health endpoint; raises if the process ends
    or does not answer in time."""
    deadline = time.monotonic() + timeout_s
    # One client for every poll: each new one builds an SSL context, tens of milliseconds of
    # CPU taken from the process being started (and timed) on a small machine.
    with httpx.Client(timeout=2) as client:
        while True:
            try:
                return client.get(health_url)
            except httpx.TransportError:
                pass
            if process.poll() is not None:
                raise RuntimeError(f"{process.args!r} ended with {process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{health_url} did not answer within {timeout_s} s")
            time.sleep(0.02)


def without_aws(env: dict[str, str], home: Path) -> dict[str, str]:
    """A laptop with no AWS configured at all: the local origin embeds its DynamoDB."""
    clean = {k: v for k, v in env.items() if not k.startswith("AWS_")}
    clean["HOME"] = str(home)
    clean["PICUS_LOCAL_ISSUER_FILE"] = str(home / "issuer.json")
    return clean


@dataclass
class Running:
    """A started process, its base URL and, once it has stopped, what it printed."""

    process: subprocess.Popen[str]
    url: str
    output: str = ""


@contextmanager
def local_origin(home: Path, *flags: str, timeout_s: float = 60) -> Iterator[Running]:
    """``python3 dev.py serve [flags]`` without AWS; stopped with Ctrl-C (SIGINT) on exit."""
    port = free_port()
    # A file, not a pipe: a pipe nobody reads until the end would stall a talkative server.
    log = home / "local-origin.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "local", "--port", str(port), *flags],
            cwd=ROOT,
            env=without_aws(dict(os.environ), home),
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
    running = Running(process, f"http://127.0.0.1:{port}")
    try:
        wait_healthy(process, running.url + HEALTH_PATH, timeout_s)
        yield running
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)
        running.output = log.read_text()


def start_service(
    endpoint: str, settings: Mapping[str, str] | None = None, output: int = subprocess.DEVNULL
) -> tuple[subprocess.Popen[bytes], str]:
    """``python -m service`` against ``endpoint``, healthy; ``settings`` are env variables,
    ``output`` where its stdout goes (``subprocess.PIPE`` to read its logs)."""
    port = free_port()
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        "PICUS_HOST": "127.0.0.1",
        "PICUS_PORT": str(port),
        "PICUS_LOG_LEVEL": "WARNING",
        **(settings or {}),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "service"],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        if wait_healthy(process, url + HEALTH_PATH).status_code != 200:
            raise RuntimeError("the service started unhealthy")
    except RuntimeError:
        # Reaped here: an unreaped child's ResourceWarning would fail some later test instead.
        process.kill()
        process.wait(10)
        raise
    return process, url


@contextmanager
def service_process(
    endpoint: str, settings: Mapping[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    process, url = start_service(endpoint, settings)
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
