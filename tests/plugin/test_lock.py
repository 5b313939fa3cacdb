"""What the plugin's virtualenv is made of: lock/plugin.txt, hashed, at lock/dev.txt's versions;
and what a release installs, lock/deploy.txt, the same way.

On install the Python language host creates the virtualenv PulumiPlugin.yaml names, in
``plugin/``, and runs ``pip install -r requirements.txt`` there (sdk/python/toolchain/pip.go);
pip reads the file's ``-r`` relative to it, and the hashes put pip in hash-checking mode.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
import yaml

from devkit import ROOT

PLUGIN = ROOT / "plugin"
LOCK = ROOT / "lock" / "plugin.txt"
DEV_LOCK = ROOT / "lock" / "dev.txt"
#: Each lock compiled from a list of the packages its sources import (``<name>.in``), and those
#: sources: what the provider process runs (the plugin and what it hosts), and what a release
#: runs (the Pulumi program and the release scripts with the API's client).
SOURCES = {
    "plugin": ("plugin", "components", "picus"),
    "deploy": ("deploy", "components", "picus", "client", "."),
}
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", re.M)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(lock: Path) -> dict[str, str]:
    return {_normal(name): version for name, version in _PIN.findall(lock.read_text())}


def _lines(path: Path) -> list[str]:
    return [
        line.strip()
        for line in path.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_the_language_host_makes_a_virtualenv_and_installs_the_requirements() -> None:
    project = yaml.safe_load((PLUGIN / "PulumiPlugin.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    options = project["runtime"]["options"]
    assert options["toolchain"] == "pip", "pip is the toolchain that reads requirements.txt"
    assert options["virtualenv"], "the plugin runs in a virtualenv of its own"
    # `pulumi package add ./plugin` from a checkout creates it there.
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", f"plugin/{options['virtualenv']}/"], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0, "git ignores the plugin's virtualenv"
    assert (PLUGIN / "__main__.py").is_file(), "without it the host looks for a pyproject.toml"


def test_the_requirements_are_the_lock() -> None:
    (line,) = _lines(PLUGIN / "requirements.txt")
    option, target = line.split()
    assert option == "-r"
    assert (PLUGIN / target).resolve() == LOCK


@pytest.mark.parametrize("lock", SOURCES)
def test_every_pin_is_hashed(lock: str) -> None:
    path = ROOT / "lock" / f"{lock}.txt"
    blocks = re.split(r"\n(?=[A-Za-z0-9])", path.read_text().split("\n", 2)[2])
    unhashed = [b.split()[0] for b in blocks if _PIN.match(b) and "--hash=sha256:" not in b]
    assert _pins(path), "the lock pins something"
    assert not unhashed


@pytest.mark.parametrize("lock", SOURCES)
def test_it_runs_the_versions_the_stack_is_tested_with(lock: str) -> None:
    dev = _pins(DEV_LOCK)
    pins = _pins(ROOT / "lock" / f"{lock}.txt")
    differing = {n: (v, dev.get(n)) for n, v in pins.items() if dev.get(n) != v}
    assert not differing, f"({lock}.txt, dev.txt): {differing}"


def _runtime_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import that runs: not those under ``if TYPE_CHECKING:`` (type stubs)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            yield from (i for branch in node.orelse for i in _runtime_imports(branch))
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        yield from _runtime_imports(node)


def _imported(folder: Path) -> set[str]:
    names: set[str] = set()
    for source in folder.glob("*.py"):
        for node in _runtime_imports(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("lock", SOURCES)
def test_the_lock_is_compiled_from_what_its_sources_import(lock: str) -> None:
    folders = SOURCES[lock]
    imported = set().union(*(_imported(ROOT / folder) for folder in folders))
    local = {path.name for path in ROOT.iterdir() if path.is_dir()} | {"__main__"}
    third_party = imported - set(sys.stdlib_module_names) - local
    distributions = packages_distributions()
    unknown = sorted(m for m in third_party if m not in distributions)
    assert not unknown, f"imported, but installed by no distribution: {unknown}"
    needed = {_normal(d) for m in third_party for d in distributions[m]}
    assert {_normal(line) for line in _lines(ROOT / "lock" / f"{lock}.in")} == needed
    assert needed <= _pins(ROOT / "lock" / f"{lock}.txt").keys()
