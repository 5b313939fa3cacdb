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
from tests.components.harness import ACCOUNT
from tests.deploy.iam_policies import DEPLOY_ROLES, global_policy_path

REPOSITORY = "example-org/picus"
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


#: The placeholders each kind of file holds, filled by envsubst when a role is created.
PLACEHOLDERS = {"trust": {"GITHUB_REPOSITORY", "AWS_ACCOUNT_ID"}, "policy": {"AWS_ACCOUNT_ID"}}


def test_every_policy_file_is_one_of_the_roles() -> None:
    # A deploy role has a customer managed policy beside its inline one (iam_policies.py).
    assert {p.name for p in POLICIES.glob("*.json")} == {
        f"github-{role}-{kind}.json" for role in ADMITTED for kind in PLACEHOLDERS
    } | {global_policy_path(role).name for role in DEPLOY_ROLES}
    for path in POLICIES.glob("*.json"):
        kind = path.stem.rsplit("-", 1)[1]
        placeholders = Template(path.read_text()).get_identifiers()
        assert set(placeholders) == PLACEHOLDERS[kind], path.name


def test_the_readme_tells_how_to_put_ref_into_the_subject() -> None:
    readme = DEPLOY.read_text()
    assert "actions/oidc/customization/sub" in readme
    assert Path("deploy/iam/github-prod-trust.json").as_posix() in readme


def test_the_readmes_set_up_creates_every_role() -> None:
    for readme in (DEPLOY, POLICIES / "README.md"):
        text = readme.read_text()
        (loop,) = re.findall(r"^for role in ([\w ]+); do\n(.*?)^done$", text, re.M | re.S)
        assert set(loop[0].split()) == set(ADMITTED), readme
        # Each role gets its trust policy and its permission policy, placeholders filled.
        for kind in PLACEHOLDERS:
            assert f"envsubst < deploy/iam/github-$role-{kind}.json" in loop[1], readme
        assert "aws iam create-role" in loop[1] and "aws iam put-role-policy" in loop[1], readme
        assert f"export GITHUB_REPOSITORY={REPOSITORY} AWS_ACCOUNT_ID={ACCOUNT}" in text, readme
    page = DEPLOY.read_text()
    for role in ADMITTED:
        assert f"github-{role}-trust.json`" in page, f"the deploy page says whom {role} admits"


def test_the_policies_readme_names_every_file_and_the_session_duration() -> None:
    text = (POLICIES / "README.md").read_text()
    for path in POLICIES.glob("*.json"):
        assert f"`{path.name}`" in text, path.name
    assert "--max-session-duration" in text
    assert "role-duration-seconds" in text
    for path in POLICIES.glob("*-policy.json"):
        for statement in json.loads(path.read_text())["Statement"]:
            assert f"`{statement['Sid']}`" in text, f"{path.name}: {statement['Sid']}"
