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
