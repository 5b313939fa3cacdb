"""The picus package's provider: hosts ``ApiCluster`` and ``GlobalApi`` for programs in any Pulumi
language.

The Python language host runs ``python <this folder> [--logtostderr] [-v=N] ENGINE_ADDRESS``
from the consumer's project folder (pulumi-language-python's ``RunPlugin``); the provider
prints its port on stdout and answers the engine's ``GetSchema`` and ``Construct``. The schema is
inferred from the annotations and docstrings of the components and their args.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The cwd is the consumer's project, and Python puts only this folder on sys.path: the
# repository's packages are found from where this file is, right after it, as PYTHONPATH would
# put them: before the plugin's installed packages, so a distribution that happens to ship a
# top-level ``components`` or ``picus`` cannot stand in for them. None is a standard module.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))

from pulumi.provider.experimental import component_provider_host  # noqa: E402

from components.api_cluster import ApiCluster  # noqa: E402
from components.global_api import GlobalApi  # noqa: E402
from picus.version import VERSION  # noqa: E402

#: The package's name: its resources are picus:index:<Component>.
PACKAGE = "picus"
#: What the package offers: the API in one region, or in several behind one domain.
COMPONENTS = [ApiCluster, GlobalApi]


def main() -> None:
    component_provider_host(COMPONENTS, name=PACKAGE, version=VERSION)


if __name__ == "__main__":
    main()
