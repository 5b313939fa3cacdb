"""One CloudWatch dashboard per stack: what a user of the API feels and what each part does.

The body is a plain function of the stack's names, so tests check every metric against
CloudWatch's published metric names and dimensions without deploying.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.policies import DELETE_TABLE_ACTIONS, SERVICE_TABLE_ACTIONS

#: The operations the service and the function call on the data table, as their roles grant
#: them (components/policies.py).
TABLE_OPERATIONS = tuple(a.split(":")[1] for a in (*SERVICE_TABLE_ACTIONS, *DELETE_TABLE_ACTIONS))
WIDTH = 24


@dataclass(frozen=True)
class Names:
    """The stack's resources, as CloudWatch's dimensions name them."""

    region: str
    load_balancer: str
    service_target_group: str
    function_target_group: str
    cluster: str
    service: str
    function: str
    table: str
    alarm_arns: Sequence[str]


def _metric(namespace: str, name: str, dimensions: dict[str, str], **options: Any) -> list[Any]:
    line: list[Any] = [namespace, name]
    for key, value in dimensions.items():
        line += [key, value]
    return [*line, options] if options else line


def _graph(title: str, metrics: list[list[Any]], *, stat: str = "Sum", width: int = 12) -> Any:
    return {
        "type": "metric",
        "width": width,
        "height": 6,
        "properties": {
            "title": title,
            "view": "timeSeries",
            "stacked": False,
            "stat": stat,
            "period": 60,
            "metrics": metrics,
        },
    }


def dashboard_body(n: Names) -> str:
    alb = {"LoadBalancer": n.load_balancer}
    targets = {
        "service": {"TargetGroup": n.service_target_group, **alb},
        "delete fn": {"TargetGroup": n.function_target_group, **alb},
    }
    elb = "AWS/ApplicationELB"
    ecs = {"ClusterName": n.cluster, "ServiceName": n.service}
    function = {"FunctionName": n.function}
    table = {"TableName": n.table}
    widgets: list[Any] = [
        _graph("Requests", [_metric(elb, "RequestCount", alb, label="requests")]),
        _graph(
            "Errors by who answered",
            [
                _metric(elb, f"HTTPCode_Target_{code}_Count", dims, label=f"{who} {code}")
                for who, dims in targets.items()
                for code in ("4XX", "5XX")
            ]
            + [_metric(elb, "HTTPCode_ELB_5XX_Count", alb, label="load balancer 5XX")],
        ),
        _graph(
            "Target response time (s)",
            [
                _metric(elb, "TargetResponseTime", dims, stat=stat, label=f"{who} {stat}")
                for who, dims in targets.items()
                for stat in ("p50", "p99")
            ],
            stat="p99",
        ),
        _graph(
            "Service tasks",
            [_metric("ECS/ContainerInsights", "RunningTaskCount", ecs, label="running")],
            stat="Average",
        ),
        _graph(
            "Service CPU and memory (%)",
            [
                _metric("AWS/ECS", "CPUUtilization", ecs, label="CPU"),
                _metric("AWS/ECS", "MemoryUtilization", ecs, label="memory"),
            ],
            stat="Average",
        ),
        _graph(
            "DELETE function",
            [
                _metric("AWS/Lambda", name, function, label=name)
                for name in ("Invocations", "Errors", "Throttles")
            ]
            + [
                _metric(
                    "AWS/Lambda",
                    "ConcurrentExecutions",
                    function,
                    stat="Maximum",
                    label="concurrent",
                )
            ],
        ),
        _graph(
            "DELETE function duration (ms)",
            [_metric("AWS/Lambda", "Duration", function, label="p99")],
            stat="p99",
        ),
        _graph(
            "Table capacity and throttles",
            [
                _metric("AWS/DynamoDB", "ConsumedReadCapacityUnits", table, label="read units"),
                _metric("AWS/DynamoDB", "ConsumedWriteCapacityUnits", table, label="write units"),
                _metric("AWS/DynamoDB", "ReadThrottleEvents", table, label="read throttles"),
                _metric("AWS/DynamoDB", "WriteThrottleEvents", table, label="write throttles"),
            ],
        ),
        _graph(
            "Table latency by operation (ms)",
            [
                _metric(
                    "AWS/DynamoDB",
                    "SuccessfulRequestLatency",
                    {**table, "Operation": operation},
                    label=operation,
                )
                for operation in TABLE_OPERATIONS
            ],
            stat="Average",
        ),
        {
            "type": "alarm",
            "width": WIDTH,
            "height": 4,
            "properties": {"title": "Alarms", "alarms": sorted(n.alarm_arns)},
        },
    ]
    for widget in widgets:
        widget["properties"].setdefault("region", n.region)
    return json.dumps({"widgets": widgets}, sort_keys=True)


def console_url(region: str, dashboard_name: str) -> str:
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#dashboards/dashboard/{dashboard_name}"
    )


@dataclass(frozen=True)
class DashboardArgs:
    #: Dashboards have no auto-naming: unique in the account (components/naming.py).
    dashboard_name: str
    load_balancer_arn_suffix: pulumi.Input[str]
    service_target_group_arn_suffix: pulumi.Input[str]
    function_target_group_arn_suffix: pulumi.Input[str]
    cluster_name: pulumi.Input[str]
    service_name: pulumi.Input[str]
    function_name: pulumi.Input[str]
    table_name: pulumi.Input[str]
    alarm_arns: Sequence[pulumi.Input[str]]


class Dashboard(pulumi.ComponentResource):
    url: pulumi.Output[str]

    def __init__(
        self, name: str, args: DashboardArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("picus:index:Dashboard", name, {}, opts)
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        names = pulumi.Output.all(
            region,
            args.load_balancer_arn_suffix,
            args.service_target_group_arn_suffix,
            args.function_target_group_arn_suffix,
            args.cluster_name,
            args.service_name,
            args.function_name,
            args.table_name,
            pulumi.Output.all(*args.alarm_arns),
        ).apply(lambda a: Names(*a))
        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=args.dashboard_name,
            dashboard_body=names.apply(dashboard_body),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.url = pulumi.Output.all(region, dashboard.dashboard_name).apply(
            lambda a: console_url(a[0], a[1])
        )
        self.register_outputs({"url": self.url})
