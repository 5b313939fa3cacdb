"""components/release_plan.py and deploy/canary.py: each strategy's steps, the rollback on an alarm
or a failed walkthrough, a rerun after a dead job, and the CloudWatch calls against botocore's
model (tests/deploy/test_handover.py holds the order of every hand-back)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.stub import Stubber

from components import outputs, release_outputs
from components.deployment import DeploymentSettings, DeploymentStrategy
from components.release_plan import Bake, ConfirmWeight, Floor, Plan, Running, Up, plan
from components.stack_config import deployment_settings
from deploy import canary, stack_cli
from deploy.canary import ReleaseFailed, execute
from deploy.stack_cli import PulumiCli, StackFiles

OLD = "210987654321.dkr.ecr.eu-west-1.amazonaws.com/picus@sha256:" + "cd" * 32
NEW = "210987654321.dkr.ecr.eu-west-1.amazonaws.com/picus@sha256:" + "ef" * 32
ALARMS = ["picus-prod-canary-5xx-rate-1", "picus-prod-canary-p99-latency-2"]


def settings(strategy: DeploymentStrategy) -> DeploymentSettings:
    return DeploymentSettings(strategy, 10, 5, 10, 30, 6, release_header="a" * 40)


CLEAN = Running(OLD, "", 0)


def test_rolling_is_one_up_with_the_new_image() -> None:
    release = plan(settings(DeploymentStrategy.ROLLING), CLEAN, NEW)
    assert release == Plan([Up(NEW, "", 0, "rolling")])


def test_no_canary_without_a_primary_to_stand_beside() -> None:
    release = plan(settings(DeploymentStrategy.CANARY), Running(None, "", 0), NEW)
    assert release.actions == [Up(NEW, "", 0, "nothing to canary")]


def test_a_rerun_after_the_promotions_first_up_hands_the_share_back_in_order() -> None:
    release = plan(settings(DeploymentStrategy.CANARY), Running(NEW, NEW, 5), NEW)
    assert _shape(release) == [
        (NEW, NEW, 5, "canary"), ("AwaitPrimary",), (NEW, NEW, 0, "keep"), ("ConfirmWeight", 0),
        (NEW, "", 0),
    ]  # fmt: skip


def _shape(release: Plan) -> list[tuple[Any, ...]]:
    def one(a: Any) -> tuple[Any, ...]:
        if isinstance(a, Up):
            floor = () if a.floor is Floor.NONE else (a.floor.value,)
            return (a.image_uri, a.canary_image_uri, a.canary_weight, *floor)
        if isinstance(a, Bake):
            return ("Bake", a.weight, a.minutes)
        if isinstance(a, ConfirmWeight):
            return ("ConfirmWeight", a.weight)
        return (type(a).__name__,)

    return [one(a) for a in release.actions]


START = [(OLD, NEW, 0), ("AwaitCanary",), ("Walkthrough",)]


@pytest.mark.parametrize(
    ("strategy", "steps"),
    [
        (DeploymentStrategy.CANARY, [(OLD, NEW, 5), ("Bake", 5, 10)]),
        (
            DeploymentStrategy.LINEAR,
            [
                *((OLD, NEW, w) for w in (30,)),
                ("Bake", 30, 6),
                (OLD, NEW, 60),
                ("Bake", 60, 6),
                (OLD, NEW, 90),
                ("Bake", 90, 6),
                (OLD, NEW, 100),
                ("Bake", 100, 10),
            ],
        ),
        (DeploymentStrategy.BLUE_GREEN, [(OLD, NEW, 100), ("Bake", 100, 10)]),
    ],
    ids=lambda v: v.value if isinstance(v, DeploymentStrategy) else "",
)
def test_each_shifting_strategy_tests_shifts_bakes_then_promotes(
    strategy: DeploymentStrategy, steps: list[tuple[Any, ...]]
) -> None:
    release = plan(settings(strategy), CLEAN, NEW)
    last = steps[-2][2]
    promote = [(NEW, NEW, last, "canary"), ("AwaitPrimary",), (NEW, NEW, 0, "keep"),
               ("ConfirmWeight", 0), (NEW, "", 0)]  # fmt: skip
    assert _shape(release) == START + steps + promote
    assert (release.rollback_image, release.left_canary, release.left_weight) == (OLD, "", 0)


def test_a_rerun_after_a_dead_job_first_rolls_its_canary_back() -> None:
    release = plan(settings(DeploymentStrategy.CANARY), Running(OLD, NEW, 5), NEW)
    first = release.actions[0]
    assert isinstance(first, Up) and "earlier run" in first.why
    assert _shape(release)[:5] == [
        (OLD, NEW, 5, "canary"), ("AwaitPrimary",), (OLD, NEW, 0, "keep"), ("ConfirmWeight", 0),
        (OLD, "", 0),
    ]  # fmt: skip
    assert _shape(release)[5:8] == START


class FakeStack:
    def __init__(self) -> None:
        self.config: dict[str, str] = {}
        self.ups: list[tuple[str, str, str]] = []
        self.held: list[str] = []

    def set_config(self, key: str, value: str) -> None:
        self.config[key] = value

    def up(self) -> None:
        c = self.config
        self.ups.append((c["imageUri"], c["canaryImageUri"], c["canaryWeight"]))
        self.held.append(c["handoverCount"])

    def outputs(self) -> dict[str, Any]:
        return {release_outputs.CANARY_ALARM_NAMES: ALARMS}


class FakeJudge:
    def __init__(self, fail: str | None = None) -> None:
        self.fail = fail
        self.calls: list[str] = []

    def _judge(self, what: str) -> str:
        self.calls.append(what)
        if what == self.fail:
            raise ReleaseFailed(f"{what} failed")
        return what

    def await_canary(self, values: Mapping[str, Any]) -> str:
        return self._judge("await")

    def walkthrough(self, values: Mapping[str, Any]) -> str:
        return self._judge("walkthrough")

    def bake(self, values: Mapping[str, Any], minutes: int) -> str:
        return self._judge("bake")

    def canary_tasks(self, values: Mapping[str, Any]) -> int:
        return 3

    def await_primary(self, values: Mapping[str, Any], tasks: int) -> str:
        return self._judge(f"primary {tasks}")

    def confirm_weight(self, values: Mapping[str, Any], weight: int) -> str:
        return self._judge(f"weight {weight}")

    def live_weight(self, values: Mapping[str, Any]) -> int:
        return self.weight_now

    weight_now = 5


def test_a_good_canary_is_promoted_and_leaves_no_canary() -> None:
    stack, judge, lines = FakeStack(), FakeJudge(), list[str]()
    execute(plan(settings(DeploymentStrategy.CANARY), CLEAN, NEW), stack, judge, lines.append)
    assert stack.ups == [
        (OLD, NEW, "0"), (OLD, NEW, "5"), (NEW, NEW, "5"), (NEW, NEW, "0"), (NEW, "", "0"),
    ]  # fmt: skip
    assert stack.held == ["0", "0", "3", "3", "0"]
    assert judge.calls == ["await", "walkthrough", "bake", "primary 3", "weight 0"]
    assert any("the canary takes 5 %" in line for line in lines)


@pytest.mark.parametrize("fail", ["await", "walkthrough", "bake"])
def test_a_failure_before_the_promotion_rolls_back_and_fails(fail: str) -> None:
    stack, judge, lines = FakeStack(), FakeJudge(fail), list[str]()
    with pytest.raises(ReleaseFailed, match=f"rolled back .*{fail} failed"):
        execute(plan(settings(DeploymentStrategy.CANARY), CLEAN, NEW), stack, judge, lines.append)
    # The last up: weight 0, no canary, the primary on the image it ran.
    assert stack.ups[-1] == (OLD, "", "0")
    assert all(up[0] == OLD for up in stack.ups), "never promoted"
    assert any(line.startswith("FAIL  canary:") for line in lines)


def test_a_release_that_breaks_put_is_stopped_at_the_canary_slice() -> None:
    # PUT answers 500, /health stays green: the canary's 5xx-rate alarm fires during its bake.
    cloudwatch: Any = botocore.session.get_session().create_client(
        "cloudwatch", region_name="eu-west-1"
    )
    stubber = Stubber(cloudwatch)
    request = {"AlarmNames": ALARMS, "AlarmTypes": ["MetricAlarm"]}
    stubber.add_response("describe_alarms", {"MetricAlarms": [_alarm(ALARMS[0], "OK")]}, request)
    firing = _alarm(ALARMS[0], "ALARM", "Threshold Crossed: 2 out of the last 3 datapoints")
    stubber.add_response("describe_alarms", {"MetricAlarms": [firing]}, request)

    class Judge(FakeJudge):
        def bake(self, values: Mapping[str, Any], minutes: int) -> str:
            return canary.bake(cloudwatch, ALARMS, minutes, sleep=lambda _: None, clock=clock)

    ticks = iter(range(0, 10_000, 30))

    def clock() -> float:
        return float(next(ticks))

    stack = FakeStack()
    with stubber, pytest.raises(ReleaseFailed, match="in ALARM: picus-prod-canary-5xx-rate"):
        execute(plan(settings(DeploymentStrategy.CANARY), CLEAN, NEW), stack, Judge(), print)
    stubber.assert_no_pending_responses()
    assert stack.ups == [
        (OLD, NEW, "0"), (OLD, NEW, "5"), (OLD, NEW, "5"), (OLD, NEW, "0"), (OLD, "", "0"),
    ]  # fmt: skip


def _alarm(name: str, state: str, reason: str = "ok") -> dict[str, Any]:
    return {"AlarmName": name, "StateValue": state, "StateReason": reason}


def test_a_quiet_bake_watches_the_alarms_for_its_minutes() -> None:
    cloudwatch: Any = botocore.session.get_session().create_client(
        "cloudwatch", region_name="eu-west-1"
    )
    stubber = Stubber(cloudwatch)
    quiet = {"MetricAlarms": [_alarm(n, "OK") for n in ALARMS]}
    now = [0.0]
    for _ in range(3):  # at 0, 30 and 60 s of a one-minute bake
        stubber.add_response("describe_alarms", quiet)

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with stubber:
        said = canary.bake(cloudwatch, ALARMS, 1, sleep=sleep, clock=lambda: now[0])
    stubber.assert_no_pending_responses()
    assert "stayed out of ALARM for 1 min" in said


def test_the_cli_sets_keys_and_every_up_refreshes() -> None:
    calls: list[list[str]] = []

    def run(command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        calls.append(command)
        return subprocess.CompletedProcess(command, 0, stdout=json.dumps({"a": 1}))

    cli = PulumiCli("org/prod", run)
    cli.set_config("canaryWeight", "5")
    cli.up()
    assert cli.outputs() == {"a": 1}
    assert calls[0] == ["pulumi", "config", "set", "canaryWeight", "5", "--stack", "org/prod"]
    assert calls[1] == [
        "pulumi", "up", "--yes", "--skip-preview", "--refresh", "--stack", "org/prod",
    ]  # fmt: skip


def test_the_stack_files_give_the_release_settings(tmp_path: Path) -> None:
    prod = deployment_settings(StackFiles("prod"))
    assert prod.strategy is DeploymentStrategy.CANARY and (
        prod.canary_percent,
        prod.canary_bake_minutes,
    ) == (5, 10)
    assert deployment_settings(StackFiles("dev")).strategy is DeploymentStrategy.ROLLING
    # A secret in the stack file is the CLI's to decrypt.
    (tmp_path / "Pulumi.yaml").write_text((stack_cli.ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "Pulumi.x.yaml").write_text("config:\n  picus:releaseHeader:\n    secure: AAAB\n")
    assert StackFiles("x", tmp_path).get("releaseHeader") is None


def test_running_reads_what_the_last_up_left() -> None:
    values = {
        outputs.IMAGE_URI: OLD,
        release_outputs.CANARY_IMAGE_URI: NEW,
        release_outputs.CANARY_WEIGHT: 5,
    }
    assert Running.from_outputs(values) == Running(OLD, NEW, 5)
    assert Running.from_outputs(values).half_shifted
    assert not Running.from_outputs({}).half_shifted


def test_a_release_sets_only_the_keys_it_changes() -> None:
    class Recording(FakeStack):
        def __init__(self) -> None:
            super().__init__()
            self.sets: list[tuple[str, str]] = []

        def set_config(self, key: str, value: str) -> None:
            self.sets.append((key, value))

        def up(self) -> None:
            self.ups.append(("", "", ""))

    stack = Recording()
    held = {"imageUri": OLD, "canaryImageUri": "", "canaryWeight": "0", "handoverCount": "0"}
    execute(plan(settings(DeploymentStrategy.ROLLING), CLEAN, OLD), stack, FakeJudge(), print, held)
    # Rerunning the image the stack runs: an up, and the stack's settings file untouched.
    assert stack.sets == [] and len(stack.ups) == 1
    execute(plan(settings(DeploymentStrategy.ROLLING), CLEAN, NEW), stack, FakeJudge(), print, held)
    assert stack.sets == [("imageUri", NEW)]
