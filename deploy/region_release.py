"""A canary release of a stack of several regions, one region at a time (``picus:releaseRegion``,
components/global_api.py): while region R is the release region, the regions before it run the
new image (the release holds it in ``canaryImageUri``), R runs the old one with the new one as
its canary, and the regions after it run the old one alone.

For each region R, in the order of ``picus:regions``, the stack's strategy's plan
(components/release_plan.py) runs with ``releaseRegion`` = R, judged with R's outputs (the
stack's ``regions`` output) and R's clients: the canary starts, its walkthrough through R's
test rules, the shift steps and their bakes under R's canary alarms. Then R is promoted:

- a region before the last: R's canary hands its share back to R's primary in the order of
  :func:`components.release_plan.hand_back` (the primary's floor rises to the canary's tasks,
  the primary runs them, the share goes to 0 and the rules confirm it), and the next region's
  first ``up`` moves ``releaseRegion`` on: R's primary rolls to the new image and R's canary,
  at 0 %, goes; the next region's canary starts at 0 %, serving only the test rules' calls.
  R's primary must run its new revision before that canary is judged. (The share goes back to
  the old primary, not to a primary already on the new image as in a stack of one region:
  ``releaseRegion`` gives the release region ``imageUri`` as its primary, which the regions
  after it run too, so R's primary takes the new image only as R stops being the release
  region.)
- the last region: promoted as a stack of one region is (the primary rolls to the new image
  while the canary holds its share, then the hand-back), ``imageUri`` then holds the new image,
  ``canaryImageUri`` nothing, and ``releaseRegion`` is emptied (a change for no region).

A canary that fails in R stops the release there: R's share goes back to its primary in
order. In the first region its canary then goes as in a stack of one region; in a later one
the canary stays at 0 % (its tasks answer the test rules only), since emptying
``canaryImageUri`` would take the regions before R back to the old image. The regions before R
keep the new image; the release fails naming what each region runs. Running the release of the
same image again resumes at R.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from components.deployment import DeploymentSettings, shift_steps
from components.release_plan import Action, Running, Up, hand_back, plan
from deploy import regions
from deploy.alb_route import AlbTransport
from deploy.canary import AwsJudge, ReleaseFailed, RolledBack, Runner, Stack


@dataclass(frozen=True)
class Leg:
    """One region's part of the release."""

    region: str
    actions: list[Action]
    #: The first action of the hand-over: a failure from there on is not rolled back.
    handover_at: int
    #: The old image, to hand back to.
    old: str
    #: The region this leg's first ``up`` promotes, checked before this leg judges anything.
    promotes: str | None
    #: Whether regions before this one run the new image: a rollback keeps ``canaryImageUri``.
    after_released: bool


def _in_region(region: str, steps: list[Action]) -> list[Action]:
    return [replace(s, why=f"{region}: {s.why}") if isinstance(s, Up) else s for s in steps]


def legs(
    settings: DeploymentSettings,
    names: list[str],
    running: Mapping[str, Running],
    image_uri: str,
    start: int = 0,
) -> list[Leg]:
    """The legs from ``names[start]`` on, each region's plan from what it runs (``running``),
    the old image the one the last region runs (a release leaves it until the end)."""
    old = running[names[-1]].image_uri or ""
    shares = shift_steps(settings)
    weight = shares[-1][0] if shares else 0
    promotion = hand_back(image_uri, image_uri, weight, "promote")
    found: list[Leg] = []
    for index in range(start, len(names)):
        region = names[index]
        # A leftover canary is handed back only in the first region: in a later one, emptying
        # canaryImageUri would take the regions before it back to the old image.
        left = running[region] if index == 0 else Running(old, "", 0)
        actions = plan(settings, replace(left, image_uri=old), image_uri).actions
        assert actions[len(actions) - len(promotion) :] == promotion, "a canary plan promotes"
        body = actions[: len(actions) - len(promotion)]
        if index == len(names) - 1:
            tail = promotion
        else:
            why = "its canary passed: the share goes back to its primary, which then rolls"
            tail = hand_back(old, image_uri, weight, why)[:-1]
        found.append(
            Leg(
                region,
                _in_region(region, [*body, *tail]),
                len(body),
                old,
                names[index - 1] if index > start else None,
                index > 0,
            )
        )
    return found


class RegionStack:
    """The stack as one leg sees it: its ``up`` puts ``releaseRegion`` on the leg's region
    first, and its outputs are the region's own."""

    def __init__(self, stack: Stack, region: str, known: dict[str, str | None]) -> None:
        self.stack, self.region, self.known = stack, region, known

    def set_config(self, key: str, value: str) -> None:
        self.stack.set_config(key, value)

    def up(self) -> None:
        if self.known.get(regions.RELEASE_REGION) != self.region:
            self.stack.set_config(regions.RELEASE_REGION, self.region)
            self.known[regions.RELEASE_REGION] = self.region
        self.stack.up()

    def outputs(self) -> dict[str, Any]:
        return regions.outputs_of(self.stack.outputs(), self.region)


JudgeOf = Callable[[str], Any]


class RegionJudge(AwsJudge):
    """A region's judge: its clients, and the canary's walkthrough sent to its load balancer
    (the domain answers with whichever region is nearest, deploy/alb_route.py)."""

    def walkthrough(self, values: Mapping[str, Any]) -> str:
        from components import outputs
        from components.deployment import RELEASE_HEADER
        from deploy.check import Deployed, check_walkthrough, stack_token

        deployed = Deployed.from_outputs(dict(values))
        alb = str(values.get(outputs.ALB_DNS_NAME) or "")
        return (
            check_walkthrough(
                deployed.api_url,
                token=stack_token(deployed),
                plain_http=deployed.plain_http,
                headers={RELEASE_HEADER: self.release_header},
                transport=AlbTransport(alb),
            )
            + f" via {alb}"
        )


def _roll_back(runner: Runner, leg: Leg, image_uri: str, failure: Exception) -> None:
    try:
        weight = runner.judge.live_weight(runner.stack.outputs())
    except Exception:
        weight = runner.last.canary_weight if runner.last else 0
    steps = hand_back(leg.old, image_uri, weight, f"{leg.region}: roll back")
    if leg.after_released:
        steps = steps[:-1]  # the canary stays, at 0 %: canaryImageUri is the earlier regions'
    try:
        for step in steps:
            runner.run(step)
    except Exception as second:
        raise ReleaseFailed(
            f"{leg.region}: rolling back failed ({second}) after {failure}; the next release "
            "hands the canary's share back first"
        ) from second
    raise RolledBack(f"{leg.region}: the canary was rolled back ({failure})") from failure


def run_leg(leg: Leg, runner: Runner, judge_of: JudgeOf, stack: Stack, image_uri: str) -> None:
    """The leg's actions; a failure before its hand-over rolls its canary back, then fails."""
    for index, action in enumerate(leg.actions):
        try:
            runner.run(action)
            if index == 0 and leg.promotes is not None:
                values = regions.outputs_of(stack.outputs(), leg.promotes)
                judged = judge_of(leg.promotes).await_primary(values, 1)
                runner.progress(f"ok    {leg.promotes}: promoted: {judged}")
        except Exception as failure:
            if index >= leg.handover_at:
                raise ReleaseFailed(
                    f"{leg.region}: {failure}; its canary may still hold a share: the next "
                    "release hands it back first"
                ) from failure
            runner.progress(f"FAIL  {leg.region}: canary: {failure}")
            _roll_back(runner, leg, image_uri, failure)


def execute(
    release: list[Leg],
    stack: Stack,
    judge_of: JudgeOf,
    progress: Callable[[str], None],
    settings: Mapping[str, str | None],
    image_uri: str,
) -> None:
    """Runs the legs in order; the first that fails stops the release (ReleaseFailed)."""
    known = dict(settings)
    for leg in release:
        runner = Runner(RegionStack(stack, leg.region, known), judge_of(leg.region), progress,
                        known)  # fmt: skip
        run_leg(leg, runner, judge_of, stack, image_uri)
        # The runner's copy holds releaseRegion as it found it; the leg's stack moved it.
        known.update({k: v for k, v in runner.settings.items() if k != regions.RELEASE_REGION})
    if known.get(regions.RELEASE_REGION):
        # Every region runs imageUri now, canaryImageUri is empty: no region changes.
        stack.set_config(regions.RELEASE_REGION, "")


def resume_at(names: list[str], settings: Mapping[str, str | None], image_uri: str) -> int:
    """Where a release of ``image_uri`` starts: at the region an earlier release of the same
    image stopped in (the regions before it run it), else at the first."""
    region = settings.get(regions.RELEASE_REGION)
    if region in names and settings.get("canaryImageUri") == image_uri:
        return names.index(str(region))
    return 0


def what_runs(values: Mapping[str, Any], names: list[str]) -> list[str]:
    """A line per region: the image its primary runs, and its canary's."""
    lines = []
    for region in names:
        regional = regions.outputs_of(values, region)
        canary = regional.get("canaryImageUri")
        also = f" (canary {canary} at {regional.get('canaryWeight', 0)} %)" if canary else ""
        lines.append(f"      {region} runs {regional.get('imageUri')}{also}")
    return lines
