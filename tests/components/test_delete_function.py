from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.validate import ParamValidator

from components.delete_function import ALIAS, HANDLER
from components.function_release import GROUP, ReleaseSettings, ReleaseStrategy, shift_minutes
from components.naming import stack_prefix
from devkit import ROOT
from local import router
from picus import routing
from picus.routing import LAMBDA_MULTI_VALUE_HEADERS, Target, rule_for
from tests.components.conftest import Stack, data_table, input_shape, policy_of
from tests.components.harness import ACCOUNT


def function(stack: Stack) -> dict[str, Any]:
    return stack.one("aws:lambda/function:Function")


def lambda_target_group(stack: Stack) -> dict[str, Any]:
    return next(
        t
        for t in stack.all("aws:lb/targetGroup:TargetGroup")
        if t["state"]["targetType"] == "lambda"
    )


def test_the_function(stack: Stack) -> None:
    state = function(stack)["state"]
    config = stack.config
    major, minor = state["runtime"].removeprefix("python").split(".")
    assert (int(major), int(minor)) >= (3, 12)
    assert state["architectures"] == ["arm64"]
    assert state["memorySize"] == int(config["picus:lambdaMemory"])
    assert state["timeout"] == int(config["picus:lambdaTimeout"])
    assert state["publish"] is True
    variables = state["environment"]["variables"]
    assert variables["PICUS_TABLE_NAME"] == data_table(stack)["state"]["name"]
    # Idempotency-Keys are the service's: the function deletes, and never creates.
    assert "PICUS_IDEMPOTENCY_TABLE_NAME" not in variables
    log_group = stack.one("aws:cloudwatch/logGroup:LogGroup", "-delete-logs")["state"]
    assert state["loggingConfig"]["logGroup"] == log_group["name"]
    # The runtime's JSON lines: the handler's access fields land beside the runtime's own.
    assert state["loggingConfig"]["logFormat"] == "JSON"
    assert state["loggingConfig"]["applicationLogLevel"] == "INFO"
    # SnapStart snapshots published versions; the alias always points at one.
    snap = stack.setting("snapStart") == "true"
    assert state.get("snapStart") == ({"applyOn": "PublishedVersions"} if snap else None)
    tracing = stack.setting("tracing") == "true"
    assert state["tracingConfig"]["mode"] == ("Active" if tracing else "PassThrough")
    assert log_group["retentionInDays"] == int(config["picus:logRetentionDays"])


def test_the_archive_holds_only_the_function_and_its_contract(stack: Stack) -> None:
    archive = function(stack)["state"]["code"]["archive"]
    assert {name.split("/")[0] for name in archive} == {"delete_fn", "picus"}
    assert all(name.endswith(".py") for name in archive)


def test_the_handler_string_resolves_inside_the_archive(stack: Stack, tmp_path: Path) -> None:
    # given the archive unpacked alone, as the Lambda runtime would see it
    for name, asset in function(stack)["state"]["code"]["archive"].items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / asset["path"], tmp_path / name)
    module, _, attribute = function(stack)["state"]["handler"].rpartition(".")
    probe = (
        "import importlib, os, sys; sys.path.insert(0, os.getcwd());"
        f"m = importlib.import_module({module!r}); assert callable(getattr(m, {attribute!r}));"
        "assert os.path.dirname(os.path.dirname(os.path.abspath(m.__file__))) == os.getcwd()"
    )
    # when it is imported with nothing of the repository on the path
    result = subprocess.run(
        [sys.executable, "-I", "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"AWS_DEFAULT_REGION": "eu-west-1", "PATH": "/usr/bin:/bin"},
    )
    # then the handler is found and callable
    assert result.returncode == 0, result.stderr
    assert function(stack)["state"]["handler"] == HANDLER


def test_the_alb_invokes_a_published_alias(stack: Stack) -> None:
    fn = function(stack)["state"]
    alias = stack.one("aws:lambda/alias:Alias")
    assert alias["state"]["name"] == ALIAS
    assert alias["state"]["functionVersion"] == fn["version"]
    target_group = lambda_target_group(stack)
    assert target_group["state"]["lambdaMultiValueHeadersEnabled"] is LAMBDA_MULTI_VALUE_HEADERS
    permission = stack.one("aws:lambda/permission:Permission")
    assert permission["state"]["principal"] == "elasticloadbalancing.amazonaws.com"
    assert permission["state"]["action"] == "lambda:InvokeFunction"
    assert permission["state"]["sourceArn"] == target_group["state"]["arn"]
    assert permission["state"]["qualifier"] == ALIAS
    attachment = stack.one("aws:lb/targetGroupAttachment:TargetGroupAttachment")
    assert attachment["state"]["targetId"] == alias["state"]["arn"]
    assert attachment["state"]["targetGroupArn"] == target_group["state"]["arn"]
    assert permission["urn"] in attachment["dependencies"], "attachment before its permission"


def test_the_local_router_routes_by_the_same_definition() -> None:
    assert vars(router)["rule_for"] is routing.rule_for
    rule = rule_for("DELETE", "/picus/2f897e49-a179-4160-8056-d96c51aab199")
    assert rule is not None and rule.target is Target.DELETE_FN


# --- The release: CodeDeploy shifts each new version onto the alias -------------------------

#: AWSCodeDeployRoleForLambda's actions, as AWS documents them (docs.aws.amazon.com/
#: aws-managed-policy/latest/reference/AWSCodeDeployRoleForLambda.html, v3): the role's own
#: policy may grant these, on this stack's function and alarms, and nothing else.
CODEDEPLOY_FOR_LAMBDA = frozenset(
    {
        "cloudwatch:DescribeAlarms",
        "lambda:UpdateAlias",
        "lambda:GetAlias",
        "lambda:GetProvisionedConcurrencyConfig",
        "sns:Publish",
        "s3:GetObject",
        "s3:GetObjectVersion",
        "lambda:InvokeFunction",
    }
)


def release_settings(stack: Stack) -> ReleaseSettings:
    return ReleaseSettings(
        ReleaseStrategy(stack.setting("functionRelease")),
        int(stack.setting("functionReleasePercent")),
        int(stack.setting("functionReleaseMinutes")),
    )


def release_alarms(stack: Stack) -> dict[str, dict[str, Any]]:
    return {
        a["name"].rsplit("-", 1)[1]: a["state"]
        for a in stack.all("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a["name"].startswith(f"{stack_prefix(stack.stack)}-release-")
    }


def test_after_create_the_alias_is_codedeploys_to_move(stack: Stack) -> None:
    alias = stack.one("aws:lambda/alias:Alias")
    # Created on the version the first up published; never moved by Pulumi afterwards.
    assert alias["state"]["functionVersion"] == function(stack)["state"]["version"]
    assert set(alias["ignore_changes"]) == {"functionVersion", "routingConfig"}
    # And still the only target of the function's target group.
    attachment = stack.one("aws:lb/targetGroupAttachment:TargetGroupAttachment")
    assert attachment["state"]["targetId"] == alias["state"]["arn"]


def test_each_stack_releases_the_function_at_its_own_pace(stack: Stack) -> None:
    config = stack.one("aws:codedeploy/deploymentConfig:DeploymentConfig")["state"]
    assert config["computePlatform"] == "Lambda"
    routing = config["trafficRoutingConfig"]
    expected = release_settings(stack).traffic_routing()
    assert routing["type"] == expected["type"]
    if routing["type"] == "TimeBasedCanary":
        assert routing["timeBasedCanary"] == {
            "percentage": expected["timeBasedCanary"]["canaryPercentage"],
            "interval": expected["timeBasedCanary"]["canaryInterval"],
        }
    # A production stack meets a bad version with a slice of its traffic first.
    if stack.setting("production") == "true":
        assert routing == {
            "type": "TimeBasedCanary",
            "timeBasedCanary": {"percentage": 10, "interval": 5},
        }
    elif stack.variant == "dev":
        assert routing == {"type": "AllAtOnce"}


def test_the_deployment_group_rolls_back_on_the_release_alarms(stack: Stack) -> None:
    group = stack.one("aws:codedeploy/deploymentGroup:DeploymentGroup")
    state = group["state"]
    application = stack.one("aws:codedeploy/application:Application")["state"]
    config = stack.one("aws:codedeploy/deploymentConfig:DeploymentConfig")
    # The deploy step finds the application by the function's name alone.
    assert application == {"name": function(stack)["state"]["name"], "computePlatform": "Lambda"}
    assert state["appName"] == application["name"]
    assert state["deploymentGroupName"] == GROUP
    assert state["deploymentConfigName"] == config["id"]
    assert state["deploymentStyle"] == {
        "deploymentType": "BLUE_GREEN",
        "deploymentOption": "WITH_TRAFFIC_CONTROL",
    }
    alarms = release_alarms(stack)
    assert state["alarmConfiguration"] == {
        "enabled": True,
        "ignorePollAlarmFailure": False,
        "alarms": sorted(a["name"] for a in alarms.values()),
    }
    rollback = state["autoRollbackConfiguration"]
    assert rollback["enabled"] is True
    assert "DEPLOYMENT_STOP_ON_ALARM" in rollback["events"]
    role = stack.one("aws:iam/role:Role", "-release-role")
    policy = stack.one("aws:iam/rolePolicy:RolePolicy", "-release-policy")
    assert state["serviceRoleArn"] == role["state"]["arn"]
    assert policy["urn"] in group["dependencies"], "the group before its role may act"


def test_the_release_alarms_watch_the_new_version_and_its_answers(stack: Stack) -> None:
    alarms = release_alarms(stack)
    assert set(alarms) == {"5xx", "errors"}
    fn = function(stack)["state"]
    # Lambda's Errors of the version this up published, invoked through the alias.
    assert (alarms["errors"]["namespace"], alarms["errors"]["metricName"]) == (
        "AWS/Lambda",
        "Errors",
    )
    assert alarms["errors"]["dimensions"] == {
        "FunctionName": fn["name"],
        "Resource": f"{fn['name']}:{ALIAS}",
        "ExecutedVersion": fn["version"],
    }
    # The function answers its own failures as 5xx without raising: the load balancer counts them.
    answers = alarms["5xx"]
    assert answers["metricName"] == "HTTPCode_Target_5XX_Count"
    assert answers["dimensions"]["TargetGroup"] == lambda_target_group(stack)["state"]["arnSuffix"]
    assert (
        answers["dimensions"]["LoadBalancer"]
        == (stack.one("aws:lb/loadBalancer:LoadBalancer")["state"]["arnSuffix"])
    )
    for alarm in alarms.values():
        assert (alarm["period"], alarm["evaluationPeriods"], alarm["threshold"]) == (60, 1, 0)
        assert alarm["treatMissingData"] == "notBreaching"


def test_codedeploys_role_may_shift_this_alias_and_read_these_alarms_only(stack: Stack) -> None:
    role = stack.one("aws:iam/role:Role", "-release-role")["state"]
    (trust,) = json.loads(role["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "codedeploy.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    statements = policy_of(stack.one("aws:iam/rolePolicy:RolePolicy", "-release-policy"))[
        "Statement"
    ]
    fn = function(stack)["state"]["arn"]
    granted = {
        (action, resource)
        for s in statements
        for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        for resource in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
    }
    alarm_arns = {a["arn"] for a in release_alarms(stack).values()}
    assert granted == {
        ("lambda:GetAlias", fn),
        ("lambda:UpdateAlias", fn),
        ("lambda:GetProvisionedConcurrencyConfig", f"{fn}:{ALIAS}"),
        *{("cloudwatch:DescribeAlarms", arn) for arn in alarm_arns},
    }
    assert {action for action, _ in granted} <= CODEDEPLOY_FOR_LAMBDA
    assert all("Condition" not in s and s["Effect"] == "Allow" for s in statements)


def _validated(service: str, operation: str, request: dict[str, Any]) -> None:
    errors = ParamValidator().validate(request, input_shape(service, operation))
    assert not errors.has_errors(), errors.generate_report()


def test_the_release_inputs_are_what_codedeploy_accepts(stack: Stack) -> None:
    config = stack.one("aws:codedeploy/deploymentConfig:DeploymentConfig")
    routing = config["state"]["trafficRoutingConfig"]
    api_routing: dict[str, Any] = {"type": routing["type"]}
    for kind, prefix in (("timeBasedCanary", "canary"), ("timeBasedLinear", "linear")):
        if kind in routing:
            api_routing[kind] = {
                f"{prefix}Percentage": int(routing[kind]["percentage"]),
                f"{prefix}Interval": int(routing[kind]["interval"]),
            }
    _validated(
        "codedeploy",
        "CreateDeploymentConfig",
        {
            "deploymentConfigName": config["state"]["name"],
            "computePlatform": config["state"]["computePlatform"],
            "trafficRoutingConfig": api_routing,
        },
    )
    group = stack.one("aws:codedeploy/deploymentGroup:DeploymentGroup")["state"]
    alarms = group["alarmConfiguration"]
    _validated(
        "codedeploy",
        "CreateDeploymentGroup",
        {
            "applicationName": group["appName"],
            "deploymentGroupName": group["deploymentGroupName"],
            "deploymentConfigName": group["deploymentConfigName"],
            "serviceRoleArn": group["serviceRoleArn"],
            "deploymentStyle": group["deploymentStyle"],
            "alarmConfiguration": {**alarms, "alarms": [{"name": n} for n in alarms["alarms"]]},
            "autoRollbackConfiguration": group["autoRollbackConfiguration"],
        },
    )
    application = stack.one("aws:codedeploy/application:Application")["state"]
    _validated(
        "codedeploy",
        "CreateApplication",
        {"applicationName": application["name"], "computePlatform": "Lambda"},
    )


@pytest.mark.parametrize(
    ("settings", "minutes", "problem"),
    [
        (ReleaseSettings(ReleaseStrategy.ALL_AT_ONCE, 0, 0), 0, None),
        (ReleaseSettings(ReleaseStrategy.CANARY, 10, 5), 5, None),
        (ReleaseSettings(ReleaseStrategy.LINEAR, 10, 3), 30, None),
        (ReleaseSettings(ReleaseStrategy.LINEAR, 10, 4), 40, "takes 40 minutes"),
        (ReleaseSettings(ReleaseStrategy.CANARY, 100, 5), None, "functionReleasePercent"),
        (ReleaseSettings(ReleaseStrategy.CANARY, 10, 0), None, "functionReleaseMinutes"),
    ],
)
def test_a_release_the_deploy_job_cannot_follow_is_refused(
    settings: ReleaseSettings, minutes: int | None, problem: str | None
) -> None:
    if minutes is not None:
        assert shift_minutes(settings.traffic_routing()) == minutes
    problems = settings.problems()
    assert (problem is None) == (problems == []), problems
    if problem is not None:
        (only,) = problems
        assert problem in only
    if settings.strategy is not ReleaseStrategy.ALL_AT_ONCE and problem is None:
        # What the settings ask for is a config CodeDeploy accepts.
        _validated(
            "codedeploy",
            "CreateDeploymentConfig",
            {
                "deploymentConfigName": "picus-dev-release-config",
                "computePlatform": "Lambda",
                "trafficRoutingConfig": settings.traffic_routing(),
            },
        )
