"""The GitHub OIDC trust policies of the four CI roles (deploy/iam/), evaluated on the claims
GitHub puts in its tokens, with the repository's subject template of repo, context and ref."""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path
from string import Template
from typing import Any

import pytest

from devkit import ROOT
from docsite.pages import DEPLOY

REPOSITORY = "example-org/picus"
ACCOUNT = "123456789012"
POLICIES = ROOT / "deploy" / "iam"


def trust(role: str) -> dict[str, Any]:
    text = Template((POLICIES / f"github-{role}-trust.json").read_text())
    document: dict[str, Any] = json.loads(
        text.substitute(GITHUB_REPOSITORY=REPOSITORY, AWS_ACCOUNT_ID=ACCOUNT)
    )
    return document


def admits(role: str, sub: str, aud: str = "sts.amazonaws.com") -> bool:
    """IAM's evaluation of the one Allow statement for a web identity with these claims."""
    (statement,) = trust(role)["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    provider = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    assert statement["Principal"] == {"Federated": provider}
    claims = {
        "token.actions.githubusercontent.com:sub": sub,
        "token.actions.githubusercontent.com:aud": aud,
    }
    for operator, conditions in statement["Condition"].items():
        for key, expected in conditions.items():
            values = expected if isinstance(expected, list) else [expected]
            if operator == "StringEquals":
                matched = claims.get(key) in values
            elif operator == "StringLike":
                matched = any(fnmatch.fnmatchcase(claims.get(key, ""), v) for v in values)
            else:
                pytest.fail(f"unexpected condition operator {operator}")
            if not matched:
                return False
    return True


def subject(context: str, ref: str) -> str:
    return f"repo:{REPOSITORY}:{context}:ref:{ref}"


MAIN = "refs/heads/main"
JOBS = {
    "prod job on main": subject("environment:prod", MAIN),
    "prod job on a branch": subject("environment:prod", "refs/heads/feature"),
    "dev job on main": subject("environment:dev", MAIN),
    "dev job on a branch": subject("environment:dev", "refs/heads/feature"),
    "drift job on main": subject("environment:drift", MAIN),
    "drift job on a branch": subject("environment:drift", "refs/heads/feature"),
    "pull request": subject("pull_request", "refs/pull/42/merge"),
    "push to main without environment": f"repo:{REPOSITORY}:ref:{MAIN}",
    "another repository's prod job": f"repo:someone/picus:environment:prod:ref:{MAIN}",
}
ADMITTED = {
    "prod": {"prod job on main"},
    "dev": {"dev job on main"},
    "preview": {"pull request"},
    "drift": {"drift job on main"},
}


@pytest.mark.parametrize("role", list(ADMITTED))
def test_each_role_admits_exactly_its_jobs(role: str) -> None:
    assert {job for job, sub in JOBS.items() if admits(role, sub)} == ADMITTED[role]


@pytest.mark.parametrize("role", list(ADMITTED))
def test_tokens_for_another_audience_are_refused(role: str) -> None:
    (job,) = ADMITTED[role]
    assert not admits(role, JOBS[job], aud="https://github.com/example-org")


def test_every_policy_file_is_one_of_the_roles() -> None:
    assert {p.name for p in POLICIES.glob("*.json")} == {
        f"github-{role}-trust.json" for role in ADMITTED
    }
    for path in POLICIES.glob("*.json"):
        placeholders = Template(path.read_text()).get_identifiers()
        assert set(placeholders) == {"GITHUB_REPOSITORY", "AWS_ACCOUNT_ID"}, path.name


def test_the_readme_tells_how_to_put_ref_into_the_subject() -> None:
    readme = DEPLOY.read_text()
    assert "actions/oidc/customization/sub" in readme
    assert Path("deploy/iam/github-prod-trust.json").as_posix() in readme


def test_the_readmes_set_up_creates_every_role() -> None:
    readme = DEPLOY.read_text()
    (loop,) = re.findall(r"^for role in ([\w ]+); do$", readme, flags=re.MULTILINE)
    assert set(loop.split()) == set(ADMITTED)
    for role in ADMITTED:
        assert f"github-{role}-trust.json`" in readme, f"the deploy page says whom {role} admits"
