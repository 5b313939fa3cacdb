"""How long one release of a stack can take at worst, from its settings: the deploy job's
``timeout-minutes`` and the credentials' ``role-duration-seconds`` are derived from it, and
preview refuses settings whose release cannot finish inside a deploy job.

The worst case is a rerun after a job that died with the canary holding all the traffic: it
first hands that back, then runs the whole plan (components/release_plan.py), then the
function's release and the checks (deploy/pipeline.py). Each step costs what it may wait for:

- an ``up`` that rolls a service waits for the service's steady state, which the provider gives
  up on after 20 minutes ("Timeout while waiting for state to become 'tfSTABLE' ... timeout:
  20m0s", pulumi/pulumi-awsx#1112), plus its refresh;
- an ``up`` that moves only weights, floors and capacity ranges: its refresh and the updates;
- a wait for a service's tasks: the patience deploy/check.py gives it, twice for a rollout (its
  service deployment, then its tasks), and once more for each time a hand-back raises the
  primary's floor again because the canary grew meanwhile;
- a bake: its minutes, and the last read of the alarms;
- the function: its version's SnapStart optimization (deploy/pipeline.py waits for it), then
  CodeDeploy's shift (``functionRelease``) and the margin the check gives it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from components.deployment import DeploymentSettings
from components.function_release import ReleaseSettings, shift_minutes
from components.release_plan import (
    REGROW_ROUNDS,
    AwaitCanary,
    AwaitPrimary,
    Bake,
    ConfirmWeight,
    Running,
    Up,
    Walkthrough,
    plan,
)

#: The longest a job on a GitHub-hosted runner may run ("Usage limits": "Each job in a workflow
#: can run for up to 6 hours of execution time", docs.github.com/en/actions/learn-github-actions/
#: usage-limits-billing-and-administration).
MAX_JOB_MINUTES: Final = 360
#: The range of a role session's duration (IAM's MaxSessionDuration: 1 to 12 hours; a session
#: asked for may be as short as 15 minutes).
MIN_SESSION_SECONDS: Final = 900
MAX_SESSION_SECONDS: Final = 43200

#: Checkout, the lock's install, the CLI, the preflight.
SETUP_MINUTES: Final = 5
#: An ``up`` that rolls a service: the provider's 20-minute wait for a steady state, a refresh.
UP_ROLLING_MINUTES: Final = 22
#: An ``up`` of weights, floors and ranges only.
UP_SETTINGS_MINUTES: Final = 3
#: A wait for a service's tasks (deploy/check.py's ROLLOUT_PATIENCE_S).
AWAIT_MINUTES: Final = 10
#: The walkthrough's patience for the API's first answer (deploy/check.py's HTTP_PATIENCE_S).
WALKTHROUGH_MINUTES: Final = 2
#: Reading the listener's rules.
CONFIRM_MINUTES: Final = 1
#: A bake's last read of the alarms.
BAKE_READ_MINUTES: Final = 1
#: A new function version's SnapStart optimization (deploy/pipeline.py's wait for Active).
FUNCTION_ACTIVE_MINUTES: Final = 10
#: What the check allows a CodeDeploy shift beyond its own minutes.
SHIFT_MARGIN_MINUTES: Final = 5
#: What the job's timeout adds above the worst case, rounded up to this many minutes.
ROUNDING_MINUTES: Final = 5

#: Stand-ins for the images of a plan: only their being different counts.
_RUNNING, _NEXT = "running", "next"


@dataclass(frozen=True)
class Budget:
    """The worst case of one release, line by line, in minutes."""

    lines: tuple[tuple[str, int], ...]

    @property
    def minutes(self) -> int:
        return sum(minutes for _, minutes in self.lines)

    @property
    def job_minutes(self) -> int:
        """The deploy job's ``timeout-minutes``: the worst case, rounded up."""
        return math.ceil(self.minutes / ROUNDING_MINUTES) * ROUNDING_MINUTES

    @property
    def session_seconds(self) -> int:
        """The credentials' ``role-duration-seconds``: as long as the job may run."""
        return min(MAX_SESSION_SECONDS, max(MIN_SESSION_SECONDS, 60 * self.job_minutes))

    def table(self) -> str:
        rows = [f"  {minutes:>5} min  {what}" for what, minutes in self.lines]
        return "\n".join(
            [*rows, f"  {self.minutes:>5} min  at worst; the job's timeout: {self.job_minutes}"]
        )


def _ups(deployment: DeploymentSettings) -> list[tuple[str, int]]:
    """Each step of the worst-case plan, with its cost."""
    shifting = deployment.strategy.shifts_traffic
    start = Running(_RUNNING, _NEXT, 100) if shifting else Running(_RUNNING, "", 0)
    image, canary = start.image_uri, start.canary_image_uri
    steps: list[tuple[str, int]] = []
    for action in plan(deployment, start, _NEXT + "-2").actions:
        if isinstance(action, Up):
            # A canary without an image of its own runs the primary's: either change rolls it.
            rolls = action.image_uri not in (None, image) or action.canary_image_uri != canary
            cost = ("up, rolling a service", UP_ROLLING_MINUTES)
            steps.append(cost if rolls else ("up, weights and ranges", UP_SETTINGS_MINUTES))
            image = action.image_uri or image
            canary = action.canary_image_uri
        elif isinstance(action, AwaitCanary):
            steps.append(("wait for a service's tasks", 2 * AWAIT_MINUTES))
        elif isinstance(action, AwaitPrimary):
            steps.append(("wait for a service's tasks", (REGROW_ROUNDS + 1) * AWAIT_MINUTES))
            steps.append(("up, weights and ranges", REGROW_ROUNDS * UP_SETTINGS_MINUTES))
        elif isinstance(action, Walkthrough):
            steps.append(("the canary's walkthrough", WALKTHROUGH_MINUTES))
        elif isinstance(action, ConfirmWeight):
            steps.append(("the rules' weights read", CONFIRM_MINUTES))
        elif isinstance(action, Bake):
            steps.append(("bakes, watching the alarms", action.minutes + BAKE_READ_MINUTES))
    return steps


def budget(deployment: DeploymentSettings, function: ReleaseSettings) -> Budget:
    grouped: dict[str, int] = {}
    counted: dict[str, int] = {}
    for what, minutes in _ups(deployment):
        grouped[what] = grouped.get(what, 0) + minutes
        counted[what] = counted.get(what, 0) + 1
    service = tuple((f"{what} (x{counted[what]})", m) for what, m in grouped.items())
    shift = shift_minutes(function.traffic_routing())
    return Budget(
        (
            ("setup: install, preflight", SETUP_MINUTES),
            *service,
            ("the function's version optimized", FUNCTION_ACTIVE_MINUTES),
            ("CodeDeploy's shift of the alias", shift + SHIFT_MARGIN_MINUTES),
            ("check: the rollout and the walkthrough", 2 * AWAIT_MINUTES + WALKTHROUGH_MINUTES),
        )
    )


def problems(deployment: DeploymentSettings, function: ReleaseSettings) -> list[str]:
    """A release that cannot finish inside a deploy job, with what makes it long."""
    worst = budget(deployment, function)
    if worst.job_minutes <= MAX_JOB_MINUTES:
        return []
    return [
        f"picus:deploymentStrategy {deployment.strategy.value} with these bakes and steps "
        f"releases in up to {worst.minutes} minutes, more than the {MAX_JOB_MINUTES} a deploy "
        "job may run: shorten picus:bakeTimeMinutes, picus:canaryBakeMinutes or "
        "picus:linearStepBakeMinutes, or raise picus:linearStepPercent"
    ]
