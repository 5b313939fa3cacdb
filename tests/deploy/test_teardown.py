"""The one teardown command (deploy/teardown.py): ``pulumi destroy``, then every revision of the
stack's task definitions, which Pulumi keeps on purpose; a protected stack is refused first."""

from __future__ import annotations

import json
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
from tests.deploy.stubbed_aws import IDENTITY, StubbedAws, stubbed_aws

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


def _removes(aws: StubbedAws, family: str, count: int) -> None:
    """Every revision of the family deregistered, then deleted."""
    active = _revisions(family, range(1, count + 1))
    aws.expect("ecs", "list_task_definitions", {"taskDefinitionArns": active},
               familyPrefix=family, status="ACTIVE")  # fmt: skip
    for arn in active:
        aws.expect("ecs", "deregister_task_definition", {}, taskDefinition=arn)
    aws.expect("ecs", "list_task_definitions", {"taskDefinitionArns": active},
               familyPrefix=family, status="INACTIVE")  # fmt: skip
    aws.expect("ecs", "delete_task_definitions", {}, taskDefinitions=active)


def test_a_teardown_of_two_regions_removes_each_regions_task_definitions_there(
    cli_state: Path,
) -> None:
    regions = ["eu-west-1", "us-east-1"]
    config = {"regions": json.dumps(regions), "domainName": "dev.example.com",
              "hostedZoneId": "Z0123456789ABC"}  # fmt: skip
    fake_pulumi.new_state(cli_state, {"dev": config})
    subprocess.run(["pulumi", "up", "--stack", "dev"], check=True, capture_output=True)
    by_region = PulumiCli("dev").outputs()["regions"]
    lines: list[str] = []
    with stubbed_aws(regions[0]) as home, stubbed_aws(regions[1]) as away:
        home.expect("sts", "get_caller_identity", IDENTITY)
        clients = dict(zip(regions, (home, away), strict=True))
        for region, aws in clients.items():
            for family in families(by_region[region]):
                _removes(aws, family, 2)
        assert (
            teardown(PulumiCli("dev"), "dev", lambda r: clients[str(r)].aws, lines.append) == 0
        ), lines

    # Each region's own families, each with its own client: none is looked for elsewhere.
    home_families, away_families = (families(by_region[r]) for r in regions)
    assert len(home_families) == len(away_families) == 2
    assert not set(home_families) & set(away_families)
    assert home.calls.count("ecs:DeregisterTaskDefinition") == 4
    assert away.calls.count("ecs:DeregisterTaskDefinition") == 4
    assert [line.split(":")[0] for line in lines if "revision(s) of task definition" in line] == [
        "ok    eu-west-1", "ok    eu-west-1", "ok    us-east-1", "ok    us-east-1",
    ]  # fmt: skip
