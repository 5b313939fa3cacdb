"""The guarantees page's "Several regions" section, rendered from ``picus/guarantees.py`` (what
each promise keeps in each consistency mode) and ``picus/regions.py`` (what each mode asks)."""

from __future__ import annotations

from typing import Final

from picus.guarantees import DG, GUARANTEES, PG, SCAN, Verdict
from picus.regions import DYNAMODB_NAMES, Consistency, constraints

#: Each cited page's short name in the section.
PAGES: Final = {
    DG: "How DynamoDB global tables work",
    PG: "Prescriptive Guidance, global tables overview",
    SCAN: "DynamoDB API Reference, Scan",
}
MODES: Final = {mode: f"{mode} ({DYNAMODB_NAMES[mode]})" for mode in Consistency}


def _cite(url: str) -> str:
    return f"[{PAGES.get(url, url)}]({url})"


def _cell(v: Verdict) -> str:
    inferred = f" ({v.inferred}.)" if v.inferred else ""
    return f"**{v.holds}**: {v.reason}{inferred}"


def _quotes(v: Verdict) -> str:
    return "; ".join(f'"{quote}" ({_cite(url)})' for quote, url in v.quotes)


def section() -> str:
    """The table, AWS's words under it, then each mode's constraints."""
    modes = " | ".join(MODES.values())
    lines = [
        f"| promise | one region | {modes} |",
        "|---|---|---|---|",
    ]
    for g in GUARANTEES:
        ops = ", ".join(f"`{op}`" for op in g.operations)
        cells = " | ".join(_cell(g.verdict(mode)) for mode in MODES)
        lines.append(f"| {g.name} ({ops}) | holds, as above | {cells} |")
    lines += ["", "What each verdict rests on:", ""]
    for g in GUARANTEES:
        for mode, label in MODES.items():
            lines.append(f"- {g.name}, {label}: {_quotes(g.verdict(mode))}.")
    for mode, label in MODES.items():
        lines += ["", f"What {label} asks of a stack:", ""]
        lines += [f'- {c.rule} ("{c.quote}", {_cite(c.source)})' for c in constraints(mode)]
    return "\n".join(lines) + "\n"
