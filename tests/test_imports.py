"""No import cycles among the project's modules: every import counts, at the top of a module,
inside a function or under ``TYPE_CHECKING``, since each says which module knows which."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from devkit import ROOT

#: The project's packages; tests and examples import them and are imported by nothing.
PACKAGES = (
    "bench",
    "client",
    "components",
    "delete_fn",
    "deploy",
    "devkit",
    "docsite",
    "local",
    "picus",
    "plugin",
    "service",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
    }


def imported(path: Path, modules: dict[str, Path]) -> Iterator[str]:
    """The project modules ``path`` imports: ``from a import b`` names ``a.b`` where that is a
    module, else ``a``."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            if name in modules:
                yield name


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
    # A module naming a sibling through its package (``from deploy import regions``) passes
    # through the package only as a path: that is no edge to the package's ``__init__``.
    graph = {
        name: {target for target in imported(path, modules) if target != name.rsplit(".", 1)[0]}
        for name, path in modules.items()
    }
    assert cycles(graph) == []


def test_a_cycle_is_found_wherever_it_closes() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert cycles(graph) == [["a", "b", "c"], ["e"]]
