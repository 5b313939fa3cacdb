"""What the program asks of ``awsx.ec2.Vpc`` per stack, and what it builds on its outputs."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from components.network import MAX_PUBLIC_MASK, NatStrategy, SubnetLayout
from tests.components.conftest import Stack
from tests.components.harness import route_table_of

AWSX_VPC = "awsx:ec2:Vpc"


def vpc(stack: Stack) -> dict[str, Any]:
    return stack.one(AWSX_VPC)


def layout_of(stack: Stack) -> SubnetLayout:
    return SubnetLayout(
        vpc_cidr=stack.setting("vpcCidr"),
        zones=int(stack.setting("availabilityZones")),
        private_mask=int(stack.setting("privateSubnetCidrMask")),
        public_mask=int(stack.setting("publicSubnetCidrMask")),
    )


def test_the_vpc_is_awsx_with_the_stacks_zones_and_subnet_layout(stack: Stack) -> None:
    inputs = vpc(stack)["inputs"]
    layout = layout_of(stack)
    assert inputs["cidrBlock"] == layout.vpc_cidr
    assert inputs["numberOfAvailabilityZones"] == layout.zones >= 2
    assert inputs["subnetStrategy"] == "Auto"
    assert inputs["availabilityZoneCidrMask"] == layout.zone_mask
    specs = {spec["type"]: spec["cidrMask"] for spec in inputs["subnetSpecs"]}
    assert specs == {"Private": layout.private_mask, "Public": layout.public_mask}
    # Private first: awsx's Auto strategy allocates in the order given.
    assert [spec["type"] for spec in inputs["subnetSpecs"]] == ["Private", "Public"]
    assert inputs["enableDnsHostnames"] is True and inputs["enableDnsSupport"] is True


def test_nat_strategy_per_stack(stack: Stack) -> None:
    strategy = vpc(stack)["inputs"]["natGateways"]["strategy"]
    configured = NatStrategy(stack.setting("natGateways"))
    assert strategy == configured.awsx.value
    if stack.stack == "prod":
        assert strategy == "OnePerAz"
    if stack.stack == "dev":
        assert strategy == "Single"


def test_elastic_ip_addresses_per_stack_are_one_per_nat_gateway(stack: Stack) -> None:
    # The README's cost table counts these; each costs an hourly public IPv4 charge.
    gateways = NatStrategy(stack.setting("natGateways")).gateways(layout_of(stack).zones)
    assert gateways == {"dev": 1, "prod": 3}.get(stack.stack, gateways)


def test_the_layout_fits_the_vpc_and_what_runs_in_it(stack: Stack) -> None:
    layout = layout_of(stack)
    assert layout.problems() == []
    subnets = [net for pair in layout.subnets() for net in pair]
    assert len(subnets) == 2 * layout.zones
    vpc_block = ipaddress.IPv4Network(layout.vpc_cidr)
    for i, net in enumerate(subnets):
        assert net.subnet_of(vpc_block)
        assert not any(net.overlaps(other) for other in subnets[i + 1 :]), net
    for private, public in layout.subnets():
        # AWS keeps 5 addresses of each subnet; every task takes one, two during a deployment.
        assert private.num_addresses - 5 >= 2 * int(stack.setting("maxCount"))
        assert public.prefixlen <= MAX_PUBLIC_MASK


def test_tasks_run_in_the_private_subnets_and_the_alb_in_the_public_ones(stack: Stack) -> None:
    outputs = vpc(stack)["state"]
    service = stack.one("aws:ecs/service:Service", "-api-service")["state"]["networkConfiguration"]
    assert service["subnets"] == outputs["privateSubnetIds"]
    assert service["assignPublicIp"] is False
    alb = stack.one("aws:lb/loadBalancer:LoadBalancer")["state"]
    assert alb["subnets"] == outputs["publicSubnetIds"]


def test_table_traffic_uses_a_gateway_endpoint_on_every_private_route_table(stack: Stack) -> None:
    outputs = vpc(stack)["state"]
    endpoint = stack.one("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert endpoint["state"]["vpcId"] == outputs["vpcId"]
    assert endpoint["state"]["vpcEndpointType"] == "Gateway"
    assert endpoint["state"]["serviceName"] == "com.amazonaws.eu-west-1.dynamodb"
    expected = sorted(route_table_of(s) for s in outputs["privateSubnetIds"])
    assert endpoint["state"]["routeTableIds"] == expected
    assert len(expected) == layout_of(stack).zones
    assert vpc(stack)["urn"] in endpoint["dependencies"]


@pytest.mark.parametrize(
    ("layout", "complaint"),
    [
        (SubnetLayout("10.0.0.0/16", 1, 20, 24), "availabilityZones must be 2..6"),
        (SubnetLayout("10.0.0.0/16", 3, 18, 18), "do not fit in each zone's /18"),
        (SubnetLayout("10.0.0.0/24", 2, 26, 28), f"at most /{MAX_PUBLIC_MASK}"),
        (SubnetLayout("10.0.0.0/16", 2, 24, 20), "at least as large as the public one"),
        (SubnetLayout("10.0.0.0/33", 2, 20, 24), "not a CIDR block"),
        (SubnetLayout("10.0.0.0/8", 2, 20, 24), "from /16 to /28"),
        (SubnetLayout("10.0.0.0/16", 2, 15, 24), "must be 16..28"),
    ],
)
def test_a_layout_that_cannot_be_built_is_refused(layout: SubnetLayout, complaint: str) -> None:
    (problem,) = layout.problems()
    assert complaint in problem


def test_the_largest_layout_that_fits_is_accepted() -> None:
    # Three zones in a /16: each zone takes a /18 (16,384 addresses), a /19 and a /19 fill it.
    assert SubnetLayout("10.0.0.0/16", 3, 19, 19).problems() == []
    assert SubnetLayout("10.0.0.0/16", 3, 18, 19).problems() != []


@pytest.mark.parametrize("zones", [2, 3])
def test_adding_a_zone_moves_no_subnet(zones: int) -> None:
    # A moved subnet would be created before its old range is freed, beside the new zone's
    # subnet claiming that range: EC2 refuses overlapping subnets (issue: 2 -> 3 zones).
    before = SubnetLayout("10.0.0.0/16", zones, 20, 24)
    after = SubnetLayout("10.0.0.0/16", zones + 1, 20, 24)
    assert after.problems() == []
    assert after.subnets()[:zones] == before.subnets()
