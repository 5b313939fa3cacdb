"""The Dockerfile: hadolint-clean, multi-stage, locked, non-root, running the service."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from devkit import ROOT
from devkit.container import dockerfile_base
from picus.contract import CONTAINER_PORT

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instructions(name: str) -> list[str]:
    joined = re.sub(r"\\\n", " ", DOCKERFILE)
    return [
        line.split(None, 1)[1]
        for line in joined.splitlines()
        if line.upper().startswith(name + " ")
    ]


def test_hadolint_finds_nothing() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    result = subprocess.run(
        [str(hadolint), "--failure-threshold", "info", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


def test_multi_stage_from_a_slim_python() -> None:
    stages = instructions("FROM")
    assert len(stages) >= 2
    args = dict(a.split("=", 1) for a in instructions("ARG") if "=" in a)
    # Both stages build on PYTHON_IMAGE, by default the pinned slim Python's stage.
    assert stages[-2:] == ["${PYTHON_IMAGE} AS build", "${PYTHON_IMAGE}"]
    assert args["PYTHON_IMAGE"] == "python-base"
    assert "slim" in dockerfile_base()


def test_the_base_image_is_pinned_by_digest_where_dependabot_reads_it() -> None:
    # A tag moves; a digest is the same bytes on every rebuild of the commit. Dependabot's
    # docker ecosystem updates image references on FROM lines, not an ARG's default.
    (pinned,) = [s for s in instructions("FROM") if s.endswith(" AS python-base")]
    assert re.fullmatch(r"python:[\w.-]+@sha256:[0-9a-f]{64} AS python-base", pinned)
    assert dockerfile_base() == pinned.split()[0]
    assert "imagetools inspect" in DOCKERFILE, "how to move the pin"


def test_only_the_services_locked_dependencies_are_installed() -> None:
    (install,) = [r for r in instructions("RUN") if "pip install" in r]
    assert "--require-hashes" in install and "service.txt" in install
    copied = " ".join(instructions("COPY"))
    assert "lock/service.txt" in copied and "dev.txt" not in copied
    assert "tests" not in copied and "components" not in copied


def test_runs_as_a_non_root_user() -> None:
    (user,) = instructions("USER")
    assert user.split(":")[0] not in ("root", "0")


def test_the_command_is_exec_form_and_the_port_is_the_services() -> None:
    (cmd,) = instructions("CMD")
    assert json.loads(cmd) == ["python", "-m", "service"]
    assert instructions("EXPOSE") == [str(CONTAINER_PORT)]


def test_the_build_context_is_only_what_the_image_needs() -> None:
    lines = [
        line
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert lines[0] == "*"
    assert set(lines[1:]) == {"!lock/service.txt", "!picus/*.py", "!service/*.py"}
