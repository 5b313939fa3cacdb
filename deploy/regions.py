"""A stack of several regions as the release, its checks and its teardown read it: the regions in
the order of ``picus:regions`` (the release's order), and each region's outputs from the stack's
``regions`` output (components/region_outputs.py). A stack of one region has no ``regions``
output, and everything here says so by answering nothing."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from components.region_outputs import REGIONS

#: The setting that names the region a release is in (components/global_api.py).
RELEASE_REGION = "releaseRegion"


def order(setting: Any, values: Mapping[str, Any]) -> list[str]:
    """The regions in the order of ``picus:regions`` (as ``pulumi config --json`` gives it: a
    list, or its JSON text), each of which the outputs hold; none for a stack of one region."""
    by_region = values.get(REGIONS)
    if not isinstance(by_region, dict) or len(by_region) < 2:
        return []
    named = json.loads(setting) if isinstance(setting, str) and setting else setting
    listed = [str(r) for r in named] if isinstance(named, list) else []
    # The outputs are what runs: a region the setting names but no `up` made yet is not there.
    return [r for r in listed if r in by_region] + sorted(set(by_region) - set(listed))


def outputs_of(values: Mapping[str, Any], region: str) -> dict[str, Any]:
    """One region's cluster outputs, under the stack's output names."""
    by_region = values.get(REGIONS)
    regional = by_region.get(region) if isinstance(by_region, dict) else None
    return dict(regional) if isinstance(regional, dict) else {}
