"""The site builds with MkDocs' --strict: no broken link, no unrecognised anchor, no page left
out of the navigation, no missing snippet; and --strict does refuse each of those."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devkit import ROOT


def build(root: Path, site: Path) -> subprocess.CompletedProcess[str]:
    # Never --quiet: it drops the warnings that --strict counts, and the build passes.
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
        cwd=root,
        capture_output=True,
        text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    built = build(ROOT, tmp_path / "site")
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "site" / "index.html").is_file()
    assert (tmp_path / "site" / "search" / "search_index.json").is_file()
    changelog = (tmp_path / "site" / "changelog" / "index.html").read_text()
    assert (ROOT / "CHANGELOG.md").read_text().splitlines()[0].lstrip("# ") in changelog


@pytest.fixture(scope="module")
def checkout_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("checkout")
    shutil.copytree(ROOT / "docs", copy / "docs")
    shutil.copy(ROOT / "mkdocs.yml", copy)
    shutil.copy(ROOT / "CHANGELOG.md", copy)
    return copy


@pytest.mark.parametrize(
    ("page", "added", "named"),
    [
        ("quickstart.md", "\nSee [the moon](moon.md).\n", "moon.md"),
        ("quickstart.md", "\nSee [a section](api.md#no-such-section).\n", "no-such-section"),
        ("stray.md", "# Stray\n", "stray.md"),
    ],
)
def test_a_broken_link_an_unknown_anchor_or_a_stray_page_fails_the_build(
    checkout_copy: Path, tmp_path: Path, page: str, added: str, named: str
) -> None:
    target = checkout_copy / "docs" / page
    before = target.read_text() if target.exists() else None
    target.write_text((before or "") + added)
    try:
        built = build(checkout_copy, tmp_path / "site")
    finally:
        if before is None:
            target.unlink()
        else:
            target.write_text(before)
    assert built.returncode != 0
    assert named in built.stderr + built.stdout


def pins(lock: Path) -> dict[str, str]:
    return dict(re.findall(r"^([a-z0-9_.-]+)==([^ ;\\]+)", lock.read_text(), re.M))


def test_the_docs_lock_pins_what_the_dev_lock_pins() -> None:
    # Both install into one .venv: a version of their own would be reinstalled on every switch.
    docs, dev = pins(ROOT / "lock" / "docs.txt"), pins(ROOT / "lock" / "dev.txt")
    assert {"mkdocs", "mkdocs-material"} <= docs.keys()
    assert {name: version for name, version in docs.items() if dev.get(name) != version} == {}
