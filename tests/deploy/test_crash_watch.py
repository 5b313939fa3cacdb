"""A canary whose tasks exit at start fails the release at the first poll that sees one stopped,
with ECS's stop reason and the container's exit code, against ECS's own response shapes."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from components import outputs, release_outputs
from deploy.canary import AwsJudge
from deploy.check import POLL_S
from deploy.crash_watch import Crashed
from tests.deploy.stubbed_aws import StubbedAws, stubbed_aws

CLUSTER = "picus-dev-api-cluster"
CANARY = "picus-dev-api-canary-aadafd9"
REVISION = "arn:aws:ecs:eu-west-1:123456789012:task-definition/picus-dev-api-canary:8"
EARLIER = "arn:aws:ecs:eu-west-1:123456789012:task-definition/picus-dev-api-canary:7"
TASKS = "arn:aws:ecs:eu-west-1:123456789012:task/picus-dev-api-cluster/"
VALUES = {
    outputs.API_URL: "https://api.example.com",
    outputs.CLUSTER_NAME: CLUSTER,
    outputs.SERVICE_NAME: "picus-dev-api-service-426c57b",
    outputs.TASK_DEFINITION_ARN: "arn:aws:ecs:eu-west-1:123456789012:task-definition/p:3",
    outputs.FUNCTION_ARN: "arn:aws:lambda:eu-west-1:123456789012:function:f",
    outputs.FUNCTION_VERSION: "4",
    outputs.HTTPS: True,
    release_outputs.CANARY_SERVICE_NAME: CANARY,
    release_outputs.CANARY_TASK_DEFINITION_ARN: REVISION,
}
DEPLOYMENT = f"arn:aws:ecs:eu-west-1:123456789012:service-deployment/{CLUSTER}/{CANARY}/d1"


def stopped(
    task: str, revision: str, code: str, reason: str, exit_code: int | None, minutes: int = 1
) -> dict[str, Any]:
    """A stopped task, ``minutes`` after now (before now, if negative)."""
    container: dict[str, Any] = {"name": "api"}
    if exit_code is not None:
        container["exitCode"] = exit_code
    at = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=minutes)
    return {"taskArn": TASKS + task, "taskDefinitionArn": revision, "lastStatus": "STOPPED",
            "stopCode": code, "stoppedReason": reason, "containers": [container],
            "stoppedAt": at}  # fmt: skip


def rollout_in_progress(aws: StubbedAws) -> None:
    now = datetime.datetime(2026, 12, 7, tzinfo=datetime.UTC)
    listed = {"serviceDeploymentArn": DEPLOYMENT, "createdAt": now}
    aws.expect("ecs", "list_service_deployments", {"serviceDeployments": [listed]},
               cluster=CLUSTER, service=CANARY)  # fmt: skip


def poll(aws: StubbedAws, tasks: list[dict[str, Any]]) -> None:
    in_progress = {"serviceDeploymentArn": DEPLOYMENT, "status": "IN_PROGRESS"}
    aws.expect("ecs", "describe_service_deployments", {"serviceDeployments": [in_progress]})
    arns = [t["taskArn"] for t in tasks]
    aws.expect("ecs", "list_tasks", {"taskArns": arns},
               cluster=CLUSTER, serviceName=CANARY, desiredStatus="STOPPED")  # fmt: skip
    if tasks:
        aws.expect("ecs", "describe_tasks", {"tasks": tasks}, cluster=CLUSTER, tasks=arns)


def test_a_canary_that_exits_at_start_fails_within_a_minute_naming_why() -> None:
    slept: list[float] = []
    # Scaled in, or of the revision before: not a crash of this one.
    replaced = [
        stopped("a1", REVISION, "ServiceSchedulerInitiated", "Scaling activity initiated", 0),
        stopped("a2", EARLIER, "EssentialContainerExited", "Essential container exited", 1),
        # a crash from before the wait began (ECS lists an hour of stopped tasks)
        stopped("a3", REVISION, "EssentialContainerExited", "Essential container exited", 1, -50),
    ]
    crash = stopped("b1", REVISION, "EssentialContainerExited",
                    "Essential container in task exited", 3)  # fmt: skip
    with stubbed_aws() as aws:
        rollout_in_progress(aws)
        poll(aws, [])
        poll(aws, replaced)
        poll(aws, [*replaced, crash])
        judge = AwsJudge("h" * 32, aws.aws.cloudwatch, aws.aws.ecs, sleep=slept.append)
        with pytest.raises(Crashed) as failure:
            judge.await_canary(VALUES)
    assert str(failure.value) == (
        f"{CANARY} runs a revision whose tasks stop: task b1: Essential container in task "
        "exited; container api exited 3"
    )
    assert len(slept) * POLL_S < 60


def test_a_task_that_fails_its_health_checks_is_a_crash_too() -> None:
    unhealthy = stopped("c1", REVISION, "ServiceSchedulerInitiated",
                        "Task failed ELB health checks in (target-group x)", None)  # fmt: skip
    with stubbed_aws() as aws:
        rollout_in_progress(aws)
        poll(aws, [unhealthy])
        judge = AwsJudge("h" * 32, aws.aws.cloudwatch, aws.aws.ecs, sleep=lambda _: None)
        with pytest.raises(Crashed, match="task c1: Task failed ELB health checks"):
            judge.await_canary(VALUES)
