"""No import cycles among the project's modules: every import counts, at the top of a module,
inside a function or under ``TYPE_CHECKING``, since each says which module knows which."""

from __future__ import annotations

import ast
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from devkit import ROOT


def module_name(relative: Path) -> str:
    parts = relative.with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    """Every module git tracks, by its dotted name: a new package is checked without a list to
    keep, and a scratch file nobody committed is not."""
    listed = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return {module_name(Path(name)): ROOT / name for name in listed}


def imported(source: str, modules: dict[str, Path]) -> Iterator[str]:
    """The project modules a module's ``source`` imports: ``from a import b`` names ``a.b``
    where that is a module, else ``a`` (whose ``b`` it is)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level:
            # The project spells every import absolutely; a relative one would need resolving.
            raise ValueError(f"a relative import, line {node.lineno}: spell it absolutely")
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [
                f"{node.module}.{alias.name}"
                if f"{node.module}.{alias.name}" in modules
                else node.module
                for alias in node.names
            ]
        else:
            continue
        yield from (name for name in names if name in modules)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one module, or of one importing itself
    (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_through_others() -> None:
    modules = project_modules()
    graph = {name: set(imported(path.read_text(), modules)) for name, path in modules.items()}
    assert cycles(graph) == []


def test_a_cycle_is_found_wherever_it_closes() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert cycles(graph) == [["a", "b", "c"], ["e"]]


def test_every_way_the_project_imports_is_read() -> None:
    modules = dict.fromkeys(["p", "p.a", "p.b", "p.c", "p.d", "p.e", "p.f"], Path())
    source = """
import p.a
import p.b as b
from p import c
from p.d import name
from p import name_of_p

def later() -> None:
    from p.e import name

if TYPE_CHECKING:
    from p.f import name
"""
    assert sorted(imported(source, modules)) == ["p", "p.a", "p.b", "p.c", "p.d", "p.e", "p.f"]
    with pytest.raises(ValueError, match="relative import"):
        list(imported("from . import a", modules))
