"""Refactors don't destroy: every URN a stack has today is committed, per variant, in
``tests/components/urns/``. A component's type name or a child's logical name that changes
without an ``alias`` makes Pulumi delete the deployed resource and create another, the table
included; this test names each one.

After a deliberate change (a new resource, or one removed on purpose), rewrite the files:

    .venv/bin/python -m tests.components.test_identity
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.components.conftest import VARIANTS, Stack
from tests.components.graph import Urns, load

URNS = Path(__file__).parent / "urns"
#: The URNs of stacks deployed before ApiCluster, when each component sat at the top of the
#: stack: such a stack must update in place too, its resources moving under the cluster.
BEFORE_API_CLUSTER = URNS / "before-api-cluster"
HOW = (
    "add an alias (pulumi.ResourceOptions(aliases=[pulumi.Alias(...)]), see the README's "
    "'Changing a running stack') or, if the change is meant, update the file on purpose: "
    ".venv/bin/python -m tests.components.test_identity"
)


def committed(variant: str, folder: Path = URNS) -> list[str]:
    return (folder / f"{variant}.txt").read_text().split()


def current(stack: Stack) -> list[str]:
    urns = Urns(stack)
    return sorted(urns.of(r) for r in stack.resources)


def test_every_variant_has_its_committed_urns() -> None:
    assert {p.stem for p in URNS.glob("*.txt")} == set(VARIANTS), HOW
    # Every variant but those added since: each had its stacks deployed before ApiCluster.
    assert {p.stem for p in BEFORE_API_CLUSTER.glob("*.txt")} <= set(VARIANTS)


def test_no_deployed_urn_is_lost_without_an_alias(program: Stack) -> None:
    stack = program
    urns = Urns(stack)
    answered = set().union(*(urns.known_as(r) for r in stack.resources))
    # A variant added since ApiCluster has no stacks of before to keep.
    deployed = [f for f in (URNS, BEFORE_API_CLUSTER) if (f / f"{stack.variant}.txt").exists()]
    for folder in deployed:
        lost = sorted(set(committed(stack.variant, folder)) - answered)
        assert lost == [], (
            f"{stack.variant}: these resources of stacks deployed {folder.name} would be "
            f"deleted and created anew (a table's data with it): {lost}; {HOW}"
        )


def test_the_committed_urns_are_the_programs(program: Stack) -> None:
    stack = program
    added = sorted(set(current(stack)) - set(committed(stack.variant)))
    assert added == [], (
        f"{stack.variant}: resources the committed URNs do not list: {added}; new resources, "
        "or a move its alias covers: update the file on purpose: "
        ".venv/bin/python -m tests.components.test_identity"
    )


def test_an_alias_keeps_a_moved_resource() -> None:
    # A resource moved under another parent, renamed, or whose component changed its type,
    # answers to its old URN through its alias or its parent's.
    stack = Stack("moved", "dev", {}, [], {})
    root = "urn:pulumi:dev::picus::pulumi:pulumi:Stack::picus-dev"
    old = "urn:pulumi:dev::picus::picus:index:Table$aws:dynamodb/table:Table::picus-dev-table"
    renamed_component = {
        "urn": "c",
        "type": "picus:index:Data",
        "name": "picus-dev",
        "parent": root,
        "aliases": [{"name": "", "type": "picus:index:Table", "parent": None, "no_parent": False}],
    }
    child = {"urn": "t", "type": "aws:dynamodb/table:Table", "name": "picus-dev-table"}
    stack.resources = [renamed_component, {**child, "parent": "c", "aliases": []}]
    assert old in Urns(stack).known_as(stack.resources[1])
    # moved out of the component (which is gone), to the top, under a new name
    old_parent = "urn:pulumi:dev::picus::picus:index:Table::picus-dev"
    alias = {"name": "picus-dev-table", "type": "", "parent": old_parent, "no_parent": False}
    moved = {**child, "name": "picus-dev-data", "parent": root, "aliases": [alias]}
    stack.resources = [moved]
    assert old in Urns(stack).known_as(moved)
    assert old not in Urns(stack).known_as({**moved, "aliases": []})


def _write() -> None:
    URNS.mkdir(exist_ok=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        stacks = pool.map(lambda v: load(v, *VARIANTS[v]), VARIANTS)
        for stack in stacks:
            (URNS / f"{stack.variant}.txt").write_text("\n".join(current(stack)) + "\n")


if __name__ == "__main__":
    _write()
