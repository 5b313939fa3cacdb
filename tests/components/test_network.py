from __future__ import annotations

from components.network import NatStrategy
from tests.components.conftest import Stack


def test_subnets_span_the_configured_zones(stack: Stack) -> None:
    zones = int(stack.config["picus:availabilityZones"])
    assert zones >= 2
    subnets = stack.all("aws:ec2/subnet:Subnet")
    for tier in ("public", "private"):
        tiered = [s for s in subnets if s["state"]["tags"]["tier"] == tier]
        assert len(tiered) == zones, f"{stack.variant}: {len(tiered)} {tier} subnets"
        assert len({s["state"]["availabilityZone"] for s in tiered}) == zones
    for subnet in subnets:
        assert subnet["state"]["mapPublicIpOnLaunch"] is False, subnet["name"]


def test_nat_strategy_per_stack(stack: Stack) -> None:
    config = stack.config
    nats = stack.all("aws:ec2/natGateway:NatGateway")
    zones = int(config["picus:availabilityZones"])
    expected = zones if NatStrategy(config["picus:natGateways"]) is NatStrategy.ONE_PER_AZ else 1
    assert len(nats) == expected, f"{stack.variant}: {len(nats)} NAT gateways"
    if stack.stack == "prod":
        assert len(nats) == zones
    if stack.stack == "dev":
        assert len(nats) == 1


def test_private_routes_go_through_nat_and_public_through_the_gateway(stack: Stack) -> None:
    for table in stack.all("aws:ec2/routeTable:RouteTable"):
        (route,) = table["state"]["routes"]
        assert route["cidrBlock"] == "0.0.0.0/0"
        if "-private-" in table["name"]:
            assert route.get("natGatewayId"), f"{table['name']} has no NAT route"
        else:
            assert route.get("gatewayId"), f"{table['name']} has no internet route"


def test_table_traffic_uses_a_dynamodb_gateway_endpoint(stack: Stack) -> None:
    endpoint = stack.one("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert endpoint["state"]["vpcEndpointType"] == "Gateway"
    assert endpoint["state"]["serviceName"] == "com.amazonaws.eu-west-1.dynamodb"
    private_tables = {
        r["id"] for r in stack.all("aws:ec2/routeTable:RouteTable") if "-private-" in r["name"]
    }
    assert set(endpoint["state"]["routeTableIds"]) == private_tables


def test_elastic_ip_addresses_per_stack_are_one_per_nat_gateway(stack: Stack) -> None:
    # The README's cost table counts these; each costs an hourly public IPv4 charge.
    eips = stack.all("aws:ec2/eip:Eip")
    assert len(eips) == len(stack.all("aws:ec2/natGateway:NatGateway"))
    assert len(eips) == {"dev": 1, "prod": 3}.get(stack.stack, len(eips))
