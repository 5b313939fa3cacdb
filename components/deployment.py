"""How a new revision of the service replaces the old one: the ``deploymentStrategy`` setting,
its percentages and bake times, and the rollback on alarms every strategy gets.

Every strategy rolls back on alarms. ECS watches the alarms it is given (the service's 5xx
rate and p99 latency, ``components/alarms.py``) during a deployment and rolls back to the last
deployment that completed when one of them fires ("DeploymentAlarms",
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentAlarms.html); the
circuit breaker still catches tasks that never become healthy. So a release whose ``/health``
is green but whose ``PUT`` answers 500 is rolled back by ECS, not only reported afterwards.

Why ``canary``, ``linear`` and ``blueGreen`` are refused today (issue 22): ECS shifts traffic by
rewriting the forward weights of ONE production listener rule per load balancer entry of the
service (``AdvancedConfiguration.productionListenerRule``,
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_AdvancedConfiguration.html), and
after a release that rule forwards to the other target group of the pair: the first one is
emptied (the ECS controller leaves the rule at green=100/blue=0, go-to-k/cdk-real-drift#1730).
This stack has one listener rule per route of ``picus.routing.RULES`` in front of the service,
each with its own scope check at the edge; a rule ECS does not own would keep forwarding to
the emptied group, and its route would answer 503 after the first release. Owning every rule
takes one load balancer entry, with its own target group pair, per rule, and ECS attaches at
most five target groups to a service ("Registering multiple target groups with an Amazon ECS
service", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/register-multiple-targetgroups.html),
so :data:`MAX_SHIFTED_RULES` rules at most; the JWT verifier cannot move off those rules
either, since an ALB rule ends in exactly one routing action and no rule hands a request on to
another. Until the service's rules fit, :func:`problems` refuses the shifting strategies at
``preview`` with this reason, instead of deploying a stack whose routes break at the first
release.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

import pulumi_aws as aws


class DeploymentStrategy(Enum):
    ROLLING = "rolling"
    CANARY = "canary"
    LINEAR = "linear"
    BLUE_GREEN = "blueGreen"

    @property
    def ecs_name(self) -> str:
        """The value of ECS's ``DeploymentConfiguration.strategy``."""
        return {"blueGreen": "BLUE_GREEN"}.get(self.value, self.value.upper())

    @property
    def shifts_traffic(self) -> bool:
        """Whether ECS moves traffic between two target groups (and rewrites listener rules)."""
        return self is not DeploymentStrategy.ROLLING


#: ECS's documented ranges (botocore's ECS model, CanaryConfiguration, LinearConfiguration and
#: DeploymentConfiguration.bakeTimeInMinutes): minutes 0..1440, a canary 0.1..100 % of the
#: traffic, a linear step 3..100 %.
BAKE_MINUTES: Final = range(0, 1441)
CANARY_PERCENT: Final = (0.1, 100.0)
LINEAR_STEP_PERCENT: Final = (3.0, 100.0)
#: Five target groups per service, two (the primary and the alternate) per shifted rule.
MAX_SERVICE_TARGET_GROUPS: Final = 5
MAX_SHIFTED_RULES: Final = MAX_SERVICE_TARGET_GROUPS // 2


@dataclass(frozen=True)
class DeploymentSettings:
    """Validated by ``components.stack_config``; defaults live in Pulumi.yaml."""

    strategy: DeploymentStrategy
    #: Minutes both revisions run after all traffic has moved, before the old one stops.
    bake_minutes: int
    canary_percent: float
    canary_bake_minutes: int
    linear_step_percent: float
    linear_step_bake_minutes: int


def problems(settings: DeploymentSettings, service_rules_per_listener: int) -> list[str]:
    """Every setting outside ECS's ranges, and a shifting strategy ECS cannot carry out here."""
    found: list[str] = []
    for key, minutes in (
        ("bakeTimeMinutes", settings.bake_minutes),
        ("canaryBakeMinutes", settings.canary_bake_minutes),
        ("linearStepBakeMinutes", settings.linear_step_bake_minutes),
    ):
        if minutes not in BAKE_MINUTES:
            found.append(f"picus:{key} must be 0..1440 minutes (ECS's range)")
    for key, percent, (low, high) in (
        ("canaryPercent", settings.canary_percent, CANARY_PERCENT),
        ("linearStepPercent", settings.linear_step_percent, LINEAR_STEP_PERCENT),
    ):
        if not low <= percent <= high:
            found.append(f"picus:{key} must be {low:g}..{high:g} % (ECS's range)")
    if settings.strategy.shifts_traffic and service_rules_per_listener > MAX_SHIFTED_RULES:
        found.append(
            f"picus:deploymentStrategy {settings.strategy.value!r}: ECS shifts traffic by "
            "rewriting one production listener rule per target group pair, at most "
            f"{MAX_SHIFTED_RULES} pairs per service, and the routing table puts "
            f"{service_rules_per_listener} rules (one per route, each checking its route's scope "
            "when auth is on) in front of "
            "the service; the rules ECS does not own would keep forwarding to the target group "
            "it empties after the first release. Use rolling (with rollback on alarms) until "
            "the service's routes fit (README, Deployment strategies)"
        )
    return found


def ecs_deployment_configuration(
    settings: DeploymentSettings, alarm_names: list[str]
) -> dict[str, Any]:
    """The service's ``deploymentConfiguration`` as ECS's CreateService and UpdateService take
    it; :func:`service_deployment_args` sends the same through pulumi-aws."""
    configuration: dict[str, Any] = {
        "strategy": settings.strategy.ecs_name,
        "alarms": {"alarmNames": alarm_names, "enable": True, "rollback": True},
    }
    if settings.strategy is DeploymentStrategy.ROLLING:
        # Zero downtime: a new task joins before an old one leaves; a revision whose tasks
        # never become healthy is rolled back without waiting for an alarm.
        configuration |= {
            "minimumHealthyPercent": 100,
            "maximumPercent": 200,
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        }
        return configuration
    configuration["bakeTimeInMinutes"] = settings.bake_minutes
    if settings.strategy is DeploymentStrategy.CANARY:
        configuration["canaryConfiguration"] = {
            "canaryPercent": settings.canary_percent,
            "canaryBakeTimeInMinutes": settings.canary_bake_minutes,
        }
    elif settings.strategy is DeploymentStrategy.LINEAR:
        configuration["linearConfiguration"] = {
            "stepPercent": settings.linear_step_percent,
            "stepBakeTimeInMinutes": settings.linear_step_bake_minutes,
        }
    return configuration


def service_deployment_args(
    settings: DeploymentSettings,
) -> aws.ecs.ServiceDeploymentConfigurationArgs:
    """The strategy as pulumi-aws's ``deployment_configuration`` (the rolling percentages, the
    circuit breaker and the alarms are arguments of the service itself there)."""
    ecs = ecs_deployment_configuration(settings, [])
    canary, linear = ecs.get("canaryConfiguration"), ecs.get("linearConfiguration")
    bake = ecs.get("bakeTimeInMinutes")
    return aws.ecs.ServiceDeploymentConfigurationArgs(
        strategy=ecs["strategy"],
        # The provider declares the bake time a string.
        bake_time_in_minutes=None if bake is None else str(bake),
        canary_configuration=(
            aws.ecs.ServiceDeploymentConfigurationCanaryConfigurationArgs(
                canary_percent=canary["canaryPercent"],
                canary_bake_time_in_minutes=str(canary["canaryBakeTimeInMinutes"]),
            )
            if canary
            else None
        ),
        linear_configuration=(
            aws.ecs.ServiceDeploymentConfigurationLinearConfigurationArgs(
                step_percent=linear["stepPercent"],
                step_bake_time_in_minutes=str(linear["stepBakeTimeInMinutes"]),
            )
            if linear
            else None
        ),
    )
