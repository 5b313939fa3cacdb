"""The one version of picus: the package's (pyproject.toml), the Pulumi plugin's, the API
document's (``info.version``) and the client's User-Agent. A release changes it here and in
pyproject.toml and CHANGELOG.md; tests/test_version.py holds every one of them equal to it."""

from __future__ import annotations

from typing import Final

VERSION: Final = "1.0.0"
#: The licence, as SPDX names it: LICENSE's text, pyproject.toml's and the API document's.
LICENSE: Final = "Apache-2.0"
