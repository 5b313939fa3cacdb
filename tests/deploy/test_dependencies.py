"""`python3 dev.py deploy` and `destroy` install lock/deploy.txt alone: the release, the
teardown and the Pulumi program they run must import with that and nothing of the test suite."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import packages_distributions

import pytest

from devkit import ROOT
from tests.local.test_dependencies import locked, normal

#: What `deploy` and `destroy` start, and what the Pulumi CLI runs in the same .venv.
ENTRIES = ("deploy.pipeline", "deploy.teardown", "deploy.budget", "components.api_cluster")


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_release_imports_only_what_the_deploy_lock_installs(entry: str) -> None:
    deploy = locked("deploy.txt")
    absent = sorted(
        module
        for module, dists in packages_distributions().items()
        if module.isidentifier() and not {normal(d) for d in dists} & deploy
    )
    assert {"pytest", "hypothesis", "moto"} <= set(absent), "the check would block nothing"
    blocked = "; ".join(f"sys.modules[{m!r}] = None" for m in absent)
    result = subprocess.run(
        [sys.executable, "-c", f"import sys; {blocked}; import {entry}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
