"""What a release asks of AWS after its service phase, as Stubber expectations, and the outputs
the fake CLI prints after an ``up`` (tests/deploy/fake_pulumi.py)."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
from pathlib import Path

from components.delete_function import ALIAS
from tests.deploy.stubbed_aws import StubbedAws

NOW = datetime.datetime(2026, 12, 7, tzinfo=datetime.UTC)


def expect_function_release(aws: StubbedAws, arn: str, version: str) -> None:
    """Lambda still optimizing the version, then Active; CodeDeploy asked once to shift."""
    pending = {"Configuration": {"FunctionName": arn, "State": "Pending"}}
    active = {"Configuration": {"FunctionName": arn, "State": "Active"}}
    for answer in (pending, pending, active):
        aws.expect("lambda", "get_function", answer, FunctionName=arn, Qualifier=version)
    name = arn.split(":")[6]
    aws.expect("lambda", "get_alias", {"Name": ALIAS, "FunctionVersion": "0"},
               FunctionName=name, Name=ALIAS)  # fmt: skip
    aws.expect("codedeploy", "list_deployments", {"deployments": []})
    aws.expect("codedeploy", "create_deployment", {"deploymentId": "d-RELEASE1"})


def expect_check(aws: StubbedAws, values: dict[str, object]) -> None:
    """The service's rollout completed on the new revision; the alias moved all at once."""
    deployment = f"arn:aws:ecs:eu-west-1:123456789012:service-deployment/{values['clusterName']}/x"
    listed = {"serviceDeploymentArn": deployment, "createdAt": NOW}
    aws.expect("ecs", "list_service_deployments", {"serviceDeployments": [listed]})
    succeeded = {"serviceDeploymentArn": deployment, "status": "SUCCESSFUL"}
    aws.expect("ecs", "describe_service_deployments", {"serviceDeployments": [succeeded]})
    primary = {"status": "PRIMARY", "taskDefinition": values["taskDefinitionArn"],
               "rolloutState": "COMPLETED", "runningCount": 1, "desiredCount": 1}  # fmt: skip
    aws.expect("ecs", "describe_services", {"services": [{"deployments": [primary]}]})
    aws.expect(
        "lambda", "get_alias", {"Name": ALIAS, "FunctionVersion": str(values["functionVersion"])}
    )


def outputs_after_up(state: Path, config: dict[str, str], stack: str = "dev") -> dict[str, object]:
    """The outputs the fake CLI will print after an ``up`` with ``config``: the program under
    the mocks, with the local origin as its URL."""
    scratch = state.with_name("expected.json")
    scratch.write_text(state.read_text())
    saved = json.loads(scratch.read_text())
    saved["stacks"][stack]["config"] = config
    scratch.write_text(json.dumps(saved))
    env = {**os.environ, "FAKE_PULUMI_STATE": str(scratch)}
    for args in (["up", "--stack", stack], ["stack", "output", "--json", "--stack", stack]):
        done = subprocess.run(
            ["pulumi", *args], env=env, capture_output=True, text=True, check=True
        )
    values: dict[str, object] = json.loads(done.stdout)
    return values
