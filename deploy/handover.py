"""What a hand-back of the canary's share reads of AWS: how many tasks the canary runs, whether
the primary runs at least that many, and the weights the listener's rules really apply."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from components.deployment import RELEASE_HEADER
from deploy.check import POLL_S, ROLLOUT_PATIENCE_S, CheckFailed


def running_tasks(ecs: Any, cluster: str, service: str) -> int:
    """The tasks a service runs now."""
    (described,) = ecs.describe_services(cluster=cluster, services=[service])["services"]
    return int(described.get("runningCount", 0))


@dataclass(frozen=True)
class Primary:
    """The primary service, its revision the last ``up`` registered, and its target group."""

    cluster: str
    service: str
    revision: str
    target_group_arn: str


def healthy_targets(elbv2: Any, target_group_arn: str) -> int:
    described = elbv2.describe_target_health(TargetGroupArn=target_group_arn)
    return sum(
        1
        for target in described.get("TargetHealthDescriptions", [])
        if target.get("TargetHealth", {}).get("State") == "healthy"
    )


def await_tasks(
    ecs: Any,
    elbv2: Any,
    primary: Primary,
    tasks: int,
    watch: Callable[[], None] = lambda: None,
    sleep: Callable[[float], None] = time.sleep,
    patience_s: float = ROLLOUT_PATIENCE_S,
) -> str:
    """Waits until the primary runs at least ``tasks`` of its revision, rolled out, each
    healthy in its target group (a running task may still be starting, or failing its checks)."""
    deadline = time.monotonic() + patience_s
    while True:
        (described,) = ecs.describe_services(cluster=primary.cluster, services=[primary.service])[
            "services"
        ]
        deployment: dict[str, Any] = next(
            (d for d in described.get("deployments", []) if d.get("status") == "PRIMARY"), {}
        )
        if deployment.get("taskDefinition") not in (None, primary.revision):
            raise CheckFailed(
                f"{primary.service} runs {deployment.get('taskDefinition')}, not "
                f"{primary.revision}: ECS rolled it back"
            )
        running, desired = deployment.get("runningCount", 0), deployment.get("desiredCount", 0)
        settled = deployment.get("rolloutState") == "COMPLETED" and running >= desired >= tasks
        healthy = healthy_targets(elbv2, primary.target_group_arn) if settled else 0
        if settled and healthy >= tasks:
            return (
                f"ECS: {primary.service} runs {healthy} healthy task(s), at least the "
                f"canary's {tasks}"
            )
        watch()
        if time.monotonic() > deadline:
            raise CheckFailed(
                f"{primary.service} runs {running} of {desired} task(s), {healthy} healthy, not "
                f"the canary's {tasks}, after {patience_s:.0f} s"
            )
        sleep(POLL_S)


def _rules(elbv2: Any, listener_arn: str) -> Iterator[dict[str, Any]]:
    for page in elbv2.get_paginator("describe_rules").paginate(ListenerArn=listener_arn):
        yield from page.get("Rules", [])


def _is_test_rule(rule: dict[str, Any]) -> bool:
    """A test rule sends the release header's requests to the canary alone, whatever the share."""
    return any(
        c.get("Field") == "http-header"
        and c.get("HttpHeaderConfig", {}).get("HttpHeaderName", "").lower()
        == RELEASE_HEADER.lower()
        for c in rule.get("Conditions", [])
    )


def canary_weights(elbv2: Any, listener_arn: str, canary_group_arn: str) -> dict[str, int]:
    """Each serving rule's forward weight to the canary's group (test rules aside)."""
    weights: dict[str, int] = {}
    for rule in _rules(elbv2, listener_arn):
        if _is_test_rule(rule):
            continue
        for action in rule.get("Actions", []):
            groups = action.get("ForwardConfig", {}).get("TargetGroups", [])
            for group in groups:
                if group.get("TargetGroupArn") == canary_group_arn:
                    weights[str(rule.get("Priority"))] = int(group.get("Weight", 0))
    return weights


def confirm_weight(elbv2: Any, listener_arn: str, canary_group_arn: str, weight: int) -> str:
    """CheckFailed unless every serving rule sends the canary exactly ``weight``."""
    weights = canary_weights(elbv2, listener_arn, canary_group_arn)
    off = {priority: w for priority, w in weights.items() if w != weight}
    if not weights or off:
        raise CheckFailed(
            f"the listener's rules send the canary {off or 'nothing'}, not {weight} on each "
            "rule: its tasks stay until they do"
        )
    return f"ALB: {len(weights)} rule(s) send the canary {weight} %"
