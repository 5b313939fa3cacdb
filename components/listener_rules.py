"""Listener rules from the one routing table (``picus.routing.RULES``), and, with auth on, the
load balancer's ``jwt-validation`` action in front of each rule's forward.

Every rule becomes a listener rule, in every stack: the listener's default action is a fixed 404,
so a path reaches a target only through a rule that names it. With auth on, each rule that is
not open verifies the token (signature from the issuer's JWKS, ``iss``, ``exp``, ``nbf``,
``iat``), the stack's extra claims, and the route's scope, then forwards.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from components.jwt_validation import EdgeAuth
from picus.auth import ISSUER_ENV
from picus.routing import RULES, RoutingRule, Target


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


def listener_rules(
    name: str,
    target: Target,
    target_group_arn: pulumi.Input[str],
    listener_arns: Sequence[pulumi.Input[str]],
    auth: EdgeAuth | None,
    parent: pulumi.Resource,
) -> list[aws.lb.ListenerRule]:
    """The listener rules of the routing table's rules for ``target``, on every listener."""
    created = []
    for rule in RULES:
        if rule.target is not target:
            continue
        forward = aws.lb.ListenerRuleActionArgs(
            type="forward", target_group_arn=target_group_arn, order=2
        )
        actions = [forward]
        if auth is not None and rule.authenticated:
            actions = [_jwt_validation(rule, auth), forward]
        for i, listener_arn in enumerate(listener_arns):
            created.append(
                aws.lb.ListenerRule(
                    f"{name}-rule-{rule.priority}-{i}",
                    listener_arn=listener_arn,
                    priority=rule.priority,
                    conditions=_conditions(rule),
                    actions=actions,
                    opts=pulumi.ResourceOptions(parent=parent),
                )
            )
    return created


def auth_environment(auth: EdgeAuth | None) -> dict[str, str]:
    """What the service and the function need to check the scope themselves (picus/auth.py),
    and the issuer the service's API document names."""
    if auth is None:
        return {}
    return {**auth.policy.to_environment(), ISSUER_ENV: auth.issuer}
