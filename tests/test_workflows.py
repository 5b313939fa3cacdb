"""The GitHub workflows: valid against GitHub's schema, previews per stack, OIDC only."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.backends import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
STACKS = sorted(p.name.split(".")[1] for p in ROOT.glob("Pulumi.*.yaml"))


def load(name: str) -> dict[Any, Any]:
    document: dict[Any, Any] = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    return document


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if s.get("uses", "").startswith(action)]


def test_workflows_validate_against_the_github_schema() -> None:
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_pull_requests_run_the_tests_and_preview_every_stack() -> None:
    workflow = load("pull-request.yml")
    assert "pull_request" in workflow[True]  # yaml reads the key `on` as True
    jobs = workflow["jobs"]
    assert any("dev.py test" in s.get("run", "") for s in jobs["test"]["steps"])
    preview = jobs["preview"]
    assert sorted(preview["strategy"]["matrix"]["stack"]) == STACKS
    (pulumi,) = steps_using(preview, "pulumi/actions")
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["comment-on-pr"] is True


def test_main_deploys_dev_then_prod_on_approval() -> None:
    workflow = load("deploy.yml")
    assert workflow[True]["push"]["branches"] == ["main"]
    jobs = workflow["jobs"]
    assert steps_using(jobs["dev"], "pulumi/actions")[0]["with"]["command"] == "up"
    assert jobs["prod"]["needs"] == "dev"
    assert jobs["prod"]["environment"] == "prod"
    assert steps_using(jobs["prod"], "pulumi/actions")[0]["with"]["stack-name"].endswith("/prod")


def test_aws_access_is_oidc_only() -> None:
    for path in WORKFLOWS:
        text = path.read_text()
        assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text, path.name
        for name, job in yaml.safe_load(text)["jobs"].items():
            for step in steps_using(job, "aws-actions/configure-aws-credentials"):
                assert job["permissions"]["id-token"] == "write", f"{path.name}:{name}"
                assert "role-to-assume" in step["with"]


def test_no_static_credentials_in_the_repository() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    access_key = re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")
    secret_key = re.compile(r"aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+]{40}", re.I)
    for name in tracked:
        path = ROOT / name
        if path.is_file() and path.suffix not in {".jar", ".png"}:
            text = path.read_text(errors="ignore")
            assert not access_key.search(text), f"an AWS access key in {name}"
            assert not secret_key.search(text), f"an AWS secret key in {name}"
