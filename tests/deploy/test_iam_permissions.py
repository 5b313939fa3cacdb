"""The CI roles' permission policies (deploy/iam/github-<role>-policy.json): each deploy role may
do what its stack needs (every resource type's calls, the release's and the check's, read from
deploy/) and nothing to the other stack; it grants nothing that is not needed; the preview and
drift roles only read; parliament finds nothing unaccounted for."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from parliament import analyze_policy_string
from parliament.finding import Finding

from components.naming import stack_prefix
from devkit import ROOT
from tests.components.conftest import DEPLOYED
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
    refresh_needs,
)
from tests.deploy.iam_policies import (
    DEPLOY_ROLES,
    READ_LEVELS,
    READ_ROLES,
    access_level,
    granted,
    permissions,
    policy_path,
    policy_text,
)
from tests.deploy.iam_requests import CONTEXT, inventory, requests

URNS = ROOT / "tests" / "components" / "urns"


def other(stack: str) -> str:
    (found,) = set(DEPLOY_ROLES) - {stack}
    return found


def refused(role: str, action: str, stack: str) -> list[Request]:
    """The requests of ``action`` on ``stack``'s resources that ``role`` may not make."""
    document = permissions(role)
    return [r for r in requests(action, inventory(stack)) if not allows(document, r)]


# -- what the deploy roles may do ------------------------------------------------------------


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
    assert program_types(), "no committed URNs read"
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
    needed = every_need() | {o.iam_action for o in release_operations()}
    if stack == "dev":
        needed |= set(IMAGE_PUSH)
    writes = {a.lower() for a in granted(permissions(stack)) if access_level(a) not in READ_LEVELS}
    assert writes - {a.lower() for a in needed} == set()


#: IAM's limit on the inline policies of one role, white space not counted.
INLINE_POLICY_LIMIT = 10_240


@pytest.mark.parametrize("role", DEPLOY_ROLES + READ_ROLES)
def test_each_policy_fits_in_one_inline_policy(role: str) -> None:
    text = json.dumps(permissions(role), separators=(",", ":"))
    assert len(text) <= INLINE_POLICY_LIMIT


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


def test_the_prod_policy_is_the_dev_policy_for_its_own_names() -> None:
    text = policy_path("dev").read_text()
    dev, prod = inventory("dev"), inventory("prod")
    for old, new in zip(dev.tables, prod.tables, strict=True):
        text = text.replace(f'table/{old}"', f'table/{new}"')
    text = text.replace(stack_prefix("dev"), stack_prefix("prod"))
    text = text.replace('"aws:RequestTag/stack": "dev"', '"aws:RequestTag/stack": "prod"')
    text = text.replace('"aws:ResourceTag/stack": "dev"', '"aws:ResourceTag/stack": "prod"')
    expected = json.loads(text)
    expected["Statement"] = [s for s in expected["Statement"] if s["Sid"] != "PushReleasedImage"]
    assert json.loads(policy_path("prod").read_text()) == expected


# -- what the read roles may do ----------------------------------------------------------------

#: Reads that `preview --refresh` does not make: an image's layers (the refresh reads its
#: manifest), the log objects' versions (destroy empties the bucket) and the table key's
#: description (DynamoDB reads it when it takes its grant).
NOT_READ_BY_REFRESH = frozenset(
    {
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchCheckLayerAvailability",
        "s3:ListBucketVersions",
        "kms:DescribeKey",
    }
)


@pytest.mark.parametrize("role", READ_ROLES)
def test_a_read_role_can_change_nothing(role: str) -> None:
    document = permissions(role)
    assert {s["Effect"] for s in document["Statement"]} == {"Allow"}
    assert all("Action" in s and "Resource" in s for s in document["Statement"])
    assert {
        a: access_level(a) for a in granted(document) if access_level(a) not in READ_LEVELS
    } == {}


@pytest.mark.parametrize("role", READ_ROLES)
@pytest.mark.parametrize("stack", DEPLOY_ROLES)
def test_a_read_role_reads_what_a_refresh_reads(role: str, stack: str) -> None:
    reads = sorted(
        a
        for a in refresh_needs()
        if access_level(a) in READ_LEVELS and a not in NOT_READ_BY_REFRESH
    )
    assert len(reads) > 50
    assert {a: refused(role, a, stack) for a in reads} == {a: [] for a in reads}


#: Reads of what the stack holds rather than of how it is built: items, log events and objects,
#: image layers, the firewall's sampled requests.
DATA_READS = frozenset(
    {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:Scan",
        "logs:GetLogEvents",
        "logs:FilterLogEvents",
        "s3:GetObject",
        "s3:GetObjectVersion",
        "ecr:GetDownloadUrlForLayer",
        "wafv2:GetSampledRequests",
    }
)


@pytest.mark.parametrize("role", READ_ROLES)
def test_a_read_role_reads_no_data_nor_what_a_refresh_leaves_alone(role: str) -> None:
    assert (DATA_READS | NOT_READ_BY_REFRESH) & granted(permissions(role)) == set()


def test_preview_and_drift_read_alike() -> None:
    assert policy_path("preview").read_text() == policy_path("drift").read_text()


# -- parliament --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    """A finding parliament reports on a correct policy, and why it is correct."""

    issue: str
    roles: frozenset[str]
    why: str
    #: Whether a finding of the issue on the role's policy is this case, and not another.
    case: Callable[[str, Finding], bool]

    def covers(self, role: str, finding: Finding) -> bool:
        return finding.issue == self.issue and role in self.roles and self.case(role, finding)


def _names(finding: Finding, *actions: str) -> bool:
    return {str(a) for a in finding.location.get("actions", [])} <= {a.lower() for a in actions}


ACCEPTED = (
    Accepted(
        "CREDENTIALS_EXPOSURE",
        frozenset(DEPLOY_ROLES + READ_ROLES),
        "The program reads an ECR login token (aws.ecr.get_authorization_token, in "
        "components/image.py) to push the image it builds, and the image job logs in to push "
        "the released one; the action has no resource-level permissions.",
        lambda _, f: _names(f, "ecr:GetAuthorizationToken"),
    ),
    Accepted(
        "PERMISSIONS_MANAGEMENT_ACTIONS",
        frozenset(DEPLOY_ROLES),
        "The program creates the stack's roles and their inline policies, passes them to ECS, "
        "Lambda and CodeDeploy, and writes the function's resource policy, the log bucket's "
        "policy and public access block, the alarm topic's policy, the table key's grant and "
        "the web ACL: each on the stack's own names only (tested above).",
        lambda _, f: _names(
            f,
            *(a for a in every_need() if access_level(a) == "Permissions management"),
            "iam:CreateRole",
            "iam:DeleteRole",
            "iam:UpdateRole",
            "iam:PassRole",
            "iam:CreateServiceLinkedRole",
            "sns:CreateTopic",
            "wafv2:CreateWebACL",
            "wafv2:UpdateWebACL",
            "wafv2:DeleteWebACL",
        ),
    ),
    Accepted(
        "PRIVILEGE_ESCALATION",
        frozenset(DEPLOY_ROLES),
        "Deploying the function's code is the role's job; it may do so to its own stack's "
        "functions only, whose roles the program writes.",
        lambda _, f: f.location.get("type") == "EditExistingLambdaFunctionWithRole",
    ),
    Accepted(
        "RESOURCE_POLICY_PRIVILEGE_ESCALATION",
        frozenset(DEPLOY_ROLES),
        "The program writes the log bucket's policy so that the load balancer and the flow "
        "logs can deliver to it: the role could so grant itself its own stack's logs, "
        "nothing else.",
        lambda _, f: (
            re.fullmatch(
                r"Possible resource policy privilege escalation on arn:aws:s3:::picus-\w+-\* due "
                r"to s3:(Get|Put)Object not being allowed, but does allow s3:PutBucketPolicy",
                str(f.detail),
            )
            is not None
        ),
    ),
    Accepted(
        "RESOURCE_STAR",
        frozenset(DEPLOY_ROLES + READ_ROLES),
        "ec2:Describe* on *: most of EC2's Describe actions have no resource-level "
        "permissions, and the few that have (a VPC's attributes) read metadata only; one "
        "family keeps the deploy policy within IAM's 10,240 characters. ecs:ListTasks on * "
        "with the stack's cluster as a condition: the reference names a container instance, "
        "but IAM authorizes a listing by cluster on * (awsdocs/amazon-ecs-developer-guide#211).",
        lambda _, f: all(
            str(a).startswith("ec2:Describe") or a == "ecs:ListTasks" for a in f.detail
        ),
    ),
    Accepted(
        "RESOURCE_MISMATCH",
        frozenset(DEPLOY_ROLES + READ_ROLES),
        "parliament matches each action against its resource types' ARN formats: it flags the "
        "other members of a read family (dynamodb:Describe* has DescribeBackup), cannot read "
        "a pattern across resource types (ecs:*/picus-dev-*), and wants the VPC a subnet is "
        "created in beside the subnet, which Ec2Own authorizes by the stack's tag instead. "
        "Each flagged action the roles need is allowed on the stack's own resources by the "
        "evaluator above; the rest are not needed.",
        lambda role, f: all(_mismatch_is_harmless(role, str(item["action"])) for item in f.detail),
    ),
)


def _mismatch_is_harmless(role: str, action: str) -> bool:
    """Not needed by the role, or allowed for every stack it acts on."""
    if role in DEPLOY_ROLES:
        stacks, needs = [role], every_need() | {o.iam_action for o in release_operations()}
    else:
        stacks, needs = list(DEPLOY_ROLES), refresh_needs()
    return action not in needs or all(refused(role, action, stack) == [] for stack in stacks)


def unaccepted(role: str) -> list[str]:
    findings = analyze_policy_string(policy_text(role), include_community_auditors=True).findings
    return [
        f"{role}: {f.issue} {f.detail!r} {f.location}"
        for f in findings
        if not any(accepted.covers(role, f) for accepted in ACCEPTED)
    ]


@pytest.mark.parametrize("role", DEPLOY_ROLES + READ_ROLES)
def test_parliament_finds_nothing_unaccounted_for(role: str) -> None:
    assert unaccepted(role) == []


def test_every_accepted_finding_is_still_needed() -> None:
    used = {
        accepted.issue
        for role in DEPLOY_ROLES + READ_ROLES
        for finding in analyze_policy_string(
            policy_text(role), include_community_auditors=True
        ).findings
        for accepted in ACCEPTED
        if accepted.covers(role, finding)
    }
    assert used == {accepted.issue for accepted in ACCEPTED}


def test_an_acceptance_covers_its_own_case_only() -> None:
    # Another credential, a bucket policy on every bucket, a user's policy.
    wider: dict[str, Any] = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sts:GetSessionToken", "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:PutBucketPolicy", "Resource": "arn:aws:s3:::*"},
            {"Effect": "Allow", "Action": "iam:PutUserPolicy", "Resource": "*"},
        ],
    }
    findings = analyze_policy_string(json.dumps(wider), include_community_auditors=True).findings
    uncovered = {f.issue for f in findings if not any(a.covers("dev", f) for a in ACCEPTED)}
    assert {
        "CREDENTIALS_EXPOSURE",
        "RESOURCE_POLICY_PRIVILEGE_ESCALATION",
        "PERMISSIONS_MANAGEMENT_ACTIONS",
    } <= uncovered
