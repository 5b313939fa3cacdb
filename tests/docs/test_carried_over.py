"""The README of 1.0.0 moved into the documentation whole: every heading of it is a heading of a
page, and every table of it is on a page, row for row, or rendered there from its source (a
generated section whose table has the same columns)."""

from __future__ import annotations

import html
import re
from pathlib import Path

from devkit import ROOT
from docsite.pages import DOCS, README

OLD_README = ROOT / "tests" / "data" / "readme-1.0.0.md"
#: The front page stays short enough to read in a couple of minutes.
README_MAX_LINES = 200
_GENERATED = re.compile(r"<!-- ([\w-]+):start -->(.*?)<!-- \1:end -->", re.S)


def _outside_code(text: str) -> list[str]:
    lines, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def headings(text: str) -> set[str]:
    return {line.lstrip("#").strip() for line in _outside_code(text) if re.match(r"#{1,6} ", line)}


def tables(text: str) -> list[list[str]]:
    """Each table's rows, normalised (entities decoded, outer spaces gone)."""
    found: list[list[str]] = []
    current: list[str] = []
    for line in [*_outside_code(text), ""]:
        if line.startswith("|"):
            current.append(html.unescape(line.strip()))
        elif current:
            found.append(current)
            current = []
    return found


def pages_text() -> str:
    return "\n".join(page.read_text() for page in sorted(DOCS.glob("*.md")))


def test_every_heading_of_the_old_readme_is_a_heading_of_a_page() -> None:
    kept = headings(pages_text())
    lost = sorted(headings(OLD_README.read_text()) - kept)
    assert not lost, f"headings of the 1.0.0 README on no page of docs/: {lost}"


def test_every_table_of_the_old_readme_is_on_a_page_or_rendered_there() -> None:
    text = pages_text()
    rows = {row for table in tables(text) for row in table}
    generated_headers = {table[0] for _, body in _GENERATED.findall(text) for table in tables(body)}
    for table in tables(OLD_README.read_text()):
        if table[0] in generated_headers:
            continue  # rendered from its source now, whatever its rows say today
        missing = [row for row in table if row not in rows]
        assert not missing, f"a table of the 1.0.0 README lost rows: {missing[:3]}"


def test_the_check_finds_a_lost_heading_and_a_lost_row(tmp_path: Path) -> None:
    old = "# a\n\n## kept\n\n| x | y |\n|---|---|\n| 1 | 2 |\n"
    assert headings(old) - headings("# a\n") == {"kept"}
    assert tables(old) == [["| x | y |", "|---|---|", "| 1 | 2 |"]]
    assert headings("```\n# not a heading\n```\n") == set()


def test_the_readme_is_a_front_page() -> None:
    text = README.read_text()
    assert len(text.splitlines()) <= README_MAX_LINES
    for command in ("python3 dev.py serve", "python3 dev.py test", "python3 dev.py deploy"):
        assert command in text, command
    assert "ApiCluster" in text and "python3 dev.py cost" in text


def test_every_page_the_readme_links_exists() -> None:
    for target, anchor in re.findall(
        r"\]\(((?:docs/)?[\w./-]+\.md)(?:#([\w-]+))?\)", README.read_text()
    ):
        page = ROOT / target
        assert page.is_file(), target
        if anchor:
            slugs = {
                re.sub(r"[^\w\s-]", "", h.lower()).strip().replace(" ", "-")
                for h in headings(page.read_text())
            }
            assert anchor in slugs, f"{target}#{anchor}"
