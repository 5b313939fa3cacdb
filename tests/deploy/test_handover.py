"""Traffic is handed over in order, for every strategy, every earlier state a dead job can
leave, and a failure at every step (components/release_plan.py, deploy/canary.py):

- the primary runs at least the canary's tasks before any share moves back to it;
- the canary's share is 0, as the listener's rules confirm, before its tasks go;
- no single ``up`` moves a share and a capacity at once (Pulumi may apply them in any order),
  and after a failure no ``up`` gives the canary more share or another image;
- a release ends with no canary, no share and no raised floor, on the new image, or, rolled
  back, on the old one; a failure after the promotion leaves a state the next run clears.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from components.deployment import DeploymentSettings, DeploymentStrategy
from components.release_plan import Running, plan
from deploy.canary import ReleaseFailed, RolledBack, execute

OLD = "210987654321.dkr.ecr.eu-west-1.amazonaws.com/picus@sha256:" + "cd" * 32
#: The image of a canary an earlier, dead run left.
MID = "210987654321.dkr.ecr.eu-west-1.amazonaws.com/picus@sha256:" + "ab" * 32
NEW = "210987654321.dkr.ecr.eu-west-1.amazonaws.com/picus@sha256:" + "ef" * 32
#: The tasks the canary runs whenever it runs.
CANARY_TASKS = 3
SHIFTING = [s for s in DeploymentStrategy if s.shifts_traffic]
EARLIER = {
    "clean": Running(OLD, "", 0),
    "canary started": Running(OLD, NEW, 0),
    "canary holds a share": Running(OLD, NEW, 30),
    "an earlier canary holds a share": Running(OLD, MID, 30),
    "promoted, not handed back": Running(NEW, NEW, 100),
}


class Injected(Exception):
    """The failure a test puts at one step."""


@dataclass
class World:
    """The stack as the release changes it, and every event in order."""

    image: str | None
    canary: str
    weight: int
    floor: int = 0
    events: list[tuple[str, ...]] = field(default_factory=list)
    config: dict[str, str] = field(default_factory=dict)
    #: Fail at this event's index (the `up` or the judgement of that index), if any.
    fail_at: int | None = None
    #: Whether an `up` that fails has applied its changes first (it may have, or not).
    applied_then_failed: bool = False

    def _step(self, *event: str) -> None:
        self.events.append(event)
        if self.fail_at is not None and len(self.events) - 1 == self.fail_at:
            if event[0] == "up":
                if self.applied_then_failed:
                    self._apply()
                raise subprocess.CalledProcessError(1, ["pulumi", "up"])
            raise Injected(" ".join(event))

    # The stack (deploy/canary.py's Stack).
    def set_config(self, key: str, value: str) -> None:
        self.config[key] = value

    def up(self) -> None:
        self._step("up")
        self._apply()

    def _apply(self) -> None:
        c = self.config
        self.image = c.get("imageUri", self.image)
        self.canary, self.weight = c["canaryImageUri"], int(c["canaryWeight"])
        self.floor = int(c["handoverCount"])
        self.events[-1] = ("up", str(self.image), self.canary, str(self.weight), str(self.floor))

    def outputs(self) -> dict[str, Any]:
        return {}

    # The judge.
    def await_canary(self, values: Mapping[str, Any]) -> str:
        self._step("await canary")
        return "ok"

    def walkthrough(self, values: Mapping[str, Any]) -> str:
        self._step("walkthrough")
        return "ok"

    def bake(self, values: Mapping[str, Any], minutes: int) -> str:
        self._step("bake")
        return "ok"

    def canary_tasks(self, values: Mapping[str, Any]) -> int:
        return CANARY_TASKS if self.canary else 0

    def await_primary(self, values: Mapping[str, Any], tasks: int) -> str:
        self._step("primary runs", str(self.floor))
        return "ok"

    def live_weight(self, values: Mapping[str, Any]) -> int:
        return self.weight

    def confirm_weight(self, values: Mapping[str, Any], weight: int) -> str:
        # The rules say what the last `up` set: a confirmation of another weight fails.
        self._step("rules confirm", str(self.weight))
        if self.weight != weight:
            raise Injected(f"the rules send {self.weight}, not {weight}")
        return "ok"


def settings(strategy: DeploymentStrategy) -> DeploymentSettings:
    return DeploymentSettings(strategy, 10, 5, 10, 30, 6, release_header="a" * 40)


def in_order(world: World, start: Running) -> None:
    """The order every hand-over keeps, over the events of one run."""
    weight, canary, floor = start.canary_weight, start.canary_image_uri, 0
    primary_ran = confirmed = failed = False
    for index, event in enumerate(world.events):
        failed = failed or (world.fail_at is not None and index > world.fail_at)
        if event[0] == "primary runs":
            primary_ran = int(event[1]) >= CANARY_TASKS
        elif event[0] == "rules confirm":
            confirmed = int(event[1]) == 0
        elif event[0] == "up" and len(event) == 5:
            new_canary, new_weight, new_floor = event[2], int(event[3]), int(event[4])
            if new_weight < weight:
                assert floor >= CANARY_TASKS and primary_ran, (
                    f"share moved to a small primary: {world.events}"
                )
                assert new_floor == floor and new_canary == canary, (
                    "a share and a capacity in one up"
                )
            if canary and not new_canary:
                assert weight == 0 == new_weight and confirmed, (
                    f"tasks went with a share: {world.events}"
                )
            if new_floor > floor:
                assert (new_weight, new_canary) == (weight, canary), "a floor and more in one up"
            if failed:
                assert new_weight <= weight, f"a failing canary got more share: {world.events}"
                assert new_canary in (canary, ""), f"a failing canary changed: {world.events}"
            if new_floor != floor:
                primary_ran = False
            if new_weight != weight:
                confirmed = False
            weight, canary, floor = new_weight, new_canary, new_floor


def run(
    strategy: DeploymentStrategy, start: Running, fail_at: int | None, applied: bool = False
) -> tuple[World, BaseException | None]:
    world = World(start.image_uri, start.canary_image_uri, start.canary_weight, fail_at=fail_at,
                  applied_then_failed=applied)  # fmt: skip
    try:
        execute(plan(settings(strategy), start, NEW), world, world, lambda _: None)
    except (ReleaseFailed, Injected, subprocess.CalledProcessError) as failure:
        return world, failure
    return world, None


def steps_of(strategy: DeploymentStrategy, start: Running) -> int:
    world, failure = run(strategy, start, None)
    assert failure is None
    return len(world.events)


CASES = [
    (strategy, earlier, at, applied)
    for strategy in SHIFTING
    for earlier in EARLIER
    for at in [None, *range(steps_of(strategy, EARLIER[earlier]))]
    for applied in (False, True)
    if at is not None or not applied
]


@pytest.mark.parametrize(("strategy", "earlier", "fail_at", "applied"), CASES)
def test_every_hand_over_keeps_its_order_and_ends_clean(
    strategy: DeploymentStrategy, earlier: str, fail_at: int | None, applied: bool
) -> None:
    start = EARLIER[earlier]
    world, failure = run(strategy, start, fail_at, applied)
    in_order(world, start)
    if failure is None:
        assert (world.image, world.canary, world.weight, world.floor) == (NEW, "", 0, 0)
    elif isinstance(failure, RolledBack):
        # Rolled back: the primary as it was, alone.
        assert (world.image, world.canary, world.weight, world.floor) == (OLD, "", 0, 0)
    else:
        # Failed after the promotion, or in a hand-back: the next run starts from what is left
        # and ends clean, in order.
        left = Running(world.image, world.canary, world.weight)
        rerun, again = run(strategy, left, None)
        assert again is None
        in_order(rerun, left)
        assert (rerun.image, rerun.canary, rerun.weight, rerun.floor) == (NEW, "", 0, 0)
