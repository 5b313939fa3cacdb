"""The dashboard: every metric is one CloudWatch publishes, about this stack's resources."""

from __future__ import annotations

import json
from typing import Any

from components.dashboard import TABLE_OPERATIONS
from components.policies import DELETE_TABLE_ACTIONS, SERVICE_TABLE_ACTIONS
from tests.components.cloudwatch_metrics import DYNAMODB_OPERATIONS, METRICS
from tests.components.conftest import Stack, service_target_group


def body(stack: Stack) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        stack.one("aws:cloudwatch/dashboard:Dashboard")["state"]["dashboardBody"]
    )
    return document


def metric_lines(stack: Stack) -> list[tuple[str, str, dict[str, str]]]:
    lines = []
    for widget in body(stack)["widgets"]:
        for line in widget["properties"].get("metrics", []):
            namespace, name, *rest = line
            pairs = [x for x in rest if not isinstance(x, dict)]
            lines.append((namespace, name, dict(zip(pairs[::2], pairs[1::2], strict=True))))
    return lines


def the_stacks_names(stack: Stack) -> dict[str, set[str]]:
    """What each dimension may name: this stack's own resources and nothing else."""
    alb = stack.one("aws:lb/loadBalancer:LoadBalancer")["state"]
    groups = {t["state"]["arnSuffix"] for t in stack.all("aws:lb/targetGroup:TargetGroup")}
    return {
        "LoadBalancer": {alb["arnSuffix"]},
        "TargetGroup": groups,
        "ClusterName": {stack.exports["clusterName"]},
        "ServiceName": {stack.exports["serviceName"]},
        "FunctionName": {stack.one("aws:lambda/function:Function")["state"]["name"]},
        "TableName": {stack.exports["tableName"]},
        "Operation": set(DYNAMODB_OPERATIONS),
    }


def test_every_metric_exists_with_its_dimensions_and_names_this_stack(stack: Stack) -> None:
    allowed = the_stacks_names(stack)
    lines = metric_lines(stack)
    assert len(lines) >= 20
    for namespace, name, dimensions in lines:
        published = METRICS.get((namespace, name))
        assert published is not None, f"CloudWatch has no {namespace} {name}"
        assert frozenset(dimensions) in published, f"{name} has no dimensions {set(dimensions)}"
        for key, value in dimensions.items():
            assert value in allowed[key], f"{name}: {key}={value} is not this stack's"


def test_the_dashboard_shows_what_operators_look_for(stack: Stack) -> None:
    lines = metric_lines(stack)
    names = {(namespace, name) for namespace, name, _ in lines}
    for namespace, name in [
        ("AWS/ApplicationELB", "RequestCount"),
        ("AWS/ApplicationELB", "TargetResponseTime"),
        ("ECS/ContainerInsights", "RunningTaskCount"),
        ("AWS/ECS", "CPUUtilization"),
        ("AWS/ECS", "MemoryUtilization"),
        ("AWS/Lambda", "Invocations"),
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Duration"),
        ("AWS/Lambda", "Throttles"),
        ("AWS/Lambda", "ConcurrentExecutions"),
        ("AWS/DynamoDB", "ConsumedReadCapacityUnits"),
        ("AWS/DynamoDB", "ReadThrottleEvents"),
    ]:
        assert (namespace, name) in names, name
    # Errors split by who answered: the service's target group, the function's, the ALB.
    service_group = service_target_group(stack)["state"]["arnSuffix"]
    by_group = {
        (name, d.get("TargetGroup")) for _, name, d in lines if name.startswith("HTTPCode_Target_")
    }
    groups = {g for _, g in by_group}
    assert len(groups) == 2 and service_group in groups
    assert {n for n, _ in by_group} == {"HTTPCode_Target_4XX_Count", "HTTPCode_Target_5XX_Count"}
    stats = {
        line[-1].get("stat")
        for w in body(stack)["widgets"]
        for line in w["properties"].get("metrics", [])
        if line[1] == "TargetResponseTime"
    }
    assert stats == {"p50", "p99"}
    # Latency for every operation the code calls, per the roles' grants.
    granted = {a.split(":")[1] for a in SERVICE_TABLE_ACTIONS + DELETE_TABLE_ACTIONS}
    assert set(TABLE_OPERATIONS) == granted
    shown = {d["Operation"] for _, n, d in lines if n == "SuccessfulRequestLatency"}
    assert shown == granted


def test_the_alarm_widget_holds_every_alarm_and_the_url_is_exported(stack: Stack) -> None:
    (widget,) = [w for w in body(stack)["widgets"] if w["type"] == "alarm"]
    alarms = {a["state"]["arn"] for a in stack.all("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert set(widget["properties"]["alarms"]) == alarms and alarms
    dashboard = stack.one("aws:cloudwatch/dashboard:Dashboard")["state"]
    assert stack.exports["dashboardUrl"].endswith(
        f"#dashboards/dashboard/{dashboard['dashboardName']}"
    )
    assert "region=eu-west-1" in stack.exports["dashboardUrl"]
    for widget in body(stack)["widgets"]:
        assert widget["properties"]["region"] == "eu-west-1"
