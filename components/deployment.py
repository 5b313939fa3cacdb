"""How a new revision of the service replaces the old one: the ``deploymentStrategy`` setting,
the canary beside the primary service, and the steps the deploy job takes for each strategy.

**Why not ECS's own CANARY, LINEAR and BLUE_GREEN.** Two reasons, each enough:

- AWS documents that ECS's blue/green deployments (and linear and canary, which run on the same
  machinery) are not supported when the load balancer's listener rules mix forward actions with
  other actions (fixed-response, redirect, authentication): "Application Load Balancer resources
  for blue/green deployments", *Limitations*
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb-resources-for-blue-green.html;
  the limitation reads in the de_de and es_es editions of that page). This listener's default
  action is a fixed 404 (deny by default), and with auth on every rule is ``jwt-validation``
  then ``forward`` (components/jwt_validation.py).
- ECS shifts traffic by rewriting the weights of ONE production listener rule per load balancer
  entry of the service (``AdvancedConfiguration.productionListenerRule``,
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_AdvancedConfiguration.html),
  and a service takes at most five target groups ("Registering multiple target groups with an
  Amazon ECS service", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/register-multiple-targetgroups.html).
  The routing table (``picus.routing.RULES``) puts eleven rules (twelve with CORS) in front of
  the service, most with a scope check of their own: a rule ECS does not own would keep
  forwarding to the group it empties after a release.

**What this stack does instead.** Two ECS services in the one cluster, each on its own target
group with the same health check (``components/load_balancer.py``, one function builds both):

- the *primary* (``{name}-service``): autoscaled, rolling 100/200 %, circuit breaker, rolled back
  by ECS when its 5xx rate or p99 alarm fires during a deployment ("DeploymentAlarms",
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentAlarms.html);
- the *canary* (``{name}-canary``): runs ``canaryImageUri`` with a task definition of its own and
  the primary's roles; no canary image, no tasks (its capacity is 0..0).

Every listener rule that forwards to the service forwards to BOTH groups, with the weights
``100 - canaryWeight`` and ``canaryWeight`` (``components/listener_rules.py``), its
``jwt-validation`` first as before: the edge stays exactly as it is, deny by default, one scope
per route. The weights are Pulumi's, set by config and ``pulumi up``; nothing else edits a
rule, so there is no drift to ignore. The deploy job (``deploy/canary.py``) drives a release by
setting ``canaryImageUri`` and ``canaryWeight`` and running ``up``, step by step
(:func:`shift_steps`), watching the canary group's own alarms between steps, and rolls back
(weight 0, no canary image) on an alarm or a failed walkthrough.

**The test rules.** Before any production traffic, the deploy job runs the walkthrough against
the canary alone, through a header only it sends (:data:`RELEASE_HEADER`, its value the secret
setting ``releaseHeader``). Each service rule gets a twin just before it (:func:`twin_priority`)
with the same conditions, the same ``jwt-validation`` (the route's scope included) and that
header, forwarding to the canary group only. So a request with the header is routed to the same
route, checked the same way, and reaches the canary; a request without it matches no twin and
is routed exactly as before; DELETE has no service rule, hence no twin, and its rule comes first.
Why a header rather than a test listener on another port: a port needs its own listener, an
ingress rule open to wherever CI runs (GitHub's runners have no fixed addresses) and copies of
every rule; a header rides the same listener, certificate and firewall. The header chooses a
revision, never a permission: knowing it opens nothing the token does not.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

import pulumi
import pulumi_aws as aws

from picus.routing import Target, serving_rules


class DeploymentStrategy(Enum):
    ROLLING = "rolling"
    CANARY = "canary"
    LINEAR = "linear"
    BLUE_GREEN = "blueGreen"

    @property
    def shifts_traffic(self) -> bool:
        """Whether the deploy job moves traffic through the canary service first."""
        return self is not DeploymentStrategy.ROLLING


#: Minutes a step may bake: 0 (check the alarms once) up to a day.
BAKE_MINUTES: Final = range(0, 1441)
#: A canary's first share, in % of each service rule's traffic (the rules' forward weights).
CANARY_PERCENT: Final = range(1, 100)
#: Each linear step's share, in %.
LINEAR_STEP_PERCENT: Final = range(1, 101)
#: The share the canary holds now (``canaryWeight``).
CANARY_WEIGHT: Final = range(0, 101)
#: The header of the test rules; only the deploy job sends it.
RELEASE_HEADER: Final = "X-Picus-Release"
#: The header's value: long enough not to be guessed, and no ``*`` or ``?``, which the load
#: balancer's header condition reads as wildcards (it matches up to 128 characters).
RELEASE_HEADER_VALUE: Final = re.compile(r"[A-Za-z0-9]{32,128}")
#: How far before its production rule a test rule sits: ``p - 1`` lies between the rule and
#: the one before it for any routing table whose priorities are at least 2 apart (the CORS
#: preflight's 95 sits 5 after the seed health path's 90, so ``p - 5`` no longer would).
TEST_RULE_OFFSET: Final = 1


@dataclass(frozen=True)
class DeploymentSettings:
    """Validated by ``components.cluster_settings``; defaults in ``components.api_cluster_args``."""

    strategy: DeploymentStrategy
    #: Minutes the new revision holds all of the traffic before it is promoted (linear's last
    #: step, blueGreen).
    bake_minutes: int
    canary_percent: int
    canary_bake_minutes: int
    linear_step_percent: int
    linear_step_bake_minutes: int
    #: The image the canary service runs; None: no canary, no tasks.
    canary_image_uri: str | None = None
    #: The canary's share of every service rule's traffic, in %.
    canary_weight: int = 0
    #: The primary's least task count while the canary hands its share back; 0: none.
    handover_count: int = 0
    #: The value of :data:`RELEASE_HEADER` the test rules match; None: no test rules.
    release_header: pulumi.Input[str] | None = None

    @property
    def canary_active(self) -> bool:
        return self.canary_image_uri is not None


def twin_priority(priority: int) -> int:
    """The priority of the test rule in front of the production rule of ``priority``."""
    return priority - TEST_RULE_OFFSET


def forward_weights(canary_weight: int) -> tuple[int, int]:
    """The primary's and the canary's forward weight on every service rule."""
    return 100 - canary_weight, canary_weight


def shift_steps(settings: DeploymentSettings) -> list[tuple[int, int]]:
    """The release as (canary weight %, minutes it bakes) steps, before the promotion:
    the strategy table in one place (docs, Releases and rollbacks)."""
    strategy = settings.strategy
    if strategy is DeploymentStrategy.CANARY:
        return [(settings.canary_percent, settings.canary_bake_minutes)]
    if strategy is DeploymentStrategy.LINEAR:
        step = settings.linear_step_percent
        weights = [min(100, step * n) for n in range(1, math.ceil(100 / step) + 1)]
        return [
            (w, settings.bake_minutes if w == 100 else settings.linear_step_bake_minutes)
            for w in weights
        ]
    if strategy is DeploymentStrategy.BLUE_GREEN:
        return [(100, settings.bake_minutes)]
    return []


def canary_capacity(
    settings: DeploymentSettings, min_count: int, desired_count: int, max_count: int
) -> tuple[int, int]:
    """The canary service's autoscaling bounds: none without a canary image; the primary's
    minimum for a canary or linear shift (autoscaling adds tasks as its share grows, on its own
    requests per target); the primary's first count for blueGreen, which moves everything at
    once."""
    if not settings.canary_active:
        return 0, 0
    if settings.strategy is DeploymentStrategy.BLUE_GREEN:
        return desired_count, max_count
    return min_count, max_count


def primary_capacity(
    settings: DeploymentSettings, min_count: int, max_count: int
) -> tuple[int, int]:
    """The primary service's autoscaling bounds: its own, its minimum raised to the canary's
    tasks while the canary hands its share back (deploy/canary.py), so the share moves onto
    tasks that already run; RegisterScalableTarget moves the count into a new range at once."""
    return max(min_count, min(settings.handover_count, max_count)), max_count


def problems(settings: DeploymentSettings, image_uri: str | None) -> list[str]:
    """Every setting out of range, and a canary the stack cannot run."""
    found: list[str] = []
    for key, minutes in (
        ("bakeTimeMinutes", settings.bake_minutes),
        ("canaryBakeMinutes", settings.canary_bake_minutes),
        ("linearStepBakeMinutes", settings.linear_step_bake_minutes),
    ):
        if minutes not in BAKE_MINUTES:
            found.append(f"picus:{key} must be 0..1440 minutes")
    for key, percent, allowed in (
        ("canaryPercent", settings.canary_percent, CANARY_PERCENT),
        ("linearStepPercent", settings.linear_step_percent, LINEAR_STEP_PERCENT),
        ("canaryWeight", settings.canary_weight, CANARY_WEIGHT),
    ):
        if percent not in allowed:
            found.append(f"picus:{key} must be {allowed.start}..{allowed.stop - 1} %")
    if settings.canary_weight > 0 and not settings.canary_active:
        found.append(
            "picus:canaryWeight above 0 needs picus:canaryImageUri: the rules would send that "
            "share to a target group with no tasks (503)"
        )
    if settings.canary_active and image_uri is None:
        found.append(
            "picus:canaryImageUri needs picus:imageUri: a canary is the next image beside the "
            "one the stack runs, pulled from the same repository"
        )
    elif (
        settings.canary_image_uri
        and image_uri
        and _repository(settings.canary_image_uri) != (_repository(image_uri))
    ):
        found.append(
            "picus:canaryImageUri must be in picus:imageUri's repository: the tasks' "
            "execution role pulls from that one only"
        )
    header = settings.release_header
    # A secret or another resource's output is known only at deployment: its presence counts.
    if isinstance(header, str) and not RELEASE_HEADER_VALUE.fullmatch(header):
        found.append(
            "picus:releaseHeader must be 32..128 letters and digits (the load balancer reads "
            "* and ? as wildcards): pulumi config set --secret releaseHeader $(openssl rand "
            "-hex 24)"
        )
    if settings.strategy.shifts_traffic and header is None:
        found.append(
            f"picus:releaseHeader: picus:deploymentStrategy {settings.strategy.value!r} runs the "
            "walkthrough against the canary through the test rules first; set a secret value "
            "(pulumi config set --secret releaseHeader $(openssl rand -hex 24)) and commit "
            "the stack file"
        )
    # A twin sits after every rule before its own, or a request could reach the canary
    # through a rule the production path would not have taken.
    every = serving_rules(cors=True)
    taken = sorted(rule.priority for rule in every)
    service = [rule.priority for rule in every if rule.target is Target.SERVICE]
    clashes = [
        p for p in service if twin_priority(p) < 1 or any(twin_priority(p) <= q < p for q in taken)
    ]
    if clashes:  # the routing table's priorities moved: the twins need another offset
        found.append(f"the test rules of priorities {clashes} clash with the routing table")
    return found


def _repository(image_uri: str) -> str:
    return image_uri.split("@")[0]


def ecs_deployment_configuration(alarm_names: list[str]) -> dict[str, Any]:
    """A service's ``deploymentConfiguration`` as ECS's CreateService and UpdateService take it,
    for both services: rolling with zero downtime (a new task joins before an old one leaves),
    the circuit breaker for tasks that never become healthy, and rollback on ``alarm_names``."""
    return {
        "strategy": "ROLLING",
        "minimumHealthyPercent": 100,
        "maximumPercent": 200,
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "alarms": {"alarmNames": alarm_names, "enable": True, "rollback": True},
    }


def service_deployment_args() -> aws.ecs.ServiceDeploymentConfigurationArgs:
    """The strategy as pulumi-aws's ``deployment_configuration`` (the percentages, the circuit
    breaker and the alarms are arguments of the service itself there)."""
    return aws.ecs.ServiceDeploymentConfigurationArgs(
        strategy=ecs_deployment_configuration([])["strategy"]
    )
