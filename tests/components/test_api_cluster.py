"""ApiCluster as another team's program uses it: from a folder of its own, in its own VPC.

``examples/python`` runs under the mocks from a temporary folder outside the repository, with
the repository on PYTHONPATH as a consumer's checkout would be.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from components.delete_function import PACKAGES
from devkit import ROOT
from picus.contract import TABLE_NAME
from tests.components.harness import autoname, subnet_cidr
from tests.components.test_lifecycle import NAME_RULES

EXAMPLE = ROOT / "examples" / "python"
PROJECT = "payments-api"
VPC = "vpc-0a1b2c3d4e5f60718"
PUBLIC = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
PRIVATE = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
NETWORK = {
    f"{PROJECT}:vpcId": VPC,
    f"{PROJECT}:publicSubnetIds": json.dumps(PUBLIC),
    f"{PROJECT}:privateSubnetIds": json.dumps(PRIVATE),
}
#: What a network of its own is made of, none of which an existing one may add.
NETWORK_TYPES = {
    "awsx:ec2:Vpc",
    "aws:ec2/vpc:Vpc",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/natGateway:NatGateway",
    "aws:ec2/eip:Eip",
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/routeTable:RouteTable",
    "aws:ec2/vpcEndpoint:VpcEndpoint",
}


def run_example(
    folder: Path, program: Path, config: dict[str, str], stack: str = "dev"
) -> dict[str, Any]:
    """The program in ``program`` under the mocks, run from ``folder``."""
    args = [f"{k}={v}" for k, v in config.items()]
    harness = [sys.executable, "-m", "tests.components.harness", "--program", str(program)]
    result = subprocess.run(
        [*harness, stack, *args],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode in (0, 3), result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@cache
def _outside(config: tuple[tuple[str, str], ...], stack: str = "dev") -> dict[str, Any]:
    folder = Path(os.environ.get("TMPDIR", "/tmp")).resolve() / f"consumer-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(EXAMPLE, folder / "program")
    try:
        return run_example(folder, folder / "program", dict(config), stack)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def consumer() -> dict[str, Any]:
    """The example's graph, from a folder outside the repository, in an existing VPC."""
    return _outside(tuple(sorted(NETWORK.items())))


def of_type(graph: dict[str, Any], typ: str) -> list[dict[str, Any]]:
    return [r for r in graph["resources"] if r["type"] == typ]


def test_the_folder_is_outside_the_repository() -> None:
    assert ROOT not in Path(os.environ.get("TMPDIR", "/tmp")).resolve().parents


def test_an_existing_network_gets_nothing_added(consumer: dict[str, Any]) -> None:
    types = {r["type"] for r in consumer["resources"]}
    assert "picus:index:ApiCluster" in types
    assert types & NETWORK_TYPES == set()
    assert not of_type(consumer, "picus:index:Network")


def test_everything_with_a_network_interface_is_in_the_given_subnets(
    consumer: dict[str, Any],
) -> None:
    (alb,) = of_type(consumer, "aws:lb/loadBalancer:LoadBalancer")
    assert alb["state"]["subnets"] == PUBLIC
    services = of_type(consumer, "aws:ecs/service:Service")
    assert len(services) == 2  # the service and its canary
    for service in services:
        assert service["state"]["networkConfiguration"]["subnets"] == PRIVATE, service["name"]
        assert service["state"]["networkConfiguration"]["assignPublicIp"] is False
    in_a_vpc = [r for r in consumer["resources"] if "vpcId" in r["state"]]
    assert {r["type"] for r in in_a_vpc} >= {
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:lb/targetGroup:TargetGroup",
    }
    for resource in in_a_vpc:
        assert resource["state"]["vpcId"] == VPC, resource["name"]


def test_the_tasks_trust_forwarded_addresses_from_the_load_balancers_subnets_only(
    consumer: dict[str, Any],
) -> None:
    # Other hosts may share a consumer's VPC: only the ALB's nodes may set X-Forwarded-For.
    expected = ",".join(sorted(subnet_cidr(s) for s in PUBLIC))
    for task in of_type(consumer, "aws:ecs/taskDefinition:TaskDefinition"):
        (container,) = json.loads(task["state"]["containerDefinitions"])
        env = {e["name"]: e["value"] for e in container["environment"]}
        assert env["PICUS_FORWARDED_ALLOW_IPS"] == expected, task["name"]


def test_the_functions_archive_holds_exactly_its_modules_read_from_the_package(
    consumer: dict[str, Any],
) -> None:
    (function,) = of_type(consumer, "aws:lambda/function:Function")
    archive = function["state"]["code"]["archive"]
    modules = {f"{p}/{f.name}" for p in PACKAGES for f in (ROOT / p).glob("*.py")}
    assert set(archive) == modules
    for module, asset in archive.items():
        path = Path(asset["path"])
        # Outside the package's folder a relative path would resolve against the consumer's.
        assert path.is_absolute() and path.is_file(), module
        assert path.read_bytes() == (ROOT / module).read_bytes()


def test_the_image_is_built_from_the_packages_own_dockerfile(consumer: dict[str, Any]) -> None:
    (image,) = of_type(consumer, "docker-build:index:Image")
    context = Path(image["state"]["context"]["location"])
    dockerfile = Path(image["state"]["dockerfile"]["location"])
    assert context.is_absolute() and context.resolve() == ROOT
    assert dockerfile.is_absolute() and dockerfile.is_file()
    assert dockerfile.resolve() == ROOT / "Dockerfile"


def test_the_consumers_outputs_resolve(consumer: dict[str, Any]) -> None:
    exports = consumer["exports"]
    assert exports["apiUrl"].startswith("http://")
    # Named after the cluster and the stack: two stacks of one program share no table.
    assert exports["tableName"] == f"{TABLE_NAME}-{PROJECT}-dev"
    assert exports["dashboardUrl"]


@pytest.mark.parametrize(
    ("setting", "value", "named"),
    [
        ("vpcId", "vpc-nope", "network.vpcId 'vpc-nope' is not of the form"),
        ("publicSubnetIds", json.dumps(PUBLIC[:1]), "network.publicSubnetIds must name at least"),
        ("privateSubnetIds", json.dumps(PUBLIC), "network.publicSubnetIds, network.private"),
        ("privateSubnetIds", "[]", "network.vpcId, network.publicSubnetIds and network.private"),
    ],
)
def test_a_network_that_cannot_hold_the_api_is_refused_naming_the_field(
    setting: str, value: str, named: str
) -> None:
    refused = _outside(tuple(sorted({**NETWORK, f"{PROJECT}:{setting}": value}.items())))
    assert "refused" in refused, refused
    message = refused["refused"]
    assert message.startswith("the ApiCluster 'payments-api' cannot be deployed"), message
    assert named in message, message
    assert "picus:" not in message, "a program's args are named as it wrote them"


@pytest.mark.parametrize("stacks", [("dev", "prod"), ("a" * 40, "a" * 40 + "-2")])
def test_two_stacks_of_one_program_share_no_name_in_one_account(
    stacks: tuple[str, str],
) -> None:
    # The program names its cluster alike in every stack; AWS's names are per account. An
    # auto-name ends in random characters (the mocks' are the logical name's hash), so the
    # names to compare are those the program chooses: tables, dashboard, capped names.
    graphs = [_outside(tuple(sorted(NETWORK.items())), stack) for stack in stacks]
    named = [
        {
            (r["type"], name)
            for r in graph["resources"]
            if r["type"] in NAME_RULES
            and NAME_RULES[r["type"]].account_scoped
            and (name := r["state"][NAME_RULES[r["type"]].field]) != autoname(r["name"])
        }
        for graph in graphs
    ]
    types = {typ for typ, _ in named[0]}
    assert {"aws:dynamodb/table:Table", "aws:cloudwatch/dashboard:Dashboard"} <= types
    assert named[0] & named[1] == set()


def test_a_consumers_vpc_gets_no_flow_log_but_the_load_balancer_logs(
    consumer: dict[str, Any],
) -> None:
    # Other workloads share a consumer's VPC: their flows are not this cluster's to collect.
    assert not of_type(consumer, "aws:ec2/flowLog:FlowLog")
    (bucket,) = of_type(consumer, "aws:s3/bucket:Bucket")
    (alb,) = of_type(consumer, "aws:lb/loadBalancer:LoadBalancer")
    assert alb["state"]["accessLogs"]["bucket"] == bucket["state"]["bucket"]
