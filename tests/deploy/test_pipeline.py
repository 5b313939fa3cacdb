"""The one release command (deploy/pipeline.py), driven as a deployer drives it: a ``pulumi`` of
the test's own on PATH that records its calls and answers with the program's real outputs
(tests/deploy/fake_pulumi.py), and botocore's Stubber for every AWS call, in order."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from components.delete_function import ALIAS
from deploy import pipeline, preflight
from deploy.pipeline import Pipeline
from deploy.stack_cli import PulumiCli
from tests.deploy import fake_pulumi
from tests.deploy.release_expectations import (
    expect_check,
    expect_function_release,
    outputs_after_up,
)
from tests.deploy.stubbed_aws import IDENTITY, stubbed_aws

ROOT = Path(__file__).resolve().parents[2]
NEW = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/picus@sha256:" + "b" * 64
NOW = datetime.datetime(2026, 12, 7, tzinfo=datetime.UTC)


def test_a_release_from_a_laptop_runs_every_step_in_order_and_ends_with_the_urls(
    cli_state: Path, api_url: str
) -> None:
    fake_pulumi.new_state(cli_state, {"dev": {}}, api_url=api_url)
    # What the program exports for this release, from the same mocks the fake CLI runs.
    expected = outputs_after_up(cli_state, {"imageUri": NEW})
    lines: list[str] = []
    with stubbed_aws() as aws:
        aws.expect("sts", "get_caller_identity", IDENTITY)
        expect_function_release(aws, str(expected["functionArn"]), str(expected["functionVersion"]))
        expect_check(aws, expected)
        release = Pipeline(PulumiCli("dev"), "dev", lambda _: aws.aws, lines.append, 0)
        assert release.run(NEW) == 0, "\n".join(lines)

    assert aws.calls == [
        "sts:GetCallerIdentity",
        "lambda:GetFunction", "lambda:GetFunction", "lambda:GetFunction",
        "lambda:GetAlias", "codedeploy:ListDeployments", "codedeploy:CreateDeployment",
        "ecs:ListServiceDeployments", "ecs:DescribeServiceDeployments", "ecs:DescribeServices",
        "lambda:GetAlias",
    ]  # fmt: skip
    assert fake_pulumi.calls(cli_state) == [
        ["stack", "output", "--json", "--stack", "dev"],
        ["config", "get", "aws:region", "--stack", "dev"],
        ["config", "--json", "--stack", "dev"],
        ["config", "get", "releaseHeader", "--stack", "dev"],
        # Only the key that changes: the stack's file is left as it was otherwise.
        ["config", "set", "imageUri", NEW, "--stack", "dev"],
        ["up", "--yes", "--skip-preview", "--refresh", "--stack", "dev"],
        ["stack", "output", "--json", "--stack", "dev"],
    ]
    # The service runs the new image, the function's alias its new version, and the deployer
    # is told where the API and its dashboard are.
    assert any(f"the service runs {NEW}" in line for line in lines)
    assert any(f"alias {ALIAS} -> version {expected['functionVersion']}" in line for line in lines)
    assert lines[-2:] == [f"  API        {api_url}", f"  dashboard  {expected['dashboardUrl']}"]
    phases = [line for line in lines if line.startswith("==> [")]
    assert [p.split("] ", 1)[1].split(":")[0] for p in phases] == [
        "ready", "service", "function", "check",
    ]  # fmt: skip
    assert all(
        line.split(": done in ")[1].count(":") == 1 for line in lines if ": done in " in line
    )


def run_release(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deploy.pipeline", *args],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )


NO_AWS = {
    "AWS_CONFIG_FILE": "/nonexistent",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def _without_aws(env: dict[str, str]) -> dict[str, str]:
    kept = {k: v for k, v in env.items() if not k.startswith("AWS_")}
    return {**kept, **NO_AWS}


def test_without_the_pulumi_cli_it_stops_with_one_line(tmp_path: Path) -> None:
    env = {**_without_aws(dict(os.environ)), "PATH": str(tmp_path)}
    done = run_release("--stack", "dev", env=env)
    assert done.returncode == 1
    (fail,) = [line for line in done.stdout.splitlines() if line.startswith("FAIL")]
    assert "the Pulumi CLI is not on PATH: install it" in fail and preflight.INSTALL_PULUMI in fail


def test_a_stack_that_does_not_exist_stops_it_before_anything_changes(cli_state: Path) -> None:
    fake_pulumi.new_state(cli_state, {"prod": {}})
    done = run_release("--stack", "dev", env=_without_aws(dict(os.environ)))
    assert done.returncode == 1
    (fail,) = [line for line in done.stdout.splitlines() if line.startswith("FAIL")]
    assert fail == (
        "FAIL  stack dev does not exist: create it with `pulumi stack init dev` (its settings "
        "are Pulumi.dev.yaml), then run this again"
    )
    assert fake_pulumi.calls(cli_state) == [["stack", "output", "--json", "--stack", "dev"]]


def test_without_aws_credentials_it_stops_before_the_first_up(cli_state: Path) -> None:
    fake_pulumi.new_state(cli_state, {"my-org/dev": {}})
    done = run_release("--stack", "my-org/dev", "--image", NEW, env=_without_aws(dict(os.environ)))
    assert done.returncode == 1, done.stdout + done.stderr
    (fail,) = [line for line in done.stdout.splitlines() if line.startswith("FAIL")]
    assert fail.startswith("FAIL  no AWS credentials: sign in")
    assert not [
        call
        for call in fake_pulumi.calls(cli_state)
        if call[0] in ("up", "config") and call[1:2] != ["get"]
    ]


def test_a_version_whose_snapshot_fails_stops_the_release_before_the_alias_moves() -> None:
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:picus-dev-delete"
    failed = {"FunctionName": arn, "State": "Failed", "StateReason": "the init raised"}
    with stubbed_aws() as aws:
        aws.expect("lambda", "get_function", {"Configuration": {"State": "Pending"}})
        aws.expect("lambda", "get_function", {"Configuration": failed})
        with pytest.raises(pipeline.Failed, match=r"version 7 .* is Failed: the init raised"):
            pipeline.await_active(aws.aws.functions, arn, "7", 0)
    assert aws.calls == ["lambda:GetFunction", "lambda:GetFunction"]


def test_a_failed_up_is_one_fail_line_and_nothing_after_it(cli_state: Path) -> None:
    fake_pulumi.new_state(cli_state, {"dev": {}})
    state = json.loads(cli_state.read_text())
    cli_state.write_text(json.dumps({**state, "fail_up": True}))
    lines: list[str] = []
    with stubbed_aws() as aws:
        aws.expect("sts", "get_caller_identity", IDENTITY)
        release = Pipeline(PulumiCli("dev"), "dev", lambda _: aws.aws, lines.append, 0)
        assert release.run(NEW) == 1
    (fail,) = [line for line in lines if line.startswith("FAIL")]
    assert fail == (
        "FAIL  `pulumi up --yes --skip-preview --refresh --stack dev` failed: its output above "
        "says why"
    )
    assert lines[-1] == fail and aws.calls == ["sts:GetCallerIdentity"]
