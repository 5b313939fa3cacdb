"""Release a new image of the service the way the stack's ``deploymentStrategy`` says: rolling,
or through the canary service first (components/deployment.py says why the deploy job, not ECS,
moves the traffic).

    python -m deploy.canary STACK STACK_FILE IMAGE_URI

``rolling``: ``imageUri`` = the new image, ``up``. ``canary``, ``linear``, ``blueGreen``:

1. ``canaryImageUri`` = the new image, ``up``; wait until the canary runs it;
2. the walkthrough against the canary alone, through the test rules (``X-Picus-Release``);
3. for each step of :func:`components.deployment.shift_steps`: ``canaryWeight`` = its share,
   ``up``, bake: the canary group's alarms (CloudWatch DescribeAlarms) must stay out of ALARM
   for its minutes;
4. promote: ``imageUri`` = the new image, ``up`` (the primary rolls under its own alarms and
   circuit breaker while the canary still holds its share); then ``canaryWeight`` 0 and no
   ``canaryImageUri``, ``up``.

An alarm, a failed walkthrough or a failed ``up`` before the promotion rolls back (weight 0, no
canary image, ``up``) and fails the job. Every ``up`` sets all three keys, so each is the whole
desired state: a rerun after a job that died half-way first rolls its canary back (the stack's
outputs say what the last ``up`` left). ``pulumi config set`` and ``pulumi up`` per step rather
than the Automation API: the Automation API drives the same CLI, and each step stays a command
a deployer can run by hand.

Exits 0 once released (or nothing to release), 1 with a FAIL line after a rollback.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import yaml

from components import outputs, release_outputs
from components.deployment import RELEASE_HEADER, DeploymentSettings, shift_steps
from components.stack_config import ConfigError, deployment_settings
from deploy.preflight import StackUnavailable

ROOT = Path(__file__).resolve().parents[1]
#: How often a bake reads the canary's alarms.
BAKE_POLL_S = 30.0


@dataclass(frozen=True)
class Up:
    """Set the three keys a release moves, then ``pulumi up``."""

    #: None: leave ``imageUri`` as the stack has it (a stack that builds its own image).
    image_uri: str | None
    canary_image_uri: str
    canary_weight: int
    why: str


@dataclass(frozen=True)
class AwaitCanary:
    """The canary service runs the revision the last ``up`` registered."""


@dataclass(frozen=True)
class Walkthrough:
    """The walkthrough, through the test rules, against the canary alone."""


@dataclass(frozen=True)
class Bake:
    weight: int
    minutes: int


Action = Up | AwaitCanary | Walkthrough | Bake


@dataclass(frozen=True)
class Running:
    """What the last ``up`` left, from the stack's outputs."""

    image_uri: str | None
    canary_image_uri: str
    canary_weight: int

    @classmethod
    def from_outputs(cls, values: Mapping[str, Any]) -> Running:
        return cls(
            image_uri=values.get(outputs.IMAGE_URI) or None,
            canary_image_uri=str(values.get(release_outputs.CANARY_IMAGE_URI) or ""),
            canary_weight=int(values.get(release_outputs.CANARY_WEIGHT) or 0),
        )

    @property
    def half_shifted(self) -> bool:
        return bool(self.canary_image_uri) or self.canary_weight > 0


@dataclass(frozen=True)
class Plan:
    actions: list[Action]
    #: What undoes the canary: the primary as it was, no canary.
    rollback: Up | None


def plan(settings: DeploymentSettings, running: Running, image_uri: str | None) -> Plan:
    """The actions that release ``image_uri`` (None: the image the stack names or builds)
    from ``running``, and the rollback."""
    old = running.image_uri
    if image_uri is None:
        return Plan([Up(None, "", 0, "the image the stack names or builds")], None)
    if not settings.strategy.shifts_traffic or old is None or old == image_uri:
        # Rolling; a first deploy (no primary to stand beside); or a rerun of a release the
        # primary already runs. Any canary a dead job left is dropped in the same up.
        why = "rolling" if settings.strategy.shifts_traffic is False else "nothing to canary"
        return Plan([Up(image_uri, "", 0, why)], None)
    rollback = Up(old, "", 0, "roll back: weight 0, no canary")
    actions: list[Action] = []
    if running.half_shifted:
        actions.append(replace(rollback, why="roll back the canary an earlier run left"))
    actions += [
        Up(old, image_uri, 0, "the canary starts, no production traffic"),
        AwaitCanary(),
        Walkthrough(),
    ]
    weight = 0
    for weight, minutes in shift_steps(settings):
        actions += [
            Up(old, image_uri, weight, f"the canary takes {weight} %"),
            Bake(weight, minutes),
        ]
    actions += [
        Up(image_uri, image_uri, weight, "promote: the primary rolls to the new image"),
        Up(image_uri, "", 0, "the canary hands its share back"),
    ]
    return Plan(actions, rollback)


class ReleaseFailed(Exception):
    """The canary was rolled back, or could not be."""


class Stack(Protocol):
    """What the release needs of the Pulumi CLI."""

    def set_config(self, key: str, value: str) -> None: ...
    def up(self) -> None: ...
    def outputs(self) -> dict[str, Any]: ...


class Judge(Protocol):
    """What judges a canary: ECS, the API, CloudWatch."""

    def await_canary(self, values: Mapping[str, Any]) -> str: ...
    def walkthrough(self, values: Mapping[str, Any]) -> str: ...
    def bake(self, values: Mapping[str, Any], minutes: int) -> str: ...


def _up(stack: Stack, step: Up) -> None:
    if step.image_uri is not None:
        stack.set_config("imageUri", step.image_uri)
    stack.set_config("canaryImageUri", step.canary_image_uri)
    stack.set_config("canaryWeight", str(step.canary_weight))
    stack.up()


def execute(
    release: Plan, stack: Stack, judge: Judge, progress: Callable[[str], None] = print
) -> None:
    """Runs the plan; on a failure before the promotion, the rollback, then ReleaseFailed."""
    promoted = False
    for action in release.actions:
        try:
            if isinstance(action, Up):
                progress(
                    f"..    canary: {action.why} (imageUri {action.image_uri or '-'}, "
                    f"canaryImageUri {action.canary_image_uri or '-'}, "
                    f"canaryWeight {action.canary_weight})"
                )
                promoted = promoted or (
                    release.rollback is not None and action.image_uri != release.rollback.image_uri
                )
                _up(stack, action)
            elif isinstance(action, AwaitCanary):
                progress(f"ok    {judge.await_canary(stack.outputs())}")
            elif isinstance(action, Walkthrough):
                progress(f"ok    canary: {judge.walkthrough(stack.outputs())}")
            else:
                progress(f"..    canary: {action.weight} % bakes {action.minutes} min")
                progress(f"ok    canary: {judge.bake(stack.outputs(), action.minutes)}")
        except Exception as failure:  # an alarm, the walkthrough, an `up`: all roll back
            if release.rollback is None or promoted:
                raise
            progress(f"FAIL  canary: {failure}")
            progress(f"..    canary: {release.rollback.why}")
            _up(stack, release.rollback)
            raise ReleaseFailed(
                f"the canary was rolled back ({failure}); production runs "
                f"{release.rollback.image_uri} alone"
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
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.release_header = release_header
        self.cloudwatch = cloudwatch
        self.ecs = ecs
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


class PulumiCli:
    """The stack through the CLI: each call one command a deployer could type."""

    def __init__(self, stack: str, run: Callable[..., Any] = subprocess.run) -> None:
        self.stack = stack
        self._run = run

    def set_config(self, key: str, value: str) -> None:
        self._run(["pulumi", "config", "set", key, value, "--stack", self.stack], check=True)

    def up(self) -> None:
        # --refresh: what runs is read first (a circuit breaker's rollback, a dead job's canary).
        command = ["pulumi", "up", "--yes", "--skip-preview", "--refresh", "--stack", self.stack]
        self._run(command, check=True)

    def outputs(self) -> dict[str, Any]:
        """The stack's outputs; StackUnavailable with the CLI's words when it cannot read it."""
        command = ["pulumi", "stack", "output", "--json", "--stack", self.stack]
        done = self._run(command, check=False, capture_output=True, text=True)
        if done.returncode != 0:
            raise StackUnavailable(done.stderr or done.stdout or "")
        values = json.loads(done.stdout or "{}")
        return values if isinstance(values, dict) else {}

    def config(self, key: str) -> str | None:
        """A setting as the CLI reads it (a secret decrypted), or None when unset."""
        command = ["pulumi", "config", "get", key, "--stack", self.stack]
        done = self._run(command, check=False, capture_output=True, text=True)
        return (done.stdout or "").strip() or None if done.returncode == 0 else None

    def destroy(self) -> None:
        command = ["pulumi", "destroy", "--yes", "--skip-preview", "--refresh"]
        self._run([*command, "--stack", self.stack], check=True)


class StackFiles:
    """The stack's settings as the CLI reads them: Pulumi.yaml's defaults, then the stack
    file. A secret (``secure:``) reads as unset here; the CLI decrypts it."""

    def __init__(self, stack_file: str, root: Path = ROOT) -> None:
        declared = yaml.safe_load((root / "Pulumi.yaml").read_text())["config"]
        self.values = {key: spec.get("default") for key, spec in declared.items()}
        path = root / f"Pulumi.{stack_file}.yaml"
        stack = (
            (yaml.safe_load(path.read_text()) or {}).get("config") or {} if path.exists() else {}
        )
        for key, value in stack.items():
            if key.startswith("picus:"):
                self.values[key.removeprefix("picus:")] = value

    def get(self, key: str) -> str | None:
        value = self.values.get(key)
        if value is None or isinstance(value, dict | list):
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.canary", description=__doc__)
    parser.add_argument("stack", help="the stack, as `pulumi stack select` names it")
    parser.add_argument("stack_file", help="the stack file's name: Pulumi.<this>.yaml")
    parser.add_argument("image_uri")
    args = parser.parse_args(argv)
    cli = PulumiCli(args.stack)
    try:
        settings = deployment_settings(StackFiles(args.stack_file))
    except ConfigError as error:
        print(f"FAIL  {error}")
        return 1
    release = plan(settings, Running.from_outputs(cli.outputs()), args.image_uri)
    print(f"..    canary: {settings.strategy.value}: {len(release.actions)} step(s)", flush=True)
    import boto3

    header = cli.config("releaseHeader") or ""
    judge = AwsJudge(header, boto3.client("cloudwatch"), boto3.client("ecs"))
    try:
        execute(release, cli, judge, progress=lambda line: print(line, flush=True))
    except ReleaseFailed as failure:
        print(f"FAIL  {failure}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
