"""The deploy roles' permission policies (deploy/iam/github-{dev,prod}-policy.json): each may do
what its stack needs (every resource type's calls, and the release's and the check's, read from
deploy/), nothing to the other stack, and no write that is not needed; and each policy fits."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from components.naming import stack_prefix
from devkit import ROOT
from tests.components.conftest import DEPLOYED, VARIANTS
from tests.components.graph import load
from tests.components.harness import ACCOUNT, REGION, stack_config
from tests.deploy.aws_calls import release_operations
from tests.deploy.iam_evaluator import Request, allows
from tests.deploy.iam_needs import (
    BY_RESOURCE_TYPE,
    IMAGE_PUSH,
    IMAGE_REPOSITORY,
    NO_PERMISSION_NEEDED,
    every_need,
)
from tests.deploy.iam_policies import (
    DEPLOY_ROLES,
    READ_LEVELS,
    READ_ROLES,
    access_level,
    deploy_needs,
    documents,
    global_policy_path,
    granted,
    other,
    permissions,
    policy_path,
    refused,
)
from tests.deploy.iam_requests import CONTEXT, inventory, requests

URNS = ROOT / "tests" / "components" / "urns"


def program_types() -> set[str]:
    """Every resource type the program creates in any variant (tests/components/urns/, which
    test_identity.py holds to the program), components of its own left out."""
    return {
        urn.split("::")[2].split("$")[-1]
        for path in URNS.glob("*.txt")
        for urn in path.read_text().split()
        if not urn.split("::")[2].split("$")[-1].startswith(("picus:", "pulumi:"))
    }


def test_every_resource_type_the_program_creates_says_what_it_needs() -> None:
    # One file of URNs per variant of the program's tests, each the program's graph.
    assert {path.stem for path in URNS.glob("*.txt")} == set(VARIANTS)
    assert program_types() == set(BY_RESOURCE_TYPE)


@pytest.mark.parametrize("stack", DEPLOY_ROLES)
def test_the_deploy_role_may_create_change_and_destroy_all_of_its_stack(stack: str) -> None:
    assert {a: refused(stack, a, stack) for a in sorted(every_need())} == {
        a: [] for a in sorted(every_need())
    }


@pytest.mark.parametrize("stack", DEPLOY_ROLES)
def test_every_aws_call_of_the_release_and_the_check_is_allowed(stack: str) -> None:
    called = {o.iam_action for o in release_operations()} - NO_PERMISSION_NEEDED
    assert {"codedeploy:CreateDeployment", "cloudwatch:DescribeAlarms"} <= called
    assert {a: refused(stack, a, stack) for a in sorted(called)} == {a: [] for a in sorted(called)}


@pytest.mark.parametrize("stack", DEPLOY_ROLES)
def test_the_deploy_role_changes_nothing_of_the_other_stack(stack: str) -> None:
    checked, allowed = [], []
    document = permissions(stack)
    for action in sorted(every_need()):
        if access_level(action) in READ_LEVELS:
            continue
        # The role's own requests (its own tags on what it creates) on the other stack's things.
        theirs = requests(action, inventory(other(stack)), acting=inventory(stack))
        if theirs == requests(action, inventory(stack)):
            continue  # named by AWS or the deployer, not by the stack: nothing to scope by
        checked.append(action)
        if all(allows(document, r) for r in theirs):
            allowed.append(action)
    assert len(checked) > 100
    assert allowed == []


@pytest.mark.parametrize("stack", DEPLOY_ROLES)
def test_the_deploy_role_changes_nothing_that_is_not_needed(stack: str) -> None:
    # Reads may be granted by family (lambda:Get* on the stack's functions): IAM's 10,240
    # characters of inline policy per role leave no room to list each.
    needed = deploy_needs() | set(IMAGE_PUSH) if stack == "dev" else deploy_needs()
    writes = {a.lower() for a in granted(permissions(stack)) if access_level(a) not in READ_LEVELS}
    assert writes - {a.lower() for a in needed} == set()


#: IAM's limit on the inline policies of one role, white space not counted.
INLINE_POLICY_LIMIT = 10_240
#: IAM's limit on one customer managed policy, white space not counted
#: (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
MANAGED_POLICY_LIMIT = 6_144


@pytest.mark.parametrize("role", DEPLOY_ROLES + READ_ROLES)
def test_each_policy_fits_in_one_inline_policy(role: str) -> None:
    inline, *managed = documents(role)
    assert len(json.dumps(inline, separators=(",", ":"))) <= INLINE_POLICY_LIMIT
    for document in managed:
        assert len(json.dumps(document, separators=(",", ":"))) <= MANAGED_POLICY_LIMIT


def _other_regions(variant: str) -> tuple[str, list[str]]:
    stack, _, overrides = VARIANTS[variant]
    return stack, json.loads(overrides["regions"])[1:]


@pytest.mark.parametrize("variant", ["dev-two-regions", "prod-three-regions"])
def test_the_deploy_role_may_build_its_stack_in_every_region_of_a_multi_region_stack(
    variant: str,
) -> None:
    stack, others = _other_regions(variant)
    assert others
    for region in others:
        place = inventory(stack, region)
        missing = {
            a: [r for r in requests(a, place) if not allows(permissions(stack), r)]
            for a in sorted(every_need())
        }
        assert {a: r for a, r in missing.items() if r} == {}, region


@pytest.mark.parametrize("variant", ["dev-two-regions", "prod-three-regions"])
def test_the_deploy_role_changes_nothing_of_the_other_stack_in_the_other_regions(
    variant: str,
) -> None:
    stack, others = _other_regions(variant)
    document = permissions(stack)
    for region in others:
        theirs, mine = inventory(other(stack), region), inventory(stack, region)
        for action in sorted(every_need()):
            if access_level(action) in READ_LEVELS:
                continue
            asked = requests(action, theirs, acting=mine)
            if asked == requests(action, mine):
                continue
            assert not all(allows(document, r) for r in asked), (action, region)


def test_only_the_dev_role_pushes_the_released_image() -> None:
    repository = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{IMAGE_REPOSITORY}"
    pushes = [a for a in IMAGE_PUSH if a != "ecr:GetAuthorizationToken"]
    assert all(allows(permissions("dev"), Request(a, repository)) for a in pushes)
    assert not any(allows(permissions("prod"), Request(a, repository)) for a in pushes)


@pytest.mark.parametrize("stack", DEPLOY_ROLES)
def test_tags_go_on_only_as_the_stack_creates(stack: str) -> None:
    vpc = f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/vpc-0a1b2c3d4e5f60718"
    document = permissions(stack)

    def tags(create_action: str | None, tag: str, existing: str | None = None) -> bool:
        context: dict[str, str] = {"aws:RequestTag/stack": tag}
        if create_action:
            context["ec2:CreateAction"] = create_action
        if existing:
            context["aws:ResourceTag/stack"] = existing
        return allows(document, Request("ec2:CreateTags", vpc, context))

    assert tags("CreateVpc", stack)
    assert not tags("CreateVpc", other(stack))
    # Retagging someone else's resource is refused, the stack's own is allowed.
    assert not tags(None, stack)
    assert not tags(None, stack, existing=other(stack))
    assert tags(None, stack, existing=stack)


@pytest.mark.parametrize("stack", DEPLOY_ROLES)
def test_the_stacks_roles_pass_only_to_the_services_that_take_them(stack: str) -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/{stack_prefix(stack)}-api-task-role-1a2b3c4"
    theirs = role.replace(stack_prefix(stack), stack_prefix(other(stack)))
    document = permissions(stack)

    def passes(arn: str, service: str) -> bool:
        return allows(document, Request("iam:PassRole", arn, {"iam:PassedToService": service}))

    assert passes(role, "ecs-tasks.amazonaws.com")
    assert not passes(role, "ec2.amazonaws.com")
    assert not passes(theirs, "ecs-tasks.amazonaws.com")


def test_the_roles_passed_are_the_services_the_programs_roles_trust() -> None:
    trusted = set()
    for stack in DEPLOY_ROLES:
        for role in load(stack, *DEPLOYED[stack]).all("aws:iam/role:Role"):
            for statement in json.loads(role["state"]["assumeRolePolicy"])["Statement"]:
                trusted |= set(_listed(statement["Principal"]["Service"]))
    passed = {call["iam:PassedToService"] for call in CONTEXT["iam:PassRole"]}
    assert passed == trusted


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


@pytest.mark.parametrize("stack", DEPLOY_ROLES)
def test_every_resource_of_the_stack_carries_the_tags_the_policies_scope_by(stack: str) -> None:
    tags = json.loads(stack_config(stack, {})["aws:defaultTags"])["tags"]
    assert inventory(stack).tags("Resource") == {f"aws:ResourceTag/{k}": v for k, v in tags.items()}


@pytest.mark.parametrize("path", [policy_path, global_policy_path])
def test_the_prod_policy_is_the_dev_policy_for_its_own_names(path: Callable[[str], Path]) -> None:
    text = path("dev").read_text()
    dev, prod = inventory("dev"), inventory("prod")
    for old, new in zip(dev.tables, prod.tables, strict=True):
        text = text.replace(f'table/{old}"', f'table/{new}"')
    text = text.replace(stack_prefix("dev"), stack_prefix("prod"))
    text = text.replace('"aws:RequestTag/stack": "dev"', '"aws:RequestTag/stack": "prod"')
    text = text.replace('"aws:ResourceTag/stack": "dev"', '"aws:ResourceTag/stack": "prod"')
    expected = json.loads(text)
    expected["Statement"] = [s for s in expected["Statement"] if s["Sid"] != "PushReleasedImage"]
    assert json.loads(path("prod").read_text()) == expected
