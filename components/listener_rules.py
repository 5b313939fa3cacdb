"""Listener rules from the one routing table (``picus.routing.RULES``), and, with auth on, the
load balancer's ``jwt-validation`` action in front of each rule's forward.

Every rule becomes a listener rule, in every stack: the listener's default action is a fixed 404,
so a path reaches a target only through a rule that names it. With auth on, each rule that is
not open verifies the token (signature from the issuer's JWKS, ``iss``, ``exp``, ``nbf``,
``iat``), the stack's extra claims, and the route's scope, then forwards.

The service's rules forward to two target groups, the primary's and the canary's, with the
weights of ``canaryWeight``; each has a test twin just before it that also requires the release
header and forwards to the canary alone (components/deployment.py says why).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.deployment import RELEASE_HEADER, forward_weights, twin_priority
from components.jwt_validation import EdgeAuth
from picus.alb import NO_ROUTE_BODY, NO_ROUTE_CONTENT_TYPE, NO_ROUTE_STATUS
from picus.auth import ISSUER_ENV
from picus.routing import RoutingRule, Target, serving_rules


def _conditions(rule: RoutingRule) -> list[aws.lb.ListenerRuleConditionArgs]:
    conditions = [
        aws.lb.ListenerRuleConditionArgs(
            path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=[rule.path_pattern])
        )
    ]
    if rule.methods:
        conditions.append(
            aws.lb.ListenerRuleConditionArgs(
                http_request_method=aws.lb.ListenerRuleConditionHttpRequestMethodArgs(
                    values=list(rule.methods)
                )
            )
        )
    return conditions


def _jwt_validation(rule: RoutingRule, auth: EdgeAuth) -> aws.lb.ListenerRuleActionArgs:
    claims = [
        aws.lb.ListenerRuleActionJwtValidationAdditionalClaimArgs(
            format=claim.format.value, name=claim.name, values=list(claim.values)
        )
        for claim in auth.additional_claims(rule.scope)
    ]
    return aws.lb.ListenerRuleActionArgs(
        type="jwt-validation",
        order=1,
        jwt_validation=aws.lb.ListenerRuleActionJwtValidationArgs(
            issuer=auth.issuer, jwks_endpoint=auth.jwks_url, additional_claims=claims or None
        ),
    )


@dataclass(frozen=True)
class Forward:
    """Where a target's rules send a request: one target group, or the primary's and the
    canary's with the canary's share; and, with a release header, the canary's test rules."""

    target_group_arn: pulumi.Input[str]
    canary_group_arn: pulumi.Input[str] | None = None
    canary_weight: int = 0
    release_header: pulumi.Input[str] | None = None


def _forward(forward: Forward, canary_only: bool = False) -> aws.lb.ListenerRuleActionArgs:
    if forward.canary_group_arn is None:
        return aws.lb.ListenerRuleActionArgs(
            type="forward", target_group_arn=forward.target_group_arn, order=2
        )
    primary, canary = (0, 100) if canary_only else forward_weights(forward.canary_weight)
    groups = [(forward.target_group_arn, primary), (forward.canary_group_arn, canary)]
    return aws.lb.ListenerRuleActionArgs(
        type="forward",
        order=2,
        forward=aws.lb.ListenerRuleActionForwardArgs(
            target_groups=[
                aws.lb.ListenerRuleActionForwardTargetGroupArgs(arn=arn, weight=weight)
                for arn, weight in groups
                # The test rule names the canary's group alone.
                if not (canary_only and weight == 0)
            ]
        ),
    )


def _header(value: pulumi.Input[str]) -> aws.lb.ListenerRuleConditionArgs:
    return aws.lb.ListenerRuleConditionArgs(
        http_header=aws.lb.ListenerRuleConditionHttpHeaderArgs(
            http_header_name=RELEASE_HEADER,
            # A secret setting: kept encrypted in the state too.
            values=pulumi.Output.secret([value]),
        )
    )


def listener_rules(
    name: str,
    target: Target,
    forward: Forward | pulumi.Input[str],
    listener_arns: Sequence[pulumi.Input[str]],
    auth: EdgeAuth | None,
    parent: pulumi.Resource,
    cors: bool = False,
) -> list[aws.lb.ListenerRule]:
    """The listener rules of the routing table's rules for ``target``, on every listener, and
    their test twins when ``forward`` has a canary and a release header (a target group's ARN
    alone: one group, no twins)."""
    if not isinstance(forward, Forward):
        forward = Forward(forward)
    created = []
    twins = forward.canary_group_arn is not None and forward.release_header is not None
    for rule in serving_rules(cors):
        if rule.target is not target:
            continue
        checks = [_jwt_validation(rule, auth)] if auth is not None and rule.authenticated else []
        for i, listener_arn in enumerate(listener_arns):
            created.append(
                aws.lb.ListenerRule(
                    f"{name}-rule-{rule.priority}-{i}",
                    listener_arn=listener_arn,
                    priority=rule.priority,
                    conditions=_conditions(rule),
                    actions=[*checks, _forward(forward)],
                    opts=pulumi.ResourceOptions(parent=parent),
                )
            )
            if twins and forward.release_header is not None:
                created.append(
                    aws.lb.ListenerRule(
                        f"{name}-test-rule-{rule.priority}-{i}",
                        listener_arn=listener_arn,
                        priority=twin_priority(rule.priority),
                        conditions=[*_conditions(rule), _header(forward.release_header)],
                        actions=[*checks, _forward(forward, canary_only=True)],
                        opts=pulumi.ResourceOptions(parent=parent),
                    )
                )
    return created


def no_route_rules(
    name: str, listener_arns: Sequence[pulumi.Input[str]], parent: pulumi.Resource
) -> list[aws.lb.ListenerRule]:
    """The routing table's rules that reach no target: each answers the listener's own fixed
    404, with no token check, whatever the request carries."""
    no_route = aws.lb.ListenerRuleActionArgs(
        type="fixed-response",
        fixed_response=aws.lb.ListenerRuleActionFixedResponseArgs(
            status_code=str(NO_ROUTE_STATUS),
            content_type=NO_ROUTE_CONTENT_TYPE,
            message_body=NO_ROUTE_BODY.decode(),
        ),
    )
    return [
        aws.lb.ListenerRule(
            f"{name}-rule-{rule.priority}-{i}",
            listener_arn=listener_arn,
            priority=rule.priority,
            conditions=_conditions(rule),
            actions=[no_route],
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for rule in serving_rules(cors=False)
        if rule.target is Target.NO_ROUTE
        for i, listener_arn in enumerate(listener_arns)
    ]


def auth_environment(auth: EdgeAuth | None) -> dict[str, str]:
    """What the service and the function need to check the scope themselves (picus/auth.py),
    and the issuer the service's API document names."""
    if auth is None:
        return {}
    return {**auth.policy.to_environment(), ISSUER_ENV: auth.issuer}
