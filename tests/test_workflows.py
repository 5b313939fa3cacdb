"""The GitHub workflows: valid against GitHub's schema, previews per stack, OIDC only; and the
scripts they run, run here against stand-ins for `pulumi`, `gh`, `pip-audit` and `npm`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import outputs
from devkit import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONS = sorted((ROOT / ".github" / "actions").glob("*/action.yml"))
SCRIPTS = ROOT / ".github" / "scripts"
STACKS = sorted(p.name.split(".")[1] for p in ROOT.glob("Pulumi.*.yaml"))
LOCKS = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "lock").glob("*.txt"))
#: The composite action that installs .venv and the Pulumi CLI at the locked SDK's version.
PULUMI_SETUP = "$/.github/actions/pulumi"


def load(name: str) -> dict[Any, Any]:
    document: dict[Any, Any] = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    return document


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if s.get("uses", "").startswith(action)]


def step_running(job: dict[str, Any], command: str) -> dict[str, Any]:
    steps: list[dict[str, Any]] = [s for s in job["steps"] if command in s.get("run", "")]
    (step,) = steps
    return step


def all_jobs() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path.name, name, job)
        for path in WORKFLOWS
        for name, job in yaml.safe_load(path.read_text())["jobs"].items()
    ]


def fake(bin_dir: Path, name: str, body: str = "") -> None:
    """A stand-in command that logs its arguments to $FAKE_LOG, then runs `body`."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    path = bin_dir / name
    path.write_text(f'#!/usr/bin/env bash\necho "{name} $*" >> "$FAKE_LOG"\n{body}\nexit 0\n')
    path.chmod(0o755)


def run_script(
    script: Path, *args: str, tmp_path: Path, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Runs a script with tmp_path/bin first on PATH; returns its result and the fakes' calls."""
    log = tmp_path / "calls.log"
    log.touch()
    environment = {
        **os.environ,
        "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
        "FAKE_LOG": str(log),
        "GITHUB_OUTPUT": str(tmp_path / "github_output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        **(env or {}),
    }
    environment.pop("PULUMI_BACKEND_URL", None)
    result = subprocess.run(
        [str(script), *args], cwd=tmp_path, env=environment, capture_output=True, text=True
    )
    return result, log.read_text().splitlines()


def test_workflows_validate_against_the_github_schema() -> None:
    checker = str(Path(sys.executable).parent / "check-jsonschema")
    for schema, files in (
        ("vendor.github-workflows", WORKFLOWS),
        ("vendor.github-actions", ACTIONS),
        ("vendor.dependabot", [ROOT / ".github" / "dependabot.yml"]),
    ):
        result = subprocess.run(
            [checker, "--builtin-schema", schema, *map(str, files)], capture_output=True, text=True
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
    "actions/upload-pages-artifact": 5,
    "actions/deploy-pages": 5,
}
PINNED = re.compile(r"^(?P<action>[\w.-]+/[\w.-]+)@(?P<sha>[0-9a-f]{40}) # v(?P<major>\d+)[.\d]*$")
#: This repository's own actions, at the workflow's own commit (GitHub's `$/` reference).
LOCAL = re.compile(r"^\$/(?P<path>\.github/actions/[\w-]+)$")


def all_uses() -> list[str]:
    uses = []
    for path in [*WORKFLOWS, *ACTIONS]:
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
        if local := LOCAL.match(use):
            assert (ROOT / local["path"] / "action.yml").is_file(), use
            continue
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
                # An OIDC token is for AWS, or for GitHub Pages to take the site's artifact.
                takers = ("aws-actions/configure-aws-credentials", "actions/deploy-pages")
                assert any(steps_using(job, taker) for taker in takers), name


def test_only_the_drift_job_writes_issues_and_only_previews_write_pull_requests() -> None:
    # ... and only the site's publication writes GitHub Pages.
    writers = {
        (workflow, name, scope)
        for workflow, name, job in all_jobs()
        for scope, level in job["permissions"].items()
        if level == "write" and scope != "id-token"
    }
    assert writers == {
        ("drift.yml", "drift", "issues"),
        ("pull-request.yml", "preview", "pull-requests"),
        ("docs.yml", "publish", "pages"),
    }


def test_pull_requests_run_the_tests_and_preview_every_stack() -> None:
    workflow = load("pull-request.yml")
    assert "pull_request" in workflow[True]  # yaml reads the key `on` as True
    jobs = workflow["jobs"]
    assert any("dev.py test" in s.get("run", "") for s in jobs["test"]["steps"])
    preview = jobs["preview"]
    assert sorted(preview["strategy"]["matrix"]["stack"]) == STACKS
    (pulumi,) = steps_using(preview, "pulumi/actions")
    assert pulumi["with"]["command"] == "preview"
    # Posted on the pull request, one comment per stack, edited on each push: no more rights.
    assert pulumi["with"]["comment-on-pr"] is True
    assert pulumi["with"]["edit-pr-comment"] is True
    assert preview["permissions"] == {
        "contents": "read",
        "id-token": "write",
        "pull-requests": "write",
    }
    # Preview builds no image: no emulation or builder is set up for it.
    assert not steps_using(preview, "docker/")


def test_the_preview_runs_with_the_image_the_stack_runs_now() -> None:
    preview = load("pull-request.yml")["jobs"]["preview"]
    steps = preview["steps"]
    running = step_running(preview, ".github/scripts/running-image.sh")
    (pulumi,) = steps_using(preview, "pulumi/actions")
    assert steps.index(running) < steps.index(pulumi), "the output is read before the preview"
    assert running["run"] == '.github/scripts/running-image.sh "$STACK"'
    assert pulumi["with"]["stack-name"] == "${{ env.STACK }}"
    assert "matrix.stack" in preview["env"]["STACK"]
    assert pulumi["with"]["config-map"] == f"${{{{ steps.{running['id']}.outputs.config-map }}}}"
    # The script reads the state with the same credentials the preview uses.
    assert running["env"]["PULUMI_ACCESS_TOKEN"] == pulumi["env"]["PULUMI_ACCESS_TOKEN"]


RUNNING = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/picus@sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("stack_outputs", "config_map"),
    [
        (
            {outputs.IMAGE_URI: RUNNING, outputs.API_URL: "https://api.example.com"},
            {outputs.IMAGE_URI: {"value": RUNNING, "secret": False}},
        ),
        ({}, None),  # never deployed: the preview plans the first deploy's image build
    ],
)
def test_the_running_image_becomes_the_previews_config_and_nothing_is_written(
    tmp_path: Path, stack_outputs: dict[str, str], config_map: dict[str, Any] | None
) -> None:
    fake(tmp_path / "bin", "pulumi", f"[[ $1 == stack ]] && echo '{json.dumps(stack_outputs)}'")
    result, calls = run_script(SCRIPTS / "running-image.sh", "org/dev", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    (line,) = (tmp_path / "github_output").read_text().splitlines()
    name, _, value = line.partition("=")
    assert name == "config-map"
    assert (json.loads(value) if value else None) == config_map
    assert calls == ["pulumi login", "pulumi stack output --json --stack org/dev"]


def test_a_stack_the_deploy_never_created_fails_the_preview(tmp_path: Path) -> None:
    fake(
        tmp_path / "bin",
        "pulumi",
        "[[ $1 == stack ]] && { echo 'no stack named dev' >&2; exit 255; }",
    )
    result, calls = run_script(SCRIPTS / "running-image.sh", "dev", tmp_path=tmp_path)
    assert result.returncode != 0 and "no stack named dev" in result.stderr
    assert not any("init" in c or "--create" in c for c in calls)


def test_only_the_deploy_workflow_creates_stacks() -> None:
    for workflow, name, job in all_jobs():
        for step in steps_using(job, "pulumi/actions"):
            if "command" in step.get("with", {}):
                assert step["with"]["upsert"] is False, f"{workflow}:{name}"
    for script in SCRIPTS.glob("*.sh"):
        text = script.read_text()
        assert "--create" not in text and "stack init" not in text, script.name
    assert "pulumi stack select --create" in (ROOT / "deploy" / "up.sh").read_text()


def test_fork_and_dependabot_pull_requests_skip_preview_with_a_notice() -> None:
    jobs = load("pull-request.yml")["jobs"]
    same_repository = "github.event.pull_request.head.repo.full_name == github.repository"
    not_dependabot = "github.event.pull_request.user.login != 'dependabot[bot]'"
    assert jobs["preview"]["if"] == f"{same_repository} && {not_dependabot}"
    notice = jobs["no-preview-notice"]
    assert notice["if"] == (
        f"{same_repository.replace('==', '!=')} || {not_dependabot.replace('!=', '==')}"
    )
    assert notice["permissions"] == {}
    (step,) = notice["steps"]
    assert "::notice" in step["run"] and "Dependabot" in step["run"]


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
        up = step_running(job, "deploy/up.sh")
        assert up["run"] == f'deploy/up.sh {stack} "$IMAGE_URI"'
        assert up["env"]["IMAGE_URI"] == "${{ needs.image.outputs.uri }}"
        assert steps_using(job, PULUMI_SETUP), "the CLI at the locked version"


def test_deploys_queue_per_environment_so_an_approval_wait_holds_only_its_own() -> None:
    workflow = load("deploy.yml")
    assert "concurrency" not in workflow, "a workflow-wide group holds dev behind prod's approval"
    groups = {}
    for name, job in workflow["jobs"].items():
        if name in STACKS:
            assert job["concurrency"]["cancel-in-progress"] is False, "a deploy is never cut off"
            groups[job["environment"]] = job["concurrency"]["group"]
    assert sorted(groups) == STACKS
    assert len(set(groups.values())) == len(groups)
    assert all(env in group for env, group in groups.items())


def up_in_a_copy(tmp_path: Path, *, check_fails: bool = False) -> tuple[int, list[str]]:
    """deploy/up.sh run from a copy of the repository's layout, against a fake CLI and check."""
    (tmp_path / "deploy").mkdir()
    shutil.copy(ROOT / "deploy" / "up.sh", tmp_path / "deploy" / "up.sh")
    fake(tmp_path / "bin", "pulumi", "[[ $1 == stack && $2 == output ]] && echo '{}'")
    fake(tmp_path / ".venv" / "bin", "python", "exit 1" if check_fails else "")
    result, calls = run_script(
        tmp_path / "deploy" / "up.sh", "dev", RUNNING, tmp_path=tmp_path, env={"PULUMI_ORG": "org"}
    )
    return result.returncode, calls


def test_every_deploy_releases_through_the_strategy_then_checks(tmp_path: Path) -> None:
    returncode, calls = up_in_a_copy(tmp_path)
    assert returncode == 0
    assert calls == [
        "pulumi login",
        "pulumi stack select --create org/dev",
        # The release a deployer runs from a laptop (tests/deploy/test_pipeline.py): rolling or
        # through the canary, each step `config set` and `up --refresh`, then the function's
        # shift and the check, which fails unless the service runs the image released here.
        f"python -m deploy.pipeline --stack org/dev --image {RUNNING}",
    ]
    for workflow, name, job in all_jobs():
        for step in steps_using(job, "pulumi/actions"):
            if step.get("with", {}).get("command") == "up":
                assert step["with"]["refresh"] is True, f"{workflow}:{name}"


def test_a_failed_check_fails_the_deploy(tmp_path: Path) -> None:
    returncode, _ = up_in_a_copy(tmp_path, check_fails=True)
    assert returncode != 0


def locked_pulumi_version() -> str:
    pinned = re.search(r"^pulumi==([\d.]+) ", (ROOT / "lock" / "dev.txt").read_text(), re.M)
    assert pinned, "lock/dev.txt pins pulumi"
    return pinned[1]


def test_the_pulumi_cli_is_the_locked_sdks_version_everywhere(tmp_path: Path) -> None:
    setup = yaml.safe_load((ROOT / ".github" / "actions" / "pulumi" / "action.yml").read_text())
    steps = setup["runs"]["steps"]
    (install,) = [s for s in steps if s.get("uses", "").startswith("pulumi/actions")]
    (version,) = [s for s in steps if s.get("id") == "version"]
    assert install["with"]["pulumi-version"] == "${{ steps.version.outputs.version }}"
    assert any("--require-hashes -r lock/deploy.txt" in s.get("run", "") for s in steps)
    # The step's own command, run in this checkout's .venv (installed from the same lock).
    output = tmp_path / "output"
    subprocess.run(
        ["bash", "-c", version["run"]],
        cwd=ROOT,
        env={**os.environ, "GITHUB_OUTPUT": str(output)},
        check=True,
    )
    assert output.read_text() == f"version={locked_pulumi_version()}\n"
    # Every other pulumi/actions step is given the version the setup installed.
    for workflow, name, job in all_jobs():
        setups = {s["id"] for s in steps_using(job, PULUMI_SETUP) if "id" in s}
        for step in steps_using(job, "pulumi/actions"):
            (ref,) = re.findall(
                r"^\$\{\{ steps\.([\w-]+)\.outputs\.pulumi-version \}\}$",
                step["with"]["pulumi-version"],
            )
            assert ref in setups, f"{workflow}:{name}"


def dependabot() -> dict[str, Any]:
    updates = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())["updates"]
    return {u["package-ecosystem"]: u for u in updates}


def test_dependabot_moves_every_pin_the_project_holds() -> None:
    ecosystems = dependabot()
    assert set(ecosystems) == {"github-actions", "pip", "npm", "docker"}
    # pip: pyproject.toml, the hashed locks (and with them the Pulumi CLI), pip-audit's lock.
    assert {"/", "/lock", "/.github/audit"} <= set(ecosystems["pip"]["directories"])
    assert "/.github/actions/*" in ecosystems["github-actions"]["directories"]
    for update in ecosystems.values():
        assert update["cooldown"]["default-days"] >= 7, update["package-ecosystem"]


def test_drift_is_checked_daily_per_stack_read_only_with_one_issue_each() -> None:
    workflow = load("drift.yml")
    assert workflow[True]["schedule"] and "workflow_dispatch" in workflow[True]
    (job,) = workflow["jobs"].values()
    assert sorted(job["strategy"]["matrix"]["stack"]) == STACKS
    assert job["strategy"]["fail-fast"] is False, "one drifting stack hides no other"
    assert job["permissions"] == {"contents": "read", "id-token": "write", "issues": "write"}
    (credentials,) = steps_using(job, "aws-actions/configure-aws-credentials")
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_DRIFT_ROLE_ARN }}"
    assert job["environment"] == "drift"
    assert steps_using(job, PULUMI_SETUP)
    preview = step_running(job, ".github/scripts/drift.sh")
    issue = step_running(job, ".github/scripts/drift-issue.sh")
    assert "GH_TOKEN" in issue["env"] and "GH_TOKEN" not in preview.get("env", {})
    assert issue["env"]["OUTCOME"] == f"${{{{ steps.{preview['id']}.outcome }}}}"
    assert "!cancelled()" in issue["if"], "a failed preview still reaches its issue"


DIFF = "~ aws:ecs/service:Service: (update)\n    ~ desiredCount: 2 => 5\n"


@pytest.mark.parametrize(("status", "heading"), [(0, "No drift in `dev`"), (255, "Drift in `dev`")])
@pytest.mark.parametrize("running", [RUNNING, None])
def test_drift_is_a_preview_with_refresh_that_saves_nothing(
    tmp_path: Path, status: int, heading: str, running: str | None
) -> None:
    outputs = json.dumps({"imageUri": running} if running else {})
    fake(
        tmp_path / "bin",
        "pulumi",
        f"[[ $1 == stack && $2 == output ]] && echo '{outputs}'\n"
        f"[[ $1 == preview ]] && {{ printf '{DIFF}'; exit {status}; }}",
    )
    result, calls = run_script(SCRIPTS / "drift.sh", "dev", "drift.txt", tmp_path=tmp_path)
    assert result.returncode == status
    # The stack's own image is the program's input, as a deploy set it: not drift.
    set_image = [f"pulumi config set imageUri {running} --stack dev"] if running else []
    assert calls == [
        "pulumi login",
        "pulumi stack output --json --stack dev",
        *set_image,
        "pulumi preview --refresh --expect-no-changes --diff --color never --stack dev",
    ]
    summary = (tmp_path / "summary.md").read_text()
    assert heading in summary and "desiredCount: 2 => 5" in summary
    assert (tmp_path / "drift.txt").read_text() == DIFF


@pytest.mark.parametrize(
    ("outcome", "open_issue", "expected"),
    [
        ("failure", None, ["gh label create drift", "gh issue create --title Drift in stack dev"]),
        ("failure", 7, ["gh issue comment 7"]),
        ("success", 7, ["gh issue close 7"]),
        ("success", None, []),
    ],
)
def test_each_stack_has_one_drift_issue_opened_updated_and_closed(
    tmp_path: Path, outcome: str, open_issue: int | None, expected: list[str]
) -> None:
    number = "" if open_issue is None else str(open_issue)
    keep_body = (
        'for a in "$@"; do [[ ${prev:-} == --body-file ]] && cat "$a" >> body.md; prev=$a; done'
    )
    fake(tmp_path / "bin", "gh", f'[[ $1 == issue && $2 == list ]] && echo "{number}"\n{keep_body}')
    (tmp_path / "drift.txt").write_text(DIFF)
    result, calls = run_script(
        SCRIPTS / "drift-issue.sh",
        "dev",
        outcome,
        "drift.txt",
        tmp_path=tmp_path,
        env={"GH_REPO": "example-org/picus", "GITHUB_RUN_ID": "42"},
    )
    assert result.returncode == 0, result.stderr
    (listing, *changes) = calls
    # Found by label and exact title through the list endpoint, never by (lagging) search.
    assert listing.startswith("gh issue list --state open --label drift")
    assert '.title == "Drift in stack dev"' in listing
    assert len(changes) == len(expected)
    assert all(call.startswith(e) for call, e in zip(changes, expected, strict=True))
    if outcome == "failure":
        body = (tmp_path / "body.md").read_text()
        assert "actions/runs/42" in body and "desiredCount: 2 => 5" in body


def test_the_audit_runs_on_lock_changes_and_weekly_with_read_access_only() -> None:
    workflow = load("audit.yml")
    paths = workflow[True]["pull_request"]["paths"]
    assert {"lock/**", "package-lock.json"} <= set(paths)
    assert workflow[True]["schedule"]
    for name, job in workflow["jobs"].items():
        assert job["permissions"] == {"contents": "read"}, name
    python, node = workflow["jobs"]["python"], workflow["jobs"]["node"]
    assert "--require-hashes -r .github/audit/requirements.txt" in "".join(
        s.get("run", "") for s in python["steps"]
    ), "pip-audit itself comes from a hashed lock"
    assert step_running(python, ".github/scripts/audit.sh")["run"].endswith("audit.sh python")
    assert step_running(node, ".github/scripts/audit.sh")["run"].endswith("audit.sh node")


def pip_audit_report(fix_versions: list[str]) -> str:
    vuln = {"id": "GHSA-xxxx", "fix_versions": fix_versions, "aliases": [], "description": ""}
    deps = [
        {"name": "jinja2", "version": "3.1.0", "vulns": [vuln]},
        {"name": "x", "version": "1", "vulns": []},
    ]
    return json.dumps({"dependencies": deps, "fixes": []})


@pytest.mark.parametrize(
    ("report", "status", "message"),
    [
        (pip_audit_report(["3.1.5"]), 1, "lock/dev.txt: jinja2 3.1.0 GHSA-xxxx, fixed in 3.1.5"),
        (pip_audit_report([]), 0, "::warning::lock/dev.txt: jinja2 3.1.0 GHSA-xxxx (no fix yet)"),
        ("ERROR: connection refused", 2, "could not audit lock/"),
    ],
)
def test_pip_audit_fails_on_a_known_vulnerability_with_a_fix_in_any_lock(
    tmp_path: Path, report: str, status: int, message: str
) -> None:
    (tmp_path / "report.json").write_text(report)
    fake(tmp_path / "bin", "pip-audit", f"cat {tmp_path / 'report.json'}; exit 1")
    result, calls = run_script(SCRIPTS / "audit.sh", "python", tmp_path=tmp_path)
    assert result.returncode == status
    assert message in result.stdout + result.stderr
    if status != 2:
        audited = [c.split()[2] for c in calls]
        assert audited == [*LOCKS, ".github/audit/requirements.txt"]
        assert all("--require-hashes --disable-pip" in c for c in calls)


@pytest.mark.parametrize(
    ("fix", "status"),
    [(True, 1), ({"name": "dynalite", "version": "4.0.1", "isSemVerMajor": False}, 1), (False, 0)],
)
def test_npm_audit_fails_on_a_known_vulnerability_with_a_fix(
    tmp_path: Path, fix: object, status: int
) -> None:
    report = {
        "auditReportVersion": 2,
        "vulnerabilities": {"tar": {"severity": "high", "fixAvailable": fix}},
    }
    (tmp_path / "report.json").write_text(json.dumps(report))
    fake(tmp_path / "bin", "npm", f"cat {tmp_path / 'report.json'}; exit 1")
    result, calls = run_script(SCRIPTS / "audit.sh", "node", tmp_path=tmp_path)
    assert result.returncode == status
    assert "package-lock.json: tar (high)" in result.stdout
    assert calls == ["npm audit --package-lock-only --json"]


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


def test_the_site_is_built_strictly_and_published_from_main_only() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "docs.yml").read_text())
    # PyYAML reads the key `on` as True.
    assert workflow[True]["push"]["branches"] == ["main"]
    assert "pull_request" not in workflow[True]
    build = step_running(workflow["jobs"]["build"], "mkdocs build")
    assert "--strict" in build["run"] and "--require-hashes -r lock/docs.txt" in build["run"]
    assert "--quiet" not in build["run"], "--quiet hides the warnings --strict counts"
    publish = workflow["jobs"]["publish"]
    assert publish["needs"] == "build" and publish["environment"]["name"] == "github-pages"
    assert publish["permissions"] == {"pages": "write", "id-token": "write"}
