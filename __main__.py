"""The picus stack: reads and checks its config, constructs one ApiCluster (or, with regions
listed, a GlobalApi of one cluster per region), exports its outputs.

Every key is declared with its type, default and description in Pulumi.yaml.
"""

from __future__ import annotations

import pulumi

from components import outputs, region_outputs, release_outputs
from components.api_cluster import ApiCluster
from components.global_api import GLOBAL_API_TYPE, GlobalApi
from components.settings_reader import python_name
from components.stack_config import ConfigError, cluster_args, cluster_name, load

stack = pulumi.get_stack()
config = pulumi.Config()
try:
    settings = load(config, stack)
except ConfigError as error:
    # A RunError is reported as its message alone, without a traceback.
    raise pulumi.RunError(str(error)) from None

args = cluster_args(config, stack)
name = cluster_name(stack)
if settings.regions.routed:
    api = GlobalApi(name, args)
    cluster = api.home
    pulumi.export(region_outputs.REGIONS, api.regions)
    pulumi.export(region_outputs.GLOBAL_DASHBOARD_URL, api.global_dashboard_url)
else:
    # A GlobalApi's first cluster, when the stack lists no regions any longer, is this one.
    was_global = pulumi.Alias(parent=pulumi.create_urn(name, GLOBAL_API_TYPE))
    cluster = ApiCluster(name, args, pulumi.ResourceOptions(aliases=[was_global]))

# A public API has no issuer to name: its output is absent, not empty.
absent = {outputs.AUTH_ISSUER} if settings.auth is None else set()
for module in (outputs, release_outputs):
    for key, export in vars(module).items():
        if key.isupper() and isinstance(export, str) and export not in absent:
            pulumi.export(export, getattr(cluster, python_name(export)))
