"""A stack's resources as the Pulumi engine names them: URNs and the aliases that keep them.

Pulumi's mock monitor makes URNs of its own (the parent's type only, and the root stack in the
chain); the engine's URN carries the type of every ancestor below the stack. A resource keeps
its identity across a change when its new URN, or one of its aliases, is its old URN; a child
inherits every alias of its parent, as the engine does.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from tests.components.conftest import Stack, harness
from tests.components.harness import PROJECT, stack_config

STACK_TYPE = "pulumi:pulumi:Stack"


def load(label: str, stack: str, stack_file: str, overrides: dict[str, str]) -> Stack:
    """The program's graph for a stack and config overrides, run under the mocks."""
    return _load(label, stack, stack_file, tuple(sorted(overrides.items())))


@cache
def _load(label: str, stack: str, stack_file: str, overrides: tuple[tuple[str, str], ...]) -> Stack:
    result = harness(stack, stack_file, dict(overrides))
    assert result.returncode == 0, f"{label}: the program failed under mocks\n{result.stderr}"
    data = json.loads(result.stdout)
    config = stack_config(stack, dict(overrides), stack_file)
    return Stack(label, stack, config, data["resources"], data["exports"])


def _urn(stack: str, parent: str | None, typ: str, name: str) -> str:
    chain = f"{parent.split('::')[2]}${typ}" if parent else typ
    return f"urn:pulumi:{stack}::{PROJECT}::{chain}::{name}"


class Urns:
    """The engine's URN of each resource of a graph, and every URN its aliases answer to."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack.stack
        self._by_mock = {r["urn"]: r for r in stack.resources}
        self._cache: dict[str, frozenset[str]] = {}

    def of(self, resource: dict[str, Any]) -> str:
        """The engine's URN."""
        parent = self._by_mock.get(resource["parent"] or "")
        return _urn(
            self.stack,
            self.of(parent) if parent is not None else None,
            resource["type"],
            resource["name"],
        )

    def known_as(self, resource: dict[str, Any]) -> frozenset[str]:
        """Its URN and every URN an alias (its own or an ancestor's) lets it take over."""
        key = resource["urn"]
        if key not in self._cache:
            self._cache[key] = frozenset(self._known_as(resource))
        return self._cache[key]

    def _known_as(self, resource: dict[str, Any]) -> set[str]:
        parent = self._by_mock.get(resource["parent"] or "")
        parents: set[str | None] = set(self.known_as(parent)) if parent is not None else {None}
        names = {_urn(self.stack, p, resource["type"], resource["name"]) for p in parents}
        for alias in resource.get("aliases", []):
            if "urn" in alias:
                names.add(alias["urn"])
                continue
            if alias["no_parent"]:
                alias_parents: set[str | None] = {None}
            elif alias["parent"]:
                given = self._by_mock.get(alias["parent"])
                # A parent that still exists is named by the mock; one that is gone, by the
                # engine URN the author wrote.
                alias_parents = {self.of(given) if given is not None else alias["parent"]}
                alias_parents = {None if _is_stack(p) else p for p in alias_parents}
            else:
                alias_parents = parents
            typ, name = alias["type"] or resource["type"], alias["name"] or resource["name"]
            names |= {_urn(self.stack, p, typ, name) for p in alias_parents}
        return names


def _is_stack(urn: str | None) -> bool:
    return urn is not None and urn.split("::")[2].split("$")[-1] == STACK_TYPE
