from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from tests.backends import ROOT

STACKS = sorted(p.name.split(".")[1] for p in ROOT.glob("Pulumi.*.yaml"))

#: Each stack as configured, plus variants that switch on what the stack files leave off.
VARIANTS: dict[str, tuple[str, dict[str, str]]] = {
    **{stack: (stack, {}) for stack in STACKS},
    "prod-https": (
        "prod",
        {
            "certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
            "domainName": "api.example.com",
            "hostedZoneId": "Z0123456789ABC",
            "alarmEmail": "oncall@example.com",
            "wafWebAclArn": "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/picus/abc",
        },
    ),
    "dev-prebuilt": (
        "dev",
        {
            "imageUri": "210987654321.dkr.ecr.eu-west-1.amazonaws.com/picus@sha256:" + "cd" * 32,
            "cpuArchitecture": "X86_64",
        },
    ),
}


@dataclass
class Stack:
    variant: str
    stack: str
    overrides: dict[str, str]
    resources: list[dict[str, Any]]
    exports: dict[str, Any]
    none_applies: list[str]

    def all(self, typ: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["type"] == typ]

    def one(self, typ: str, name_suffix: str = "") -> dict[str, Any]:
        found = [r for r in self.all(typ) if r["name"].endswith(name_suffix)]
        assert len(found) == 1, f"{self.variant}: expected one {typ} *{name_suffix}, got {found}"
        return found[0]

    def by_urn(self, urn: str) -> dict[str, Any]:
        return next(r for r in self.resources if r["urn"] == urn)


def _run(variant: str) -> Stack:
    stack, overrides = VARIANTS[variant]
    args = [f"{k}={v}" for k, v in overrides.items()]
    result = subprocess.run(
        [sys.executable, "-m", "tests.components.harness", stack, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{variant}: the program failed under mocks\n{result.stderr}"
    data = json.loads(result.stdout)
    return Stack(
        variant, stack, overrides, data["resources"], data["exports"], data["none_applies"]
    )


@pytest.fixture(scope="session")
def stacks() -> dict[str, Stack]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(VARIANTS, pool.map(_run, VARIANTS), strict=True))


def config_of(stack: Stack) -> dict[str, str]:
    from tests.components.harness import stack_config

    return stack_config(stack.stack, stack.overrides)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "variant" in metafunc.fixturenames:
        metafunc.parametrize("variant", list(VARIANTS))


@pytest.fixture
def stack(stacks: dict[str, Stack], variant: str) -> Stack:
    return stacks[variant]


def policy_of(resource: dict[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(resource["state"]["policy"])
    return document
