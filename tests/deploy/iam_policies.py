"""The CI roles' permission policies (deploy/iam/github-<role>-policy.json) with their
placeholder filled, and what they grant, as parliament's IAM definitions spell the actions."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from string import Template
from typing import Any, Final

from parliament import expand_action
from parliament.statement import get_privilege_info

from devkit import ROOT
from tests.components.harness import ACCOUNT
from tests.deploy.aws_calls import release_operations
from tests.deploy.iam_evaluator import Request, allows
from tests.deploy.iam_needs import NO_PERMISSION_NEEDED, every_need
from tests.deploy.iam_requests import inventory, requests

POLICIES: Final = ROOT / "deploy" / "iam"
#: The roles that deploy a stack, each only its own: the role is named after its stack.
DEPLOY_ROLES: Final = ("dev", "prod")
#: The roles that only read (`pulumi preview`, `preview --refresh`), both stacks.
READ_ROLES: Final = ("preview", "drift")
#: What a read role may do: IAM's access levels that change nothing.
READ_LEVELS: Final = frozenset({"Read", "List"})


def policy_path(role: str) -> Path:
    """The role's inline policy."""
    return POLICIES / f"github-{role}-policy.json"


def global_policy_path(role: str) -> Path:
    """A deploy role's customer managed policy, attached beside its inline one: what a stack of
    several regions needs beyond one region (the inline policy has no room left for it)."""
    return POLICIES / f"github-{role}-global-policy.json"


def policy_paths(role: str) -> list[Path]:
    """Every policy document the role has."""
    return [p for p in (policy_path(role), global_policy_path(role)) if p.exists()]


def policy_text(path: Path) -> str:
    return Template(path.read_text()).substitute(AWS_ACCOUNT_ID=ACCOUNT)


@cache
def _parsed(role: str) -> tuple[str, ...]:
    return tuple(policy_text(path) for path in policy_paths(role))


def documents(role: str) -> list[dict[str, Any]]:
    """Each of the role's policy documents, fresh."""
    return [json.loads(text) for text in _parsed(role)]


def permissions(role: str) -> dict[str, Any]:
    """All the role's policies as one document (IAM allows what any of them allows); a fresh
    copy each time: a test may change what it gets."""
    statements = [s for document in documents(role) for s in document["Statement"]]
    return {"Version": "2012-10-17", "Statement": statements}


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def granted(document: dict[str, Any]) -> set[str]:
    """Every action an Allow statement names, its wildcards expanded."""
    return {
        f"{found['service']}:{found['action']}"
        for statement in document["Statement"]
        if statement["Effect"] == "Allow"
        for action in _listed(statement["Action"])
        for found in expand_action(action)
    }


@cache
def access_level(action: str) -> str:
    service, name = action.split(":")
    level: str = get_privilege_info(service, name)["access_level"]
    return level


def other(stack: str) -> str:
    """The deploy role's other stack."""
    (found,) = set(DEPLOY_ROLES) - {stack}
    return found


def refused(role: str, action: str, stack: str) -> list[Request]:
    """The requests of ``action`` on ``stack``'s resources that ``role`` may not make."""
    document = permissions(role)
    return [r for r in requests(action, inventory(stack)) if not allows(document, r)]


def deploy_needs() -> frozenset[str]:
    """What a deploy role needs: its stack's resources, and the release's and the check's
    calls (read from deploy/), less what needs no permission."""
    return (every_need() | {o.iam_action for o in release_operations()}) - NO_PERMISSION_NEEDED
