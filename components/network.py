"""The VPC, from ``awsx.ec2.Vpc``: in each zone a private subnet for the tasks and a public one
for the load balancer and the NAT gateways, and a DynamoDB gateway endpoint so table traffic
never crosses a NAT gateway."""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from enum import Enum
from typing import Final

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx

#: AWS's bounds for a subnet's prefix length.
SUBNET_MASKS: Final = range(16, 29)
#: The fewest blocks the VPC is cut into, one per zone: room to grow to four zones in place.
MIN_ZONE_BLOCKS: Final = 4
#: An ALB needs 8 free addresses in each of its subnets to scale; AWS asks for at least a /27.
MAX_PUBLIC_MASK: Final = 27


class NatStrategy(Enum):
    SINGLE = "single"
    ONE_PER_AZ = "onePerAz"

    @property
    def awsx(self) -> awsx.ec2.NatGatewayStrategy:
        return {
            NatStrategy.SINGLE: awsx.ec2.NatGatewayStrategy.SINGLE,
            NatStrategy.ONE_PER_AZ: awsx.ec2.NatGatewayStrategy.ONE_PER_AZ,
        }[self]

    def gateways(self, zones: int) -> int:
        """NAT gateways, and so Elastic IPs, for this many zones."""
        return zones if self is NatStrategy.ONE_PER_AZ else 1


@dataclass(frozen=True)
class SubnetLayout:
    """Each zone takes one block of the VPC (awsx's "Auto" strategy): the private subnet at its
    start, the public one right after. The VPC is cut into at least four blocks, however few
    zones use them, so that adding a zone (2 -> 3 -> 4) takes a free block and moves no subnet:
    a subnet whose range moved would be created before its old self is deleted, next to a new
    zone's subnet claiming the old range, and EC2 refuses overlapping subnets."""

    vpc_cidr: str
    zones: int
    private_mask: int
    public_mask: int

    @property
    def zone_mask(self) -> int:
        blocks = max(self.zones, MIN_ZONE_BLOCKS)
        return ipaddress.ip_network(self.vpc_cidr).prefixlen + math.ceil(math.log2(blocks))

    def subnets(self) -> list[tuple[ipaddress.IPv4Network, ipaddress.IPv4Network]]:
        """(private, public) per zone, as awsx allocates them."""
        layout = []
        for zone in ipaddress.ip_network(self.vpc_cidr).subnets(new_prefix=self.zone_mask):
            private = ipaddress.ip_network((zone.network_address, self.private_mask))
            public = ipaddress.ip_network((private.broadcast_address + 1, self.public_mask))
            assert isinstance(private, ipaddress.IPv4Network)
            assert isinstance(public, ipaddress.IPv4Network)
            layout.append((private, public))
        return layout[: self.zones]

    def problems(self) -> list[str]:
        keys = "picus:privateSubnetCidrMask, picus:publicSubnetCidrMask"
        try:
            vpc = ipaddress.ip_network(self.vpc_cidr)
        except ValueError:
            return [f"picus:vpcCidr {self.vpc_cidr!r} is not a CIDR block"]
        if not isinstance(vpc, ipaddress.IPv4Network) or vpc.prefixlen not in SUBNET_MASKS:
            return [f"picus:vpcCidr {self.vpc_cidr!r} must be an IPv4 block from /16 to /28"]
        if not 2 <= self.zones <= 6:
            return ["picus:availabilityZones must be 2..6: an ALB needs two zones"]
        if not {self.private_mask, self.public_mask} <= set(SUBNET_MASKS):
            return [f"{keys} must be {SUBNET_MASKS.start}..{SUBNET_MASKS.stop - 1}"]
        if self.public_mask > MAX_PUBLIC_MASK:
            return [f"picus:publicSubnetCidrMask must be at most /{MAX_PUBLIC_MASK} for the ALB"]
        if self.private_mask > self.public_mask:
            # The tasks need the addresses; a larger public subnet would also leave a gap.
            return [f"{keys}: the private subnet must be at least as large as the public one"]
        zone_size = 2 ** (32 - self.zone_mask)
        if 2 ** (32 - self.private_mask) + 2 ** (32 - self.public_mask) > zone_size:
            return [
                f"{keys}: a private /{self.private_mask} and a public /{self.public_mask} do "
                f"not fit in each zone's /{self.zone_mask} of {self.vpc_cidr} over "
                f"{self.zones} zones"
            ]
        return []


@dataclass(frozen=True)
class NetworkArgs:
    layout: SubnetLayout
    nat: NatStrategy


def dynamodb_endpoint_service(region: str) -> str:
    return f"com.amazonaws.{region}.dynamodb"


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("picus:index:Network", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        layout = args.layout

        vpc = awsx.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=layout.vpc_cidr,
            number_of_availability_zones=layout.zones,
            availability_zone_cidr_mask=layout.zone_mask,
            subnet_strategy=awsx.ec2.SubnetAllocationStrategy.AUTO,
            subnet_specs=[
                awsx.ec2.SubnetSpecArgs(
                    type=awsx.ec2.SubnetType.PRIVATE, cidr_mask=layout.private_mask
                ),
                awsx.ec2.SubnetSpecArgs(
                    type=awsx.ec2.SubnetType.PUBLIC, cidr_mask=layout.public_mask
                ),
            ],
            subnet_name_tag_strategy=awsx.ec2.SubnetNameTagStrategy.AVAILABILITY_ZONE,
            nat_gateways=awsx.ec2.NatGatewayConfigurationArgs(strategy=args.nat.awsx),
            enable_dns_hostnames=True,
            enable_dns_support=True,
            opts=child,
        )

        # awsx creates gateway endpoints without routes (pulumi-awsx#1627): the endpoint is
        # ours, on the route tables of exactly the private subnets, looked up once they exist.
        private_route_tables = aws.ec2.get_route_tables_output(
            vpc_id=vpc.vpc_id,
            filters=vpc.private_subnet_ids.apply(
                lambda ids: [
                    aws.ec2.GetRouteTablesFilterArgs(name="association.subnet-id", values=ids)
                ]
            ),
            opts=invoke,
        )
        region = aws.get_region_output(opts=invoke).region
        aws.ec2.VpcEndpoint(
            f"{name}-dynamodb",
            vpc_id=vpc.vpc_id,
            vpc_endpoint_type="Gateway",
            service_name=region.apply(dynamodb_endpoint_service),
            route_table_ids=private_route_tables.ids.apply(sorted),
            opts=child,
        )

        self.vpc_id = vpc.vpc_id
        self.public_subnet_ids = vpc.public_subnet_ids.apply(list)
        self.private_subnet_ids = vpc.private_subnet_ids.apply(list)
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
            }
        )
