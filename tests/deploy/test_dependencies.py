"""`python3 dev.py deploy` and `destroy` install lock/deploy.txt alone: the release, the
teardown and the Pulumi program they run must import with that and nothing of the test suite."""

from __future__ import annotations

import pytest

from tests.local.test_dependencies import absent_modules, import_without

#: What `deploy` and `destroy` start, and what the Pulumi CLI runs in the same .venv.
ENTRIES = ("deploy.pipeline", "deploy.teardown", "deploy.budget", "components.api_cluster")


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_release_imports_only_what_the_deploy_lock_installs(entry: str) -> None:
    absent = absent_modules("deploy.txt")
    assert {"pytest", "hypothesis", "moto"} <= set(absent), "the check would block nothing"
    result = import_without(absent, entry)
    assert result.returncode == 0, result.stderr[-2000:]
