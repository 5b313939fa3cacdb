"""The picus stack: reads config, composes the components, exports what users need.

Every key is declared with its type, default and description in Pulumi.yaml.
"""

from __future__ import annotations

import pulumi

from components.alarms import Alarms, AlarmsArgs
from components.api_cluster import ApiCluster, ApiClusterArgs
from components.delete_function import DeleteFunction, DeleteFunctionArgs
from components.image import CpuArchitecture
from components.network import NatStrategy, Network, NetworkArgs
from components.table import Table, TableArgs

config = pulumi.Config()
prefix = f"picus-{pulumi.get_stack()}"
protect = config.require_bool("protect")
log_retention_days = config.require_int("logRetentionDays")

network = Network(
    prefix,
    NetworkArgs(
        cidr_block=config.require("vpcCidr"),
        availability_zones=config.require_int("availabilityZones"),
        nat=NatStrategy(config.require("natGateways")),
    ),
)
table = Table(prefix, TableArgs(table_name=config.require("tableName"), protect=protect))
api = ApiCluster(
    f"{prefix}-api",
    ApiClusterArgs(
        vpc_id=network.vpc_id,
        vpc_cidr=network.cidr_block,
        public_subnet_ids=network.public_subnet_ids,
        private_subnet_ids=network.private_subnet_ids,
        table_name=table.name,
        table_arn=table.arn,
        architecture=CpuArchitecture(config.require("cpuArchitecture")),
        cpu=config.require_int("cpu"),
        memory=config.require_int("memory"),
        desired_count=config.require_int("desiredCount"),
        min_count=config.require_int("minCount"),
        max_count=config.require_int("maxCount"),
        cpu_target_percent=config.require_int("cpuTargetPercent"),
        requests_per_target=config.require_int("requestsPerTarget"),
        log_retention_days=log_retention_days,
        image_uri=config.get("imageUri") or None,
        deregistration_delay=config.require_int("deregistrationDelay"),
        health_check_grace_period=config.require_int("healthCheckGracePeriod"),
        certificate_arn=config.get("certificateArn") or None,
        ssl_policy=config.require("sslPolicy"),
        domain_name=config.get("domainName") or None,
        hosted_zone_id=config.get("hostedZoneId") or None,
        waf_web_acl_arn=config.get("wafWebAclArn") or None,
        protect=protect,
    ),
)
delete_fn = DeleteFunction(
    f"{prefix}-delete",
    DeleteFunctionArgs(
        table_name=table.name,
        table_arn=table.arn,
        listener_arns=api.serving_listener_arns,
        memory_size=config.require_int("lambdaMemory"),
        timeout=config.require_int("lambdaTimeout"),
        log_retention_days=log_retention_days,
    ),
)
Alarms(
    prefix,
    AlarmsArgs(
        load_balancer_arn_suffix=api.load_balancer_arn_suffix,
        target_group_arn_suffix=api.target_group_arn_suffix,
        function_name=delete_fn.function_name,
        table_name=table.name,
        p99_latency_seconds=config.require_int("p99LatencyMs") / 1000,
        alarm_email=config.get("alarmEmail") or None,
    ),
)

pulumi.export("apiUrl", api.url)
pulumi.export("albDnsName", api.dns_name)
pulumi.export("tableName", table.name)
pulumi.export("imageUri", api.image_uri)
pulumi.export("functionArn", delete_fn.function_arn)
pulumi.export("clusterName", api.cluster_name)
pulumi.export("serviceName", api.service_name)
