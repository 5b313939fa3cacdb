from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from tests.deploy import fake_pulumi


@pytest.fixture
def release_clients() -> Iterator[tuple[Any, Stubber, Any, Stubber]]:
    """CodeDeploy and Lambda clients, each behind a Stubber that must be used up."""
    codedeploy = boto3.client("codedeploy", region_name="eu-west-1")
    functions = boto3.client("lambda", region_name="eu-west-1")
    with Stubber(codedeploy) as cd_stub, Stubber(functions) as fn_stub:
        yield codedeploy, cd_stub, functions, fn_stub
        cd_stub.assert_no_pending_responses()
        fn_stub.assert_no_pending_responses()


@pytest.fixture
def cli_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The fake CLI first on PATH, with a state file of its own."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_pulumi.install(bin_dir)
    state = tmp_path / "pulumi-state.json"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_PULUMI_STATE", str(state))
    yield state
