"""ApiCluster over gRPC, as a TypeScript, Go, C#, Java or YAML program gets it.

The engine's ``Construct`` carries the consumer's args in the schema's names, numbers as doubles;
the provider builds the component against the ResourceMonitor the request names. Here that
monitor is the components' mocks: what the provider registers must be, resource for resource,
what the stack's own Python program registers for the same settings.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc  # type: ignore[import-untyped]
import pytest
from google.protobuf import empty_pb2  # type: ignore[import-untyped]
from pulumi.runtime import rpc
from pulumi.runtime.proto import errors_pb2, provider_pb2, status_pb2

from components.stack_config import cluster_args, cluster_name
from devkit import ROOT
from picus.version import VERSION
from tests.components.conftest import DEPLOYED, Stack
from tests.components.conftest import VARIANTS as ALL_VARIANTS
from tests.components.graph import load
from tests.components.harness import PROJECT, stack_config
from tests.plugin.conftest import TOKEN, Host
from tests.plugin.engine import Monitor, monitor_service
from tests.plugin.wire import OutputValue, wire_inputs

#: Every stack file's settings, as its deployer completes them: (stack, stack file, overrides);
#: and a stack of two regions, which the stack program and a consumer build as a GlobalApi.
VARIANTS = {**DEPLOYED, "dev-two-regions": ALL_VARIANTS["dev-two-regions"]}
GLOBAL_TOKEN = "picus:index:GlobalApi"


def token_of(variant: str) -> str:
    """The component a consumer constructs for the variant's settings."""
    return GLOBAL_TOKEN if json.loads(VARIANTS[variant][2].get("regions", "[]"))[1:] else TOKEN


#: The stack a refused Construct runs in.
STACK = "dev"
#: Construct builds the whole cluster, under mocks, in a few seconds.
CONSTRUCT_TIMEOUT = 120


class _Config:
    """A stack's config as ``pulumi.Config()`` reads it: keys without the project's prefix."""

    def __init__(self, values: dict[str, str]) -> None:
        self._values = values

    def get(self, key: str) -> str | None:
        return self._values.get(f"{PROJECT}:{key}")


def _stack_urn(stack: str) -> str:
    """The stack resource of the consumer's program, the component's parent."""
    return f"urn:pulumi:{stack}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{stack}"


def _construct(
    host: Host,
    monitor: Monitor,
    stack: str,
    name: str,
    inputs: Any,
    dependencies: dict[str, list[str]] | None = None,
    preview: bool = False,
    token: str = TOKEN,
) -> provider_pb2.ConstructResponse:
    config = stack_config(stack, {})
    with monitor_service(monitor) as address:
        request = provider_pb2.ConstructRequest(
            project=PROJECT,
            stack=stack,
            # A consumer's stack has its providers' config, none of this project's own.
            config={k: v for k, v in config.items() if not k.startswith(f"{PROJECT}:")},
            dryRun=preview,
            parallel=16,
            monitorEndpoint=address,
            type=token,
            name=name,
            parent=_stack_urn(stack),
            inputs=inputs,
            inputDependencies={
                key: provider_pb2.ConstructRequest.PropertyDependencies(urns=urns)
                for key, urns in (dependencies or {}).items()
            },
        )
        response: provider_pb2.ConstructResponse = host.provider.stub.Construct(
            request, timeout=CONSTRUCT_TIMEOUT
        )
        return response


@dataclass
class Constructed:
    variant: str
    stack: str
    #: Every resource registered, as the harness prints the program's.
    resources: list[dict[str, Any]]
    #: The component's outputs, as the consumer's program gets them.
    outputs: dict[str, Any]


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def constructed(request: pytest.FixtureRequest, host: Host, schema: dict[str, Any]) -> Constructed:
    """What the provider does for a stack's settings, sent as another language's SDK sends them."""
    variant: str = request.param
    stack, stack_file, overrides = VARIANTS[variant]
    args = cluster_args(_Config(stack_config(stack, overrides, stack_file)), stack)
    token = token_of(variant)
    inputs = wire_inputs(schema, token, args)
    monitor = Monitor(stack)
    try:
        response = _construct(host, monitor, stack, cluster_name(stack), inputs, token=token)
    except grpc.RpcError as error:
        pytest.fail(f"{variant}: Construct failed: {error.details()}\n{host.provider.stderr()}")
    outputs = rpc.deserialize_properties(response.state)
    return Constructed(variant, stack, monitor.resources(), outputs)


def _program(constructed: Constructed) -> Stack:
    """The stack's own program, run under the mocks with the same settings (once a session)."""
    stack, stack_file, overrides = VARIANTS[constructed.variant]
    return load(constructed.variant, stack, stack_file, overrides)


def _tree(resources: list[dict[str, Any]], root: str, cwd: Path) -> dict[str, dict[str, Any]]:
    """What the engine would see of each resource of the component ``root`` and below it, with
    each file named by its absolute path: the engine opens a relative one from ``cwd``."""
    by_urn = {r["urn"]: r for r in resources}

    def within(resource: dict[str, Any]) -> bool:
        while resource["urn"] != root:
            parent = by_urn.get(resource["parent"])
            if parent is None:
                return False
            resource = parent
        return True

    def seen(resource: dict[str, Any]) -> dict[str, Any]:
        parent = by_urn.get(resource["parent"])
        return {
            "type": resource["type"],
            "name": resource["name"],
            "parent": (parent["type"], parent["name"]) if parent else resource["parent"],
            "custom": resource["custom"],
            # A custom resource's state is its inputs and what the mocks compute from them; a
            # remote component's inputs are kept apart.
            "state": _absolute(resource["state"], cwd),
            "inputs": _absolute(resource["inputs"], cwd),
            "protect": resource["protect"],
            "dependencies": resource["dependencies"],
            "ignore_changes": resource["ignore_changes"],
            "delete_before_replace": resource["delete_before_replace"],
            "retain_on_delete": resource["retain_on_delete"],
        }

    return {urn: seen(r) for urn, r in by_urn.items() if within(r)}


def _differences(expected: dict[str, dict[str, Any]], got: dict[str, dict[str, Any]]) -> list[str]:
    found = [f"missing: {urn}" for urn in sorted(expected.keys() - got.keys())]
    found += [f"extra: {urn}" for urn in sorted(got.keys() - expected.keys())]
    for urn in sorted(expected.keys() & got.keys()):
        for field, value in expected[urn].items():
            if got[urn][field] != value:
                found.append(
                    f"{urn} {field}:\n  program:   {value!r}\n  construct: {got[urn][field]!r}"
                )
    return found


def test_the_provider_reports_the_package_version(host: Host) -> None:
    info = host.provider.stub.GetPluginInfo(empty_pb2.Empty(), timeout=10)
    assert info.version == VERSION


def test_construct_registers_what_the_python_program_registers(
    host: Host, constructed: Constructed
) -> None:
    program = _program(constructed)
    stack = constructed.stack
    token = token_of(constructed.variant)
    root = f"urn:pulumi:{stack}::{PROJECT}::pulumi:pulumi:Stack${token}::{cluster_name(stack)}"
    # The harness runs the program from the repository, as the CLI does (Pulumi.yaml's folder).
    expected = _tree(program.resources, root, ROOT)
    got = _tree(constructed.resources, root, host.consumer)
    assert root in expected, f"the program has no {root}"
    differences = _differences(expected, got)
    assert not differences, "\n".join(differences)


def test_the_consumer_gets_every_output_the_stack_exports(
    schema: dict[str, Any], constructed: Constructed
) -> None:
    declared = schema["resources"][token_of(constructed.variant)]["properties"]
    assert constructed.outputs.keys() == declared.keys()
    exported = _program(constructed).exports
    outputs = constructed.outputs
    if "regions" in outputs:
        # The stack exports its first region's cluster's outputs beside the GlobalApi's own (a
        # map's order does not cross the wire: the first region is the settings').
        first = json.loads(VARIANTS[constructed.variant][2]["regions"])[0]
        outputs = {**outputs["regions"][first], **outputs}
    differing = {k: (v, outputs.get(k)) for k, v in exported.items() if outputs.get(k) != v}
    assert not differing, f"output: (the stack's export, Construct's): {differing}"


def test_files_the_resources_read_are_found_from_the_consumers_folder(
    host: Host, constructed: Constructed
) -> None:
    # The engine and the providers open an asset's path from the consumer's folder.
    paths = [p for r in constructed.resources for p in _paths(r["state"])]
    assert paths, "the cluster packages its function's code and builds its image"
    missing = [p for p in paths if not (host.consumer / p).exists()]
    assert not missing, f"not found from {host.consumer}: {missing}"


def _file(value: Any) -> str | None:
    """The path of a file a resource reads: an asset or archive (``{"path": ...}``, as the
    harness prints them), an image's build context or Dockerfile (``{"location": ...}``)."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, item),) = value.items()
        if key in {"path", "location"} and isinstance(item, str):
            return item
    return None


def _paths(value: Any) -> Iterator[str]:
    """Every file a resource's state names."""
    path = _file(value)
    if path is not None:
        yield path
    elif isinstance(value, dict):
        for item in value.values():
            yield from _paths(item)
    elif isinstance(value, list):
        for item in value:
            yield from _paths(item)


def _absolute(value: Any, cwd: Path) -> Any:
    """``value`` with each file it names as an absolute path, a relative one taken from ``cwd``."""
    path = _file(value)
    if path is not None:
        ((key, _),) = value.items()
        return {key: str((cwd / path).resolve())}
    if isinstance(value, dict):
        return {k: _absolute(v, cwd) for k, v in value.items()}
    if isinstance(value, list):
        return [_absolute(v, cwd) for v in value]
    return value


def _refusal(host: Host, schema: dict[str, Any], args: dict[str, Any]) -> Any:
    """Construct's error for args the cluster refuses; nothing may have been registered."""
    monitor = Monitor(STACK)
    with pytest.raises(grpc.RpcError) as raised:
        _construct(host, monitor, STACK, "refused", wire_inputs(schema, TOKEN, args))
    assert monitor.resources() == [], "refused settings created resources"
    return raised.value


def _property_errors(error: Any) -> dict[str, str]:
    """The invalid properties a provider names in its status details, as the engine reads them:
    each path, and why."""
    (details,) = [v for k, v in error.trailing_metadata() if k == "grpc-status-details-bin"]
    status = status_pb2.Status.FromString(details)
    found: dict[str, str] = {}
    for packed in status.details:
        refused = errors_pb2.InputPropertiesError()
        assert packed.Unpack(refused)
        found |= {e.property_path: e.reason for e in refused.errors}
    return found


def test_a_bad_input_fails_naming_it_and_creates_nothing(
    host: Host, schema: dict[str, Any]
) -> None:
    details: str = _refusal(host, schema, {"cpu": 300}).details()
    assert "cpu" in details and "300" in details, details


def test_a_bad_nested_input_is_named_as_the_consumer_wrote_it(
    host: Host, schema: dict[str, Any]
) -> None:
    # A program in another language has no stack config keys: only the args' paths.
    details: str = _refusal(host, schema, {"scaling": {"min_count": 0}}).details()
    assert "scaling.minCount" in details, details


def test_a_missing_required_input_is_refused_by_its_path(
    host: Host, schema: dict[str, Any]
) -> None:
    error = _refusal(host, schema, {"auth": {"issuer": "https://login.example.com/"}})
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _property_errors(error).keys() == {"auth.jwksUrl"}


#: A VPC of the consumer's own, and its subnets in two zones.
CONSUMER_VPC = "urn:pulumi:dev::consumer::awsx:ec2:Vpc::their-vpc"
VPC_ID = "vpc-0123456789abcdef0"
PUBLIC_SUBNETS = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
PRIVATE_SUBNETS = ["subnet-0123456789abcdef2", "subnet-0123456789abcdef3"]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_a_consumers_own_network_is_used_not_created(
    host: Host, schema: dict[str, Any], preview: bool
) -> None:
    # The IDs are outputs of the consumer's resources, unknown yet in a preview.
    def of_their_vpc(value: Any) -> OutputValue:
        return OutputValue(None if preview else value, (CONSUMER_VPC,))

    network = {
        "vpc_id": of_their_vpc(VPC_ID),
        "public_subnet_ids": of_their_vpc(PUBLIC_SUBNETS),
        "private_subnet_ids": of_their_vpc(PRIVATE_SUBNETS),
    }
    monitor = Monitor(STACK)
    inputs = wire_inputs(schema, TOKEN, {"network": network})
    try:
        _construct(
            host, monitor, STACK, cluster_name(STACK), inputs, {"network": [CONSUMER_VPC]}, preview
        )
    except grpc.RpcError as error:
        pytest.fail(f"Construct failed: {error.details()}")
    resources = monitor.resources()
    assert not [r["urn"] for r in resources if r["type"] == "awsx:ec2:Vpc"]
    groups = [r for r in resources if r["type"] == "aws:ec2/securityGroup:SecurityGroup"]
    assert groups, "the cluster's security groups are in the consumer's VPC"
    for group in groups:
        assert CONSUMER_VPC in group["dependencies"], group["name"]
        assert group["state"].get("vpcId") == (None if preview else VPC_ID), group["name"]
