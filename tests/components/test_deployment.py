"""A release of the service: both services roll back on their own, the canary beside the primary
takes a share of every service rule by weight, its test rules reach it alone, and the strategies'
steps are one table."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.validate import ParamValidator

from components.alarms import DEPLOYMENT_5XX_PERCENT
from components.deployment import (
    RELEASE_HEADER,
    DeploymentSettings,
    DeploymentStrategy,
    canary_capacity,
    ecs_deployment_configuration,
    primary_capacity,
    problems,
    shift_steps,
    twin_priority,
)
from components.stack_config import load
from picus.contract import CONTAINER_PORT
from picus.routing import RULES, RoutingRule, Target, rule_for
from tests.components.conftest import (
    NEXT_IMAGE,
    PRODUCTION_REQUIRED,
    RUNNING_IMAGE,
    Stack,
    harness,
    input_shape,
    service_target_group,
)
from tests.components.test_listener_rules import serving_listeners
from tests.components.test_stack_config import Source, refusal

HEADER = "0123456789abcdef" * 3


def settings(strategy: DeploymentStrategy, **changes: Any) -> DeploymentSettings:
    values: dict[str, Any] = {
        "bake_minutes": 10,
        "canary_percent": 5,
        "canary_bake_minutes": 10,
        "linear_step_percent": 30,
        "linear_step_bake_minutes": 6,
        "release_header": HEADER,
    }
    return DeploymentSettings(strategy, **{**values, **changes})


def report(operation: str, request: dict[str, Any]) -> str:
    result = ParamValidator().validate(request, input_shape("ecs", operation))
    return str(result.generate_report()) if result.has_errors() else ""


def test_both_services_deploy_rolling_with_the_breaker_and_alarm_rollback() -> None:
    configuration = ecs_deployment_configuration(["a", "b"])
    assert configuration["strategy"] == "ROLLING"
    assert configuration["alarms"] == {"alarmNames": ["a", "b"], "enable": True, "rollback": True}
    assert configuration["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert report("UpdateService", {"service": "s", "deploymentConfiguration": configuration}) == ""
    assert (
        report("CreateService", {"serviceName": "s", "deploymentConfiguration": configuration})
        == ""
    )


def test_the_strategies_steps_are_one_table() -> None:
    assert shift_steps(settings(DeploymentStrategy.ROLLING)) == []
    assert shift_steps(settings(DeploymentStrategy.CANARY)) == [(5, 10)]
    # 30, 60, 90, then everything, which bakes the final bake time.
    assert shift_steps(settings(DeploymentStrategy.LINEAR)) == [
        (30, 6),
        (60, 6),
        (90, 6),
        (100, 10),
    ]
    assert shift_steps(settings(DeploymentStrategy.BLUE_GREEN)) == [(100, 10)]


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"bake_minutes": 1441}, "bakeTimeMinutes"),
        ({"canary_bake_minutes": -1}, "canaryBakeMinutes"),
        ({"linear_step_bake_minutes": 2000}, "linearStepBakeMinutes"),
        ({"canary_percent": 0}, "canaryPercent"),
        ({"canary_percent": 100}, "canaryPercent"),
        ({"linear_step_percent": 0}, "linearStepPercent"),
        ({"canary_weight": 101, "canary_image_uri": NEXT_IMAGE}, "canaryWeight"),
        ({"release_header": "short"}, "releaseHeader"),
        ({"release_header": "a*" * 20}, "releaseHeader"),
    ],
)
def test_settings_out_of_range_are_refused(changes: dict[str, Any], key: str) -> None:
    (problem,) = problems(settings(DeploymentStrategy.ROLLING, **changes), RUNNING_IMAGE)
    assert problem.startswith(f"picus:{key} ")


def test_a_canary_the_stack_cannot_run_is_refused() -> None:
    # A share with no canary: those requests would meet an empty target group.
    (weight,) = problems(settings(DeploymentStrategy.CANARY, canary_weight=5), RUNNING_IMAGE)
    assert weight.startswith("picus:canaryWeight above 0 needs picus:canaryImageUri")
    # The execution role pulls from the running image's repository only.
    other = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/other@sha256:" + "ef" * 32
    (repository,) = problems(
        settings(DeploymentStrategy.CANARY, canary_image_uri=other), RUNNING_IMAGE
    )
    assert "imageUri's repository" in repository
    (no_primary,) = problems(settings(DeploymentStrategy.CANARY, canary_image_uri=NEXT_IMAGE), None)
    assert no_primary.startswith("picus:canaryImageUri needs picus:imageUri")
    for strategy in (s for s in DeploymentStrategy if s.shifts_traffic):
        (header,) = problems(settings(strategy, release_header=None), RUNNING_IMAGE)
        assert header.startswith("picus:releaseHeader: picus:deploymentStrategy")
    assert problems(settings(DeploymentStrategy.ROLLING, release_header=None), None) == []


def test_the_stack_files_release_dev_rolling_and_prod_by_canary() -> None:
    assert load(Source("dev"), "dev").deployment.strategy is DeploymentStrategy.ROLLING
    prod = load(Source("prod", **PRODUCTION_REQUIRED), "prod").deployment
    assert prod.strategy is DeploymentStrategy.CANARY and prod.canary_weight == 0
    assert not prod.canary_active
    without = {**PRODUCTION_REQUIRED, "releaseHeader": ""}
    assert "picus:releaseHeader: picus:deploymentStrategy 'canary'" in refusal("prod", **without)
    message = refusal("dev", deploymentStrategy="bigBang", canaryPercent="five", canaryWeight="9")
    assert "picus:deploymentStrategy 'bigBang' is not one of rolling, canary" in message
    assert "picus:canaryPercent 'five' is not an integer" in message
    assert "picus:canaryWeight above 0 needs picus:canaryImageUri" in message


def test_canary_capacity_follows_the_strategy() -> None:
    idle = settings(DeploymentStrategy.BLUE_GREEN)
    assert canary_capacity(idle, 2, 3, 10) == (0, 0)
    for strategy, bounds in (
        (DeploymentStrategy.CANARY, (2, 10)),
        (DeploymentStrategy.LINEAR, (2, 10)),
        (DeploymentStrategy.BLUE_GREEN, (3, 10)),
    ):
        assert canary_capacity(settings(strategy, canary_image_uri=NEXT_IMAGE), 2, 3, 10) == bounds


def test_a_hand_back_holds_the_primary_at_the_canarys_tasks_within_its_range() -> None:
    for held, bounds in ((0, (2, 10)), (1, (2, 10)), (6, (6, 10)), (12, (10, 10))):
        release = settings(DeploymentStrategy.CANARY, handover_count=held)
        assert primary_capacity(release, 2, 10) == bounds


def test_the_handover_count_reaches_the_primarys_scalable_target() -> None:
    result = harness("dev", "dev", {"handoverCount": "2", "maxCount": "3"})
    assert result.returncode == 0, result.stderr[-2000:]
    targets = [r for r in json.loads(result.stdout)["resources"]
               if r["type"] == "aws:appautoscaling/target:Target"]  # fmt: skip
    (primary,) = [t["state"] for t in targets if t["name"].endswith("-api-scaling")]
    assert (primary["minCapacity"], primary["maxCapacity"]) == (2, 3)
    refused = harness("dev", "dev", {"handoverCount": "4", "maxCount": "3"})
    assert "picus:handoverCount must be 0..picus:maxCount" in json.loads(refused.stdout)["refused"]


# Under the mocks, every stack and variant.


def _services(stack: Stack) -> dict[str, dict[str, Any]]:
    return {
        ("canary" if s["name"].endswith("-canary") else "primary"): s
        for s in stack.all("aws:ecs/service:Service")
    }


def _service_request(stack: Stack, service: dict[str, Any]) -> dict[str, Any]:
    """The CreateService call the provider makes from a service's inputs."""
    state = service["state"]
    configuration = {
        **{k: v for k, v in state["deploymentConfiguration"].items() if v is not None},
        "deploymentCircuitBreaker": state["deploymentCircuitBreaker"],
        "minimumHealthyPercent": int(state["deploymentMinimumHealthyPercent"]),
        "maximumPercent": int(state["deploymentMaximumPercent"]),
    }
    if state.get("alarms"):
        configuration["alarms"] = state["alarms"]
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


def _alarms(stack: Stack) -> dict[str, dict[str, Any]]:
    return {
        a["state"]["name"]: a["state"] for a in stack.all("aws:cloudwatch/metricAlarm:MetricAlarm")
    }


def _group_of(stack: Stack, which: str) -> dict[str, Any]:
    """The primary's (``-tg``) or the canary's (``-canary-tg``) target group."""
    if which == "-tg":
        return service_target_group(stack)
    return stack.one("aws:lb/targetGroup:TargetGroup", which)


def _check_rate_and_p99(stack: Stack, names: list[str], target_group: dict[str, Any]) -> None:
    by_name = _alarms(stack)
    watched = [by_name[name] for name in names]
    target = {
        "LoadBalancer": stack.one("aws:lb/loadBalancer:LoadBalancer")["state"]["arnSuffix"],
        "TargetGroup": target_group["state"]["arnSuffix"],
    }
    (rate,) = [a for a in watched if "metricQueries" in a]
    metrics = {q["id"]: q["metric"] for q in rate["metricQueries"] if "metric" in q}
    assert {m["metricName"] for m in metrics.values()} == {
        "HTTPCode_Target_5XX_Count",
        "RequestCount",
    }
    assert all(m["dimensions"] == target for m in metrics.values()), "the group's answers"
    (expression,) = [q for q in rate["metricQueries"] if q.get("returnData")]
    assert "100 * FILL(errors, 0) / requests" in expression["expression"]
    assert rate["threshold"] == DEPLOYMENT_5XX_PERCENT
    (latency,) = [a for a in watched if "metricQueries" not in a]
    assert latency["metricName"] == "TargetResponseTime" and latency["extendedStatistic"] == "p99"
    assert latency["dimensions"] == target
    assert latency["threshold"] == int(stack.setting("p99LatencyMs")) / 1000


def test_the_primary_rolls_back_on_its_5xx_rate_and_p99(stack: Stack) -> None:
    request = _service_request(stack, _services(stack)["primary"])
    assert report("CreateService", request) == ""
    configuration = request["deploymentConfiguration"]
    assert configuration["strategy"] == "ROLLING"
    # The circuit breaker stays: tasks that never become healthy roll back without an alarm.
    assert configuration["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert (configuration["minimumHealthyPercent"], configuration["maximumPercent"]) == (100, 200)
    alarms = configuration["alarms"]
    assert alarms["enable"] is True and alarms["rollback"] is True
    _check_rate_and_p99(stack, alarms["alarmNames"], service_target_group(stack))
    (balancer,) = request["loadBalancers"]
    assert balancer["containerPort"] == CONTAINER_PORT


def test_the_canary_is_a_second_service_judged_like_the_primary(stack: Stack) -> None:
    services = _services(stack)
    request = _service_request(stack, services["canary"])
    assert report("CreateService", request) == ""
    assert request["deploymentConfiguration"]["deploymentCircuitBreaker"] == {
        "enable": True,
        "rollback": True,
    }
    primary_group, canary_group = _group_of(stack, "-tg"), _group_of(stack, "-canary-tg")
    assert primary_group["urn"] != canary_group["urn"]
    assert primary_group == service_target_group(stack)
    (balancer,) = request["loadBalancers"]
    assert balancer["targetGroupArn"] == canary_group["state"]["arn"]
    assert canary_group["state"]["healthCheck"] == primary_group["state"]["healthCheck"]
    assert canary_group["state"]["targetType"] == "ip"
    # Its alarms: the primary's two, on its own group, exported for the deploy job.
    _check_rate_and_p99(stack, stack.exports["canaryAlarmNames"], canary_group)


def test_the_canary_reaches_what_the_primary_reaches_and_nothing_else(stack: Stack) -> None:
    tasks = {
        t["state"]["family"].rsplit("-", 1)[-1]: t["state"]
        for t in stack.all("aws:ecs/taskDefinition:TaskDefinition")
    }
    primary, canary = tasks["service"], tasks["canary"]
    # The same roles, hence the same table and repositories only.
    assert canary["taskRoleArn"] == primary["taskRoleArn"]
    assert canary["executionRoleArn"] == primary["executionRoleArn"]
    (p,), (c,) = (
        json.loads(primary["containerDefinitions"]),
        json.loads(canary["containerDefinitions"]),
    )
    expected = stack.setting("canaryImageUri") or p["image"]
    assert c["image"] == expected
    assert {**c, "image": None} == {**p, "image": None}, "the same container but its image"


def test_the_canary_runs_tasks_only_with_a_canary_image(stack: Stack) -> None:
    targets = {t["name"]: t["state"] for t in stack.all("aws:appautoscaling/target:Target")}
    (primary,) = [s for n, s in targets.items() if n.endswith("-api-scaling")]
    (canary,) = [s for n, s in targets.items() if n.endswith("-api-canary-scaling")]
    active = bool(stack.setting("canaryImageUri"))
    bounds = (int(canary["minCapacity"]), int(canary["maxCapacity"]))
    if not active:
        assert bounds == (0, 0)
    else:
        assert bounds == (int(stack.setting("minCount")), int(stack.setting("maxCount")))
    # While a canary holds a share, the primary keeps the capacity it had.
    assert primary["suspendedState"]["dynamicScalingInSuspended"] is active
    assert canary["suspendedState"]["dynamicScalingInSuspended"] is False
    policies = [p["name"] for p in stack.all("aws:appautoscaling/policy:Policy")]
    assert sum("-api-canary-" in name for name in policies) == 2, "it scales on its own share"


def _weights(action: dict[str, Any]) -> dict[str, int]:
    return {g["arn"]: int(g["weight"]) for g in action["forward"]["targetGroups"]}


def test_every_service_rule_forwards_to_both_groups_by_the_canary_weight(stack: Stack) -> None:
    primary, canary = _group_of(stack, "-tg"), _group_of(stack, "-canary-tg")
    weight = int(stack.setting("canaryWeight") or 0)
    expected = {primary["state"]["arn"]: 100 - weight, canary["state"]["arn"]: weight}
    production = [
        r for r in stack.all("aws:lb/listenerRule:ListenerRule") if "-test-rule-" not in r["name"]
    ]
    forwarding = [r for r in production if "forward" in r["state"]["actions"][-1]]
    service_rules = [r for r in RULES if r.target is Target.SERVICE]
    assert len(forwarding) == len(service_rules) * len(serving_listeners(stack))
    for rule in forwarding:
        *checks, forward = rule["state"]["actions"]
        assert forward["type"] == "forward" and "targetGroupArn" not in forward, rule["name"]
        assert _weights(forward) == expected, rule["name"]
        assert all(c["order"] < forward["order"] for c in checks), "token first, as before"


#: How Pulumi marks a secret value in a resource's state.
SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"


def _plain(value: Any) -> Any:
    """A state value, unwrapped if Pulumi marked it secret."""
    if isinstance(value, dict) and SECRET_SIGNATURE in value:
        return value["value"]
    return value


def test_the_release_header_is_kept_secret(stack: Stack) -> None:
    twins = [r for r in stack.all("aws:lb/listenerRule:ListenerRule") if "-test-rule-" in r["name"]]
    for twin in twins:
        assert SECRET_SIGNATURE in twin["state"]["conditions"], twin["name"]


def _matches(rule: dict[str, Any], method: str, path: str, header: str | None) -> bool:
    conditions = _plain(rule["state"]["conditions"])
    (pattern,) = [c["pathPattern"]["values"][0] for c in conditions if "pathPattern" in c]
    methods = [
        v for c in conditions if "httpRequestMethod" in c for v in c["httpRequestMethod"]["values"]
    ]
    headers = [c["httpHeader"] for c in conditions if "httpHeader" in c]
    routing = RoutingRule(0, tuple(methods), pattern, Target.SERVICE)
    if not routing.matches(method, path):
        return False
    return all(h["httpHeaderName"] == RELEASE_HEADER and header in h["values"] for h in headers)


REQUESTS = [
    (method, path)
    for method in ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH")
    for path in (
        "/health",
        "/openapi.json",
        "/docs",
        "/picus/put",
        "/picus/get/k",
        "/picus/list",
        "/picus/k",
        "/picus/",
        "/admin",
        "/",
    )
]


def test_the_test_rules_reach_the_canary_alone_and_widen_nothing(stack: Stack) -> None:
    header = stack.setting("releaseHeader") or None
    canary_arn = _group_of(stack, "-canary-tg")["state"]["arn"]
    for listener in serving_listeners(stack):
        rules = sorted(
            (
                r
                for r in stack.all("aws:lb/listenerRule:ListenerRule")
                if r["state"]["listenerArn"] == listener["state"]["arn"]
            ),
            key=lambda r: r["state"]["priority"],
        )
        twins = [r for r in rules if "-test-rule-" in r["name"]]
        service_rules = [r for r in RULES if r.target is Target.SERVICE]
        assert len(twins) == (len(service_rules) if header else 0), listener["name"]
        by_priority = {int(r["state"]["priority"]): r for r in rules}
        for definition in service_rules if header else []:
            twin = by_priority[twin_priority(definition.priority)]
            production = by_priority[definition.priority]
            *twin_checks, twin_forward = twin["state"]["actions"]
            *checks, _ = production["state"]["actions"]
            assert twin_checks == checks, "the same token and scope checks"
            assert _weights(twin_forward) == {canary_arn: 100}, twin["name"]
        for method, path in REQUESTS:
            expected = rule_for(method, path)

            def first(
                sent: str | None,
                method: str = method,
                path: str = path,
                rules: list[dict[str, Any]] = rules,
            ) -> Any:
                return next((r for r in rules if _matches(r, method, path, sent)), None)

            # Without the header, or with a wrong one: exactly today's rule.
            for sent in (None, "wrong"):
                matched = first(sent)
                priority = None if matched is None else int(matched["state"]["priority"])
                assert priority == (expected and expected.priority), (method, path, sent)
            if header is None:
                continue
            # With it: the same route's twin, or the same non-service rule (DELETE).
            matched = first(header)
            if expected is None:
                assert matched is None, (method, path)
            elif expected.target is Target.SERVICE:
                assert int(matched["state"]["priority"]) == twin_priority(expected.priority)
            else:
                assert int(matched["state"]["priority"]) == expected.priority, (method, path)
