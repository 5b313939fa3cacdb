"""The GitHub workflows: valid against GitHub's schema, previews per stack, OIDC only."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from devkit import ROOT

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


#: The first major of each action that runs on Node 24 (GitHub's runners dropped Node 20).
NODE24_MAJORS = {
    "actions/checkout": 5,
    "actions/setup-python": 6,
    "actions/setup-node": 5,
    "actions/setup-java": 5,
    "aws-actions/configure-aws-credentials": 5,
    "pulumi/actions": 7,
}
PINNED = re.compile(r"^(?P<action>[\w.-]+/[\w.-]+)@(?P<sha>[0-9a-f]{40}) # v(?P<major>\d+)[.\d]*$")


def all_uses() -> list[str]:
    uses = []
    for path in WORKFLOWS:
        for line in path.read_text().splitlines():
            stripped = line.strip().removeprefix("- ")
            if stripped.startswith("uses:"):
                uses.append(stripped.removeprefix("uses:").strip())
    return uses


def test_actionlint_finds_nothing() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "actionlint"), *map(str, WORKFLOWS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


def test_zizmor_finds_nothing() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "zizmor"), "--offline", ".github"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def test_every_action_is_pinned_by_commit_to_a_node24_version() -> None:
    uses = all_uses()
    assert len(uses) >= 10
    for use in uses:
        pinned = PINNED.match(use)
        assert pinned, f"not pinned by commit with its version in a comment: {use}"
        action, major = pinned["action"], int(pinned["major"])
        assert action in NODE24_MAJORS, f"{action}: which major runs on Node 24?"
        assert major >= NODE24_MAJORS[action], f"{use} runs on a retired Node"


def test_checkouts_keep_no_credentials() -> None:
    for path in WORKFLOWS:
        for name, job in yaml.safe_load(path.read_text())["jobs"].items():
            for step in steps_using(job, "actions/checkout"):
                assert step["with"]["persist-credentials"] is False, f"{path.name}:{name}"


def test_workflows_grant_nothing_by_default_and_jobs_only_what_they_use() -> None:
    for path in WORKFLOWS:
        workflow = yaml.safe_load(path.read_text())
        assert workflow["permissions"] == {}, path.name
        for name, job in workflow["jobs"].items():
            assert "permissions" in job, f"{path.name}:{name}"
            if job["permissions"].get("id-token") == "write":
                assert steps_using(job, "aws-actions/configure-aws-credentials"), name


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
    assert pulumi["with"]["upsert"] is True, "a stack that does not exist yet is created"
    # Preview builds no image: no emulation or builder is set up for it.
    assert not steps_using(preview, "docker/")


def test_fork_pull_requests_skip_preview_with_a_notice() -> None:
    jobs = load("pull-request.yml")["jobs"]
    same_repository = "github.event.pull_request.head.repo.full_name == github.repository"
    assert jobs["preview"]["if"] == same_repository
    notice = jobs["fork-notice"]
    assert notice["if"] == same_repository.replace("==", "!=")
    assert "::notice" in notice["steps"][0]["run"]


def test_main_builds_once_and_deploys_that_digest_to_dev_then_prod() -> None:
    workflow = load("deploy.yml")
    assert workflow[True]["push"]["branches"] == ["main"]
    jobs = workflow["jobs"]
    build = jobs["image"]
    assert "arm" in build["runs-on"], "the tasks are arm64: build natively"
    (push,) = [s for s in build["steps"] if s.get("id") == "push"]
    assert "push-by-digest=true" in push["run"] and "GITHUB_OUTPUT" in push["run"]
    assert jobs["dev"]["needs"] == "image"
    assert jobs["prod"]["needs"] == ["image", "dev"], "prod starts only after dev's checks"
    for stack in ("dev", "prod"):
        job = jobs[stack]
        assert job["environment"] == stack, "one role per environment, its reviewers first"
        (credentials,) = steps_using(job, "aws-actions/configure-aws-credentials")
        assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
        (up,) = [s for s in job["steps"] if "deploy/up.sh" in s.get("run", "")]
        assert up["run"] == f'deploy/up.sh {stack} "$IMAGE_URI"'
        assert up["env"]["IMAGE_URI"] == "${{ needs.image.outputs.uri }}"
    script = (ROOT / "deploy" / "up.sh").read_text()
    assert "pulumi stack select --create" in script
    assert "pulumi config set imageUri" in script
    assert "python -m deploy.check" in script


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
