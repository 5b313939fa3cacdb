"""The one teardown command (deploy/teardown.py): ``pulumi destroy``, then every revision of the
stack's task definitions, which Pulumi keeps on purpose; a protected stack is refused first."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from deploy.stack_cli import PulumiCli
from deploy.teardown import (
    DELETE_BATCH,
    LISTING_PAUSE_S,
    TeardownFailed,
    families,
    remove_task_definitions,
    teardown,
)
from tests.deploy import fake_pulumi
from tests.deploy.stubbed_aws import IDENTITY, stubbed_aws

TASK_DEFINITION = "arn:aws:ecs:eu-west-1:123456789012:task-definition/"


def _revisions(family: str, numbers: range) -> list[str]:
    return [f"{TASK_DEFINITION}{family}:{n}" for n in numbers]


def test_a_teardown_destroys_the_stack_then_every_task_definition_revision(
    cli_state: Path,
) -> None:
    fake_pulumi.new_state(cli_state, {"dev": {}})
    subprocess.run(["pulumi", "up", "--stack", "dev"], check=True, capture_output=True)
    values = PulumiCli("dev").outputs()
    primary, canary = sorted(families(values), key=lambda f: "canary" in f)
    assert primary.endswith("-service") and canary.endswith("-canary")
    # A family whose name starts with the primary's is another's, and stays.
    other = _revisions(f"{primary}-other", range(1, 2))
    lines: list[str] = []
    with stubbed_aws() as aws:
        aws.expect("sts", "get_caller_identity", IDENTITY)
        for family, count in ((canary, 2), (primary, DELETE_BATCH + 2)):
            active = _revisions(family, range(1, count + 1))
            aws.expect("ecs", "list_task_definitions", {"taskDefinitionArns": active[:1] + other,
                       "nextToken": "page-2"}, familyPrefix=family, status="ACTIVE")  # fmt: skip
            aws.expect("ecs", "list_task_definitions", {"taskDefinitionArns": active[1:]},
                       familyPrefix=family, status="ACTIVE", nextToken="page-2")  # fmt: skip
            for arn in active:
                aws.expect("ecs", "deregister_task_definition", {}, taskDefinition=arn)
            aws.expect("ecs", "list_task_definitions", {"taskDefinitionArns": active + other},
                       familyPrefix=family, status="INACTIVE")  # fmt: skip
            for start in range(0, count, DELETE_BATCH):
                batch = active[start : start + DELETE_BATCH]
                aws.expect("ecs", "delete_task_definitions", {}, taskDefinitions=batch)
        assert teardown(PulumiCli("dev"), "dev", lambda _: aws.aws, lines.append) == 0, lines

    destroys = [c for c in fake_pulumi.calls(cli_state) if c[0] == "destroy"]
    assert destroys == [["destroy", "--yes", "--skip-preview", "--refresh", "--stack", "dev"]]
    assert aws.calls.count("ecs:DeregisterTaskDefinition") == 2 + DELETE_BATCH + 2
    assert aws.calls.count("ecs:DeleteTaskDefinitions") == 1 + 2
    assert PulumiCli("dev").outputs() == {}
    assert lines[-1] == "stack dev is torn down; `pulumi stack rm dev` forgets it too"


def test_a_protected_stack_is_refused_before_anything_changes(
    cli_state: Path,
) -> None:
    fake_pulumi.new_state(cli_state, {"prod": {}})
    lines: list[str] = []
    with stubbed_aws() as aws:
        assert teardown(PulumiCli("prod"), "prod", lambda _: aws.aws, lines.append) == 1
    assert lines == [
        "FAIL  stack prod is protected (protect: true in Pulumi.prod.yaml): set it to false and "
        "deploy, then destroy"
    ]
    # It read the stack, and changed nothing.
    assert fake_pulumi.calls(cli_state) == [
        ["stack", "output", "--json", "--stack", "prod"],
        ["config", "--json", "--stack", "prod"],
    ]
    assert aws.calls == []


def test_a_lagging_listing_is_read_again_and_a_refused_delete_is_a_failure() -> None:
    family = "picus-dev-api-canary"
    active = _revisions(family, range(1, 3))
    slept: list[float] = []
    with stubbed_aws() as aws:
        aws.expect("ecs", "list_task_definitions", {"taskDefinitionArns": active},
                   familyPrefix=family, status="ACTIVE")  # fmt: skip
        for arn in active:
            aws.expect("ecs", "deregister_task_definition", {}, taskDefinition=arn)
        # The first listing misses a revision just deregistered; the second holds both.
        for listed in (active[:1], active):
            aws.expect("ecs", "list_task_definitions", {"taskDefinitionArns": listed},
                       familyPrefix=family, status="INACTIVE")  # fmt: skip
        refused = {"arn": active[1], "reason": "the task definition is in use"}
        aws.expect("ecs", "delete_task_definitions", {"failures": [refused]},
                   taskDefinitions=active)  # fmt: skip
        with pytest.raises(TeardownFailed, match=r"did not delete 1 revision\(s\): .*:2: the task"):
            remove_task_definitions(aws.aws.ecs, family, sleep=slept.append)
    assert slept == [LISTING_PAUSE_S]
