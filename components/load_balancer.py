"""The internet-facing Application Load Balancer: its security group, the service's two target
groups (the primary's and the canary's, with one health check), the listeners (HTTPS with an
HTTP redirect, or HTTP alone), the optional WAF and DNS record.

Routes to the Lambda are listener rules that ``DeleteFunction`` adds to ``serving_listener_arns``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.domain_record import AliasTarget, plain_record
from components.jwt_validation import EdgeAuth
from components.listener_rules import Forward, listener_rules, no_route_rules
from components.naming import (
    LOAD_BALANCER_REPLACED_BY,
    TARGET_GROUP_REPLACED_BY,
    elb_name,
    explicit_elb_name,
)
from components.security_groups import ANYWHERE, tcp_rule
from components.traffic_logs import ALB_PREFIX
from picus.alb import NO_ROUTE_BODY, NO_ROUTE_CONTENT_TYPE, NO_ROUTE_STATUS
from picus.contract import ALB_IDLE_TIMEOUT_SECONDS, CONTAINER_PORT, HEALTH_PATH
from picus.routing import Target


@dataclass(frozen=True)
class LoadBalancerArgs:
    """Validated by ``components.cluster_settings``; defaults in ``components.api_cluster_args``."""

    vpc_id: pulumi.Input[str]
    public_subnet_ids: pulumi.Input[list[str]]
    #: Seconds a deregistered task keeps its in-flight requests before the ALB drops them.
    deregistration_delay: int
    certificate_arn: pulumi.Input[str] | None
    ssl_policy: str
    #: A custom domain; a Route 53 alias record when its hosted zone is given too.
    domain_name: str | None
    hosted_zone_id: pulumi.Input[str] | None
    #: An AWS WAF web ACL in front of the ALB: where a deployer adds rate limits or auth rules.
    waf_web_acl_arn: pulumi.Input[str] | None
    #: Where the ALB writes its access logs; None for none.
    access_logs_bucket: pulumi.Input[str] | None
    #: Deletion protection.
    protect: bool
    #: Token verification on the service's routes; None for a public API.
    auth: EdgeAuth | None
    #: Whether the stack names CORS origins: only then does a preflight pass without a token
    #: (``picus.routing.PREFLIGHT``).
    cors: bool = False
    #: The canary's share of every service rule's traffic, in % (components/deployment.py).
    canary_weight: int = 0
    #: The value of the header that reaches the canary alone; None: no test rules.
    release_header: pulumi.Input[str] | None = None
    #: Whether the stack lists its regions: then the domain's record is a latency record, which
    #: the cluster makes (components/domain_record.py), not this plain one.
    routed: bool = False


def health_check() -> aws.lb.TargetGroupHealthCheckArgs:
    """The service's health check, the same for both of its target groups: a canary is judged
    as the primary is."""
    return aws.lb.TargetGroupHealthCheckArgs(
        path=HEALTH_PATH,
        port="traffic-port",
        protocol="HTTP",
        matcher="200",
        interval=10,
        timeout=5,
        healthy_threshold=2,
        unhealthy_threshold=3,
    )


def stack_scope() -> str:
    """Where a logical name is unique: the project and stack the program runs in. Two stacks
    of one program, in one account, name their resources alike; a hash over the scope as well
    keeps their explicit physical names apart (components/naming.py, which stays free of
    Pulumi: the local origin imports it)."""
    return f"{pulumi.get_project()}/{pulumi.get_stack()}"


def elb_options(
    logical: str,
    args: aws.lb.LoadBalancerArgs | aws.lb.TargetGroupArgs,
    opts: pulumi.ResourceOptions,
) -> pulumi.ResourceOptions:
    """The options of a load balancer or target group named ``logical``, from ``opts``. Where
    its auto-name fits, ``opts`` as they are and ``args`` without a name, as before. Else
    ``args`` gets the explicit name ``elb_name`` makes from the inputs in ``args`` that replace
    the resource (read from ``args`` itself, so an input set later is in the hash too).

    pulumi-aws deletes an explicitly named resource before creating its replacement (the
    bridge's rule for names its auto-namer did not make, pulumi/pulumi-terraform#465), which
    fails for a target group a listener rule still forwards to (pulumi/pulumi-aws#4220). Here
    a replacement never bears its predecessor's name, so ``delete_before_replace=False``
    overrides that, as the engine lets a program do (pulumi/pulumi#3118): the new resource is
    created first, as with auto-names. A replacement no input asks for (``pulumi up
    --replace``) keeps the name: its create fails ("already exists") before anything is
    deleted.
    """
    if elb_name(logical) is None:
        return opts
    replaced_by = (
        LOAD_BALANCER_REPLACED_BY
        if isinstance(args, aws.lb.LoadBalancerArgs)
        else TARGET_GROUP_REPLACED_BY
    )
    inputs: dict[str, Any] = {key: getattr(args, key) for key in sorted(replaced_by)}
    scope = stack_scope()
    args.name = pulumi.Output.all(**inputs).apply(
        lambda values: explicit_elb_name(logical, values, scope)
    )
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(delete_before_replace=False))


def _target_group(
    logical: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions
) -> aws.lb.TargetGroup:
    """One of the service's target groups: the primary's or the canary's."""
    group_args = aws.lb.TargetGroupArgs(
        target_type="ip",
        port=CONTAINER_PORT,
        protocol="HTTP",
        vpc_id=args.vpc_id,
        deregistration_delay=args.deregistration_delay,
        health_check=health_check(),
    )
    return aws.lb.TargetGroup(logical, group_args, opts=elb_options(logical, group_args, opts))


class LoadBalancer(pulumi.ComponentResource):
    security_group_id: pulumi.Output[str]
    arn_suffix: pulumi.Output[str]
    dns_name: pulumi.Output[str]
    #: The listeners that forward traffic (not the HTTP -> HTTPS redirect).
    serving_listener_arns: list[pulumi.Output[str]]
    #: The service's target group, known only once a listener rule forwards to it: ECS refuses
    #: to create a service on a target group no load balancer uses.
    target_group_arn: pulumi.Output[str]
    target_group_arn_suffix: pulumi.Output[str]
    #: The canary service's target group, likewise known once the rules forward to it.
    canary_target_group_arn: pulumi.Output[str]
    canary_target_group_arn_suffix: pulumi.Output[str]
    canary_request_count_label: pulumi.Output[str]
    #: The service's target group as the ALBRequestCountPerTarget metric names it.
    request_count_label: pulumi.Output[str]
    #: Where clients reach the API: the custom domain if any, else the ALB's name.
    url: pulumi.Output[str]

    def __init__(
        self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("picus:index:LoadBalancer", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        https = args.certificate_arn is not None

        security_group = aws.ec2.SecurityGroup(
            f"{name}-alb-sg", vpc_id=args.vpc_id, description="picus ALB", opts=child
        )
        for port in [80, 443] if https else [80]:
            tcp_rule(
                f"{name}-alb-in-{port}",
                aws.vpc.SecurityGroupIngressRule,
                security_group.id,
                port,
                self,
                cidr_ipv4=ANYWHERE,
            )
        if args.auth is not None:
            # pulumi-aws drops AWS's default allow-all egress, so the group reaches only what a
            # rule names: with auth on, the verifier fetches the issuer's JWKS over HTTPS.
            tcp_rule(
                f"{name}-alb-jwks-out",
                aws.vpc.SecurityGroupEgressRule,
                security_group.id,
                443,
                self,
                cidr_ipv4=ANYWHERE,
            )

        alb_args = aws.lb.LoadBalancerArgs(
            internal=False,
            load_balancer_type="application",
            ip_address_type="ipv4",
            security_groups=[security_group.id],
            subnets=args.public_subnet_ids,
            drop_invalid_header_fields=True,
            idle_timeout=ALB_IDLE_TIMEOUT_SECONDS,
            enable_deletion_protection=args.protect,
            access_logs=(
                aws.lb.LoadBalancerAccessLogsArgs(
                    bucket=args.access_logs_bucket, prefix=ALB_PREFIX, enabled=True
                )
                if args.access_logs_bucket is not None
                else None
            ),
        )
        alb = aws.lb.LoadBalancer(
            f"{name}-alb", alb_args, opts=elb_options(f"{name}-alb", alb_args, child)
        )
        target_group, canary_group = (
            _target_group(f"{name}-{suffix}", args, child) for suffix in ("tg", "canary-tg")
        )
        # Deny by default: a request no rule names gets a fixed 404 and reaches no target, in
        # whatever spelling its path arrives (picus/routing.py, picus/targets.py).
        no_route = [
            aws.lb.ListenerDefaultActionArgs(
                type="fixed-response",
                fixed_response=aws.lb.ListenerDefaultActionFixedResponseArgs(
                    status_code=str(NO_ROUTE_STATUS),
                    content_type=NO_ROUTE_CONTENT_TYPE,
                    message_body=NO_ROUTE_BODY.decode(),
                ),
            )
        ]
        # Port 80 keeps one logical name whether it serves or redirects: a name that changed
        # with the certificate would make Pulumi create the new listener before deleting the
        # old one, on the same port, which ELB refuses (DuplicateListener).
        http = aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=alb.arn,
            port=80,
            protocol="HTTP",
            default_actions=(
                [
                    aws.lb.ListenerDefaultActionArgs(
                        type="redirect",
                        redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                            protocol="HTTPS", port="443", status_code="HTTP_301"
                        ),
                    )
                ]
                if https
                else no_route
            ),
            opts=child,
        )
        serving = (
            aws.lb.Listener(
                f"{name}-https",
                load_balancer_arn=alb.arn,
                port=443,
                protocol="HTTPS",
                certificate_arn=args.certificate_arn,
                ssl_policy=args.ssl_policy,
                default_actions=no_route,
                opts=child,
            )
            if https
            else http
        )

        # Each of the service's routes gets its own rule, verifying the token with auth on, and
        # forwarding to the primary and the canary by the canary's weight.
        forward = Forward(
            target_group.arn, canary_group.arn, args.canary_weight, args.release_header
        )
        rules = listener_rules(
            name, Target.SERVICE, forward, [serving.arn], args.auth, self, cors=args.cors
        )
        no_route_rules(name, [serving.arn], self)

        if args.waf_web_acl_arn is not None:
            aws.wafv2.WebAclAssociation(
                f"{name}-waf", resource_arn=alb.arn, web_acl_arn=args.waf_web_acl_arn, opts=child
            )

        host: pulumi.Output[str] = alb.dns_name
        self.target = AliasTarget(alb.dns_name, alb.zone_id)
        if args.domain_name and args.hosted_zone_id and not args.routed:
            record = plain_record(name, args.domain_name, args.hosted_zone_id, self.target, child)
            host = record.fqdn
        elif args.domain_name:
            # Routed by latency: the record is the cluster's, made once its alarms exist
            # (components/domain_record.py). Otherwise the deployer points the domain at
            # albDnsName in their own DNS.
            host = pulumi.Output.from_input(args.domain_name)

        self.security_group_id = security_group.id
        self.arn_suffix = alb.arn_suffix
        self.dns_name = alb.dns_name
        self.serving_listener_arns = [serving.arn]
        self.target_group_arn = pulumi.Output.all(
            target_group.arn, *(rule.arn for rule in rules)
        ).apply(lambda arns: arns[0])
        self.target_group_arn_suffix = target_group.arn_suffix
        self.request_count_label = pulumi.Output.concat(
            alb.arn_suffix, "/", target_group.arn_suffix
        )
        self.canary_target_group_arn = pulumi.Output.all(
            canary_group.arn, *(rule.arn for rule in rules)
        ).apply(lambda arns: arns[0])
        self.canary_target_group_arn_suffix = canary_group.arn_suffix
        self.canary_request_count_label = pulumi.Output.concat(
            alb.arn_suffix, "/", canary_group.arn_suffix
        )
        self.url = pulumi.Output.concat("https://" if https else "http://", host)
        self.register_outputs(
            {"dns_name": self.dns_name, "url": self.url, "target_group_arn": self.target_group_arn}
        )
