"""Runs a release plan (components/release_plan.py) against the stack and judges the canary: ECS
for its tasks, the API through the test rules, CloudWatch for its alarms, the listener's rules
for its share (components/deployment.py says why the deploy job, not ECS, moves the traffic).

deploy/pipeline.py runs it as the service's phase of a release (``python3 dev.py deploy``).

A failure before the promotion (an alarm, the walkthrough, a crash, a failed ``up``) hands the
canary's share back to the primary as it was, in order, and fails with ReleaseFailed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, Protocol

from components import outputs, release_outputs
from components.deployment import RELEASE_HEADER
from components.release_plan import (
    REGROW_ROUNDS,
    Action,
    AwaitCanary,
    AwaitPrimary,
    ConfirmWeight,
    Floor,
    Plan,
    Up,
    Walkthrough,
    hand_back,
)

#: How often a bake reads the canary's alarms.
BAKE_POLL_S = 30.0


class ReleaseFailed(Exception):
    """The release failed; the message says what the stack is left with."""


class RolledBack(ReleaseFailed):
    """The canary's share went back to the primary as it was: production runs what it ran."""


class Stack(Protocol):
    """What the release needs of the Pulumi CLI."""

    def set_config(self, key: str, value: str) -> None: ...
    def up(self) -> None: ...
    def outputs(self) -> dict[str, Any]: ...


class Judge(Protocol):
    """What judges a canary, and what a hand-back reads: ECS, the API, CloudWatch, the rules."""

    def await_canary(self, values: Mapping[str, Any]) -> str: ...
    def walkthrough(self, values: Mapping[str, Any]) -> str: ...
    def bake(self, values: Mapping[str, Any], minutes: int) -> str: ...
    def canary_tasks(self, values: Mapping[str, Any]) -> int: ...
    def await_primary(self, values: Mapping[str, Any], tasks: int) -> str: ...
    def confirm_weight(self, values: Mapping[str, Any], weight: int) -> str: ...
    def live_weight(self, values: Mapping[str, Any]) -> int: ...


class Runner:
    """Runs actions one by one; remembers the floor the last ``up`` set and that ``up``."""

    def __init__(
        self,
        stack: Stack,
        judge: Judge,
        progress: Callable[[str], None],
        settings: Mapping[str, str | None] | None = None,
    ) -> None:
        self.stack, self.judge, self.progress = stack, judge, progress
        self.held = 0
        self.last: Up | None = None
        #: What the stack's keys hold: a key is set only to change it, so a release that moves
        #: nothing leaves the stack's settings file as it was.
        self.settings = dict(settings or {})

    def _set(self, key: str, value: str) -> None:
        if self.settings.get(key) != value:
            self.stack.set_config(key, value)
            self.settings[key] = value

    def up(self, step: Up) -> None:
        if step.floor is Floor.CANARY:
            self.held = self.judge.canary_tasks(self.stack.outputs())
        elif step.floor is Floor.NONE:
            self.held = 0
        self._apply(step)

    def _apply(self, step: Up) -> None:
        self.progress(
            f"..    canary: {step.why} (imageUri {step.image_uri or '-'}, "
            f"canaryImageUri {step.canary_image_uri or '-'}, "
            f"canaryWeight {step.canary_weight}, handoverCount {self.held})"
        )
        if step.image_uri is not None:
            self._set("imageUri", step.image_uri)
        self._set("canaryImageUri", step.canary_image_uri)
        self._set("canaryWeight", str(step.canary_weight))
        self._set("handoverCount", str(self.held))
        self.stack.up()
        self.last = step

    def await_primary(self) -> None:
        """The primary runs the floor; if the canary grew meanwhile, the floor rises again, as
        the share must move onto at least the tasks that served it."""
        for _ in range(REGROW_ROUNDS):
            self.progress(f"ok    {self.judge.await_primary(self.stack.outputs(), self.held)}")
            now = self.judge.canary_tasks(self.stack.outputs())
            if now <= self.held or self.last is None:
                return
            self.held = now
            self._apply(self.last)
        self.progress(f"ok    {self.judge.await_primary(self.stack.outputs(), self.held)}")

    def run(self, action: Action) -> None:
        judge, values = self.judge, self.stack.outputs
        if isinstance(action, Up):
            self.up(action)
        elif isinstance(action, AwaitCanary):
            self.progress(f"ok    {judge.await_canary(values())}")
        elif isinstance(action, AwaitPrimary):
            self.await_primary()
        elif isinstance(action, ConfirmWeight):
            self.progress(f"ok    {judge.confirm_weight(values(), action.weight)}")
        elif isinstance(action, Walkthrough):
            self.progress(f"ok    canary: {judge.walkthrough(values())}")
        else:
            self.progress(f"..    canary: {action.weight} % bakes {action.minutes} min")
            self.progress(f"ok    canary: {judge.bake(values(), action.minutes)}")


#: The keys a release moves.
RELEASE_KEYS = ("imageUri", "canaryImageUri", "canaryWeight", "handoverCount")


def execute(
    release: Plan,
    stack: Stack,
    judge: Judge,
    progress: Callable[[str], None] = print,
    settings: Mapping[str, str | None] | None = None,
) -> None:
    """Runs the plan; ``settings``: what the stack's keys hold now (unknown: every key is set).
    A failure before the promotion hands the canary's share back to the primary as it was, then
    ReleaseFailed; any other failure is ReleaseFailed saying what the stack is left with (the
    next release hands back what this one left)."""
    runner = Runner(stack, judge, progress, settings)
    canary, weight = release.left_canary, release.left_weight
    promoted = False
    for action in release.actions:
        if isinstance(action, Up):
            promoted = promoted or action.image_uri != release.rollback_image
        try:
            runner.run(action)
        except Exception as failure:  # an alarm, the walkthrough, a crash, an `up`
            if release.rollback_image is None:
                raise  # no canary of this release: the failure says it all
            if promoted:
                raise ReleaseFailed(
                    f"{failure}; the canary may still hold a share: the next release hands it "
                    "back first"
                ) from failure
            progress(f"FAIL  canary: {failure}")
            _roll_back(runner, release.rollback_image, canary, weight, failure)
        if isinstance(action, Up):
            canary, weight = action.canary_image_uri, action.canary_weight


def _roll_back(runner: Runner, primary: str, canary: str, weight: int, failure: Exception) -> None:
    """Hands back from what runs: the canary of the last ``up`` that went through, at the share
    the rules apply now (a failed ``up`` may or may not have changed them)."""
    try:
        weight = runner.judge.live_weight(runner.stack.outputs())
    except Exception:
        weight = max(weight, runner.last.canary_weight if runner.last else 0)
    try:
        for step in hand_back(primary, canary, weight, "roll back"):
            runner.run(step)
    except Exception as second:
        raise ReleaseFailed(
            f"rolling back failed ({second}) after {failure}; the next release hands the "
            "canary's share back first"
        ) from second
    raise RolledBack(
        f"the canary was rolled back ({failure}); production runs {primary} alone"
    ) from failure


class CloudWatchClient(Protocol):
    def describe_alarms(self, **request: Any) -> Mapping[str, Any]: ...


def firing(cloudwatch: CloudWatchClient, names: list[str]) -> list[str]:
    """Each of the alarms in ALARM, with CloudWatch's reason."""
    answer = cloudwatch.describe_alarms(AlarmNames=names, AlarmTypes=["MetricAlarm"])
    return [
        f"{a['AlarmName']} ({a.get('StateReason', 'no reason given')})"
        for a in answer.get("MetricAlarms", [])
        if a.get("StateValue") == "ALARM"
    ]


def bake(
    cloudwatch: CloudWatchClient,
    names: list[str],
    minutes: int,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """Watches the alarms for ``minutes`` (once for 0); ReleaseFailed naming any in ALARM."""
    end = clock() + 60 * minutes
    while True:
        alarms = firing(cloudwatch, names)
        if alarms:
            raise ReleaseFailed(f"in ALARM: {'; '.join(alarms)}")
        if clock() >= end:
            return f"{', '.join(names)} stayed out of ALARM for {minutes} min"
        sleep(min(BAKE_POLL_S, max(0.0, end - clock())))


class AwsJudge:
    """ECS, the API through the test rules, and CloudWatch, as deploy/check.py reads them."""

    def __init__(
        self,
        release_header: str,
        cloudwatch: CloudWatchClient,
        ecs: Any,
        elbv2: Any = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.release_header = release_header
        self.cloudwatch = cloudwatch
        self.ecs = ecs
        self.elbv2 = elbv2
        self.sleep = sleep

    def await_canary(self, values: Mapping[str, Any]) -> str:
        from deploy.check import Deployed, check_rollout
        from deploy.crash_watch import crash_watch

        deployed = replace(
            Deployed.from_outputs(dict(values)),
            service=str(values[release_outputs.CANARY_SERVICE_NAME]),
            task_definition_arn=str(values[release_outputs.CANARY_TASK_DEFINITION_ARN]),
        )
        watch = crash_watch(
            self.ecs, deployed.cluster, deployed.service, deployed.task_definition_arn
        )
        return check_rollout(self.ecs, deployed, sleep=self.sleep, watch=watch)

    def walkthrough(self, values: Mapping[str, Any]) -> str:
        from deploy.check import Deployed, check_walkthrough, stack_token

        deployed = Deployed.from_outputs(dict(values))
        return check_walkthrough(
            deployed.api_url,
            token=stack_token(deployed),
            plain_http=deployed.plain_http,
            headers={RELEASE_HEADER: self.release_header},
        )

    def bake(self, values: Mapping[str, Any], minutes: int) -> str:
        names = [str(n) for n in values[release_outputs.CANARY_ALARM_NAMES]]
        return bake(self.cloudwatch, names, minutes)

    def canary_tasks(self, values: Mapping[str, Any]) -> int:
        from deploy.handover import running_tasks

        cluster = str(values[outputs.CLUSTER_NAME])
        return running_tasks(self.ecs, cluster, str(values[release_outputs.CANARY_SERVICE_NAME]))

    def await_primary(self, values: Mapping[str, Any], tasks: int) -> str:
        from deploy.crash_watch import crash_watch
        from deploy.handover import Primary, await_tasks

        cluster, service = str(values[outputs.CLUSTER_NAME]), str(values[outputs.SERVICE_NAME])
        revision = str(values[outputs.TASK_DEFINITION_ARN])
        group = str(values[release_outputs.TARGET_GROUP_ARN])
        watch = crash_watch(self.ecs, cluster, service, revision)
        primary = Primary(cluster, service, revision, group)
        return await_tasks(self.ecs, self.elbv2, primary, tasks, watch, self.sleep)

    def live_weight(self, values: Mapping[str, Any]) -> int:
        from deploy.handover import canary_weights

        listener = str(values[release_outputs.LISTENER_ARN])
        group = str(values[release_outputs.CANARY_TARGET_GROUP_ARN])
        return max(canary_weights(self.elbv2, listener, group).values(), default=0)

    def confirm_weight(self, values: Mapping[str, Any], weight: int) -> str:
        from deploy.handover import confirm_weight

        listener = str(values[release_outputs.LISTENER_ARN])
        group = str(values[release_outputs.CANARY_TARGET_GROUP_ARN])
        return confirm_weight(self.elbv2, listener, group, weight)
