"""Every example on the README and the site runs as written: each page's shell and Python blocks,
in the navigation's order and each page's own, as one shell session per page (a Python block is
fed to the checkout's Python there), against a local origin, from a directory outside the
checkout. Only the origin's address differs from the page: the pages say ``127.0.0.1:8000``,
``serve``'s default, and the suite's origin listens on a free port. A block that needs AWS,
Pulumi or a server of its own says so in the page's source and is not run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from devkit import ROOT
from devkit.processes import local_origin
from docsite.examples import LOCAL_ORIGIN, NOT_RUN, Example, examples, runnable
from docsite.pages import CLIENT, DOCS, QUICKSTART, README

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")


def nav_pages() -> list[Path]:
    """The README, then the site's pages in the navigation's order."""
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"]

    def walk(entries: list[object]) -> list[str]:
        found: list[str] = []
        for entry in entries:
            for value in entry.values() if isinstance(entry, dict) else [entry]:
                found += walk(value) if isinstance(value, list) else [str(value)]
        return found

    return [README, *(DOCS / name for name in walk(nav))]


def session(blocks: list[Example], origin: str) -> str:
    """One page's examples as one bash script, stopping at the first command that fails."""
    lines = ["set -euo pipefail"]
    for block in blocks:
        code = block.code.replace(LOCAL_ORIGIN, origin)
        lines.append(f"echo '--- {block.where}'")
        if block.kind == "python":
            lines += [f"\"$PICUS_PYTHON\" - <<'PICUS_EXAMPLE'\n{code}PICUS_EXAMPLE"]
        else:
            lines.append(code)
    return "\n".join(lines) + "\n"


def test_every_example_runs_against_the_local_origin(tmp_path: Path) -> None:
    pages = nav_pages()
    blocks = runnable(pages)
    ran_on = {block.page for block in blocks}
    assert {README, QUICKSTART, CLIENT} <= ran_on, "the walkthroughs are examples the suite runs"
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    assert not outside.resolve().is_relative_to(ROOT.resolve())
    # As client.md says: the checkout on Python's path, its environment's Python.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PICUS_PYTHON": sys.executable}
    env.pop("PICUS_URL", None)
    outputs: dict[Path, str] = {}
    with local_origin(tmp_path) as served:
        origin = served.url.removeprefix("http://")
        for page in pages:
            on_page = [block for block in blocks if block.page == page]
            if not on_page:
                continue
            ran = subprocess.run(
                ["bash", "-c", session(on_page, origin)],
                cwd=outside,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            output = outputs[page] = ran.stdout + ran.stderr
            assert ran.returncode == 0, f"{page.name}'s examples failed:\n{output}"
            assert "HTTP/1.1 5" not in output, f"{page.name}: an example got a 5xx:\n{output}"
    # The walkthrough got the answers its comments promise: stored, replaced once, refused
    # the stale replace, deleted, then gone.
    walkthrough = outputs[QUICKSTART]
    for answer in (
        "HTTP/1.1 201",
        "HTTP/1.1 200",
        "HTTP/1.1 412",
        '"not_found"',
        '"no_such_route"',
    ):
        assert answer in walkthrough, f"the walkthrough never got {answer}:\n{walkthrough}"
    assert "deleted" in outputs[CLIENT], outputs[CLIENT]


def test_every_block_not_run_says_why() -> None:
    for page in nav_pages():
        text = page.read_text()
        for match in NOT_RUN.finditer(text):
            assert len(match["reason"].split()) >= 2, f"{page.name}: {match[0]}"
        for block in examples(page):
            if block.not_run is not None:
                assert block.kind, f"{block.where}: only shell and Python blocks are run"


def test_a_marked_block_is_skipped_and_the_rest_kept_in_order(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# p\n\n```sh\necho one\n```\n\n<!-- not run: needs AWS -->\n```sh\naws s3 ls\n```\n\n"
        "1. a step\n\n   ```python\n   print('two')\n   ```\n\n```text\nnot code\n```\n"
    )
    found = examples(page)
    assert [(b.language, b.not_run) for b in found] == [
        ("sh", None),
        ("sh", "needs AWS"),
        ("python", None),
        ("text", None),
    ]
    assert [b.code for b in runnable([page])] == ["echo one\n", "print('two')\n"]


def test_a_block_that_never_closes_is_named(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# p\n\n```sh\necho one\n")
    with pytest.raises(ValueError, match=r"page.md:3: a code block that never closes"):
        examples(page)
