"""The autoscaling targets, derived from one task's measured capacity.

A target is what autoscaling keeps each task at; the capacity is the most a task sustained
with p99 within the objective. The difference is headroom for the minutes a scale-out takes:
CloudWatch needs 3 of 5 one-minute datapoints above the target, then a new task pulls its
image, starts and passes its health checks (about two to four minutes in all). At 60% of
capacity, traffic can grow by two thirds in that time before p99 leaves the objective.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

#: The share of measured capacity autoscaling aims each task at.
HEADROOM: Final = 0.6


@dataclass(frozen=True)
class Targets:
    #: ALB requests per task per minute (ALBRequestCountPerTarget, a one-minute sum).
    requests_per_target: int
    #: Average CPU utilisation of the task's reservation (ECSServiceAverageCPUUtilization).
    cpu_target_percent: int


def measured(capacity: Mapping[str, Any], cpu: int, memory: int) -> Mapping[str, Any]:
    """The capacity file's measurement of the service in a task of this size."""
    for entry in capacity["stacks"].values():
        if entry["cpu"] == cpu and entry["memory"] == memory:
            return dict(entry["contenders"]["ours"])
    raise LookupError(f"no capacity measured for a {cpu} CPU units / {memory} MiB task")


def targets(capacity: Mapping[str, Any], cpu: int, memory: int) -> Targets:
    """The targets for a task of this size: HEADROOM of its sustained rate, as requests per
    minute, and HEADROOM of the CPU it used at that rate, in whole percent (rounded down)."""
    ours = measured(capacity, cpu, memory)
    return Targets(
        requests_per_target=math.floor(ours["sustained_rps"] * HEADROOM) * 60,
        cpu_target_percent=math.floor(ours["cpu_percent"] * HEADROOM),
    )


#: Where the benchmark page shows the derivation (``python -m bench.autoscaling`` prints it).
START, END = "<!-- autoscaling:start -->", "<!-- autoscaling:end -->"


def derivation(capacity: Mapping[str, Any], cpu: int, memory: int) -> str:
    """The benchmark page's three lines: from the measured task to the two defaults."""
    ours = measured(capacity, cpu, memory)
    t = targets(capacity, cpu, memory)
    size = f"{cpu / 1024:g} vCPU / {memory} MiB"
    return (
        f"1. A {size} task (Pulumi.yaml's default size) sustained "
        f"{ours['sustained_rps']:.1f} requests/s within p99 100 ms, using "
        f"{ours['cpu_percent']:.1f}% of its CPU limit.\n"
        f"2. Autoscaling aims each task at {HEADROOM:.0%} of that (the headroom for the two to "
        "four minutes a scale-out takes: three one-minute datapoints, then a task starts).\n"
        f"3. `requestsPerTarget` = floor({ours['sustained_rps']:.1f} x {HEADROOM:g}) x 60 = "
        f"**{t.requests_per_target}** requests per task per minute; `cpuTargetPercent` = "
        f"floor({ours['cpu_percent']:.1f} x {HEADROOM:g}) = **{t.cpu_target_percent}**.\n"
    )


def main() -> None:
    import json
    import sys

    import yaml

    from bench.report import with_table
    from bench.result_files import CAPACITY_FILE
    from devkit import ROOT

    config = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    capacity = json.loads(CAPACITY_FILE.read_text())
    text = derivation(capacity, config["cpu"]["default"], config["memory"]["default"])
    print(text, end="")
    if "--update-docs" in sys.argv[1:]:
        from docsite.pages import BENCHMARK

        BENCHMARK.write_text(with_table(BENCHMARK.read_text(), text, START, END))


if __name__ == "__main__":
    main()
