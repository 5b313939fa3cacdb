"""How much one task serves: the real image under Docker's CPU and memory limits equal to each
stack's task size, the Flask seed design in a container under the same limits beside it.

    python3 dev.py bench --capacity          # ~10 minutes; writes bench/results/capacity.json
    python -m bench.capacity --report FILE   # the benchmark page's table from a capacity file

The backend is dynalite behind the +5 ms latency proxy (each way). Load is wrk with its
connections stepped (1, 2, 4, ...), each step a warm-up then a measured window, GETs and PUTs
five to one (bench/wrk/mixed.lua); a contender's steps stop at the first whose p99 passes the
objective or that has errors. The capacity is the highest rate of a step within the objective.
Steps alternate between the service and the Flask design, so the two are measured side by
side on this shared machine. The container's CPU is its process tree's, over the window.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx
import psutil

from bench.cost import stack_config, stacks
from bench.load import SCRIPTS, parse_wrk
from bench.machine import calibration_flags, machine_state
from bench.result_files import CAPACITY_FILE, REFERENCE_FILE
from bench.servers import (
    backend_env,
    cpu_seconds,
    start_bare,
    start_dynalite,
    use_local_credentials,
)
from bench.workloads import SEED_ITEMS, seed
from devkit import ROOT
from devkit.container import CA_BUNDLE, base_image, build_service_image, docker, engine_answers
from devkit.latency_proxy import LatencyProxy
from devkit.processes import free_port
from picus.contract import TABLE_NAME

START, END = "<!-- capacity:start -->", "<!-- capacity:end -->"
#: The latency objective a rate must meet to count as sustained.
P99_OBJECTIVE_MS: Final = 100.0
BACKEND_DELAY_MS: Final = 5
CONNECTIONS: Final = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)
CONTENDERS: Final = ("ours", "flask")
FLASK_IMAGE: Final = "picus-bench/flask"
#: The Flask design's dependencies, at the versions the dev lock pins.
FLASK_PACKAGES: Final = ("flask", "gunicorn", "boto3")


@dataclass(frozen=True)
class Step:
    connections: int
    requests_per_s: float
    p99_ms: float
    errors: int
    requests: int
    #: The container's CPU over the window, as a share of its limit.
    cpu_percent: float

    def within(self, objective_ms: float = P99_OBJECTIVE_MS) -> bool:
        return self.errors == 0 and self.p99_ms <= objective_ms


def sustained(steps: Sequence[Step], objective_ms: float = P99_OBJECTIVE_MS) -> Step | None:
    """The step with the highest rate among those within the objective, if any."""
    good = [step for step in steps if step.within(objective_ms)]
    return max(good, key=lambda step: step.requests_per_s) if good else None


@dataclass
class Container:
    name: str
    id: str
    url: str
    cpus: float

    def cpu_seconds(self) -> float:
        pid = int(docker("inspect", "--format", "{{.State.Pid}}", self.id))
        return cpu_seconds(psutil.Process(pid))

    def log_bytes(self) -> int:
        result = subprocess.run(
            ["/usr/bin/docker", "logs", self.id], capture_output=True, check=True
        )
        return len(result.stdout) + len(result.stderr)


def _lock_pins(names: Sequence[str]) -> list[str]:
    text = (ROOT / "lock" / "dev.txt").read_text()
    return [re.search(rf"^({name}==\S+)", text, re.M).group(1) for name in names]  # type: ignore[union-attr]


def build_flask_image(base: str) -> str:
    with tempfile.TemporaryDirectory() as context:
        target = Path(context) / "bench"
        (target / "baselines").mkdir(parents=True)
        shutil.copy(ROOT / "bench" / "__init__.py", target / "__init__.py")
        for source in (ROOT / "bench" / "baselines").glob("*.py"):
            shutil.copy(source, target / "baselines" / source.name)
        args = [
            "build", "--quiet", "--tag", f"{FLASK_IMAGE}:capacity",
            "--file", str(ROOT / "bench" / "baselines" / "flask.Dockerfile"),
            "--build-arg", f"PYTHON_IMAGE={base}",
            "--build-arg", f"REQUIREMENTS={' '.join(_lock_pins(FLASK_PACKAGES))}",
        ]  # fmt: skip
        if CA_BUNDLE.is_file():
            args += ["--secret", f"id=ca-bundle,src={CA_BUNDLE}"]
        docker(*args, context, timeout=1200)
    return docker("image", "inspect", "--format", "{{.Id}}", f"{FLASK_IMAGE}:capacity")


@contextmanager
def running(name: str, image: str, cpu: int, memory: int, endpoint: str) -> Iterator[Container]:
    """The image under the task's limits (CPU units / 1024 vCPU, MiB), on the host's network."""
    port = free_port()
    env = {**backend_env(endpoint, TABLE_NAME), "PICUS_PORT": str(port), "PICUS_HOST": "127.0.0.1"}
    cpus = cpu / 1024
    container = docker(
        "run", "--detach", "--network", "host", "--cpus", f"{cpus:g}", "--memory", f"{memory}m",
        "--memory-swap", f"{memory}m", *(a for k, v in env.items() for a in ("--env", f"{k}={v}")),
        image,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                logs = subprocess.run(["/usr/bin/docker", "logs", container], capture_output=True)
                raise RuntimeError(f"{name} never became healthy: {logs.stderr[-2000:]!r}")
            time.sleep(0.5)
        yield Container(name, container, url, cpus)
    finally:
        docker("rm", "--force", container)


def _wrk(url: str, connections: int, seconds: float, keys_file: Path) -> str:
    command = [
        "wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", "--timeout", "10s",
        "-s", str(SCRIPTS / "mixed.lua"), url, "--", str(keys_file),
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def step(
    container: Container, connections: int, seconds: float, warmup: float, keys: Path
) -> tuple[Step, int]:
    """One measured window at ``connections``; also the requests of its warm-up."""
    warm = parse_wrk(_wrk(container.url, connections, warmup, keys))[3]
    cpu_before, started = container.cpu_seconds(), time.monotonic()
    rps, _, p99, requests, errors = parse_wrk(_wrk(container.url, connections, seconds, keys))
    wall = time.monotonic() - started
    cpu = container.cpu_seconds() - cpu_before
    measured = Step(connections, rps, p99, errors, requests, 100 * cpu / (wall * container.cpus))
    return measured, warm + requests


def measure_size(
    images: Mapping[str, str],
    cpu: int,
    memory: int,
    endpoint: str,
    keys: Path,
    seconds: float,
    warmup: float,
) -> tuple[dict[str, list[Step]], float]:
    """Both contenders in a task of this size, their steps alternating; and the service's
    access log bytes per request."""
    steps: dict[str, list[Step]] = {name: [] for name in CONTENDERS}
    served = 0
    with (
        running("ours", images["ours"], cpu, memory, endpoint) as ours,
        running("flask", images["flask"], cpu, memory, endpoint) as flask,
    ):
        logged_before = ours.log_bytes()
        for connections in CONNECTIONS:
            for container in (ours, flask):
                done = steps[container.name]
                if done and not done[-1].within():
                    continue
                print(f"{cpu}/{memory} {container.name:5} c={connections}", file=sys.stderr)
                result, requests = step(container, connections, seconds, warmup, keys)
                done.append(result)
                served += requests if container is ours else 0
            if all(done and not done[-1].within() for done in steps.values()):
                break
        log_bytes = (ours.log_bytes() - logged_before) / max(served, 1)
    return steps, log_bytes


def task_sizes() -> dict[str, tuple[int, int]]:
    """Each stack's task size (CPU units, MiB), as Pulumi resolves its settings."""
    sizes = {}
    for stack in stacks():
        config = stack_config(stack)
        sizes[stack] = (int(config["picus:cpu"]), int(config["picus:memory"]))
    return sizes


def _summary(steps: list[Step]) -> dict[str, Any]:
    best = sustained(steps)
    return {
        "sustained_rps": best.requests_per_s if best else 0.0,
        "cpu_percent": best.cpu_percent if best else 0.0,
        "p99_ms": best.p99_ms if best else None,
        "connections": best.connections if best else None,
        "steps": [vars(s) for s in steps],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter windows")
    parser.add_argument("--report", type=Path, help="print the table of a capacity file")
    parser.add_argument("--update-docs", action="store_true")
    args = parser.parse_args()
    if args.report:
        print(table(json.loads(args.report.read_text())), end="")
        return
    seconds, warmup = (4, 1) if args.quick else (8, 2)
    engine_answers()
    base = base_image()
    if base is None:
        sys.exit("the capacity run builds on a local base image (devkit/container.py)")
    images = {"ours": build_service_image(base), "flask": build_flask_image(base)}
    results: dict[str, Any] = {
        "command": "python3 dev.py bench --capacity" + (" --quick" if args.quick else ""),
        "objective_p99_ms": P99_OBJECTIVE_MS,
        "backend_delay_ms": BACKEND_DELAY_MS,
        "config": {"seconds": seconds, "warmup": warmup, "connections": list(CONNECTIONS)},
        "git_commit": subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
        # What of the image's sources differs from that commit (a shared checkout's edits).
        "uncommitted": _uncommitted(),
        "machine_before": machine_state(),
        "stacks": {},
    }
    use_local_credentials()
    dynalite, dynalite_port = start_dynalite()
    log_bytes: list[float] = []
    try:
        with (
            LatencyProxy(dynalite_port, BACKEND_DELAY_MS).running() as proxy,
            tempfile.TemporaryDirectory() as tmp,
        ):
            endpoint = f"http://127.0.0.1:{proxy.port}"
            keys = Path(tmp) / "keys"
            keys.write_text("\n".join(seed(endpoint, TABLE_NAME, SEED_ITEMS)))
            for stack, (cpu, memory) in task_sizes().items():
                steps, logged = measure_size(images, cpu, memory, endpoint, keys, seconds, warmup)
                log_bytes.append(logged)
                results["stacks"][stack] = {
                    "cpu": cpu,
                    "memory": memory,
                    "contenders": {name: _summary(s) for name, s in steps.items()},
                }
    finally:
        dynalite.terminate()
        dynalite.wait(10)
    results["log_bytes_per_request"] = round(sum(log_bytes) / len(log_bytes))
    results["calibration_ms"] = _calibration(seconds, warmup)
    reference = json.loads(REFERENCE_FILE.read_text())
    results["flags"] = calibration_flags(results["calibration_ms"], reference["calibration_ms"])
    results["machine_after"] = machine_state()
    CAPACITY_FILE.write_text(json.dumps(results, indent=2) + "\n")
    text = table(results)
    print(text, end="")
    if args.update_docs:
        from bench.report import with_table
        from docsite.pages import BENCHMARK

        BENCHMARK.write_text(with_table(BENCHMARK.read_text(), text, START, END))


def _uncommitted() -> list[str]:
    status = subprocess.run(
        [
            "git",
            "status",
            "--porcelain",
            "--",
            "service",
            "picus",
            "lock/service.txt",
            "Dockerfile",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    return sorted(line[3:] for line in status.splitlines())


def _calibration(seconds: float, warmup: float) -> float:
    """The benchmark's calibration: a bare uvicorn endpoint's CPU per request."""
    from bench.load import run_load

    bare = start_bare()
    try:
        return run_load(bare, "bare.lua", seconds, warmup).cpu_ms_per_request
    finally:
        bare.stop()


def table(results: Mapping[str, Any]) -> str:
    """The benchmark page's capacity table, from a capacity file alone."""
    lines = [
        f"Command: `{results['command']}` (wrk, GETs and PUTs five to one, connections "
        f"stepped {', '.join(map(str, results['config']['connections']))} until p99 passes "
        f"{results['objective_p99_ms']:g} ms or errors appear; {results['config']['seconds']:g} s "
        f"windows after {results['config']['warmup']:g} s of warm-up; dynalite backend "
        f"+{results['backend_delay_ms']} ms each way; `docker run --cpus --memory` as the "
        "task size).",
        "",
        "| stack | task | contender | sustained req/s | at connections | p99 ms | CPU of the "
        "limit | ours/this req/s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for stack, entry in results["stacks"].items():
        size = f"{entry['cpu'] / 1024:g} vCPU / {entry['memory']} MiB"
        ours = entry["contenders"]["ours"]["sustained_rps"]
        for name, c in entry["contenders"].items():
            ratio = (
                ""
                if name == "ours" or not c["sustained_rps"]
                else (f"{ours / c['sustained_rps']:.1f}x")
            )
            p99 = f"{c['p99_ms']:.1f}" if c["p99_ms"] is not None else "-"
            lines.append(
                f"| {stack} | {size} | {name} | {c['sustained_rps']:.0f} | "
                f"{c['connections'] or '-'} | {p99} | {c['cpu_percent']:.0f}% | {ratio} |"
            )
    lines += ["", "| stack | contender | connections: req/s, p99 ms, errors, CPU of the limit |"]
    lines += ["|---|---|---|"]
    for stack, entry in results["stacks"].items():
        for name, c in entry["contenders"].items():
            cells = "; ".join(
                f"{s['connections']}: {s['requests_per_s']:.0f}, {s['p99_ms']:.0f}, "
                f"{s['errors']}, {s['cpu_percent']:.0f}%"
                for s in c["steps"]
            )
            lines.append(f"| {stack} | {name} | {cells} |")
    states = []
    for when in ("before", "after"):
        m = results[f"machine_{when}"]
        busy = f", busiest others: {', '.join(m['busiest'])}" if m["busiest"] else ""
        states.append(f"{when}: load {m['load_1m']:.2f}, steal {m['steal_pct']:.1f}%{busy}")
    edits = results.get("uncommitted", [])
    lines += [
        "",
        f"Image built from commit {results['git_commit'][:10]}"
        + (f" with uncommitted edits to {', '.join(edits)}" if edits else "")
        + f". The service's access log: {results['log_bytes_per_request']} bytes per request. "
        f"Machine: {results['machine_before']['cpus']} CPUs; {'; '.join(states)}. Calibration "
        f"(bare uvicorn, CPU per request): {results['calibration_ms']:.3f} ms.",
        *(f"FLAG: {flag}" for flag in results.get("flags", [])),
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if os.geteuid() != 0 and not os.access("/var/run/docker.sock", os.W_OK):
        sys.exit("the capacity run needs Docker's engine")
    main()
