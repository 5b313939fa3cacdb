"""Load generation with wrk, and reading its report."""

from __future__ import annotations

import re
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.servers import Server

SCRIPTS = Path(__file__).resolve().parent / "wrk"
CONCURRENCY = 64


@dataclass(frozen=True)
class LoadResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # non-2xx/3xx answers and socket errors, never hidden
    cpu_ms_per_request: float
    peak_rss_mb: float


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse_wrk(output: str) -> tuple[float, float, float, int, int]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        errors += sum(int(n) for n in match.groups())
    return rps, p50, p99, requests, errors


class RssSampler:
    """Peak resident memory of a server's process tree, sampled ten times a second."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.server.rss_bytes())
            time.sleep(0.1)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.server.rss_bytes())


def wrk(server: Server, script: str, seconds: float, *args: str) -> str:
    command = [
        "wrk", "-t1", f"-c{CONCURRENCY}", f"-d{seconds}s", "--latency", "--timeout", "10s",
        "-s", str(SCRIPTS / script), server.url, *(["--", *args] if args else []),
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def run_load(server: Server, script: str, seconds: float, warmup: float, *args: str) -> LoadResult:
    if warmup:
        wrk(server, script, warmup, *args)  # warm-up, not measured
    cpu_before = server.cpu_seconds()
    with RssSampler(server) as rss:
        output = wrk(server, script, seconds, *args)
    cpu = server.cpu_seconds() - cpu_before
    rps, p50, p99, requests, errors = parse_wrk(output)
    return LoadResult(
        requests_per_s=rps,
        p50_ms=p50,
        p99_ms=p99,
        requests=requests,
        errors=errors,
        cpu_ms_per_request=cpu * 1000 / max(requests, 1),
        peak_rss_mb=rss.peak / 2**20,
    )
