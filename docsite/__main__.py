"""Rewrites every generated section of the documentation from its source."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from docsite import pages


def generated() -> dict[tuple[Path, str], Callable[[], str]]:
    """Each generated section, by page and name, and what renders it."""
    import json

    from bench.cost import report, stack_settings, workload_from
    from bench.cost_command import example
    from bench.cost_regions import regions_table
    from bench.failover import table as failover_table
    from bench.prices import prices_table
    from bench.result_files import CAPACITY_FILE, FAILOVER_FILE
    from docsite.api_page import render
    from docsite.regions_table import section as regions_section
    from docsite.stack_tables import config_table, outputs_list
    from service.openapi import document

    return {
        (pages.API, "operations"): lambda: render(document()),
        (pages.CONFIGURATION, "config"): config_table,
        (pages.DEPLOY, "outputs"): outputs_list,
        (pages.COST, "cost"): lambda: report(json.loads(CAPACITY_FILE.read_text())),
        (pages.COST, "prices"): prices_table,
        (pages.COST, "regions-cost"): lambda: regions_table(
            stack_settings("dev"), 100, workload_from(json.loads(CAPACITY_FILE.read_text()))
        ),
        (pages.GUARANTEES, "regions"): regions_section,
        (pages.LOCAL, "failover"): lambda: failover_table(json.loads(FAILOVER_FILE.read_text())),
        (pages.COST, "cost-example"): lambda: (
            "```\n$ python3 dev.py cost --stack dev --rate 50\n" + example("dev", 50) + "```\n"
        ),
    }


def main() -> None:
    for (page, name), render in generated().items():
        text = page.read_text()
        updated = pages.with_section(text, name, render())
        if updated != text:
            page.write_text(updated)
            print(f"rewrote {name} in {page.relative_to(pages.DOCS.parent)}")


if __name__ == "__main__":
    main()
