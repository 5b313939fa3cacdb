"""What a hand-back of the canary's share reads of AWS: how many tasks the canary runs, whether
the primary runs at least that many, and the weights the listener's rules really apply."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from components.deployment import RELEASE_HEADER
from deploy.check import POLL_S, ROLLOUT_PATIENCE_S, CheckFailed


def running_tasks(ecs: Any, cluster: str, service: str) -> int:
    (described,) = ecs.describe_services(cluster=cluster, services=[service])["services"]
    return int(described.get("runningCount", 0))


def await_tasks(
    ecs: Any,
    cluster: str,
    service: str,
    tasks: int,
    watch: Callable[[], None] = lambda: None,
    sleep: Callable[[float], None] = time.sleep,
    patience_s: float = ROLLOUT_PATIENCE_S,
) -> str:
    """Waits until ``service`` wants and runs at least ``tasks``, its rollout completed."""
    deadline = time.monotonic() + patience_s
    while True:
        (described,) = ecs.describe_services(cluster=cluster, services=[service])["services"]
        primary: dict[str, Any] = next(
            (d for d in described.get("deployments", []) if d.get("status") == "PRIMARY"), {}
        )
        running, desired = primary.get("runningCount", 0), primary.get("desiredCount", 0)
        if primary.get("rolloutState") == "COMPLETED" and running >= desired >= tasks:
            return f"ECS: {service} runs {running} task(s), at least the canary's {tasks}"
        watch()
        if time.monotonic() > deadline:
            raise CheckFailed(
                f"{service} runs {running} of {desired} task(s), not the canary's {tasks}, after "
                f"{patience_s:.0f} s"
            )
        sleep(POLL_S)


def _rules(elbv2: Any, listener_arn: str) -> Iterator[dict[str, Any]]:
    request = {"ListenerArn": listener_arn}
    while True:
        page = elbv2.describe_rules(**request)
        yield from page.get("Rules", [])
        if not page.get("NextMarker"):
            return
        request["Marker"] = page["NextMarker"]


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
