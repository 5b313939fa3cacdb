"""Where the benchmarks' committed results live: each defined once, for the benchmark that writes
it, the ones that read it and the docs rendered from it."""

from __future__ import annotations

from typing import Final

from devkit import ROOT

RESULTS: Final = ROOT / "bench" / "results"
#: The committed run the benchmark page's table is rendered from (python -m bench.report FILE).
REFERENCE: Final = RESULTS / "reference.json"
#: One task's measured capacity, which the autoscaling targets and the cost model derive from.
CAPACITY_FILE: Final = RESULTS / "capacity.json"
