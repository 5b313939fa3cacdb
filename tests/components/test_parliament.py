"""Every IAM document the program creates (role trust policies, inline policies, the log
bucket's policy), and the CI roles' trust policies in deploy/iam/, under parliament with its
community auditors. A finding fails the suite unless ``ACCEPTED`` lists it, with why.

Documents are found by their shape (a JSON object with a ``Statement``) in every resource's
state, not by a list of resource types, so a new kind of policy cannot slip past unchecked.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from parliament import analyze_policy_string
from parliament.finding import Finding

from tests.components.conftest import Stack
from tests.deploy.test_iam import ADMITTED, trust


class Kind(enum.Enum):
    #: Who may assume a role (a role's ``assumeRolePolicy``, deploy/iam/).
    TRUST = "trust"
    #: What a role may do: no Principal.
    IDENTITY = "identity"
    #: Who may do what to a resource (a bucket policy): a Principal in its statements.
    RESOURCE = "resource"


@dataclass(frozen=True)
class Document:
    where: str
    kind: Kind
    text: str


@dataclass(frozen=True)
class Accepted:
    """A finding parliament reports on a correct document, and why it is correct."""

    issue: str
    kind: Kind
    #: The finding's detail, matched in full: the one case accepted, not the whole issue.
    detail: str
    why: str
    #: For findings about actions: the only actions the acceptance covers.
    actions: frozenset[str] = frozenset()

    def covers(self, kind: Kind, finding: Finding) -> bool:
        if (finding.issue, kind) != (self.issue, self.kind):
            return False
        if not re.fullmatch(self.detail, str(finding.detail)):
            return False
        named = {str(a).lower() for a in finding.location.get("actions", [])}
        return named <= {a.lower() for a in self.actions}


#: Every finding accepted, in one place. Each covers one case of one issue on one kind of
#: document; anything else parliament says fails the suite.
ACCEPTED = (
    Accepted(
        "MALFORMED",
        Kind.TRUST,
        detail=re.escape("Statement contains neither Resource nor NotResource"),
        why="A trust policy is the role's own resource policy: its Principal says who may "
        "assume the role, and IAM refuses a Resource element in it. parliament reads every "
        "document as an identity policy, which needs one.",
    ),
    Accepted(
        "UNKNOWN_FEDERATION_SOURCE",
        Kind.TRUST,
        detail=r"arn:aws:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com",
        why="parliament 1.6 knows SAML providers by ARN and four web identity providers by "
        "name, not IAM OIDC providers; this one is GitHub's, which the CI roles trust (README, "
        "CI set-up). The conditions on its aud and sub claims are tested in test_iam.py.",
    ),
    Accepted(
        "CREDENTIALS_EXPOSURE",
        Kind.IDENTITY,
        detail="",
        actions=frozenset({"ecr:GetAuthorizationToken"}),
        why="The execution role logs in to ECR to pull the service's image: the registry "
        "token this returns is what ECS needs. The action has no resource-level permissions, "
        "so it is granted on * (components/policies.py execution_policy).",
    ),
)


def findings(document: Document) -> list[Finding]:
    found: list[Finding] = analyze_policy_string(
        document.text, include_community_auditors=True
    ).findings
    return found


def unaccepted(document: Document) -> list[str]:
    return [
        f"{document.where}: {finding.issue} {finding.detail!r} {finding.location}"
        for finding in findings(document)
        if not any(accepted.covers(document.kind, finding) for accepted in ACCEPTED)
    ]


def _is_policy(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str) and '"Statement"' in value:
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) and "Statement" in value else None


def _found(where: str, key: str, value: Any) -> Iterator[Document]:
    policy = _is_policy(value)
    if policy is not None:
        statements = policy["Statement"]
        statements = statements if isinstance(statements, list) else [statements]
        if key == "assumeRolePolicy":
            kind = Kind.TRUST
        elif any("Principal" in s or "NotPrincipal" in s for s in statements):
            kind = Kind.RESOURCE
        else:
            kind = Kind.IDENTITY
        yield Document(f"{where}.{key}", kind, json.dumps(policy))
    elif isinstance(value, dict):
        for inner, item in value.items():
            yield from _found(f"{where}.{key}", inner, item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _found(f"{where}.{key}", str(index), item)


def documents(stack: Stack) -> list[Document]:
    return [
        document
        for resource in stack.resources
        for key, value in resource["state"].items()
        for document in _found(f"{stack.variant}: {resource['name']}", key, value)
    ]


def ci_trust_policies() -> list[Document]:
    return [
        Document(f"deploy/iam/github-{role}-trust.json", Kind.TRUST, json.dumps(trust(role)))
        for role in ADMITTED
    ]


def test_every_document_the_program_creates_passes_parliament(stack: Stack) -> None:
    problems = [problem for document in documents(stack) for problem in unaccepted(document)]
    assert problems == []


def test_every_policy_of_the_stack_is_among_the_documents_checked(stack: Stack) -> None:
    found = documents(stack)
    kinds = [document.kind for document in found]
    roles = stack.all("aws:iam/role:Role")
    assert kinds.count(Kind.TRUST) == len(roles) > 0
    assert kinds.count(Kind.IDENTITY) == len(stack.all("aws:iam/rolePolicy:RolePolicy"))
    # The log bucket's policy is the only resource policy, there when its logs are.
    assert kinds.count(Kind.RESOURCE) == len(stack.all("aws:s3/bucketPolicy:BucketPolicy"))
    assert (Kind.RESOURCE in kinds) == (stack.setting("trafficLogs") == "true")


@pytest.mark.parametrize("document", ci_trust_policies(), ids=lambda d: d.where)
def test_the_ci_roles_trust_policies_pass_parliament(document: Document) -> None:
    assert unaccepted(document) == []


def test_every_accepted_finding_is_still_needed(stacks: dict[str, Stack]) -> None:
    everything = [d for stack in stacks.values() for d in documents(stack)] + ci_trust_policies()
    used = {
        accepted.issue
        for document in everything
        for finding in findings(document)
        for accepted in ACCEPTED
        if accepted.covers(document.kind, finding)
    }
    assert used == {accepted.issue for accepted in ACCEPTED}


def _document(**statement: Any) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **statement}]})


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        # A permissions policy that forgot its Resource: accepted only in a trust policy.
        (Kind.IDENTITY, _document(Action="dynamodb:DeleteItem")),
        # Another credential-returning action than the registry login.
        (Kind.IDENTITY, _document(Action="sts:GetSessionToken", Resource="*")),
        (
            Kind.IDENTITY,
            _document(Action=["ecr:GetAuthorizationToken", "sts:GetSessionToken"], Resource="*"),
        ),
        # Another OIDC provider than GitHub's.
        (
            Kind.TRUST,
            _document(
                Principal={
                    "Federated": "arn:aws:iam::123456789012:oidc-provider/accounts.example.com"
                },
                Action="sts:AssumeRoleWithWebIdentity",
            ),
        ),
    ],
)
def test_an_acceptance_covers_its_own_case_only(kind: Kind, text: str) -> None:
    assert unaccepted(Document("example", kind, text)) != []
