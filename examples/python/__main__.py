"""A team's own Pulumi program that adds the picus API to a VPC it already has.

The ApiCluster comes from a checkout of the picus repository on PYTHONPATH (a git submodule,
for example), or from the SDK `pulumi package add` generates (`import pulumi_picus`), whose
ApiCluster takes the same args, in camelCase.
"""

import pulumi

from components.api_cluster import ApiCluster

config = pulumi.Config()
api = ApiCluster(
    "payments-api",
    {
        "network": {
            "vpc_id": config.require("vpcId"),
            "public_subnet_ids": config.require_object("publicSubnetIds"),
            "private_subnet_ids": config.require_object("privateSubnetIds"),
        },
        "scaling": {"min_count": 2, "desired_count": 2, "max_count": 6},
        # The load balancer's access logs; a VPC of the team's own gets no flow log from it.
        "traffic_logs": True,
    },
)

pulumi.export("apiUrl", api.api_url)
pulumi.export("tableName", api.table_name)
pulumi.export("dashboardUrl", api.dashboard_url)
