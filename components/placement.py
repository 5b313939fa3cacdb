"""Where an ApiCluster's network interfaces go: a network of its own, or the consumer's, of
which nothing is created."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.cluster_settings import ClusterSettings, ExistingNetwork
from components.network import Network, NetworkArgs


@dataclass(frozen=True)
class Placement:
    vpc_id: pulumi.Input[str]
    #: Where the load balancer's nodes are.
    public_subnet_ids: pulumi.Input[list[str]]
    #: Where the tasks are.
    private_subnet_ids: pulumi.Input[list[str]]
    #: The blocks the load balancer's nodes take their addresses from, comma-separated: only
    #: they may set X-Forwarded-For.
    load_balancer_cidrs: pulumi.Input[str]
    #: Whether the cluster created the network, and so may watch all of its traffic.
    owned: bool


def placement(name: str, s: ClusterSettings, opts: pulumi.ResourceOptions) -> Placement:
    """The cluster's own network (``Network``, named ``name``), or the consumer's."""
    if s.existing_network is None:
        network = Network(name, NetworkArgs(layout=s.subnet_layout, nat=s.nat), opts=opts)
        # In a VPC of its own, only the cluster's load balancer and tasks have addresses.
        return Placement(
            network.vpc_id,
            network.public_subnet_ids,
            network.private_subnet_ids,
            s.subnet_layout.vpc_cidr,
            owned=True,
        )
    given = s.existing_network
    invoke = pulumi.InvokeOutputOptions(parent=opts.parent)
    return Placement(
        given.vpc_id,
        given.public_subnet_ids,
        given.private_subnet_ids,
        public_cidrs(given, invoke),
        owned=False,
    )


def public_cidrs(network: ExistingNetwork, opts: pulumi.InvokeOutputOptions) -> pulumi.Output[str]:
    """The public subnets' blocks: in a VPC of the consumer's, other hosts may share its CIDR,
    so the VPC's block would trust more than the load balancer."""

    def blocks(ids: list[str]) -> pulumi.Output[str]:
        cidrs = [aws.ec2.get_subnet_output(id=i, opts=opts).cidr_block for i in ids]
        return pulumi.Output.all(*cidrs).apply(lambda found: ",".join(sorted(set(found))))

    return pulumi.Output.from_input(network.public_subnet_ids).apply(blocks)
