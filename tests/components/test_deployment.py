"""Every release of the service rolls back on its alarms; the strategies ECS would shift traffic
with are refused while the routing table has more service rules than ECS can own."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.validate import ParamValidator

from components.alarms import DEPLOYMENT_5XX_PERCENT
from components.deployment import (
    MAX_SHIFTED_RULES,
    DeploymentSettings,
    DeploymentStrategy,
    ecs_deployment_configuration,
    problems,
)
from components.stack_config import load
from picus.contract import CONTAINER_PORT
from picus.routing import RULES, Target
from tests.components.conftest import (
    PRODUCTION_REQUIRED,
    Stack,
    input_shape,
    service_target_group,
)
from tests.components.test_stack_config import Source, refusal

SERVICE_RULES = sum(1 for rule in RULES if rule.target is Target.SERVICE)


def settings(strategy: DeploymentStrategy, **changes: Any) -> DeploymentSettings:
    values: dict[str, Any] = {
        "bake_minutes": 10,
        "canary_percent": 5.0,
        "canary_bake_minutes": 10,
        "linear_step_percent": 10.0,
        "linear_step_bake_minutes": 6,
    }
    return DeploymentSettings(strategy, **{**values, **changes})


def report(operation: str, request: dict[str, Any]) -> str:
    result = ParamValidator().validate(request, input_shape("ecs", operation))
    return str(result.generate_report()) if result.has_errors() else ""


@pytest.mark.parametrize("strategy", list(DeploymentStrategy), ids=lambda s: s.value)
def test_each_strategy_is_a_deployment_configuration_ecs_accepts(
    strategy: DeploymentStrategy,
) -> None:
    configuration = ecs_deployment_configuration(settings(strategy), ["a", "b"])
    assert (
        configuration["strategy"]
        == {
            "rolling": "ROLLING",
            "canary": "CANARY",
            "linear": "LINEAR",
            "blueGreen": "BLUE_GREEN",
        }[strategy.value]
    )
    assert configuration["alarms"] == {"alarmNames": ["a", "b"], "enable": True, "rollback": True}
    update = {"service": "s", "deploymentConfiguration": configuration}
    create = {"serviceName": "s", "deploymentConfiguration": configuration}
    assert report("UpdateService", update) == ""
    assert report("CreateService", create) == ""
    # Each strategy carries only its own block: ECS refuses the others' (botocore's docs).
    assert ("canaryConfiguration" in configuration) == (strategy is DeploymentStrategy.CANARY)
    assert ("linearConfiguration" in configuration) == (strategy is DeploymentStrategy.LINEAR)
    assert ("deploymentCircuitBreaker" in configuration) == (not strategy.shifts_traffic)


def test_botocore_validation_catches_a_misshapen_configuration() -> None:
    # botocore checks types and required members (not enums): a bake time as text, alarms
    # without rollback.
    bad = {"strategy": "CANARY", "bakeTimeInMinutes": "10", "alarms": {"alarmNames": ["a"]}}
    assert report("UpdateService", {"service": "s", "deploymentConfiguration": bad})


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"bake_minutes": 1441}, "bakeTimeMinutes"),
        ({"canary_bake_minutes": -1}, "canaryBakeMinutes"),
        ({"linear_step_bake_minutes": 2000}, "linearStepBakeMinutes"),
        ({"canary_percent": 0.05}, "canaryPercent"),
        ({"canary_percent": 100.5}, "canaryPercent"),
        ({"linear_step_percent": 2.5}, "linearStepPercent"),
    ],
)
def test_settings_outside_ecs_ranges_are_refused(changes: dict[str, Any], key: str) -> None:
    (problem,) = problems(settings(DeploymentStrategy.ROLLING, **changes), 1)
    assert problem.startswith(f"picus:{key} ")


def test_ecs_ranges_edges_are_accepted() -> None:
    edges = settings(
        DeploymentStrategy.ROLLING,
        bake_minutes=1440,
        canary_bake_minutes=0,
        canary_percent=0.1,
        linear_step_percent=3.0,
    )
    assert problems(edges, 1) == []


@pytest.mark.parametrize(
    "strategy", [s for s in DeploymentStrategy if s.shifts_traffic], ids=lambda s: s.value
)
def test_a_shifting_strategy_needs_ecs_to_own_every_service_rule(
    strategy: DeploymentStrategy,
) -> None:
    assert problems(settings(strategy), MAX_SHIFTED_RULES) == []
    (problem,) = problems(settings(strategy), MAX_SHIFTED_RULES + 1)
    assert problem.startswith("picus:deploymentStrategy")
    assert f"puts {MAX_SHIFTED_RULES + 1} rules" in problem


@pytest.mark.parametrize("stack_file", ["dev", "prod"])
@pytest.mark.parametrize("strategy", [s.value for s in DeploymentStrategy if s.shifts_traffic])
def test_today_a_shifting_strategy_is_refused_at_preview(stack_file: str, strategy: str) -> None:
    required = PRODUCTION_REQUIRED if stack_file == "prod" else {}
    message = refusal(stack_file, **required, deploymentStrategy=strategy)
    assert f"picus:deploymentStrategy {strategy!r}" in message
    assert f"puts {SERVICE_RULES} rules" in message


def test_the_stack_files_deploy_rolling_and_bad_values_name_their_key() -> None:
    assert load(Source("dev"), "dev").deployment.strategy is DeploymentStrategy.ROLLING
    prod = load(Source("prod", **PRODUCTION_REQUIRED), "prod").deployment
    assert prod.strategy is DeploymentStrategy.ROLLING
    message = refusal("dev", deploymentStrategy="bigBang", canaryPercent="five")
    assert "picus:deploymentStrategy 'bigBang' is not one of rolling, canary" in message
    assert "picus:canaryPercent 'five' is not a number" in message


def _service_request(stack: Stack) -> dict[str, Any]:
    """The CreateService call the provider makes from the service's inputs."""
    state = stack.one("aws:ecs/service:Service")["state"]
    configuration = {
        **{k: v for k, v in state["deploymentConfiguration"].items() if v is not None},
        "alarms": state["alarms"],
        "deploymentCircuitBreaker": state["deploymentCircuitBreaker"],
        "minimumHealthyPercent": int(state["deploymentMinimumHealthyPercent"]),
        "maximumPercent": int(state["deploymentMaximumPercent"]),
    }
    return {
        "cluster": state["cluster"],
        "serviceName": "picus",
        "taskDefinition": state["taskDefinition"],
        "desiredCount": int(state["desiredCount"]),
        "launchType": state["launchType"],
        "loadBalancers": [
            {**b, "containerPort": int(b["containerPort"])} for b in state["loadBalancers"]
        ],
        "deploymentConfiguration": configuration,
        "healthCheckGracePeriodSeconds": int(state["healthCheckGracePeriodSeconds"]),
        "propagateTags": state["propagateTags"],
    }


def test_the_service_rolls_back_on_its_5xx_rate_and_p99(stack: Stack) -> None:
    request = _service_request(stack)
    assert report("CreateService", request) == ""
    configuration = request["deploymentConfiguration"]
    assert configuration["strategy"] == "ROLLING"
    # The circuit breaker stays: tasks that never become healthy roll back without an alarm.
    assert configuration["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert (configuration["minimumHealthyPercent"], configuration["maximumPercent"]) == (100, 200)
    alarms = configuration["alarms"]
    assert alarms["enable"] is True and alarms["rollback"] is True
    by_name = {
        a["state"]["name"]: a["state"] for a in stack.all("aws:cloudwatch/metricAlarm:MetricAlarm")
    }
    watched = [by_name[name] for name in alarms["alarmNames"]]
    target = {
        "LoadBalancer": stack.one("aws:lb/loadBalancer:LoadBalancer")["state"]["arnSuffix"],
        "TargetGroup": service_target_group(stack)["state"]["arnSuffix"],
    }
    (rate,) = [a for a in watched if "metricQueries" in a]
    metrics = {q["id"]: q["metric"] for q in rate["metricQueries"] if "metric" in q}
    assert {m["metricName"] for m in metrics.values()} == {
        "HTTPCode_Target_5XX_Count",
        "RequestCount",
    }
    assert all(m["dimensions"] == target for m in metrics.values()), "the service's answers"
    (expression,) = [q for q in rate["metricQueries"] if q.get("returnData")]
    assert "100 * FILL(errors, 0) / requests" in expression["expression"]
    assert rate["threshold"] == DEPLOYMENT_5XX_PERCENT
    (latency,) = [a for a in watched if "metricQueries" not in a]
    assert latency["metricName"] == "TargetResponseTime" and latency["extendedStatistic"] == "p99"
    assert latency["dimensions"] == target
    assert latency["threshold"] == int(stack.setting("p99LatencyMs")) / 1000
    (balancer,) = request["loadBalancers"]
    assert balancer["containerPort"] == CONTAINER_PORT
