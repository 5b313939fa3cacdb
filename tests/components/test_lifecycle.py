"""Invariants of the deploy lifecycle, across stacks, checkouts and runs, not one graph.

- Across stacks: every stack file's graph, built side by side, shares no physical name of an
  account- or region-scoped resource with another, and every name fits AWS's limits.
- Across checkouts and runs: the same commit evaluated from two other directories gives the
  same resources, input for input, so a second ``up`` from CI changes nothing.
- Across a rollback and a destroy: what a rollback needs survives a replacement; an
  unprotected stack can be destroyed whole, a protected one refuses.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from components.naming import MAX_NAME, MAX_STACK_NAME
from deploy.teardown import families as teardown_families
from devkit import ROOT
from tests.components.conftest import DEPLOYED, TABLE, VARIANTS, Stack, harness, input_shape


@dataclass(frozen=True)
class NameRule:
    """How AWS names one kind of resource: which property, how long, which characters."""

    field: str
    max_length: int
    pattern: str
    #: Unique per account and region (or globally); False where the scope is a parent
    #: resource (a role's inline policy, a cluster's service), so collisions cannot happen.
    account_scoped: bool = True
    #: (service, operation, member) in botocore's models, where AWS publishes the limit.
    model: tuple[str, str, str] | None = None


ELB_NAME = r"(?!internal-)[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
#: From each service's API reference; the ELB, ECS, SNS and S3 models carry no limits.
NAME_RULES: dict[str, NameRule] = {
    "aws:dynamodb/table:Table": NameRule(
        "name", 255, r"[a-zA-Z0-9_.-]{3,}", model=("dynamodb", "CreateTable", "TableName")
    ),
    "aws:ecr/repository:Repository": NameRule(
        "name",
        256,
        r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*",
        model=("ecr", "CreateRepository", "repositoryName"),
    ),
    "aws:cloudwatch/logGroup:LogGroup": NameRule(
        "name", 512, r"[\.\-_/#A-Za-z0-9]+", model=("logs", "CreateLogGroup", "logGroupName")
    ),
    "aws:lambda/function:Function": NameRule("name", 64, r"[a-zA-Z0-9-_]+"),
    "aws:iam/role:Role": NameRule(
        "name", 64, r"[\w+=,.@-]+", model=("iam", "CreateRole", "RoleName")
    ),
    "aws:iam/rolePolicy:RolePolicy": NameRule(
        "name",
        128,
        r"[\w+=,.@-]+",
        account_scoped=False,
        model=("iam", "PutRolePolicy", "PolicyName"),
    ),
    "aws:lb/loadBalancer:LoadBalancer": NameRule("name", 32, ELB_NAME),
    "aws:lb/targetGroup:TargetGroup": NameRule("name", 32, ELB_NAME),
    "aws:ecs/cluster:Cluster": NameRule("name", 255, r"[a-zA-Z0-9_-]+"),
    "aws:ecs/service:Service": NameRule("name", 255, r"[a-zA-Z0-9_-]+", account_scoped=False),
    "aws:ecs/taskDefinition:TaskDefinition": NameRule("family", 255, r"[a-zA-Z0-9_-]+"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": NameRule(
        "name", 255, r"[^\x00-\x1f]+", model=("cloudwatch", "PutMetricAlarm", "AlarmName")
    ),
    "aws:cloudwatch/dashboard:Dashboard": NameRule("dashboardName", 255, r"[A-Za-z0-9_-]+"),
    "aws:wafv2/webAcl:WebAcl": NameRule(
        "name", 128, r"^[\w\-]+$", model=("wafv2", "CreateWebACL", "Name")
    ),
    "aws:sns/topic:Topic": NameRule("name", 256, r"[A-Za-z0-9_-]+"),
    "aws:s3/bucket:Bucket": NameRule("bucket", 63, r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"),
}


def physical_names(stack: Stack) -> list[tuple[str, str]]:
    return [
        (r["type"], r["state"][NAME_RULES[r["type"]].field])
        for r in stack.resources
        if r["type"] in NAME_RULES
    ]


def test_the_name_rules_are_no_looser_than_awss_models() -> None:
    for typ, rule in NAME_RULES.items():
        if rule.model is None:
            continue
        service, operation, member = rule.model
        shape = input_shape(service, operation)
        published = shape.members[member].metadata
        assert rule.max_length <= published["max"], typ
        if "pattern" in published:
            assert rule.pattern == published["pattern"], typ


def test_every_name_fits_awss_limits(stack: Stack) -> None:
    for typ, name in physical_names(stack):
        rule = NAME_RULES[typ]
        assert len(name) <= rule.max_length, f"{stack.variant}: {typ} {name!r} is too long"
        assert re.fullmatch(rule.pattern, name), f"{stack.variant}: {typ} {name!r}"


def test_stacks_side_by_side_share_no_physical_name(stacks: dict[str, Stack]) -> None:
    # Every stack file as deployed, plus a stack of the longest accepted name, in one account.
    deployed = [stacks[v] for v in [*DEPLOYED, "longest-name"]]
    owners: dict[tuple[str, str], list[str]] = {}
    for stack in deployed:
        for typ, name in physical_names(stack):
            if NAME_RULES[typ].account_scoped:
                owners.setdefault((typ, name), []).append(stack.variant)
    shared = {key: who for key, who in owners.items() if len(who) > 1}
    assert shared == {}, f"names that collide in one account: {shared}"
    # and within one stack no two resources claim one name
    for stack in deployed:
        counts = Counter(physical_names(stack))
        assert [k for k, n in counts.items() if n > 1] == [], stack.variant


def test_every_stack_file_is_covered() -> None:
    assert set(DEPLOYED) == {p.name.split(".")[1] for p in ROOT.glob("Pulumi.*.yaml")}
    assert VARIANTS["longest-name"][0] == "x" * MAX_STACK_NAME


def _tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [name for name in listed if (ROOT / name).is_file()]


def _checkout(destination: Path) -> Path:
    for name in _tracked_files():
        (destination / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, destination / name)
    return destination


def _graph(cwd: Path, stack: str) -> dict[str, dict[str, Any]]:
    """Resources by URN: the engine registers them concurrently, in no fixed order."""
    name, stack_file, overrides = DEPLOYED[stack]
    result = harness(name, stack_file, overrides, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return {r["urn"]: r for r in json.loads(result.stdout)["resources"]}


@pytest.mark.parametrize("stack_name", list(DEPLOYED))
def test_two_checkouts_of_one_commit_give_the_same_resources(
    stack_name: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # A laptop, then CI: the same commit in two directories, each run as the CLI runs it.
    laptop = _checkout(tmp_path_factory.mktemp("laptop") / "picus")
    ci = _checkout(tmp_path_factory.mktemp("ci") / "work" / "picus")
    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(lambda cwd: _graph(cwd, stack_name), [laptop, ci])
    assert first.keys() == second.keys()
    for urn, resource in first.items():
        assert resource == second[urn], f"{stack_name}: {urn} differs between checkouts"
    text = json.dumps(first)
    assert str(laptop) not in text and str(ROOT) not in text, "an absolute path in an input"


def test_a_rollback_has_its_target(stack: Stack) -> None:
    # The circuit breaker rolls back to the previous task definition revision; replacing the
    # task definition must not deregister it. Lambda keeps every published version, and the
    # alias is what moves.
    task = stack.one("aws:ecs/taskDefinition:TaskDefinition", "-api-task")
    assert task["state"]["skipDestroy"] is True
    function = stack.one("aws:lambda/function:Function")["state"]
    assert function["publish"] is True
    alias = stack.one("aws:lambda/alias:Alias")["state"]
    assert alias["functionVersion"] == function["version"] == stack.exports["functionVersion"]
    assert stack.exports["taskDefinitionArn"] == task["state"]["arn"]


#: What `destroy` deliberately leaves: task definition revisions, kept for rollbacks (they
#: cost nothing; the teardown page's steps deregister and delete them).
SURVIVES_DESTROY = {"aws:ecs/taskDefinition:TaskDefinition"}


def test_destroy_of_an_unprotected_stack_removes_everything_and_a_protected_one_refuses(
    stack: Stack,
) -> None:
    protect = stack.setting("protect") == "true"
    alb = stack.one("aws:lb/loadBalancer:LoadBalancer")["state"]
    # Both tables: the items, and the records that keep a retried create from storing twice.
    tables = stack.all(TABLE)
    assert len(tables) == 2
    for table in tables:
        assert table["protect"] is protect, table["name"]
        assert table["state"]["deletionProtectionEnabled"] is protect, table["name"]
    assert alb["enableDeletionProtection"] is protect
    for repository in stack.all("aws:ecr/repository:Repository"):
        # An unprotected repository goes with its images; a protected one refuses.
        assert repository["state"]["forceDelete"] is not protect
    for bucket in stack.all("aws:s3/bucket:Bucket"):
        assert bucket["state"]["forceDestroy"] is not protect
    kept = {r["type"] for r in stack.resources if r["state"].get("skipDestroy")}
    assert kept <= SURVIVES_DESTROY
    # What Pulumi keeps on purpose, the teardown command removes after it: every family of
    # the task definitions kept is one it reads from the stack's outputs.
    families = {
        r["state"]["family"]
        for r in stack.resources
        if r["type"] == "aws:ecs/taskDefinition:TaskDefinition" and r["state"].get("skipDestroy")
    }
    assert families and families <= set(teardown_families(stack.exports))


def test_container_insights_logs_are_the_stacks_own(stack: Stack) -> None:
    # ECS would create this group itself on first use, and nothing would ever delete it.
    cluster = stack.one("aws:ecs/cluster:Cluster")
    groups = {g["state"]["name"]: g for g in stack.all("aws:cloudwatch/logGroup:LogGroup")}
    insights = groups[f"/aws/ecs/containerinsights/{cluster['state']['name']}/performance"]
    assert insights["urn"] in cluster["dependencies"]
    assert insights["state"]["retentionInDays"] == int(stack.setting("logRetentionDays"))


def test_a_stack_name_that_does_not_fit_is_refused_before_anything_is_created() -> None:
    result = harness("x" * (MAX_NAME + 1), "dev", {})
    assert result.returncode == 3, result.stderr
    refusal = json.loads(result.stdout)["refused"]
    assert f"longer than the {MAX_NAME} characters" in refusal and "stack name" in refusal


def test_a_production_stack_as_committed_is_refused_with_every_key_to_set() -> None:
    (production,) = [s for s, (_, _, overrides) in DEPLOYED.items() if overrides]
    result = harness(production, production, {})
    assert result.returncode == 3, result.stderr
    refusal = json.loads(result.stdout)["refused"]
    for key in ("certificateArn", "domainName", "alarmEmail", "alarmTopicArn"):
        assert f"picus:{key}" in refusal
