"""Runs ``__main__.py`` under Pulumi's mocks for one stack and prints every resource as JSON.

    python -m tests.components.harness STACK[@FILE] [KEY=VALUE ...]

Config is merged as the CLI does: Pulumi.yaml's declared defaults, then Pulumi.STACK.yaml (or
Pulumi.FILE.yaml, to try a stack name with another stack's settings), then the overrides. A
program that refuses its config prints ``{"refused": message}`` and exits 3.

Each stack runs in a process of its own because Pulumi's runtime state is global. The mocks
fill every computed output the program reads; an ``apply`` that receives ``None`` (a missing
mock output silently resolving to None) is recorded as a violation.
"""

from __future__ import annotations

import hashlib
import json
import runpy
import sys
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.sync_await import _sync_await

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
REGION = "eu-west-1"
PROJECT = "picus"
#: The load balancing service's account in eu-west-1, which writes its access logs.
ELB_ACCOUNT = "156460612806"


def stack_config(
    stack: str, overrides: dict[str, str], stack_file: str | None = None
) -> dict[str, str]:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    config: dict[str, str] = {}
    for key, spec in project.get("config", {}).items():
        if "default" in spec:
            config[f"{PROJECT}:{key}"] = _text(spec["default"])
    settings = yaml.safe_load((ROOT / f"Pulumi.{stack_file or stack}.yaml").read_text()) or {}
    for key, value in (settings.get("config") or {}).items():
        config[key] = _text(value)
    for key, value in overrides.items():
        config[key if ":" in key else f"{PROJECT}:{key}"] = value
    return config


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _arn(service: str, kind: str, name: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{kind}{name}"


#: The property pulumi-aws fills by auto-naming, where it is not "name".
AUTONAMED_FIELD = {"aws:s3/bucket:Bucket": "bucket"}


def autoname(name: str) -> str:
    """As pulumi-aws names a resource: its logical name, "-" and 7 hex characters. The suffix
    depends on the logical name only, so two stacks' names differ only if their logical names
    do; a real (random) suffix would hide a name that ignores the stack."""
    return f"{name}-{hashlib.sha256(name.encode()).hexdigest()[:7]}"


def computed_outputs(typ: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """What AWS would fill in after create, for the outputs this program reads."""
    field = AUTONAMED_FIELD.get(typ, "name")
    physical = inputs.get(field) or autoname(name)
    out: dict[str, Any] = {field: physical}
    if typ == "aws:ec2/vpc:Vpc":
        out["arn"] = _arn("ec2", "vpc/", "vpc-0123")
    elif typ == "aws:dynamodb/table:Table":
        out["arn"] = _arn("dynamodb", "table/", physical)
    elif typ == "aws:ecr/repository:Repository":
        out["arn"] = _arn("ecr", "repository/", physical)
        out["registryId"] = ACCOUNT
        out["repositoryUrl"] = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{physical}"
    elif typ == "docker-build:index:Image":
        out["digest"] = "sha256:" + "ab" * 32
        out["ref"] = f"image@sha256:{'ab' * 32}"
    elif typ == "aws:cloudwatch/logGroup:LogGroup":
        out["arn"] = _arn("logs", "log-group:", physical) + ":*"
    elif typ == "aws:iam/role:Role":
        out["arn"] = f"arn:aws:iam::{ACCOUNT}:role/{physical}"
    elif typ == "aws:lb/loadBalancer:LoadBalancer":
        out["arn"] = _arn(
            "elasticloadbalancing", "loadbalancer/app/", f"{physical}/50dc6c495c0c9188"
        )
        out["arnSuffix"] = f"app/{physical}/50dc6c495c0c9188"
        out["dnsName"] = f"{physical}-1234567890.{REGION}.elb.amazonaws.com"
        out["zoneId"] = "Z32O12XQLNTSW2"
    elif typ == "aws:lb/targetGroup:TargetGroup":
        out["arn"] = _arn("elasticloadbalancing", "targetgroup/", f"{physical}/73e2d6bc24d8a067")
        out["arnSuffix"] = f"targetgroup/{physical}/73e2d6bc24d8a067"
    elif typ == "aws:lb/listener:Listener":
        out["arn"] = _arn("elasticloadbalancing", "listener/app/", f"{name}/1/2")
    elif typ == "aws:ecs/cluster:Cluster":
        out["arn"] = _arn("ecs", "cluster/", physical)
    elif typ == "aws:ecs/taskDefinition:TaskDefinition":
        out["arn"] = _arn("ecs", "task-definition/", f"{inputs.get('family')}:1")
    elif typ == "aws:lambda/function:Function":
        out["arn"] = _arn("lambda", "function:", physical)
        out["version"] = "1"
    elif typ == "aws:lambda/alias:Alias":
        out["arn"] = _arn("lambda", "function:", f"fn:{physical}")
    elif typ == "aws:cloudwatch/metricAlarm:MetricAlarm":
        out["arn"] = _arn("cloudwatch", "alarm:", physical)
    elif typ == "aws:wafv2/webAcl:WebAcl":
        out["arn"] = _arn("wafv2", "regional/webacl/", f"{physical}/1234abcd")
    elif typ == "aws:sns/topic:Topic":
        out["arn"] = _arn("sns", "", physical)
    elif typ == "aws:route53/record:Record":
        out["fqdn"] = inputs["name"]
    elif typ == "aws:s3/bucket:Bucket":
        out["arn"] = f"arn:aws:s3:::{physical}"
    return out


def awsx_vpc_outputs(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """What ``awsx.ec2.Vpc`` returns: ids of a subnet per zone and spec type. Its child
    resources are created by the awsx provider, which mocks do not run."""
    zones = int(inputs.get("numberOfAvailabilityZones", 3))
    types = [spec["type"].lower() for spec in inputs.get("subnetSpecs", [])]
    ids = {t: [f"subnet-{name}-{t}-{z}" for z in range(zones)] for t in types}
    return {
        "vpcId": f"vpc-{autoname(name)}",
        "privateSubnetIds": ids.get("private", []),
        "publicSubnetIds": ids.get("public", []),
        "isolatedSubnetIds": ids.get("isolated", []),
    }


def route_table_of(subnet_id: str) -> str:
    """The mocked route table associated with a subnet."""
    return f"rtb-{subnet_id}"


#: Multi-language components answer with their outputs only, as their provider would.
REMOTE_COMPONENTS = {"awsx:ec2:Vpc": awsx_vpc_outputs}


class Mocks(pulumi_mocks.Mocks):
    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ in REMOTE_COMPONENTS:
            return "", REMOTE_COMPONENTS[args.typ](args.name, args.inputs)
        state = {**args.inputs, **computed_outputs(args.typ, args.name, args.inputs)}
        return f"{args.name}-id", state

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
        token = args.token
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names = [f"{REGION}{z}" for z in "abc"]
            return {"names": names, "zoneIds": [f"euw1-az{i}" for i in (1, 2, 3)]}, []
        if token == "aws:index/getRegion:getRegion":
            return {"name": REGION, "region": REGION, "id": REGION}, []
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/ci"}, []
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com"}, []
        if token == "aws:elb/getServiceAccount:getServiceAccount":
            return {"arn": f"arn:aws:iam::{ELB_ACCOUNT}:root", "id": ELB_ACCOUNT}, []
        if token == "aws:ec2/getRouteTables:getRouteTables":
            (subnets,) = (f["values"] for f in args.args["filters"])
            ids = [route_table_of(s) for s in subnets]
            return {"id": args.args["vpcId"], "ids": ids, "vpcId": args.args["vpcId"]}, []
        if token == "aws:ecr/getAuthorizationToken:getAuthorizationToken":
            return {"userName": "AWS", "password": "token", "proxyEndpoint": "x"}, []
        raise NotImplementedError(f"no mock for the invoke {token}")


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """Keeps what the engine would see of each resource: its options, not just its inputs."""

    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self.registrations: dict[str, dict[str, Any]] = {}

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        self.registrations[response.urn] = {
            "type": request.type,
            "name": request.name,
            "parent": request.parent,
            "protect": request.protect,
            "dependencies": sorted(request.dependencies),
            "ignore_changes": list(request.ignoreChanges),
            "custom": request.custom,
            "remote": request.remote,
            "inputs": rpc.deserialize_properties(request.object) if request.remote else {},
        }
        return response


def run(stack: str, overrides: dict[str, str], stack_file: str | None = None) -> dict[str, Any]:
    pulumi.runtime.set_all_config(stack_config(stack, overrides, stack_file))
    monitor = RecordingMonitor(Mocks())
    pulumi.runtime.set_mocks(Mocks(), project=PROJECT, stack=stack, preview=False, monitor=monitor)

    none_applies: list[str] = []
    original_apply = pulumi.Output.apply

    def checked_apply(self: pulumi.Output[Any], func: Any, run_with_unknowns: bool = False) -> Any:
        def guard(value: Any) -> Any:
            if value is None or (isinstance(value, list) and any(v is None for v in value)):
                none_applies.append(getattr(func, "__qualname__", repr(func)))
            return func(value)

        return original_apply(self, guard, run_with_unknowns)

    exports: dict[str, Any] = {}
    pulumi.Output.apply = checked_apply  # type: ignore[method-assign]
    pulumi_export = pulumi.export
    pulumi.export = lambda name, value: exports.__setitem__(name, value)
    try:

        def program() -> None:
            runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")

        _sync_await(pulumi.runtime.stack.run_pulumi_func(program))
        resolved = {
            k: _sync_await(pulumi.Output.from_input(v).future()) for k, v in exports.items()
        }
    finally:
        pulumi.Output.apply = original_apply  # type: ignore[method-assign]
        pulumi.export = pulumi_export

    resources = []
    for urn, registered in monitor.resources.items():
        options = monitor.registrations[urn]
        resources.append({"urn": urn, "id": registered.id, "state": registered.state, **options})
    return {"resources": resources, "exports": resolved, "none_applies": none_applies}


def _serialize(value: Any) -> Any:
    if isinstance(value, pulumi.AssetArchive):
        return {"archive": {name: _serialize(asset) for name, asset in value.assets.items()}}
    if isinstance(value, pulumi.FileAsset | pulumi.FileArchive):
        return {"path": value.path}
    return str(value)


def main() -> None:
    target, *pairs = sys.argv[1:]
    stack, _, stack_file = target.partition("@")
    overrides = dict(pair.split("=", 1) for pair in pairs)
    try:
        result = run(stack, overrides, stack_file or None)
    except pulumi.RunError as refusal:
        print(json.dumps({"refused": str(refusal)}))
        sys.exit(3)
    print(json.dumps(result, default=_serialize))


if __name__ == "__main__":
    main()
