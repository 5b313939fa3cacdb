"""Security group rules of one shape: one TCP port, to or from exactly one CIDR or one other
group. Every rule of the stack is written with it, so none opens a range by accident."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

#: The ALB is IPv4 only (ip_address_type "ipv4"), so is every rule that admits clients.
ANYWHERE = "0.0.0.0/0"


def tcp_rule(
    name: str,
    direction: type[aws.vpc.SecurityGroupIngressRule] | type[aws.vpc.SecurityGroupEgressRule],
    group_id: pulumi.Input[str],
    port: int,
    parent: pulumi.Resource,
    *,
    cidr_ipv4: str | None = None,
    peer_group_id: pulumi.Input[str] | None = None,
) -> None:
    direction(
        name,
        security_group_id=group_id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        cidr_ipv4=cidr_ipv4,
        referenced_security_group_id=peer_group_id,
        opts=pulumi.ResourceOptions(parent=parent),
    )
