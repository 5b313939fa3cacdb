"""Where the benchmarks' committed results live: each defined once, for the benchmark that writes
it, the ones that read it and the docs rendered from it."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from devkit import ROOT

#: The folder of every committed result (a run's latest.json and latest.md stay uncommitted).
RESULTS: Final = ROOT / "bench" / "results"
#: The committed run the benchmark page's table is rendered from (python -m bench.report FILE).
REFERENCE_FILE: Final = RESULTS / "reference.json"
#: One task's measured capacity, which the autoscaling targets and the cost model derive from.
CAPACITY_FILE: Final = RESULTS / "capacity.json"
#: The codec's cost per body size (python -m bench.codec).
CODEC_FILE: Final = RESULTS / "codec.json"
#: The failover drill's figures per consistency mode (python -m bench.failover).
FAILOVER_FILE: Final = RESULTS / "failover.json"
#: Where a request's time goes, and the raw stacks it is bucketed from (python -m bench.profile).
PROFILE_FILE: Final = RESULTS / "profile.json"


def folded_stacks_file(operation: str) -> Path:
    """The profile's raw stacks of one operation, gzipped (speedscope loads them gunzipped)."""
    return RESULTS / f"profile-{operation}.folded.gz"
