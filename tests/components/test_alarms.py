from __future__ import annotations

from tests.components.conftest import Stack


def test_alarms_watch_what_users_feel(stack: Stack) -> None:
    alarms = stack.all("aws:cloudwatch/metricAlarm:MetricAlarm")
    metrics = {(a["state"]["namespace"], a["state"]["metricName"]) for a in alarms}
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
    latency = next(a for a in alarms if a["state"]["metricName"] == "TargetResponseTime")
    assert latency["state"]["extendedStatistic"] == "p99"
    alb = stack.one("aws:lb/loadBalancer:LoadBalancer")["state"]
    for alarm in alarms:
        dimensions = alarm["state"]["dimensions"]
        if "LoadBalancer" in dimensions:
            assert dimensions["LoadBalancer"] == alb["arnSuffix"], alarm["name"]


def test_alarms_notify_the_configured_topic(stack: Stack) -> None:
    alarms = stack.all("aws:cloudwatch/metricAlarm:MetricAlarm")
    topics = stack.all("aws:sns/topic:Topic")
    if "alarmEmail" not in stack.overrides:
        assert topics == []
        return
    (topic,) = topics
    subscription = stack.one("aws:sns/topicSubscription:TopicSubscription")["state"]
    assert (subscription["protocol"], subscription["endpoint"]) == (
        "email",
        stack.overrides["alarmEmail"],
    )
    for alarm in alarms:
        assert alarm["state"]["alarmActions"] == [topic["state"]["arn"]], alarm["name"]
