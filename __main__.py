"""The picus stack: validates config, composes the components, exports what users need.

Every key is declared with its type, default and description in Pulumi.yaml.
"""

from __future__ import annotations

import pulumi

from components import outputs
from components.alarms import Alarms, AlarmsArgs
from components.api_cluster import ApiCluster, ApiClusterArgs
from components.delete_function import DeleteFunction, DeleteFunctionArgs
from components.naming import stack_prefix
from components.network import Network, NetworkArgs
from components.stack_config import ConfigError, load
from components.table import Table, TableArgs
from components.traffic_logs import TrafficLogs, TrafficLogsArgs

try:
    config = load(pulumi.Config(), pulumi.get_stack())
except ConfigError as error:
    # A RunError is reported as its message alone, without a traceback.
    raise pulumi.RunError(str(error)) from None

prefix = stack_prefix(config.stack)
network = Network(
    prefix,
    NetworkArgs(
        cidr_block=config.vpc_cidr,
        availability_zones=config.availability_zones,
        nat=config.nat,
    ),
)
traffic_logs = (
    TrafficLogs(
        f"{prefix}-traffic",
        TrafficLogsArgs(
            vpc_id=network.vpc_id,
            retention_days=config.traffic_log_retention_days,
            force_destroy=not config.protect,
        ),
    )
    if config.traffic_logs
    else None
)
table = Table(
    prefix,
    TableArgs(
        table_name=config.table_name,
        protect=config.protect,
        kms_key_arn=config.table_kms_key_arn,
    ),
)
api = ApiCluster(
    f"{prefix}-api",
    ApiClusterArgs(
        vpc_id=network.vpc_id,
        vpc_cidr=network.cidr_block,
        public_subnet_ids=network.public_subnet_ids,
        private_subnet_ids=network.private_subnet_ids,
        table_name=table.name,
        table_arn=table.arn,
        table_kms_key_arn=config.table_kms_key_arn,
        architecture=config.architecture,
        cpu=config.cpu,
        memory=config.memory,
        desired_count=config.desired_count,
        min_count=config.min_count,
        max_count=config.max_count,
        cpu_target_percent=config.cpu_target_percent,
        requests_per_target=config.requests_per_target,
        log_retention_days=config.log_retention_days,
        image_uri=config.image_uri,
        deregistration_delay=config.deregistration_delay,
        health_check_grace_period=config.health_check_grace_period,
        certificate_arn=config.certificate_arn,
        ssl_policy=config.ssl_policy,
        domain_name=config.domain_name,
        hosted_zone_id=config.hosted_zone_id,
        waf_web_acl_arn=config.waf_web_acl_arn,
        access_logs_bucket=traffic_logs.bucket if traffic_logs else None,
        protect=config.protect,
    ),
)
delete_fn = DeleteFunction(
    f"{prefix}-delete",
    DeleteFunctionArgs(
        table_name=table.name,
        table_arn=table.arn,
        table_kms_key_arn=config.table_kms_key_arn,
        listener_arns=api.serving_listener_arns,
        memory_size=config.lambda_memory,
        timeout=config.lambda_timeout,
        log_retention_days=config.log_retention_days,
    ),
)
Alarms(
    prefix,
    AlarmsArgs(
        load_balancer_arn_suffix=api.load_balancer_arn_suffix,
        target_group_arn_suffix=api.target_group_arn_suffix,
        function_target_group_arn_suffix=delete_fn.target_group_arn_suffix,
        function_name=delete_fn.function_name,
        table_name=table.name,
        p99_latency_seconds=config.p99_latency_ms / 1000,
        alarm_email=config.alarm_email,
        alarm_topic_arn=config.alarm_topic_arn,
    ),
)

pulumi.export(outputs.API_URL, api.url)
pulumi.export(outputs.ALB_DNS_NAME, api.dns_name)
pulumi.export(outputs.TABLE_NAME, table.name)
pulumi.export(outputs.IMAGE_URI, api.image_uri)
pulumi.export(outputs.FUNCTION_ARN, delete_fn.function_arn)
pulumi.export(outputs.FUNCTION_VERSION, delete_fn.function_version)
pulumi.export(outputs.ALIAS_ARN, delete_fn.alias_arn)
pulumi.export(outputs.CLUSTER_NAME, api.cluster_name)
pulumi.export(outputs.SERVICE_NAME, api.service_name)
pulumi.export(outputs.TASK_DEFINITION_ARN, api.task_definition_arn)
