"""Where each page of the documentation is, for what writes a generated table into one and
what checks it: one name per page."""

from __future__ import annotations

from typing import Final

from devkit import ROOT

DOCS: Final = ROOT / "docs"
README: Final = ROOT / "README.md"
QUICKSTART: Final = DOCS / "quickstart.md"
API: Final = DOCS / "api.md"
CLIENT: Final = DOCS / "client.md"
GUARANTEES: Final = DOCS / "guarantees.md"
AUTH: Final = DOCS / "auth.md"
LOCAL: Final = DOCS / "local.md"
DEPLOY: Final = DOCS / "deploy.md"
CONFIGURATION: Final = DOCS / "configuration.md"
RELEASES: Final = DOCS / "releases.md"
OPERATIONS: Final = DOCS / "operations.md"
TEARDOWN: Final = DOCS / "teardown.md"
BENCHMARK: Final = DOCS / "benchmark.md"
COST: Final = DOCS / "cost.md"
ARCHITECTURE: Final = DOCS / "architecture.md"

#: A generated section: the lines between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``.
START, END = "<!-- {}:start -->", "<!-- {}:end -->"


def section(text: str, name: str) -> str:
    """The generated section ``name`` of a page's text (its lines, without the markers)."""
    start, end = START.format(name), END.format(name)
    if start not in text or end not in text:
        raise LookupError(f"no section {name!r}: the page lacks {start} or {end}")
    return text.split(start, 1)[1].split(end, 1)[0].strip("\n")


def with_section(text: str, name: str, body: str) -> str:
    """The page's text with section ``name`` replaced by ``body``."""
    start, end = START.format(name), END.format(name)
    before = text.split(start, 1)[0]
    after = text.split(end, 1)[1]
    return f"{before}{start}\n{body.strip(chr(10))}\n{end}{after}"
