"""The project's own Python, run in a fresh process from the project's root."""

from __future__ import annotations

import subprocess
import sys

from devkit import ROOT


def python_output(*args: str) -> str:
    """What ``python ARGS`` prints; fails the test if it exits non-zero."""
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def loads_module(imports: str, module: str) -> bool:
    """Whether importing ``imports`` (comma-separated) in a fresh process loads ``module``."""
    code = f"import {imports}, sys; print({module!r} in sys.modules)"
    return python_output("-c", code).strip() == "True"
