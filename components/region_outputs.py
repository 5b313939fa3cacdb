"""The outputs only a stack of several regions has.

Its other outputs are its first region's cluster's, under the names of components/outputs.py
and release_outputs.py; apiUrl is the domain every region serves.
"""

from __future__ import annotations

from typing import Final

#: Every region's cluster outputs, by region, under the stack's own output names: what the
#: release and its checks read to take the regions one at a time.
REGIONS: Final = "regions"
#: The dashboard of every region's health check and the replicas' lag.
GLOBAL_DASHBOARD_URL: Final = "globalDashboardUrl"
