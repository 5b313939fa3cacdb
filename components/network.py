"""The VPC: public subnets for the load balancer, private ones for the tasks, NAT per stack,
and a DynamoDB gateway endpoint so table traffic never crosses a NAT gateway."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import Enum

import pulumi
import pulumi_aws as aws


class NatStrategy(Enum):
    SINGLE = "single"
    ONE_PER_AZ = "onePerAz"


@dataclass(frozen=True)
class NetworkArgs:
    cidr_block: str
    availability_zones: int
    nat: NatStrategy


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    cidr_block: pulumi.Output[str]
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("picus:index:Network", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        zones = aws.get_availability_zones_output(
            state="available", opts=pulumi.InvokeOutputOptions(parent=self)
        )
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self))

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr_block,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": f"{name}-vpc"},
            opts=child,
        )
        gateway = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, opts=child)
        public_routes = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=gateway.id)],
            opts=child,
        )

        # /20 blocks: the first half of the VPC for private subnets, the next for public ones.
        blocks = list(ipaddress.ip_network(args.cidr_block).subnets(new_prefix=20))
        public, private, private_route_tables = [], [], []
        nat_gateways: list[aws.ec2.NatGateway] = []
        for i in range(args.availability_zones):
            zone = zones.names[i]
            subnet = aws.ec2.Subnet(
                f"{name}-public-{i}",
                vpc_id=vpc.id,
                cidr_block=str(blocks[args.availability_zones + i]),
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags={"Name": f"{name}-public-{i}", "tier": "public"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{i}",
                subnet_id=subnet.id,
                route_table_id=public_routes.id,
                opts=child,
            )
            public.append(subnet)
            if args.nat is NatStrategy.ONE_PER_AZ or i == 0:
                eip = aws.ec2.Eip(f"{name}-nat-{i}", domain="vpc", opts=child)
                nat_gateways.append(
                    aws.ec2.NatGateway(
                        f"{name}-nat-{i}",
                        allocation_id=eip.id,
                        subnet_id=subnet.id,
                        tags={"Name": f"{name}-nat-{i}"},
                        opts=pulumi.ResourceOptions(parent=self, depends_on=[gateway]),
                    )
                )
        for i in range(args.availability_zones):
            nat = nat_gateways[i if args.nat is NatStrategy.ONE_PER_AZ else 0]
            routes = aws.ec2.RouteTable(
                f"{name}-private-{i}",
                vpc_id=vpc.id,
                routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)],
                opts=child,
            )
            subnet = aws.ec2.Subnet(
                f"{name}-private-{i}",
                vpc_id=vpc.id,
                cidr_block=str(blocks[i]),
                availability_zone=zones.names[i],
                map_public_ip_on_launch=False,
                tags={"Name": f"{name}-private-{i}", "tier": "private"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{i}", subnet_id=subnet.id, route_table_id=routes.id, opts=child
            )
            private.append(subnet)
            private_route_tables.append(routes)

        aws.ec2.VpcEndpoint(
            f"{name}-dynamodb",
            vpc_id=vpc.id,
            vpc_endpoint_type="Gateway",
            service_name=region.region.apply(lambda r: f"com.amazonaws.{r}.dynamodb"),
            route_table_ids=[t.id for t in private_route_tables],
            opts=child,
        )

        self.vpc_id = vpc.id
        self.cidr_block = vpc.cidr_block
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in public])
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in private])
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
            }
        )
