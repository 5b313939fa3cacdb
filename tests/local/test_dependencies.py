"""`python3 dev.py serve` installs lock/local.txt alone: the local origin, and everything it
imports from the repository (the contract, the service, components' pure naming rules), must
import with that and nothing more, the Pulumi SDK least of all."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import packages_distributions

from devkit import ROOT

#: What `serve` starts: ``python -m local``.
ENTRY = "local.__main__"


def locked(lock: str) -> set[str]:
    text = (ROOT / "lock" / lock).read_text()
    return {normal(m[1]) for m in re.finditer(r"^([A-Za-z0-9_.-]+)==", text, re.MULTILINE)}


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def absent_modules(lock: str) -> list[str]:
    """Every module the test's environment has from a distribution ``lock`` lacks."""
    pinned = locked(lock)
    return sorted(
        module
        for module, dists in packages_distributions().items()
        if module.isidentifier() and not {normal(d) for d in dists} & pinned
    )


def import_without(absent: list[str], entry: str) -> subprocess.CompletedProcess[str]:
    """``import entry`` in a fresh interpreter where every module of ``absent`` fails to import."""
    blocked = "; ".join(f"sys.modules[{m!r}] = None" for m in absent)
    return subprocess.run(
        [sys.executable, "-c", f"import sys; {blocked}; import {entry}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_local_origin_imports_only_what_the_local_lock_installs() -> None:
    absent = absent_modules("local.txt")
    assert "pulumi" in absent, "the check would block nothing that matters"
    result = import_without(absent, ENTRY)
    assert result.returncode == 0, result.stderr[-2000:]
