"""How a new version of the DELETE function takes the traffic: AWS CodeDeploy shifts the alias.

The engine is CodeDeploy (compute platform Lambda), not the alias's weighted routing stepped by
the deploy job. The shift, the watch on the alarms and the rollback then run in AWS: a deploy job
that dies, times out or is cancelled half-way leaves a deployment that still completes or rolls
back, never an alias stuck with 10 % on a version nobody watches. CodeDeploy stops a deployment
whose alarm fires and returns the alias to the version it came from (``DEPLOYMENT_STOP_ON_ALARM``
among the group's automatic rollback events), and its console shows the shift and why it stopped.
What it costs: a step that starts the deployment after ``pulumi up`` (``deploy/release.py``:
CreateDeployment with an AppSpec naming the alias, its current version and the version the
``up`` published), as CodeDeploy starts Lambda deployments only when asked.

The alias stays the only thing the load balancer invokes. Pulumi creates it on the first version
and never moves it afterwards (``ALIAS_OWNED_BY_CODEDEPLOY``): otherwise every ``up`` would
point it at the new version in one step, before CodeDeploy could shift anything
(terraform-aws-modules/terraform-aws-lambda#383), and an ``up`` during a shift would erase
CodeDeploy's weights. Pulumi keeps an ignored property's value from the state and reads the live
one on a refresh ("Resource option: ignoreChanges", pulumi.com/docs/iac/concepts/options/
ignorechanges), which deploy/up.sh does before every ``up``.

Strategies (``functionRelease``): ``allAtOnce`` moves all the traffic at once, still under the
alarms; ``canary`` sends ``functionReleasePercent`` % to the new version for
``functionReleaseMinutes`` minutes, then the rest; ``linear`` adds that percentage every that
many minutes.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import pulumi
import pulumi_aws as aws

from components.roles import service_role

#: The deployment group inside the function's application (which carries the function's name,
#: so the deploy step finds it from the stack's functionArn alone).
GROUP: Final = "delete"
ASSUME_CODEDEPLOY: Final = "codedeploy.amazonaws.com"
#: The alias's properties CodeDeploy moves, which Pulumi therefore leaves alone after create.
ALIAS_OWNED_BY_CODEDEPLOY: Final = ("functionVersion", "routingConfig")
#: The longest shift the settings may ask for: the deploy job follows it to the end, within its
#: own timeout, after the service's rollout.
MAX_SHIFT_MINUTES: Final = 30
#: What rolls a shift back, besides the alarms: a deployment that fails on its own.
ROLLBACK_EVENTS: Final = ("DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM")
#: The releases' alarms look at one-minute sums: one bad minute during the shift stops it.
ALARM_PERIOD_S: Final = 60


class ReleaseStrategy(enum.Enum):
    ALL_AT_ONCE = "allAtOnce"
    CANARY = "canary"
    LINEAR = "linear"


@dataclass(frozen=True)
class ReleaseSettings:
    strategy: ReleaseStrategy
    #: The canary's share, or each linear step's.
    percent: int
    #: The canary's wait before the rest, or the wait between linear steps.
    minutes: int

    def traffic_routing(self) -> dict[str, Any]:
        """The deployment config's ``trafficRoutingConfig``, in CodeDeploy's API shape."""
        if self.strategy is ReleaseStrategy.CANARY:
            canary = {"canaryPercentage": self.percent, "canaryInterval": self.minutes}
            return {"type": "TimeBasedCanary", "timeBasedCanary": canary}
        if self.strategy is ReleaseStrategy.LINEAR:
            linear = {"linearPercentage": self.percent, "linearInterval": self.minutes}
            return {"type": "TimeBasedLinear", "timeBasedLinear": linear}
        return {"type": "AllAtOnce"}

    def problems(self) -> list[str]:
        if self.strategy is ReleaseStrategy.ALL_AT_ONCE:
            return []
        if not 1 <= self.percent <= 99:
            return ["picus:functionReleasePercent must be 1..99"]
        if self.minutes < 1:
            return ["picus:functionReleaseMinutes must be at least 1"]
        minutes = shift_minutes(self.traffic_routing())
        if minutes > MAX_SHIFT_MINUTES:
            return [
                f"picus:functionRelease {self.strategy.value} with "
                f"picus:functionReleasePercent {self.percent} and picus:functionReleaseMinutes "
                f"{self.minutes} takes {minutes} "
                f"minutes; the deploy job follows a shift of at most {MAX_SHIFT_MINUTES}"
            ]
        return []


def shift_minutes(traffic_routing: Mapping[str, Any]) -> int:
    """How long a deployment config holds the traffic split, at most, in minutes: the canary's
    interval, or an interval per linear step (``trafficRoutingConfig`` in the API's shape, as
    GetDeploymentConfig answers it too)."""
    kind = traffic_routing.get("type")
    if kind == "TimeBasedCanary":
        return int(traffic_routing["timeBasedCanary"]["canaryInterval"])
    if kind == "TimeBasedLinear":
        linear = traffic_routing["timeBasedLinear"]
        return math.ceil(100 / int(linear["linearPercentage"])) * int(linear["linearInterval"])
    return 0


def _routing_args(
    routing: dict[str, Any],
) -> aws.codedeploy.DeploymentConfigTrafficRoutingConfigArgs:
    canary, linear = routing.get("timeBasedCanary"), routing.get("timeBasedLinear")
    return aws.codedeploy.DeploymentConfigTrafficRoutingConfigArgs(
        type=routing["type"],
        time_based_canary=aws.codedeploy.DeploymentConfigTrafficRoutingConfigTimeBasedCanaryArgs(
            percentage=canary["canaryPercentage"], interval=canary["canaryInterval"]
        )
        if canary
        else None,
        time_based_linear=aws.codedeploy.DeploymentConfigTrafficRoutingConfigTimeBasedLinearArgs(
            percentage=linear["linearPercentage"], interval=linear["linearInterval"]
        )
        if linear
        else None,
    )


def codedeploy_policy(function_arn: str, alias: str, alarm_arns: Sequence[str]) -> str:
    """What CodeDeploy does for a Lambda deployment of this alias: AWSCodeDeployRoleForLambda's
    documented actions (docs.aws.amazon.com/aws-managed-policy/latest/reference/
    AWSCodeDeployRoleForLambda.html) that such a deployment uses, on this function and these
    alarms only. Left out, as nothing here uses them: sns:Publish (no triggers), s3:GetObject
    (the AppSpec travels in the request) and lambda:InvokeFunction on CodeDeployHook_* (no
    hooks)."""
    statements = [
        {
            "Sid": "ShiftTheAlias",
            "Effect": "Allow",
            "Action": ["lambda:GetAlias", "lambda:UpdateAlias"],
            "Resource": function_arn,
        },
        {
            "Sid": "ReadProvisionedConcurrency",
            "Effect": "Allow",
            "Action": "lambda:GetProvisionedConcurrencyConfig",
            "Resource": f"{function_arn}:{alias}",
        },
        {
            "Sid": "WatchTheAlarms",
            "Effect": "Allow",
            "Action": "cloudwatch:DescribeAlarms",
            "Resource": list(alarm_arns),
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


@dataclass(frozen=True)
class FunctionReleaseArgs:
    function_name: pulumi.Input[str]
    function_arn: pulumi.Input[str]
    #: The version this `up` published: the one the errors alarm watches.
    function_version: pulumi.Input[str]
    alias_name: str
    load_balancer_arn_suffix: pulumi.Input[str]
    function_target_group_arn_suffix: pulumi.Input[str]
    settings: ReleaseSettings
    #: Where every alarm of the stack goes: a rollback is news to whoever is on call.
    alarm_actions: Sequence[pulumi.Input[str]]


class FunctionRelease(pulumi.ComponentResource):
    application_name: pulumi.Output[str]
    deployment_group_name: pulumi.Output[str]
    alarm_arns: list[pulumi.Output[str]]

    def __init__(
        self, name: str, args: FunctionReleaseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("picus:index:FunctionRelease", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)

        def alarm(
            suffix: str,
            namespace: str,
            metric: str,
            dimensions: Mapping[str, pulumi.Input[str]],
            description: str,
        ) -> aws.cloudwatch.MetricAlarm:
            # Any failure in a minute: during a shift, stopping is cheap and a bad version is not.
            return aws.cloudwatch.MetricAlarm(
                f"{name}-{suffix}",
                namespace=namespace,
                metric_name=metric,
                dimensions=dict(dimensions),
                statistic="Sum",
                period=ALARM_PERIOD_S,
                evaluation_periods=1,
                threshold=0,
                comparison_operator="GreaterThanThreshold",
                treat_missing_data="notBreaching",
                alarm_description=description,
                alarm_actions=list(args.alarm_actions),
                ok_actions=list(args.alarm_actions),
                opts=child,
            )

        answers_5xx = alarm(
            "5xx",
            "AWS/ApplicationELB",
            "HTTPCode_Target_5XX_Count",
            {
                "LoadBalancer": args.load_balancer_arn_suffix,
                "TargetGroup": args.function_target_group_arn_suffix,
            },
            "the DELETE function answered 5xx during a release: CodeDeploy stops the shift and "
            "returns the alias to the previous version",
        )
        # Through an alias, Lambda publishes each metric per version that ran, too
        # (docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html, ExecutedVersion).
        new_version_errors = alarm(
            "errors",
            "AWS/Lambda",
            "Errors",
            {
                "FunctionName": args.function_name,
                "Resource": pulumi.Output.concat(args.function_name, ":", args.alias_name),
                "ExecutedVersion": args.function_version,
            },
            "the DELETE function's new version failed during a release: CodeDeploy stops the "
            "shift and returns the alias to the previous version",
        )
        alarms = [answers_5xx, new_version_errors]

        role = service_role(
            name,
            ASSUME_CODEDEPLOY,
            pulumi.Output.all(args.function_arn, *[a.arn for a in alarms]).apply(
                lambda a: codedeploy_policy(a[0], args.alias_name, a[1:])
            ),
            parent=self,
        )
        application = aws.codedeploy.Application(
            f"{name}-app", name=args.function_name, compute_platform="Lambda", opts=child
        )
        config = aws.codedeploy.DeploymentConfig(
            f"{name}-config",
            compute_platform="Lambda",
            traffic_routing_config=_routing_args(args.settings.traffic_routing()),
            opts=child,
        )
        group = aws.codedeploy.DeploymentGroup(
            f"{name}-group",
            app_name=application.name,
            deployment_group_name=GROUP,
            service_role_arn=role.role.arn,
            # The provider's id of a deployment config is its name.
            deployment_config_name=config.id,
            deployment_style=aws.codedeploy.DeploymentGroupDeploymentStyleArgs(
                deployment_type="BLUE_GREEN", deployment_option="WITH_TRAFFIC_CONTROL"
            ),
            alarm_configuration=aws.codedeploy.DeploymentGroupAlarmConfigurationArgs(
                enabled=True, alarms=[a.name for a in alarms], ignore_poll_alarm_failure=False
            ),
            auto_rollback_configuration=aws.codedeploy.DeploymentGroupAutoRollbackConfigurationArgs(
                enabled=True, events=list(ROLLBACK_EVENTS)
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role.policy]),
        )

        self.application_name = application.name
        self.deployment_group_name = group.deployment_group_name
        self.alarm_arns = [a.arn for a in alarms]
        self.register_outputs({"application_name": self.application_name})
