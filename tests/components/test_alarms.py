from __future__ import annotations

from typing import Any

from tests.components.conftest import Stack


def metrics_of(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """The metrics an alarm reads: its own, or each metric of its metric math."""
    state = alarm["state"]
    if "metricQueries" in state:
        return [q["metric"] for q in state["metricQueries"] if "metric" in q]
    return [state]


def test_alarms_watch_what_users_feel(stack: Stack) -> None:
    alarms = stack.all("aws:cloudwatch/metricAlarm:MetricAlarm")
    metrics = {(m["namespace"], m["metricName"]) for a in alarms for m in metrics_of(a)}
    assert metrics >= {
        ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count"),
        ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"),
        ("AWS/ApplicationELB", "UnHealthyHostCount"),
        ("AWS/ApplicationELB", "TargetResponseTime"),
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
        ("AWS/DynamoDB", "ReadThrottleEvents"),
        ("AWS/DynamoDB", "WriteThrottleEvents"),
    }
    latency = next(a for a in alarms if a["state"].get("metricName") == "TargetResponseTime")
    assert latency["state"]["extendedStatistic"] == "p99"
    alb = stack.one("aws:lb/loadBalancer:LoadBalancer")["state"]
    for alarm in alarms:
        for metric in metrics_of(alarm):
            dimensions = metric["dimensions"]
            if "LoadBalancer" in dimensions:
                assert dimensions["LoadBalancer"] == alb["arnSuffix"], alarm["name"]


def test_alarms_notify_the_configured_topic(stack: Stack) -> None:
    alarms = stack.all("aws:cloudwatch/metricAlarm:MetricAlarm")
    topics = stack.all("aws:sns/topic:Topic")
    expected = [stack.setting("alarmTopicArn")] if stack.setting("alarmTopicArn") else []
    if not stack.setting("alarmEmail"):
        assert topics == []
    else:
        (topic,) = topics
        subscription = stack.one("aws:sns/topicSubscription:TopicSubscription")["state"]
        assert (subscription["protocol"], subscription["endpoint"]) == (
            "email",
            stack.setting("alarmEmail"),
        )
        expected.append(topic["state"]["arn"])
    if stack.setting("production") == "true":
        assert expected, f"{stack.variant}: a production stack's alarms reach nobody"
    for alarm in alarms:
        assert alarm["state"]["alarmActions"] == expected, alarm["name"]
        assert alarm["state"]["okActions"] == expected, alarm["name"]


def test_every_target_groups_5xx_alarms(stack: Stack) -> None:
    # The DELETE function answers its failures as 5xx without raising, so Lambda's Errors
    # metric stays 0: only the load balancer's per-target-group count sees them.
    watched = {
        m["dimensions"].get("TargetGroup")
        for a in stack.all("aws:cloudwatch/metricAlarm:MetricAlarm")
        for m in metrics_of(a)
        if m["metricName"] == "HTTPCode_Target_5XX_Count"
    }
    groups = {t["state"]["arnSuffix"] for t in stack.all("aws:lb/targetGroup:TargetGroup")}
    # The primary's, the canary's and the function's.
    assert len(groups) == 3
    assert watched == groups


def test_every_alarm_watches_a_metric_cloudwatch_publishes(stack: Stack) -> None:
    from tests.components.cloudwatch_metrics import METRICS

    for alarm in stack.all("aws:cloudwatch/metricAlarm:MetricAlarm"):
        for metric in metrics_of(alarm):
            published = METRICS.get((metric["namespace"], metric["metricName"]))
            assert published is not None, alarm["name"]
            assert frozenset(metric["dimensions"]) in published, alarm["name"]
