"""The examples on the pages: each shell (``sh``, ``bash``) and Python code block, in page
order, except one right after a ``<!-- not run: REASON -->`` line, which needs what the suite
does not have (AWS, Pulumi, a server of its own) and says so in the page's source."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

SHELL: Final = frozenset({"sh", "bash"})
PYTHON: Final = frozenset({"python", "py"})
NOT_RUN: Final = re.compile(r"<!-- not run: (?P<reason>[^>]+?) -->")
_FENCE: Final = re.compile(r"^(?P<indent> *)```(?P<language>[\w+-]*)\s*$")
#: Where the examples expect the local origin (`python3 dev.py serve`'s default address).
LOCAL_ORIGIN: Final = "127.0.0.1:8000"


@dataclass(frozen=True)
class Example:
    page: Path
    #: The line of the opening fence, 1-based.
    line: int
    language: str
    code: str
    #: Why the suite does not run it; None: it runs.
    not_run: str | None

    @property
    def kind(self) -> str | None:
        if self.language in SHELL:
            return "shell"
        if self.language in PYTHON:
            return "python"
        return None

    @property
    def where(self) -> str:
        return f"{self.page.name}:{self.line}"


def examples(page: Path) -> list[Example]:
    """Every fenced code block of the page, in order, with what the page says of running it."""
    lines = page.read_text().splitlines()
    found: list[Example] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent = len(opening["indent"])
        end = next(
            (
                i
                for i in range(index + 1, len(lines))
                if lines[i].strip() == "```" and len(lines[i]) - len(lines[i].lstrip()) == indent
            ),
            None,
        )
        if end is None:
            raise ValueError(f"{page.name}:{index + 1}: a code block that never closes")
        code = "\n".join(line[indent:] for line in lines[index + 1 : end]) + "\n"
        before = lines[index - 1].strip() if index else ""
        marked = NOT_RUN.fullmatch(before)
        reason = marked["reason"] if marked else None
        found.append(Example(page, index + 1, opening["language"], code, reason))
        index = end + 1
    return found


def runnable(pages: list[Path]) -> list[Example]:
    """The shell and Python examples the suite runs, in page order."""
    return [e for page in pages for e in examples(page) if e.kind and e.not_run is None]
