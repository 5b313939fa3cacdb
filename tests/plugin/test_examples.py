"""The TypeScript and Pulumi YAML examples, as the engine hands their ApiCluster to the plugin.

No Node.js runtime or Pulumi CLI runs them here: each example's args, with its config filled
in, go to the provider's ``Construct`` exactly as the engine sends them, in the schema's names
(a name the schema lacks fails), and what the provider registers is the API in the given VPC.
Every output an example exports is one the component has.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi.runtime import rpc

from devkit import ROOT
from docsite.pages import DEPLOY
from tests.plugin.conftest import TOKEN, Host
from tests.plugin.engine import Monitor
from tests.plugin.test_provider_host import _construct
from tests.plugin.wire import wire_inputs

EXAMPLES = ROOT / "examples"
VPC = "vpc-0a1b2c3d4e5f60718"
PUBLIC = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
PRIVATE = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
CONFIG: dict[str, Any] = {"vpcId": VPC, "publicSubnetIds": PUBLIC, "privateSubnetIds": PRIVATE}
#: The deploy page's line, which every example's manifest names.
PACKAGE_ADD = re.compile(r"pulumi package add (github\.com/\S+/plugin@v[\d.]+)")


def yaml_example() -> tuple[dict[str, Any], list[str]]:
    """The YAML program's ApiCluster properties, its config filled in, and its outputs."""
    program = yaml.safe_load((EXAMPLES / "yaml" / "Pulumi.yaml").read_text())
    (resource,) = program["resources"].values()
    assert resource["type"] in {"picus:ApiCluster", TOKEN}
    text = json.dumps(resource["properties"])
    # A whole-value reference to a config key becomes its value, a list staying a list.
    filled = re.sub(r'"\$\{(\w+)\}"', lambda m: json.dumps(CONFIG[m[1]]), text)
    outputs = [re.fullmatch(r"\$\{api\.(\w+)\}", v)[1] for v in program["outputs"].values()]  # type: ignore[index]
    return json.loads(filled), outputs


def typescript_example() -> tuple[dict[str, Any], list[str]]:
    """The TypeScript program's ApiCluster args, read from its object literal, and its
    exports."""
    source = (EXAMPLES / "typescript" / "index.ts").read_text()
    match = re.search(r"new picus\.ApiCluster\(\"[\w-]+\", (\{.*?\n\})\);", source, re.DOTALL)
    assert match is not None, "index.ts creates one picus.ApiCluster"
    literal = re.sub(
        r"config\.require(?:Object<[^>]+>)?\(\"(\w+)\"\)",
        lambda m: json.dumps(CONFIG[m[1]]),
        match[1],
    )
    # The literal is JSON but for its comments, bare keys and trailing commas.
    literal = re.sub(r"^\s*//.*$", "", literal, flags=re.MULTILINE)
    literal = re.sub(r"([{,]\s*)(\w+):", r'\1"\2":', literal)
    literal = re.sub(r",(\s*[}\]])", r"\1", literal)
    exports = re.findall(r"^export const \w+ = api\.(\w+);$", source, re.MULTILINE)
    return json.loads(literal), exports


EXAMPLE_ARGS = {"yaml": yaml_example, "typescript": typescript_example}


@pytest.mark.parametrize("example", sorted(EXAMPLE_ARGS))
def test_the_example_creates_the_api_in_the_given_vpc_through_the_plugin(
    host: Host, schema: dict[str, Any], example: str
) -> None:
    args, exported = EXAMPLE_ARGS[example]()
    inputs = wire_inputs(schema, TOKEN, args)
    monitor = Monitor("dev")
    response = _construct(host, monitor, "dev", "payments-api", inputs)
    registered = monitor.resources()
    types = {r["type"] for r in registered}
    assert "aws:ecs/service:Service" in types
    assert not types & {"awsx:ec2:Vpc", "aws:ec2/vpc:Vpc", "aws:ec2/natGateway:NatGateway"}
    (alb,) = [r for r in registered if r["type"] == "aws:lb/loadBalancer:LoadBalancer"]
    assert alb["state"]["subnets"] == PUBLIC
    outputs = rpc.deserialize_properties(response.state)
    assert exported and set(exported) <= set(outputs), set(exported) - set(outputs)


@pytest.mark.parametrize("folder", ["yaml", "typescript"])
def test_each_example_adds_the_package_the_readme_names(folder: str) -> None:
    (named,) = PACKAGE_ADD.findall(DEPLOY.read_text())
    manifest = yaml.safe_load((EXAMPLES / folder / "Pulumi.yaml").read_text())
    assert manifest["packages"] == {"picus": named}


def test_the_typescript_example_imports_the_sdk_pulumi_package_add_generates() -> None:
    package = json.loads((EXAMPLES / "typescript" / "package.json").read_text())
    assert package["dependencies"]["@pulumi/picus"] == "file:sdks/picus"
    assert (
        'import * as picus from "@pulumi/picus";'
        in Path(EXAMPLES / "typescript" / "index.ts").read_text()
    )
