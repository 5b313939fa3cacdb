from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.model import StructureShape

from components import region_outputs
from components.naming import MAX_NAME, MAX_STACK_NAME, stack_prefix
from devkit import ROOT

STACKS = sorted(p.name.split(".")[1] for p in ROOT.glob("Pulumi.*.yaml"))

#: What a deployer sets on a production stack before its first `up` (the stack file cannot
#: hold an account's certificate or on-call address); the program refuses the stack without.
PRODUCTION_REQUIRED = {
    "certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
    "domainName": "api.example.com",
    "hostedZoneId": "Z0123456789ABC",
    "alarmEmail": "oncall@example.com",
    "authIssuer": "https://login.example.com/",
    "authJwksUrl": "https://login.example.com/.well-known/jwks.json",
    "authClaims": "aud=https://api.example.com",
    # The canary's test rules (a secret in the real stack file).
    "releaseHeader": "0123456789abcdef" * 3,
}
#: A stack of one region joined by a second (GlobalApi): it needs a domain in a hosted zone.
TWO_REGIONS = {
    "regions": '["eu-west-1", "us-east-1"]',
    "domainName": "dev.example.com",
    "hostedZoneId": "Z0123456789ABC",
}
THREE_STRONG_REGIONS = {
    "regions": '["eu-west-1", "eu-west-2", "eu-central-1"]',
    "consistency": "strong",
    "regionCertificateArns": '["arn:aws:acm:eu-west-2:123456789012:certificate/b", '
    '"arn:aws:acm:eu-central-1:123456789012:certificate/c"]',
}
#: A prebuilt image and the next one, from the same repository.
IMAGE_REPOSITORY = "210987654321.dkr.ecr.eu-west-1.amazonaws.com/picus"
RUNNING_IMAGE = f"{IMAGE_REPOSITORY}@sha256:" + "cd" * 32
NEXT_IMAGE = f"{IMAGE_REPOSITORY}@sha256:" + "ef" * 32


def _is_production(stack: str) -> bool:
    from tests.components.harness import stack_config

    return stack_config(stack, {})["picus:production"] == "true"


#: Every stack as its deployer completes it, plus variants that switch on what the stack
#: files leave off. Each is (stack name, stack file, overrides).
DEPLOYED: dict[str, tuple[str, str, dict[str, str]]] = {
    stack: (stack, stack, PRODUCTION_REQUIRED if _is_production(stack) else {}) for stack in STACKS
}
VARIANTS: dict[str, tuple[str, str, dict[str, str]]] = {
    **DEPLOYED,
    "prod-waf-topic": (
        "prod",
        "prod",
        {
            **PRODUCTION_REQUIRED,
            "alarmEmail": "",
            "alarmTopicArn": "arn:aws:sns:eu-west-1:123456789012:pager",
            "wafWebAclArn": "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/picus/abc",
        },
    ),
    # A production stack that says, on purpose, that its API is public.
    "prod-public": (
        "prod",
        "prod",
        {**PRODUCTION_REQUIRED, "authIssuer": "", "authJwksUrl": "", "publicApi": "true"},
    ),
    "dev-prebuilt": (
        "dev",
        "dev",
        {
            "imageUri": "210987654321.dkr.ecr.eu-west-1.amazonaws.com/picus@sha256:" + "cd" * 32,
            "cpuArchitecture": "X86_64",
            "snapStart": "false",
        },
    ),
    "dev-domain-kms-logs": (
        "dev",
        "dev",
        {
            "domainName": "dev.example.com",
            "tableKmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab",
            "trafficLogs": "true",
            "tracing": "true",
        },
    ),
    "dev-firewall-count": ("dev", "dev", {"firewall": "true", "firewallCountOnly": "true"}),
    # Production in the middle of a canary release: the next image takes 10 %.
    "prod-canary-live": (
        "prod",
        "prod",
        {
            **PRODUCTION_REQUIRED,
            "imageUri": RUNNING_IMAGE,
            "canaryImageUri": NEXT_IMAGE,
            "canaryWeight": "10",
        },
    ),
    # Two regions behind one domain, on MREC global tables.
    "dev-two-regions": ("dev", "dev", TWO_REGIONS),
    # Production in three regions of one MRSC region set, on MRSC global tables.
    "prod-three-regions": ("prod", "prod", {**PRODUCTION_REQUIRED, **THREE_STRONG_REGIONS}),
    # The longest stack name whose every physical name is an auto-name, with dev's settings.
    "longest-name": ("x" * MAX_STACK_NAME, "dev", {}),
    # The longest stack name the program accepts: capped names are derived from it.
    "name-of-64": ("n" * MAX_NAME, "dev", {"trafficLogs": "true"}),
}


@dataclass
class Stack:
    variant: str
    stack: str
    config: dict[str, str]
    resources: list[dict[str, Any]]
    exports: dict[str, Any]

    def setting(self, key: str) -> str:
        """A picus config key as the program sees it (declared default, stack file, override)."""
        return self.config.get(f"picus:{key}", "")

    def all(self, typ: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["type"] == typ]

    def one(self, typ: str, name_suffix: str = "") -> dict[str, Any]:
        found = [r for r in self.all(typ) if r["name"].endswith(name_suffix)]
        assert len(found) == 1, f"{self.variant}: expected one {typ} *{name_suffix}, got {found}"
        return found[0]

    def by_urn(self, urn: str) -> dict[str, Any]:
        return next(r for r in self.resources if r["urn"] == urn)

    def first_region(self) -> Stack:
        """The stack's own cluster, as a stack of one region has it: in a GlobalApi, without
        the clusters of its other regions and what it adds around them
        (tests/components/test_global_api.py holds those)."""
        home = {
            r["urn"]
            for r in self.resources
            if r["type"] == API_CLUSTER and r["name"] == stack_prefix(self.stack)
        }
        return Stack(
            self.variant,
            self.stack,
            self.config,
            [
                r
                for r in self.resources
                if self.descends_from(r, home) or r["type"] in (STACK, GLOBAL_API)
            ],
            {k: v for k, v in self.exports.items() if k not in REGION_EXPORTS},
        )

    def descends_from(self, resource: dict[str, Any], urns: set[str]) -> bool:
        """Whether the resource is one of ``urns`` or lies under one."""
        by_urn = {r["urn"]: r for r in self.resources}
        found: dict[str, Any] | None = resource
        while found is not None:
            if found["urn"] in urns:
                return True
            found = by_urn.get(found["parent"] or "")
        return False


def harness(
    stack: str, stack_file: str, overrides: dict[str, str], cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """Runs the program under mocks in a process of its own (Pulumi's runtime is global)."""
    args = [f"{k}={v}" for k, v in overrides.items()]
    return subprocess.run(
        [sys.executable, "-m", "tests.components.harness", f"{stack}@{stack_file}", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(cwd)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _run(variant: str) -> Stack:
    from tests.components.harness import stack_config

    stack, stack_file, overrides = VARIANTS[variant]
    result = harness(stack, stack_file, overrides)
    assert result.returncode == 0, f"{variant}: the program failed under mocks\n{result.stderr}"
    data = json.loads(result.stdout)
    config = stack_config(stack, overrides, stack_file)
    return Stack(variant, stack, config, data["resources"], data["exports"])


@pytest.fixture(scope="session")
def stacks() -> dict[str, Stack]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(VARIANTS, pool.map(_run, VARIANTS), strict=True))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "variant" in metafunc.fixturenames:
        metafunc.parametrize("variant", list(VARIANTS))


@pytest.fixture
def stack(stacks: dict[str, Stack], variant: str) -> Stack:
    """The variant's first region: its only region, or the first of its GlobalApi."""
    return stacks[variant].first_region()


@pytest.fixture
def program(stacks: dict[str, Stack], variant: str) -> Stack:
    """The variant's whole program: every region."""
    return stacks[variant]


def policy_of(resource: dict[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(resource["state"]["policy"])
    return document


TABLE = "aws:dynamodb/table:Table"
API_CLUSTER = "picus:index:ApiCluster"
GLOBAL_API = "picus:index:GlobalApi"
STACK = "pulumi:pulumi:Stack"
#: What a stack of several regions exports beside its first region's cluster's outputs.
REGION_EXPORTS = frozenset({region_outputs.REGIONS, region_outputs.GLOBAL_DASHBOARD_URL})


def data_table(stack: Stack) -> dict[str, Any]:
    """The table of the items, which the service and the function share."""
    return stack.one(TABLE, f"{stack_prefix(stack.stack)}-table")


def idempotency_table(stack: Stack) -> dict[str, Any]:
    """The table of the service's Idempotency-Key records."""
    return stack.one(TABLE, f"{stack_prefix(stack.stack)}-idempotency-table")


def service_target_group(stack: Stack) -> dict[str, Any]:
    """The load balancer's target group for the primary service's tasks (the Lambda's and the
    canary's are others)."""
    (group,) = [
        t
        for t in stack.all("aws:lb/targetGroup:TargetGroup")
        if t["state"]["targetType"] == "ip" and not t["name"].endswith("-canary-tg")
    ]
    return group


def input_shape(service: str, operation: str) -> StructureShape:
    """What an AWS API call accepts, from botocore's model of the service."""
    shape = botocore.session.get_session().get_service_model(service).operation_model(operation)
    assert shape.input_shape is not None
    return shape.input_shape
