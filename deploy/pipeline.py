"""One release of one stack: what CI's deploy job runs (deploy/up.sh) and what
``python3 dev.py deploy --stack NAME`` runs from a laptop, one implementation for both.

    python -m deploy.pipeline --stack STACK [--image URI]

1. ready: the Pulumi CLI, the stack, AWS credentials for the stack's region
   (deploy/preflight.py); anything missing stops here with one line that says what to do;
2. service: the stack's ``deploymentStrategy`` releases ``--image`` (deploy/canary.py: one
   ``up --refresh``, or the canary plan); without ``--image``, one ``up`` of the image the stack
   names or builds;
3. function: the version that ``up`` published is Active before anything points at it
   (SnapStart publishes a version before its snapshot is ready), then CodeDeploy shifts the
   alias to it (deploy/release.py);
4. check: deploy/check.py follows the service's rollout and the alias's shift to their end and
   runs the walkthrough against the stack's URL;

then the API's URL and the dashboard's. Each phase prints its start and its time.
Exits 0 once released, 1 with a FAIL line otherwise.
"""

from __future__ import annotations

import argparse
import functools
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from components import outputs, release_budget
from components.release_plan import Running, plan
from components.stack_config import ConfigError, deployment_settings
from deploy import check, preflight, region_check, region_release, regions, release
from deploy.aws_clients import Aws
from deploy.canary import RELEASE_KEYS, AwsJudge, ReleaseFailed, execute
from deploy.preflight import NotReady, StackUnavailable
from deploy.stack_cli import PulumiCli, StackSettings

#: How long the function's new version may take to become Active: SnapStart snapshots it first
#: (https://docs.aws.amazon.com/lambda/latest/dg/snapstart-activate.html); the release budget
#: counts this wait (components/release_budget.py).
ACTIVE_POLL_S = 5
ACTIVE_ATTEMPTS = 60 * release_budget.FUNCTION_ACTIVE_MINUTES // ACTIVE_POLL_S


PRINT = functools.partial(print, flush=True)


def clock_text(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


class Failed(Exception):
    """A phase failed; the message is its FAIL line."""


class Phases:
    """Prints each phase's start with the time since the release began, and its duration."""

    def __init__(
        self, out: Callable[[str], None], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.out, self.clock = out, clock
        self.started = clock()

    def elapsed(self) -> float:
        return self.clock() - self.started

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        began = self.clock()
        self.out(f"==> [{clock_text(began - self.started)}] {name}")
        yield
        self.out(f"    {name}: done in {clock_text(self.clock() - began)}")


def await_active(functions: Any, function_arn: str, version: str, poll_s: float) -> str:
    """Waits until the version is Active (Lambda's ``function_active_v2`` waiter: GetFunction
    until ``State`` is Active; Failed ends it at once)."""
    try:
        functions.get_waiter("function_active_v2").wait(
            FunctionName=function_arn,
            Qualifier=version,
            WaiterConfig={"Delay": poll_s, "MaxAttempts": ACTIVE_ATTEMPTS},
        )
    except WaiterError as error:
        last: dict[str, Any] = dict(error.last_response or {})
        configuration: dict[str, Any] = last.get("Configuration", {})
        raise Failed(
            f"version {version} of {function_arn} is {configuration.get('State', 'not Active')}"
            f": {configuration.get('StateReason') or error}"
        ) from None
    return f"Lambda: version {version} is Active"


class Pipeline:
    """The phases of one release, against one stack's CLI and one region's clients."""

    def __init__(
        self,
        cli: PulumiCli,
        stack_file: str,
        aws: Callable[[str | None], Aws] = Aws.of_region,
        out: Callable[[str], None] = PRINT,
        active_poll_s: float = ACTIVE_POLL_S,
    ) -> None:
        self.cli, self.stack_file, self._aws, self.out = cli, stack_file, aws, out
        self.active_poll_s = active_poll_s
        self.phases = Phases(out)
        #: A stack of several regions: its regions in the release's order (none for one).
        self.regions: list[str] = []
        self._clients: dict[str, Aws] = {}

    def aws_of(self, region: str) -> Aws:
        """One region's clients, made once."""
        if region not in self._clients:
            self._clients[region] = self._aws(region)
        return self._clients[region]

    def ready(self) -> tuple[Aws, dict[str, Any]]:
        with self.phases.phase("ready: the Pulumi CLI, the stack, AWS credentials"):
            preflight.pulumi_on_path()
            try:
                values = self.cli.outputs()
            except StackUnavailable as error:
                raise preflight.stack_missing(self.cli.stack, self.stack_file, str(error)) from None
            region = self.cli.config("aws:region")
            aws = self._aws(region)
            if region:
                self._clients[region] = aws
            self.out(
                f"ok    AWS: {preflight.aws_identity(aws.sts, region or 'the default region')}"
            )
            return aws, values

    def service(self, aws: Aws, running: Mapping[str, Any], image_uri: str | None) -> None:
        try:
            stack_settings = StackSettings.of_cli(self.cli)
            settings = deployment_settings(stack_settings)
        except ConfigError as error:
            raise Failed(str(error)) from None
        except subprocess.CalledProcessError:
            raise Failed(f"the Pulumi CLI cannot read the settings of {self.cli.stack}") from None
        self.regions = regions.order(stack_settings.values.get("regions"), running)
        now = {key: stack_settings.get(key) for key in (*RELEASE_KEYS, regions.RELEASE_REGION)}
        if self.regions and image_uri and settings.strategy.shifts_traffic:
            by_region = {
                r: Running.from_outputs(regions.outputs_of(running, r)) for r in self.regions
            }
            old = by_region[self.regions[-1]].image_uri
            if old and old != image_uri:
                start = region_release.resume_at(self.regions, now, image_uri)
                legs = region_release.legs(settings, self.regions, by_region, image_uri, start)
                self._by_region(legs, now, image_uri, settings.strategy.value)
                return
        steps = plan(settings, Running.from_outputs(running), image_uri)
        name = f"service: {settings.strategy.value}, {len(steps.actions)} step(s)"
        with self.phases.phase(name):
            header = self.cli.config("releaseHeader") or ""
            judge = AwsJudge(header, aws.cloudwatch, aws.ecs, aws.elbv2)
            try:
                if now.get(regions.RELEASE_REGION):
                    # Every region takes this release's settings at once.
                    self.cli.set_config(regions.RELEASE_REGION, "")
                execute(steps, self.cli, judge, self.out, now)
            except (ReleaseFailed, check.CheckFailed) as failure:
                raise Failed(str(failure)) from None
            except subprocess.CalledProcessError as failure:
                # Only with no canary to hand back (rolling): the CLI printed why above.
                raise Failed(
                    f"`{' '.join(map(str, failure.cmd))}` failed: its output above says why"
                ) from None

    def _by_region(
        self, legs: list[region_release.Leg], now: dict[str, str | None], image_uri: str,
        strategy: str,
    ) -> None:  # fmt: skip
        """The service's phase of a stack of several regions: the legs, one region at a time."""
        steps = sum(len(leg.actions) for leg in legs)
        name = f"service: {strategy}, region by region from {legs[0].region}, {steps} step(s)"
        with self.phases.phase(name):
            header = self.cli.config("releaseHeader") or ""

            def judge_of(region: str) -> region_release.RegionJudge:
                aws = self.aws_of(region)
                return region_release.RegionJudge(header, aws.cloudwatch, aws.ecs, aws.elbv2)

            try:
                region_release.execute(legs, self.cli, judge_of, self.out, now, image_uri)
            except (ReleaseFailed, check.CheckFailed, subprocess.CalledProcessError) as failure:
                self.out("      what each region runs now:")
                for line in region_release.what_runs(self.cli.outputs(), self.regions):
                    self.out(line)
                raise Failed(str(failure)) from None

    def function(self, aws: Aws, values: dict[str, Any]) -> None:
        with self.phases.phase("function: the new version, then CodeDeploy's shift"):
            if not self.regions:
                self._function(aws, values, "")
                return
            for region in self.regions:
                self._function(self.aws_of(region), regions.outputs_of(values, region), region)

    def _function(self, aws: Aws, values: dict[str, Any], region: str) -> None:
        """One region's function: its version Active, then its own group's shift."""
        where = f"{region}: " if region else ""
        try:
            shift = release.Release.from_outputs(values)
            self.out(
                f"ok    {where}"
                + await_active(
                    aws.functions, values[outputs.FUNCTION_ARN], shift.target_version,
                    self.active_poll_s,
                )
            )  # fmt: skip
            self.out(f"ok    {where}{release.start(aws.codedeploy, aws.functions, shift)}")
        except release.ReleaseFailed as failure:
            raise Failed(f"{where}{failure}") from None

    def check(self, aws: Aws, values: dict[str, Any], image_uri: str | None) -> None:
        with self.phases.phase("check: the rollout, the alias, the walkthrough"):
            try:
                deployed = check.Deployed.from_outputs(values)
            except check.CheckFailed as failure:
                raise Failed(str(failure)) from None
            if self.regions:
                lines = region_check.run(values, self.regions, self.aws_of, self.out, image_uri)
            else:
                lines = check.run(
                    deployed, aws.ecs, aws.functions, aws.codedeploy, self.out, image_uri
                )
            for line in lines:
                self.out(line)
            failed = [line for line in lines if line.startswith("FAIL")]
            if failed:
                raise Failed(f"{len(failed)} check(s) failed")

    def run(self, image_uri: str | None) -> int:
        try:
            aws, running = self.ready()
            self.service(aws, running, image_uri)
            values = self.cli.outputs()
            self.function(aws, values)
            self.check(aws, values, image_uri)
        except (NotReady, Failed, StackUnavailable, check.CheckFailed) as failure:
            self.out(f"FAIL  {failure}")
            return 1
        except (BotoCoreError, ClientError) as failure:
            self.out(f"FAIL  {type(failure).__name__}: {failure}")
            return 1
        self.out(f"released {self.cli.stack} in {clock_text(self.phases.elapsed())}")
        self.out(f"  API        {values.get(outputs.API_URL)}")
        self.out(f"  dashboard  {values.get(outputs.DASHBOARD_URL)}")
        return 0


def stack_file_of(stack: str) -> str:
    """The stack's settings file: ``Pulumi.<last part of the stack's name>.yaml``."""
    return stack.rsplit("/", 1)[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.pipeline", description=__doc__)
    parser.add_argument("--stack", required=True, help="the stack, e.g. dev or my-org/dev")
    parser.add_argument("--image", help="an image URI to release (default: the stack's own)")
    args = parser.parse_args(argv)
    return Pipeline(PulumiCli(args.stack), stack_file_of(args.stack)).run(args.image)


if __name__ == "__main__":
    sys.exit(main())
