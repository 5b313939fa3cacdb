"""The CI roles' permission policies under parliament with its community auditors: a finding
fails the suite unless ``ACCEPTED`` lists it, with why, for its own case only."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from parliament import analyze_policy_string
from parliament.finding import Finding

from tests.deploy.iam_needs import (
    refresh_needs,
)
from tests.deploy.iam_policies import (
    DEPLOY_ROLES,
    READ_ROLES,
    access_level,
    deploy_needs,
    permissions,
    refused,
)


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
            *(a for a in deploy_needs() if access_level(a) == "Permissions management"),
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
        stacks, needs = [role], deploy_needs()
    else:
        stacks, needs = list(DEPLOY_ROLES), refresh_needs()
    return action not in needs or all(refused(role, action, stack) == [] for stack in stacks)


def unaccepted(role: str) -> list[str]:
    findings = analyze_policy_string(
        json.dumps(permissions(role)), include_community_auditors=True
    ).findings
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
            json.dumps(permissions(role)), include_community_auditors=True
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
