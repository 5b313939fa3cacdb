"""The task pages name the commands and files a reader needs for the task: deploying and
tearing down with dev.py, each CI role's two policies, the prerequisites before the first
deploy."""

from __future__ import annotations

from devkit import ROOT
from docsite import pages

#: The CI roles, one per job kind (deploy/iam/github-<role>-trust.json).
ROLES = sorted(
    path.name.removeprefix("github-").removesuffix("-trust.json")
    for path in (ROOT / "deploy" / "iam").glob("github-*-trust.json")
)


def test_deploying_releasing_and_tearing_down_use_dev_py() -> None:
    deploy, releases, teardown = (
        p.read_text() for p in (pages.DEPLOY, pages.RELEASES, pages.TEARDOWN)
    )
    assert "python3 dev.py deploy --stack dev" in deploy
    assert "python3 dev.py deploy --stack prod" in deploy
    assert "python3 dev.py deploy --stack" in releases
    assert "python3 dev.py destroy --stack dev" in teardown


def test_the_deploy_page_names_each_roles_trust_and_permission_policy() -> None:
    assert ROLES == ["dev", "drift", "preview", "prod"]
    deploy = pages.DEPLOY.read_text()
    assert "github-<role>-trust.json" in deploy and "github-<role>-policy.json" in deploy
    assert "for role in " + " ".join(["preview", "dev", "prod", "drift"]) + "; do" in deploy
    assert "deploy/iam/github-$role-policy.json" in deploy


def test_prerequisites_come_before_the_first_deploy() -> None:
    deploy = pages.DEPLOY.read_text()
    prerequisites = deploy.index("## Prerequisites")
    assert prerequisites < deploy.index("## First deploy, from nothing")
    section = deploy[prerequisites : deploy.index("## First deploy, from nothing")]
    for needed in ("Pulumi CLI", "AWS credentials", "certificate in the stack's region", "CI"):
        assert needed in section, needed
    # The committed stacks' region, as their stack files say.
    assert "eu-west-1" in section and "eu-west-1" in (ROOT / "Pulumi.dev.yaml").read_text()


def test_the_operations_page_covers_logs_dashboard_alarms_and_drift() -> None:
    operations = pages.OPERATIONS.read_text()
    for heading in ("## Watching a stack", "## Alarms", "## Drift"):
        assert heading in operations, heading
    urns = (ROOT / "tests" / "components" / "urns" / "prod.txt").read_text()
    alarms = {
        line.rsplit("::", 1)[1].removeprefix("picus-prod-")
        for line in urns.splitlines()
        if "$aws:cloudwatch/metricAlarm:MetricAlarm::" in line
    }
    for alarm in alarms:
        assert f"`{alarm}`" in operations, f"the operations page does not name {alarm}"
