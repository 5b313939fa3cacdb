"""What the plugin's virtualenv is made of: lock/plugin.txt, hashed, at lock/dev.txt's versions.

On install the Python language host creates the virtualenv PulumiPlugin.yaml names, in
``plugin/``, and runs ``pip install -r requirements.txt`` there (sdk/python/toolchain/pip.go);
pip reads the file's ``-r`` relative to it, and the hashes put pip in hash-checking mode.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import yaml

from devkit import ROOT

PLUGIN = ROOT / "plugin"
LOCK = ROOT / "lock" / "plugin.txt"
#: The packages the components import, unpinned: lock/plugin.txt is compiled from it.
LOCK_INPUT = ROOT / "lock" / "plugin.in"
DEV_LOCK = ROOT / "lock" / "dev.txt"
#: What the provider process runs: the plugin itself and what it hosts.
SOURCES = ("plugin", "components", "picus")
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


def test_every_pin_is_hashed() -> None:
    blocks = re.split(r"\n(?=[A-Za-z0-9])", LOCK.read_text().split("\n", 2)[2])
    unhashed = [b.split()[0] for b in blocks if _PIN.match(b) and "--hash=sha256:" not in b]
    assert _pins(LOCK), "the lock pins something"
    assert not unhashed


def test_the_plugin_runs_the_versions_the_stack_is_tested_with() -> None:
    dev = _pins(DEV_LOCK)
    differing = {n: (v, dev.get(n)) for n, v in _pins(LOCK).items() if dev.get(n) != v}
    assert not differing, f"(plugin.txt, dev.txt): {differing}"


def _imported(folder: Path) -> set[str]:
    names: set[str] = set()
    for source in folder.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def test_the_lock_is_compiled_from_what_the_plugin_imports() -> None:
    imported = set().union(*(_imported(ROOT / folder) for folder in SOURCES))
    third_party = imported - set(sys.stdlib_module_names) - set(SOURCES)
    distributions = packages_distributions()
    unknown = sorted(m for m in third_party if m not in distributions)
    assert not unknown, f"imported, but installed by no distribution: {unknown}"
    needed = {_normal(d) for m in third_party for d in distributions[m]}
    assert {_normal(line) for line in _lines(LOCK_INPUT)} == needed
    assert needed <= _pins(LOCK).keys()
