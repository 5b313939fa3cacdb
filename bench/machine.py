"""The machine's state around a run, and the calibration figure that says whether its
numbers can stand beside another run's: a bare uvicorn endpoint's CPU per request."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

#: A calibration this far from the reference run's marks the run as not comparable.
CALIBRATION_TOLERANCE = 0.3


def _cpu_times() -> list[int]:
    with open("/proc/stat") as stat:
        return [int(v) for v in stat.readline().split()[1:]]


def machine_state(sample_s: float = 1.0) -> dict[str, Any]:
    """Load average, CPU steal and the busiest other processes, over ``sample_s``."""
    mine = {os.getpid(), *(p.pid for p in psutil.Process().children(recursive=True))}
    processes = [p for p in psutil.process_iter(["name"]) if p.pid not in mine]
    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.cpu_percent(None)
    before = _cpu_times()
    time.sleep(sample_s)
    after = _cpu_times()
    deltas = [b - a for a, b in zip(before, after, strict=True)]
    steal = deltas[7] if len(deltas) > 7 else 0
    busy = []
    for process in processes:
        try:
            busy.append((process.cpu_percent(None), process.info["name"]))
        except psutil.Error:
            continue
    busy.sort(reverse=True)
    return {
        "cpus": os.cpu_count(),
        "load_1m": os.getloadavg()[0],
        "steal_pct": 100 * steal / max(1, sum(deltas)),
        "busiest": [f"{name} {pct:.0f}%" for pct, name in busy[:3] if pct >= 5],
    }


def calibration_flags(calibration: float, reference: float | None) -> list[str]:
    """Why this run's figures should not be set beside the reference's, if they should not."""
    if reference is None or reference <= 0:
        return []
    ratio = calibration / reference
    if abs(ratio - 1) <= CALIBRATION_TOLERANCE:
        return []
    return [
        f"calibration {calibration:.3f} ms/request is {ratio:.2f}x the reference run's "
        f"{reference:.3f}: the machine was not in the same state; compare ratios within this "
        "run only"
    ]


def machine_sentence(before: dict[str, Any], after: dict[str, Any]) -> str:
    """The machine's state before and after a run, as the results tables state it."""
    return (
        f"Machine: {before['cpus']} CPUs; before: load {before['load_1m']:.2f}, steal "
        f"{before['steal_pct']:.1f}%; after: load {after['load_1m']:.2f}, steal "
        f"{after['steal_pct']:.1f}%."
    )


def record_run(
    measure: Callable[[], dict[str, Any]],
    table: Callable[[dict[str, Any]], str],
    result: Path,
    argv: list[str] = sys.argv[1:],
) -> None:
    """A benchmark's command line: ``--report`` prints the committed results' table; otherwise
    it measures, flags a calibration unlike the committed run's, writes the results (to the
    path given, or ``result``) and prints their table."""
    if "--report" in argv:
        print(table(json.loads(result.read_text())), end="")
        return
    results = measure()
    if result.exists():
        reference = json.loads(result.read_text())["calibration_ms"]
        results["flags"] = calibration_flags(results["calibration_ms"], reference)
    out = Path(argv[0]) if argv else result
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results), end="")
