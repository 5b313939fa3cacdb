"""Every AWS operation the release scripts make, read from their source rather than listed by
hand, so a call added to ``deploy/`` is checked against the deploy role's policy at once.

A module's clients are the services it names: ``boto3.client("ecs")`` (or ``service_name=``)
and its ``mypy_boto3_<service>`` imports. A call is an operation of one of them when the method
name is the operation's snake_case name in botocore's model (``describe_alarms``); a waiter
(``get_waiter("function_active_v2")``) or a paginator stands for the operation it polls. The
tests of ``deploy/`` count too: what their Stubbers answer (``add_response("get_alias", ...)``)
is what the scripts call. A name that several of the services know counts for each of them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

import botocore.session
from botocore import xform_name
from botocore.exceptions import DataNotFoundError
from botocore.model import ServiceModel

from devkit import ROOT

#: The release scripts and their tests.
SOURCES: Final = (ROOT / "deploy", ROOT / "tests" / "deploy")
#: Where a service's IAM prefix is not its signing name.
IAM_PREFIX: Final = {"cloudwatch": "cloudwatch"}
_STUBBED: Final = frozenset({"add_response", "add_client_error"})


@dataclass(frozen=True, order=True)
class Operation:
    service: str
    name: str

    @property
    def iam_action(self) -> str:
        model = _model(self.service)
        prefix = IAM_PREFIX.get(self.service, model.signing_name or self.service)
        return f"{prefix}:{self.name}"


@cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@cache
def _model(service: str) -> ServiceModel:
    return _session().get_service_model(service)


def _literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _called(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else None


@dataclass
class _Found:
    services: set[str]
    methods: set[str]
    waiters: set[str]
    paginators: set[str]


def _read(tree: ast.AST, found: _Found) -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mypy_boto3_"):
            found.services.add((node.module or "").removeprefix("mypy_boto3_").replace("_", "-"))
        if not isinstance(node, ast.Call):
            continue
        name = _called(node)
        first = _literal(node.args[0]) if node.args else None
        if name == "client":
            named = first or next(
                (_literal(k.value) for k in node.keywords if k.arg == "service_name"), None
            )
            if named:
                found.services.add(named)
        elif name == "get_waiter" and first:
            found.waiters.add(first)
        elif name == "get_paginator" and first:
            found.paginators.add(first)
        elif name in _STUBBED and first:
            found.methods.add(first)
        elif name:
            found.methods.add(name)


def operations_in(sources: Iterable[str]) -> set[Operation]:
    """The AWS operations the given module sources call, read together."""
    found = _Found(set(), set(), set(), set())
    for source in sources:
        _read(ast.parse(source), found)
    operations: set[Operation] = set()
    for service in found.services:
        model = _model(service)
        by_method = {xform_name(name): name for name in model.operation_names}
        operations |= {Operation(service, by_method[m]) for m in found.methods if m in by_method}
        operations |= {Operation(service, by_method[p]) for p in found.paginators if p in by_method}
        operations |= {Operation(service, op) for op in _waited_on(service, found.waiters)}
    return operations


def _waited_on(service: str, waiters: set[str]) -> set[str]:
    """The operations the service's waiters of these snake_case names poll."""
    try:
        model = _session().get_waiter_model(service)
    except DataNotFoundError:  # a service with no waiters
        return set()
    return {
        model.get_waiter(name).operation
        for name in model.waiter_names
        if xform_name(name) in waiters
    }


@cache
def release_operations(sources: tuple[Path, ...] = SOURCES) -> frozenset[Operation]:
    """Every operation the release scripts call, from ``deploy/`` and its tests."""
    files = sorted(path for folder in sources for path in folder.rglob("*.py"))
    return frozenset(operations_in(path.read_text() for path in files))
