"""Runs ``__main__.py`` under Pulumi's mocks for one stack and prints every resource as JSON.

    python -m tests.components.harness STACK[@FILE] [KEY=VALUE ...]
    python -m tests.components.harness --program FOLDER STACK [PROJECT:KEY=VALUE ...]

Config is merged as the CLI does: Pulumi.yaml's declared defaults, then Pulumi.STACK.yaml (or
Pulumi.FILE.yaml, to try a stack name with another stack's settings), then the overrides. A
program that refuses its config prints ``{"refused": message}`` and exits 3.

Each stack runs in a process of its own because Pulumi's runtime state is global. The mocks
fill the computed outputs the program reads from one table, ``COMPUTED``.
"""

from __future__ import annotations

import hashlib
import json
import runpy
import sys
from collections.abc import Callable
from dataclasses import dataclass
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


def _arn(service: str, kind: str, name: str, region: str = REGION) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{kind}{name}"


#: The property pulumi-aws fills by auto-naming, where it is not "name".
AUTONAMED_FIELD = {"aws:s3/bucket:Bucket": "bucket"}
#: The property that names a resource by a prefix, where it is not "namePrefix".
PREFIX_FIELD = {"aws:s3/bucket:Bucket": "bucketPrefix"}


def autoname(name: str) -> str:
    """As pulumi-aws names a resource: its logical name, "-" and 7 hex characters. The suffix
    depends on the logical name only, so two stacks' names differ only if their logical names
    do; a real (random) suffix would hide a name that ignores the stack."""
    return f"{name}-{hashlib.sha256(name.encode()).hexdigest()[:7]}"


@dataclass(frozen=True)
class Created:
    """A resource as the provider creates it: its logical name, inputs and physical name."""

    name: str
    inputs: dict[str, Any]
    physical: str
    #: The region of the resource's provider: the stack's, or an explicit provider's.
    region: str = REGION


_ELB_ID = "50dc6c495c0c9188"
_TG_ID = "73e2d6bc24d8a067"
_DIGEST = "sha256:" + "ab" * 32

#: What the provider fills in after create, per resource type, for the outputs this program
#: reads. A type the program creates and this table leaves out gets its inputs back only;
#: tests/components/test_main.py checks that every type here is one the program creates.
COMPUTED: dict[str, Callable[[Created], dict[str, Any]]] = {
    "aws:dynamodb/table:Table": lambda r: {"arn": _arn("dynamodb", "table/", r.physical, r.region)},
    "aws:ecr/repository:Repository": lambda r: {
        "arn": _arn("ecr", "repository/", r.physical, r.region),
        "registryId": ACCOUNT,
        "repositoryUrl": f"{ACCOUNT}.dkr.ecr.{r.region}.amazonaws.com/{r.physical}",
    },
    "docker-build:index:Image": lambda r: {"digest": _DIGEST, "ref": f"image@{_DIGEST}"},
    "aws:cloudwatch/logGroup:LogGroup": lambda r: {
        "arn": _arn("logs", "log-group:", r.physical, r.region) + ":*"
    },
    "aws:iam/role:Role": lambda r: {"arn": f"arn:aws:iam::{ACCOUNT}:role/{r.physical}"},
    "aws:lb/loadBalancer:LoadBalancer": lambda r: {
        "arn": _arn(
            "elasticloadbalancing", "loadbalancer/app/", f"{r.physical}/{_ELB_ID}", r.region
        ),
        "arnSuffix": f"app/{r.physical}/{_ELB_ID}",
        "dnsName": f"{r.physical}-1234567890.{r.region}.elb.amazonaws.com",
        "zoneId": "Z32O12XQLNTSW2",
    },
    "aws:lb/targetGroup:TargetGroup": lambda r: {
        "arn": _arn("elasticloadbalancing", "targetgroup/", f"{r.physical}/{_TG_ID}", r.region),
        "arnSuffix": f"targetgroup/{r.physical}/{_TG_ID}",
    },
    "aws:lb/listener:Listener": lambda r: {
        "arn": _arn("elasticloadbalancing", "listener/app/", f"{r.name}/1/2", r.region)
    },
    "aws:ecs/cluster:Cluster": lambda r: {"arn": _arn("ecs", "cluster/", r.physical, r.region)},
    "aws:ecs/taskDefinition:TaskDefinition": lambda r: {
        "arn": _arn("ecs", "task-definition/", f"{r.inputs.get('family')}:1", r.region)
    },
    "aws:lambda/function:Function": lambda r: {
        "arn": _arn("lambda", "function:", r.physical, r.region),
        "version": "1",
    },
    "aws:lambda/alias:Alias": lambda r: {
        "arn": _arn("lambda", "function:", f"fn:{r.physical}", r.region)
    },
    "aws:cloudwatch/metricAlarm:MetricAlarm": lambda r: {
        "arn": _arn("cloudwatch", "alarm:", r.physical, r.region)
    },
    "aws:wafv2/webAcl:WebAcl": lambda r: {
        "arn": _arn("wafv2", "regional/webacl/", f"{r.physical}/1234abcd", r.region)
    },
    "aws:sns/topic:Topic": lambda r: {"arn": _arn("sns", "", r.physical, r.region)},
    "aws:route53/record:Record": lambda r: {"fqdn": r.inputs["name"]},
    "aws:s3/bucket:Bucket": lambda r: {"arn": f"arn:aws:s3:::{r.physical}"},
}


def computed_outputs(
    typ: str, name: str, inputs: dict[str, Any], region: str = REGION
) -> dict[str, Any]:
    """The physical name pulumi-aws gives (auto-naming) and what the table adds."""
    field = AUTONAMED_FIELD.get(typ, "name")
    prefix = inputs.get(PREFIX_FIELD.get(typ, "namePrefix"))
    # A prefix is completed with 26 characters of a unique id, as terraform-provider-aws does.
    physical = inputs.get(field) or (prefix + "0" * 26 if prefix else autoname(name))
    compute = COMPUTED.get(typ)
    extra = compute(Created(name, inputs, physical, region)) if compute is not None else {}
    return {field: physical, **extra}


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


def subnet_cidr(subnet_id: str) -> str:
    """The mocked block of an existing subnet: one /24 per ID."""
    number = int(hashlib.sha256(subnet_id.encode()).hexdigest(), 16) % 256
    return f"10.1.{number}.0/24"


def route_table_of(subnet_id: str) -> str:
    """The mocked route table associated with a subnet."""
    return f"rtb-{subnet_id}"


#: Multi-language components answer with their outputs only, as their provider would.
REMOTE_COMPONENTS = {"awsx:ec2:Vpc": awsx_vpc_outputs}


class Mocks(pulumi_mocks.Mocks):
    def __init__(self) -> None:
        #: Each explicit provider's region, by its ID (the last part of a provider reference).
        self.regions: dict[str, str] = {}

    def region_of(self, provider: str | None) -> str:
        return self.regions.get((provider or "").rpartition("::")[2], REGION)

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ in REMOTE_COMPONENTS:
            return "", REMOTE_COMPONENTS[args.typ](args.name, args.inputs)
        if args.typ == "pulumi:providers:aws":
            self.regions[f"{args.name}-id"] = args.inputs.get("region", REGION)
        region = self.region_of(args.provider)
        state = {**args.inputs, **computed_outputs(args.typ, args.name, args.inputs, region)}
        return f"{args.name}-id", state

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
        token = args.token
        region = self.region_of(args.provider)
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names = [f"{region}{z}" for z in "abc"]
            return {"names": names, "zoneIds": [f"euw1-az{i}" for i in (1, 2, 3)]}, []
        if token == "aws:index/getRegion:getRegion":
            return {"name": region, "region": region, "id": region}, []
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
        if token == "aws:ec2/getSubnet:getSubnet":
            return {"id": args.args["id"], "cidrBlock": subnet_cidr(args.args["id"])}, []
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
            # What decides the order of a replacement and what the engine keeps on delete or
            # rename: tests/components/test_transitions.py and test_identity.py read these.
            "delete_before_replace": request.deleteBeforeReplace,
            "retain_on_delete": request.retainOnDelete,
            "aliases": [_alias(alias) for alias in request.aliases],
        }
        return response


def _alias(alias: Any) -> dict[str, Any]:
    """An alias as the SDK sends it: a whole URN, or a spec whose empty fields default to the
    resource's own name, type and parent."""
    if alias.HasField("urn"):
        return {"urn": alias.urn}
    spec = alias.spec
    return {
        "name": spec.name,
        "type": spec.type,
        "parent": spec.parentUrn if spec.HasField("parentUrn") else None,
        "no_parent": spec.HasField("noParent") and spec.noParent,
    }


def run(stack: str, overrides: dict[str, str], stack_file: str | None = None) -> dict[str, Any]:
    """The stack program, for a stack of this project."""
    config = stack_config(stack, overrides, stack_file)
    return run_program(ROOT / "__main__.py", PROJECT, stack, config)


def run_program(program: Path, project: str, stack: str, config: dict[str, str]) -> dict[str, Any]:
    """Any Pulumi program, a consumer's too, under the mocks, from the working folder."""
    pulumi.runtime.set_all_config(config)
    mocks = Mocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)

    exports: dict[str, Any] = {}
    pulumi_export = pulumi.export
    pulumi.export = lambda name, value: exports.__setitem__(name, value)
    try:

        def program_main() -> None:
            runpy.run_path(str(program), run_name="__main__")

        _sync_await(pulumi.runtime.stack.run_pulumi_func(program_main))
        resolved = {
            k: _sync_await(pulumi.Output.from_input(v).future()) for k, v in exports.items()
        }
    finally:
        pulumi.export = pulumi_export

    resources = []
    for urn, registered in monitor.resources.items():
        options = monitor.registrations[urn]
        resources.append({"urn": urn, "id": registered.id, "state": registered.state, **options})
    return {"resources": resources, "exports": resolved}


def _serialize(value: Any) -> Any:
    if isinstance(value, pulumi.AssetArchive):
        return {"archive": {name: _serialize(asset) for name, asset in value.assets.items()}}
    if isinstance(value, pulumi.FileAsset | pulumi.FileArchive):
        return {"path": value.path}
    return str(value)


def main() -> None:
    target, *pairs = sys.argv[1:]
    try:
        if target == "--program":
            # A consumer's program: its folder, the stack, then its config as project:key=value.
            folder, stack, *settings = pairs
            project = yaml.safe_load((Path(folder) / "Pulumi.yaml").read_text())["name"]
            config = dict(pair.split("=", 1) for pair in settings)
            result = run_program(Path(folder) / "__main__.py", project, stack, config)
        else:
            stack, _, stack_file = target.partition("@")
            overrides = dict(pair.split("=", 1) for pair in pairs)
            result = run(stack, overrides, stack_file or None)
    except pulumi.RunError as refusal:
        print(json.dumps({"refused": str(refusal)}))
        sys.exit(3)
    print(json.dumps(result, default=_serialize))


if __name__ == "__main__":
    main()
