"""A stack deployed from the release before ApiCluster updates in place to this one.

``urns/before-api-cluster/graphs.json.gz`` holds every variant's graph as that release's
program registered it under the mocks (commit c199a41, before its components moved under one
ApiCluster). The current program, for the same settings, must take over every resource through
its URN or an alias, replace none and change no input that AWS cannot change in place; the
transition tests' ``diff`` decides each, from the same tables.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from typing import Any

import pytest

from picus.routing import RULES, Target
from tests.components.conftest import Stack
from tests.components.test_identity import BEFORE_API_CLUSTER
from tests.components.test_transitions import diff, short

GRAPHS = BEFORE_API_CLUSTER / "graphs.json.gz"
_RULE = "aws:lb/listenerRule:ListenerRule"


@cache
def _graphs() -> dict[str, Any]:
    graphs: dict[str, Any] = json.loads(gzip.decompress(GRAPHS.read_bytes()))
    return graphs


#: The variants of the release before; those added since had no stacks to update.
RECORDED = sorted(_graphs())


def deployed(stack: Stack) -> Stack:
    """The variant's graph as the release before ApiCluster deployed it."""
    graph = _graphs()[stack.variant]
    return Stack(stack.variant, stack.stack, stack.config, graph["resources"], graph["exports"])


def test_every_variant_of_the_release_before_is_recorded(stacks: dict[str, Stack]) -> None:
    assert set(RECORDED) < set(stacks)
    assert {"dev", "prod", "prod-canary-live"} <= set(RECORDED)


@pytest.mark.parametrize("recorded", RECORDED)
def test_a_stack_of_the_release_before_updates_in_place(
    stacks: dict[str, Stack], recorded: str
) -> None:
    stack = stacks[recorded]
    before = deployed(stack)
    change = diff(before, stack)
    assert change.removed == [], [short(before, r) for r in change.removed]
    assert change.replaced == [], [short(stack, r) for r in change.replaced]
    assert change.unclassified == [], change.unclassified
    assert change.conflicts == [], change.conflicts
    # Only the components are new: the cluster that now holds them; and, since, the listener
    # rules that answer an open path's other methods with the listener's 404.
    assert {r["type"] for r in change.added if r["type"] != _RULE} == {"picus:index:ApiCluster"}
    closing = {rule.priority for rule in RULES if rule.target is Target.NO_ROUTE}
    added_rules = [r["name"] for r in change.added if r["type"] == _RULE]
    assert added_rules and all(
        int(n.split("-rule-")[1].split("-")[0]) in closing for n in added_rules
    )


@pytest.mark.parametrize("recorded", RECORDED)
def test_its_outputs_keep_their_names_and_values(stacks: dict[str, Stack], recorded: str) -> None:
    # The deploy job and every reader of `pulumi stack output` find what they found.
    now, before = stacks[recorded].exports, deployed(stacks[recorded]).exports
    assert {name: now.get(name) for name in before} == before
