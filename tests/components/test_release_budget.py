"""Every release plan fits its budget: the worst case is computed from the settings, preview
refuses settings whose release cannot finish inside a deploy job, and the workflow's job
timeouts and credential durations are the committed stacks' budgets."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from components.api_cluster_args import DEFAULTS
from components.deployment import (
    BAKE_MINUTES,
    LINEAR_STEP_PERCENT,
    DeploymentSettings,
    DeploymentStrategy,
    shift_steps,
)
from components.function_release import MAX_SHIFT_MINUTES, ReleaseSettings, ReleaseStrategy
from components.release_budget import (
    MAX_JOB_MINUTES,
    UP_ROLLING_MINUTES,
    budget,
    problems,
)
from components.stack_config import stack_release_budget
from deploy.stack_cli import StackFiles
from devkit import ROOT
from docsite.pages import DEPLOY
from tests.components.conftest import harness

ALL_AT_ONCE = ReleaseSettings(ReleaseStrategy.ALL_AT_ONCE, 10, 5)
#: CodeDeploy's longest shift the settings allow.
LONGEST_SHIFT = ReleaseSettings(ReleaseStrategy.LINEAR, 10, MAX_SHIFT_MINUTES // 10)


def defaults(strategy: DeploymentStrategy) -> DeploymentSettings:
    d = {key.removeprefix("release."): value for key, value in DEFAULTS.items()}
    return DeploymentSettings(
        strategy, d["bakeTimeMinutes"], d["canaryPercent"], d["canaryBakeMinutes"],
        d["linearStepPercent"], d["linearStepBakeMinutes"], canary_image_uri=None,
        release_header="a" * 40,
    )  # fmt: skip


#: The function's release at its defaults (Pulumi.yaml's, as the args' DEFAULTS hold them).
FUNCTION_DEFAULTS = ReleaseSettings(
    ReleaseStrategy(DEFAULTS["release.functionRelease"]),
    int(DEFAULTS["release.functionReleasePercent"]),
    int(DEFAULTS["release.functionReleaseMinutes"]),
)


@pytest.mark.parametrize("strategy", list(DeploymentStrategy), ids=lambda s: s.value)
def test_every_strategy_at_its_defaults_fits_a_deploy_job(strategy: DeploymentStrategy) -> None:
    worst = budget(defaults(strategy), FUNCTION_DEFAULTS)
    assert worst.job_minutes <= MAX_JOB_MINUTES, worst.table()
    assert problems(defaults(strategy), FUNCTION_DEFAULTS) == []


@pytest.mark.parametrize("strategy", [s for s in DeploymentStrategy if s.shifts_traffic],
                         ids=lambda s: s.value)  # fmt: skip
def test_at_the_settings_limits_a_release_that_cannot_finish_is_refused(
    strategy: DeploymentStrategy,
) -> None:
    longest = BAKE_MINUTES.stop - 1
    slowest = replace(
        defaults(strategy), bake_minutes=longest, canary_bake_minutes=longest,
        linear_step_bake_minutes=longest, linear_step_percent=LINEAR_STEP_PERCENT.start,
    )  # fmt: skip
    worst = budget(slowest, LONGEST_SHIFT)
    assert worst.minutes > MAX_JOB_MINUTES
    (problem,) = problems(slowest, LONGEST_SHIFT)
    assert f"up to {worst.minutes} minutes" in problem and str(MAX_JOB_MINUTES) in problem


@given(
    strategy=st.sampled_from(list(DeploymentStrategy)),
    bakes=st.tuples(*[st.integers(BAKE_MINUTES.start, BAKE_MINUTES.stop - 1)] * 3),
    step=st.integers(LINEAR_STEP_PERCENT.start, LINEAR_STEP_PERCENT.stop - 1),
)
def test_the_budget_covers_every_bake_and_roll_and_refuses_exactly_what_overruns(
    strategy: DeploymentStrategy, bakes: tuple[int, int, int], step: int
) -> None:
    settings = replace(
        defaults(strategy), bake_minutes=bakes[0], canary_bake_minutes=bakes[1],
        linear_step_bake_minutes=bakes[2], linear_step_percent=step,
    )  # fmt: skip
    worst = budget(settings, LONGEST_SHIFT)
    baked = sum(minutes for _, minutes in shift_steps(settings))
    rolls = 2 if strategy.shifts_traffic else 1
    assert worst.minutes >= baked + rolls * UP_ROLLING_MINUTES + MAX_SHIFT_MINUTES
    assert worst.job_minutes >= worst.minutes
    fits = worst.job_minutes <= MAX_JOB_MINUTES
    assert bool(problems(settings, LONGEST_SHIFT)) == (not fits)
    if fits:  # the credentials last as long as the job may run
        assert 60 * worst.job_minutes <= worst.session_seconds


def _deploy_jobs() -> dict[str, dict[str, object]]:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "deploy.yml").read_text())
    jobs: dict[str, dict[str, object]] = workflow["jobs"]
    return jobs


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_deploy_jobs_timeout_and_session_are_the_stacks_budget(stack: str) -> None:
    worst = stack_release_budget(StackFiles(stack))
    job = _deploy_jobs()[stack]
    assert job["timeout-minutes"] == worst.job_minutes, worst.table()
    steps = job["steps"]
    assert isinstance(steps, list)
    (credentials,) = [s for s in steps if "configure-aws-credentials" in s.get("uses", "")]
    assert credentials["with"]["role-duration-seconds"] == worst.session_seconds
    # The role must allow a session that long: the set-up gives it its maximum (IAM's least
    # maximum is an hour).
    maximum = max(3600, worst.session_seconds)
    command = f"update-role --role-name picus-ci-{stack} --max-session-duration {maximum}"
    for page in (DEPLOY, ROOT / "deploy" / "iam" / "README.md"):
        assert command in page.read_text(), page


def test_preview_refuses_a_release_longer_than_a_deploy_job() -> None:
    overrides = {"deploymentStrategy": "linear", "linearStepPercent": "5",
                 "linearStepBakeMinutes": "30", "releaseHeader": "a" * 40}  # fmt: skip
    result = harness("dev", "dev", overrides)
    assert result.returncode == 3, result.stderr[-2000:]
    refusal = json.loads(result.stdout)["refused"]
    assert "picus:linearStepBakeMinutes" in refusal and f"{MAX_JOB_MINUTES} a deploy job" in refusal
