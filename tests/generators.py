"""The client generators API consumers run on the document, run as they run them: each on the
document a public stack serves, into a folder of the test's, failing on any warning a generator
counts as one. Both come from lock/dev.txt; openapi-generator's jar needs a Java runtime (the
one DynamoDB Local needs)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

#: openapi-python-client formats what it writes with ruff unless told not to: the tests read the
#: client's behaviour, not its layout.
_PYTHON_CONFIG = "post_hooks: []\n"


def _tool(name: str) -> str:
    path = Path(sys.executable).with_name(name)
    assert path.exists(), f"{path} is missing: install lock/dev.txt"
    return str(path)


def _run(*command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env={
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        },
        check=False,
    )


def write_document(document: dict[str, Any], folder: Path) -> Path:
    path = folder / "openapi.json"
    path.write_text(json.dumps(document, indent=2))
    return path


def generate_python(document: Path, folder: Path, package: str) -> Path:
    """openapi-python-client's package (``--meta none``: the package alone) as ``folder/package``;
    returns the folder to put on ``sys.path``."""
    config = folder / "openapi-python-client.yaml"
    config.write_text(_PYTHON_CONFIG)
    run = _run(
        _tool("openapi-python-client"),
        "generate",
        "--path",
        str(document),
        "--output-path",
        str(folder / package),
        "--meta",
        "none",
        "--config",
        str(config),
        # A schema or an operation the generator cannot read is a warning and a client without
        # it: here, a failure.
        "--fail-on-warning",
        cwd=folder,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return folder


def generate_typescript(document: Path, folder: Path) -> Path:
    """openapi-generator's ``typescript-fetch`` client in ``folder``, every named schema a model
    (``--generate-alias-as-model``: a map such as the payload is one too, not inlined)."""
    assert shutil.which("java"), "openapi-generator needs a Java runtime (openjdk-17-jre-headless)"
    out = folder / "typescript"
    run = _run(
        _tool("openapi-generator-cli"),
        "generate",
        "--input-spec",
        str(document),
        "--generator-name",
        "typescript-fetch",
        "--output",
        str(out),
        "--generate-alias-as-model",
        cwd=folder,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return out
