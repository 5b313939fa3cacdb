"""The contenders and the backend, each started as its own process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass

import httpx
import psutil

from devkit import ROOT
from devkit.processes import free_port, wait_healthy


def cpu_seconds(root: psutil.Process) -> float:
    """User and system CPU of a process and all its children; one that ended counts nothing."""
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    url: str

    def tree(self) -> list[psutil.Process]:
        root = psutil.Process(self.process.pid)
        return [root, *root.children(recursive=True)]

    def cpu_seconds(self) -> float:
        return cpu_seconds(psutil.Process(self.process.pid))

    def rss_bytes(self) -> int:
        total = 0
        for proc in self.tree():
            try:
                total += proc.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def _start(name: str, command: list[str], env: dict[str, str], port: int) -> Server:
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    if wait_healthy(process, f"{url}/health", timeout_s=60).status_code != 200:
        raise RuntimeError(f"{name} started unhealthy")
    return Server(name, process, url)


def backend_env(endpoint: str, table: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "PICUS_TABLE_NAME": table,
    }


def use_local_credentials() -> None:
    """This process's own AWS clients (seeding, checks) talk to the local backend only."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        os.environ[name] = backend_env("", "")[name]


def start_ours(endpoint: str, table: str) -> Server:
    """Exactly the container's command: python -m service, its flags from the settings."""
    port = free_port()
    env = {**backend_env(endpoint, table), "PICUS_PORT": str(port), "PICUS_HOST": "127.0.0.1"}
    return _start("ours", [sys.executable, "-m", "service"], env, port)


def start_flask(endpoint: str, table: str) -> Server:
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "2",
        "--worker-class", "gthread", "--bind", f"127.0.0.1:{port}",
        "bench.baselines.flask_app:app",
    ]  # fmt: skip
    return _start("flask", command, backend_env(endpoint, table), port)


def start_fastapi(endpoint: str, table: str) -> Server:
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "bench.baselines.fastapi_app:app",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--no-access-log",
    ]  # fmt: skip
    return _start("fastapi", command, backend_env(endpoint, table), port)


def start_bare() -> Server:
    """The floor for the HTTP side: uvicorn with our flags, a constant answer."""
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "bench.floors.bare_app:app", "--host", "127.0.0.1",
        "--port", str(port), "--loop", "uvloop", "--http", "httptools", "--no-access-log",
    ]  # fmt: skip
    return _start("bare uvicorn", command, {}, port)


def start_dynalite() -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    process = subprocess.Popen(
        ["node", str(ROOT / "node_modules" / "dynalite" / "cli.js"), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.post(f"http://127.0.0.1:{port}", timeout=1)
            return process, port
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("dynalite did not start") from None
            time.sleep(0.1)
