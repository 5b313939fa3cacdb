"""A canary release through the one release command, end to end: the fake CLI's program outputs,
every AWS call in order (the canary's rollout, its bake, the hand-back's reads, the function's
release, the check), the walkthrough through the test header against a real local origin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from components.deployment import RELEASE_HEADER
from deploy.pipeline import Pipeline
from deploy.stack_cli import PulumiCli
from tests.deploy import fake_pulumi
from tests.deploy.release_expectations import (
    NOW,
    expect_check,
    expect_function_release,
    outputs_after_up,
)
from tests.deploy.stubbed_aws import IDENTITY, StubbedAws, stubbed_aws

REPOSITORY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/picus@sha256:"
OLD, NEW = REPOSITORY + "a" * 64, REPOSITORY + "b" * 64
HEADER = "c" * 40
#: A dev stack released by canary, with no bake to wait for.
CANARY = {"deploymentStrategy": "canary", "canaryBakeMinutes": "0", "releaseHeader": HEADER}
CANARY_TASKS = 2


def _service(values: dict[str, Any], name_key: str, revision_key: str) -> dict[str, Any]:
    deployment = {"status": "PRIMARY", "taskDefinition": values[revision_key],
                  "rolloutState": "COMPLETED", "runningCount": CANARY_TASKS,
                  "desiredCount": CANARY_TASKS}  # fmt: skip
    return {"serviceName": values[name_key], "runningCount": CANARY_TASKS,
            "deployments": [deployment]}  # fmt: skip


def expect_canary_rollout(aws: StubbedAws, values: dict[str, Any]) -> None:
    arn = f"arn:aws:ecs:eu-west-1:123456789012:service-deployment/{values['clusterName']}/c"
    aws.expect("ecs", "list_service_deployments",
               {"serviceDeployments": [{"serviceDeploymentArn": arn, "createdAt": NOW}]},
               cluster=values["clusterName"], service=values["canaryServiceName"])  # fmt: skip
    succeeded = {"serviceDeploymentArn": arn, "status": "SUCCESSFUL"}
    aws.expect("ecs", "describe_service_deployments", {"serviceDeployments": [succeeded]})
    canary = _service(values, "canaryServiceName", "canaryTaskDefinitionArn")
    aws.expect("ecs", "describe_services", {"services": [canary]})


def expect_hand_back(aws: StubbedAws, values: dict[str, Any]) -> None:
    canary = _service(values, "canaryServiceName", "canaryTaskDefinitionArn")
    primary = _service(values, "serviceName", "taskDefinitionArn")
    aws.expect("ecs", "describe_services", {"services": [canary]})  # the primary's new floor
    aws.expect("ecs", "describe_services", {"services": [primary]})  # ... which it runs
    healthy = [{"Target": {"Id": f"10.0.1.{n}"}, "TargetHealth": {"State": "healthy"}}
               for n in range(CANARY_TASKS)]  # fmt: skip
    aws.expect("elbv2", "describe_target_health", {"TargetHealthDescriptions": healthy},
               TargetGroupArn=values["targetGroupArn"])  # fmt: skip
    aws.expect("ecs", "describe_services", {"services": [canary]})  # no larger meanwhile
    group = values["canaryTargetGroupArn"]

    def forward(weight: int) -> list[dict[str, Any]]:
        groups = [{"TargetGroupArn": "arn:primary", "Weight": 100 - weight},
                  {"TargetGroupArn": group, "Weight": weight}]  # fmt: skip
        return [{"Type": "forward", "ForwardConfig": {"TargetGroups": groups}}]

    matched = {"HttpHeaderName": RELEASE_HEADER, "Values": [HEADER]}
    header = {"Field": "http-header", "HttpHeaderConfig": matched}
    rules = [
        {"Priority": "9", "Conditions": [header], "Actions": forward(100)},  # a test rule
        {"Priority": "10", "Conditions": [], "Actions": forward(0)},
        {"Priority": "20", "Conditions": [], "Actions": forward(0)},
    ]
    aws.expect("elbv2", "describe_rules", {"Rules": rules}, ListenerArn=values["listenerArn"])


def test_a_canary_release_tests_bakes_promotes_and_hands_back_in_order(
    cli_state: Path, api_url: str
) -> None:
    fake_pulumi.new_state(cli_state, {"dev": {**CANARY, "imageUri": OLD}}, api_url=api_url)
    final = {**CANARY, "imageUri": NEW, "canaryImageUri": "", "canaryWeight": "0"}
    values = outputs_after_up(cli_state, final)
    fake_pulumi.run_up(cli_state, "dev")  # the stack as the last release left it
    lines: list[str] = []
    with stubbed_aws() as aws:
        aws.expect("sts", "get_caller_identity", IDENTITY)
        expect_canary_rollout(aws, values)
        listed = values["canaryAlarmNames"]
        assert isinstance(listed, list)
        names = [str(name) for name in listed]
        alarms = [{"AlarmName": name, "StateValue": "OK"} for name in names]
        aws.expect("cloudwatch", "describe_alarms", {"MetricAlarms": alarms},
                   AlarmNames=names, AlarmTypes=["MetricAlarm"])  # fmt: skip
        expect_hand_back(aws, values)
        expect_function_release(aws, str(values["functionArn"]), str(values["functionVersion"]))
        expect_check(aws, values)
        release = Pipeline(PulumiCli("dev"), "dev", lambda _: aws.aws, lines.append, 0)
        assert release.run(NEW) == 0, "\n".join(lines)

    assert aws.calls == [
        "sts:GetCallerIdentity",
        # the canary runs the new revision; the walkthrough; the 5 % bakes
        "ecs:ListServiceDeployments", "ecs:DescribeServiceDeployments", "ecs:DescribeServices",
        "cloudwatch:DescribeAlarms",
        # the hand-back: the canary's tasks, the primary runs them, the rules send 0
        "ecs:DescribeServices", "ecs:DescribeServices", "elbv2:DescribeTargetHealth",
        "ecs:DescribeServices", "elbv2:DescribeRules",
        "lambda:GetFunction", "lambda:GetFunction", "lambda:GetFunction",
        "lambda:GetAlias", "codedeploy:ListDeployments", "codedeploy:CreateDeployment",
        "ecs:ListServiceDeployments", "ecs:DescribeServiceDeployments", "ecs:DescribeServices",
        "lambda:GetAlias",
    ]  # fmt: skip
    # What each up found: the keys the release set, over what the stack held (unset: defaults).
    ups = [
        (c["imageUri"], c.get("canaryImageUri", ""), c.get("canaryWeight", "0"),
         c.get("handoverCount", "0"))
        for c in fake_pulumi.configs_at_each_up(cli_state, "dev")[1:]
    ]  # fmt: skip
    assert ups == [
        (OLD, NEW, "0", "0"),  # the canary starts
        (OLD, NEW, "5", "0"),  # takes its 5 %
        (NEW, NEW, "5", str(CANARY_TASKS)),  # promotion: the primary grows to the canary's tasks
        (NEW, NEW, "0", str(CANARY_TASKS)),  # the share goes back
        (NEW, "", "0", "0"),  # only then the canary's tasks
    ]
    assert any(f"through {RELEASE_HEADER}" in line for line in lines)
    assert lines[-2:] == [f"  API        {api_url}", f"  dashboard  {values['dashboardUrl']}"]
