"""CloudWatch alarms on what users would feel, sent to an SNS topic when one is configured.

Two of them also guard every release of the service (``deployment_alarm_names``): ECS rolls a
deployment back when one fires while it runs (components/deployment.py). Their twins on the
canary's target group (``canary_alarm_names``) judge a canary: the deploy job watches them while
the canary bakes and rolls it back when one fires (deploy/canary.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_aws as aws

#: The share of the service's answers, in %, that may be 5xx in a minute of a release before
#: ECS rolls it back: a release that breaks one operation (a PUT that answers 500) crosses it
#: whatever the traffic, where a count would need a busy minute.
DEPLOYMENT_5XX_PERCENT: Final = 1.0


def metric_alarm(
    resource_name: str,
    *,
    namespace: str,
    metric: str,
    dimensions: Mapping[str, pulumi.Input[str]],
    threshold: float,
    description: str,
    actions: Sequence[pulumi.Input[str]],
    opts: pulumi.ResourceOptions,
    statistic: str = "Sum",
) -> aws.cloudwatch.MetricAlarm:
    """An alarm on one metric over one-minute periods, 3 of 5 above ``threshold``: a blip
    pages nobody, a few bad minutes do. Missing data is not breaching (an idle API is
    healthy); ``actions`` hear both the alarm and its end. A ``p``-statistic is a percentile."""
    percentile = statistic.startswith("p")
    return aws.cloudwatch.MetricAlarm(
        resource_name,
        namespace=namespace,
        metric_name=metric,
        dimensions=dict(dimensions),
        statistic=None if percentile else statistic,
        extended_statistic=statistic if percentile else None,
        period=60,
        evaluation_periods=5,
        datapoints_to_alarm=3,
        threshold=threshold,
        comparison_operator="GreaterThanThreshold",
        treat_missing_data="notBreaching",
        alarm_description=description,
        alarm_actions=list(actions),
        ok_actions=list(actions),
        opts=opts,
    )


@dataclass(frozen=True)
class AlarmsArgs:
    load_balancer_arn_suffix: pulumi.Input[str]
    target_group_arn_suffix: pulumi.Input[str]
    #: The canary service's target group (components/deployment.py).
    canary_target_group_arn_suffix: pulumi.Input[str]
    #: The DELETE function's target group: it answers 5xx without raising, so Lambda's own
    #: Errors metric never sees those; the load balancer's count per target group does.
    function_target_group_arn_suffix: pulumi.Input[str]
    function_name: pulumi.Input[str]
    table_name: pulumi.Input[str]
    #: A throttled idempotency record fails its create's transaction: a 503 as the data
    #: table's throttles are.
    idempotency_table_name: pulumi.Input[str]
    p99_latency_seconds: float
    #: An email address to subscribe to a new topic.
    alarm_email: str | None
    #: An existing topic (a pager, a chat integration) that receives every alarm.
    alarm_topic_arn: pulumi.Input[str] | None


class Alarms(pulumi.ComponentResource):
    topic_arn: pulumi.Output[str] | None
    #: Where every alarm of the stack goes: the configured topic, then the email's topic.
    alarm_actions: list[pulumi.Input[str]]
    alarm_arns: list[pulumi.Output[str]]
    #: The alarms ECS watches during a deployment of the service: its 5xx rate, its p99.
    deployment_alarm_names: list[pulumi.Output[str]]
    #: The same two on the canary's target group: what a canary's bake watches.
    canary_alarm_names: list[pulumi.Output[str]]

    def __init__(
        self, name: str, args: AlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("picus:index:Alarms", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        actions: list[pulumi.Input[str]] = []
        self.topic_arn = None
        self.alarm_arns = []
        if args.alarm_topic_arn:
            actions.append(args.alarm_topic_arn)
        if args.alarm_email:
            topic = aws.sns.Topic(f"{name}-topic", opts=child)
            aws.sns.TopicSubscription(
                f"{name}-email",
                topic=topic.arn,
                protocol="email",
                endpoint=args.alarm_email,
                opts=child,
            )
            self.topic_arn = topic.arn
            actions.append(topic.arn)
        self.alarm_actions = actions

        def alarm(
            suffix: str,
            namespace: str,
            metric: str,
            dimensions: dict[str, pulumi.Input[str]],
            threshold: float,
            description: str,
            statistic: str = "Sum",
        ) -> aws.cloudwatch.MetricAlarm:
            created = metric_alarm(
                f"{name}-{suffix}",
                namespace=namespace,
                metric=metric,
                dimensions=dimensions,
                threshold=threshold,
                description=description,
                actions=actions,
                statistic=statistic,
                opts=child,
            )
            self.alarm_arns.append(created.arn)
            return created

        alb = {"LoadBalancer": args.load_balancer_arn_suffix}
        target = {**alb, "TargetGroup": args.target_group_arn_suffix}
        alarm(
            "alb-5xx",
            "AWS/ApplicationELB",
            "HTTPCode_ELB_5XX_Count",
            alb,
            5,
            "the load balancer itself answered 5xx (502/504 from a failing or slow target)",
        )
        self.service_errors_alarm_name = alarm(
            "target-5xx",
            "AWS/ApplicationELB",
            "HTTPCode_Target_5XX_Count",
            target,
            5,
            "the service answered 5xx",
        ).name
        alarm(
            "delete-5xx",
            "AWS/ApplicationELB",
            "HTTPCode_Target_5XX_Count",
            {**alb, "TargetGroup": args.function_target_group_arn_suffix},
            5,
            "the DELETE function answered 5xx",
        )
        alarm(
            "unhealthy",
            "AWS/ApplicationELB",
            "UnHealthyHostCount",
            target,
            0,
            "a service task fails its health check",
            statistic="Maximum",
        )

        # Over one-minute periods, 2 of 3: a release is judged within minutes, and a single
        # bad minute (a cold task) does not roll it back.
        def error_rate(
            suffix: str, dimensions: dict[str, pulumi.Input[str]], whose: str
        ) -> aws.cloudwatch.MetricAlarm:
            created = aws.cloudwatch.MetricAlarm(
                f"{name}-{suffix}",
                metric_queries=[
                    aws.cloudwatch.MetricAlarmMetricQueryArgs(
                        id=query,
                        return_data=False,
                        metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                            namespace="AWS/ApplicationELB",
                            metric_name=metric,
                            dimensions=dimensions,
                            period=60,
                            stat="Sum",
                        ),
                    )
                    for query, metric in (
                        ("errors", "HTTPCode_Target_5XX_Count"),
                        ("requests", "RequestCount"),
                    )
                ]
                + [
                    aws.cloudwatch.MetricAlarmMetricQueryArgs(
                        id="rate",
                        expression="IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)",
                        label=f"5xx % of {whose} answers",
                        return_data=True,
                    )
                ],
                evaluation_periods=3,
                datapoints_to_alarm=2,
                threshold=DEPLOYMENT_5XX_PERCENT,
                comparison_operator="GreaterThanThreshold",
                treat_missing_data="notBreaching",
                alarm_description=f"more than {DEPLOYMENT_5XX_PERCENT:g} % of {whose} answers "
                "are 5xx (rolls a release back)",
                alarm_actions=actions,
                ok_actions=actions,
                opts=child,
            )
            self.alarm_arns.append(created.arn)
            return created

        latency = alarm(
            "p99-latency",
            "AWS/ApplicationELB",
            "TargetResponseTime",
            target,
            args.p99_latency_seconds,
            "p99 latency of the service is high",
            statistic="p99",
        )
        rate = error_rate("deploy-5xx-rate", target, "the service's")
        self.deployment_alarm_names = [rate.name, latency.name]
        canary = {**alb, "TargetGroup": args.canary_target_group_arn_suffix}
        canary_rate = error_rate("canary-5xx-rate", canary, "the canary's")
        canary_latency = alarm(
            "canary-p99-latency",
            "AWS/ApplicationELB",
            "TargetResponseTime",
            canary,
            args.p99_latency_seconds,
            "p99 latency of the canary is high (rolls the canary back)",
            statistic="p99",
        )
        self.canary_alarm_names = [canary_rate.name, canary_latency.name]

        function = {"FunctionName": args.function_name}
        alarm("lambda-errors", "AWS/Lambda", "Errors", function, 0, "the DELETE function failed")
        alarm(
            "lambda-throttles",
            "AWS/Lambda",
            "Throttles",
            function,
            0,
            "the DELETE function was throttled",
        )
        for prefix, table_name, what in (
            ("table", args.table_name, "table"),
            ("idempotency", args.idempotency_table_name, "idempotency record"),
        ):
            table = {"TableName": table_name}
            alarm(
                f"{prefix}-read-throttles",
                "AWS/DynamoDB",
                "ReadThrottleEvents",
                table,
                0,
                f"{what} reads were throttled",
            )
            alarm(
                f"{prefix}-write-throttles",
                "AWS/DynamoDB",
                "WriteThrottleEvents",
                table,
                0,
                f"{what} writes were throttled",
            )
        self.register_outputs({})
