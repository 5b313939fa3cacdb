"""The picus stack: validates config, composes the components, exports what users need.

Every key is declared with its type, default and description in Pulumi.yaml.
"""

from __future__ import annotations

import pulumi

from components import outputs, release_outputs
from components.alarms import Alarms, AlarmsArgs
from components.dashboard import Dashboard, DashboardArgs
from components.delete_function import ALIAS, DeleteFunction, DeleteFunctionArgs
from components.fargate_service import FargateService, FargateServiceArgs
from components.firewall import Firewall, FirewallArgs
from components.function_release import FunctionRelease, FunctionReleaseArgs
from components.load_balancer import LoadBalancer, LoadBalancerArgs
from components.naming import stack_prefix
from components.network import Network, NetworkArgs
from components.stack_config import ConfigError, load
from components.table import Table, TableArgs
from components.traffic_logs import TrafficLogs, TrafficLogsArgs
from picus.contract import IDEMPOTENCY_EXPIRES_AT, IDEMPOTENCY_PARTITION_KEY, PARTITION_KEY

try:
    config = load(pulumi.Config(), pulumi.get_stack())
except ConfigError as error:
    # A RunError is reported as its message alone, without a traceback.
    raise pulumi.RunError(str(error)) from None

prefix = stack_prefix(config.stack)
network = Network(prefix, NetworkArgs(layout=config.subnet_layout, nat=config.nat))
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
        partition_key=PARTITION_KEY,
        ttl_attribute=None,
    ),
)
# What each Idempotency-Key created, forgotten by TTL; kept, encrypted and protected as the
# data is: a lost record lets a retry create a second item.
idempotency_table = Table(
    f"{prefix}-idempotency",
    TableArgs(
        table_name=config.idempotency_table_name,
        protect=config.protect,
        kms_key_arn=config.table_kms_key_arn,
        partition_key=IDEMPOTENCY_PARTITION_KEY,
        ttl_attribute=IDEMPOTENCY_EXPIRES_AT,
    ),
)
firewall = (
    Firewall(
        f"{prefix}-firewall",
        FirewallArgs(rate_limit=config.firewall_rate_limit, count_only=config.firewall_count_only),
    )
    if config.firewall and not config.waf_web_acl_arn
    else None
)
load_balancer = LoadBalancer(
    prefix,
    LoadBalancerArgs(
        vpc_id=network.vpc_id,
        public_subnet_ids=network.public_subnet_ids,
        deregistration_delay=config.deregistration_delay,
        certificate_arn=config.certificate_arn,
        ssl_policy=config.ssl_policy,
        domain_name=config.domain_name,
        hosted_zone_id=config.hosted_zone_id,
        waf_web_acl_arn=firewall.web_acl_arn if firewall else config.waf_web_acl_arn,
        access_logs_bucket=traffic_logs.bucket if traffic_logs else None,
        protect=config.protect,
        auth=config.auth,
        cors=bool(config.cors_origins),
        canary_weight=config.deployment.canary_weight,
        release_header=config.deployment.release_header,
    ),
)
delete_fn = DeleteFunction(
    f"{prefix}-delete",
    DeleteFunctionArgs(
        table_name=table.name,
        table_arn=table.arn,
        table_kms_key_arn=config.table_kms_key_arn,
        listener_arns=load_balancer.serving_listener_arns,
        memory_size=config.lambda_memory,
        timeout=config.lambda_timeout,
        log_retention_days=config.log_retention_days,
        tracing=config.tracing,
        auth=config.auth,
        snap_start=config.snap_start,
        cors_origins=config.cors_origins,
    ),
)
# ECS watches two of these during each release of the service, and rolls it back; the deploy
# job watches their twins on the canary's target group while a canary bakes.
alarms = Alarms(
    prefix,
    AlarmsArgs(
        load_balancer_arn_suffix=load_balancer.arn_suffix,
        target_group_arn_suffix=load_balancer.target_group_arn_suffix,
        canary_target_group_arn_suffix=load_balancer.canary_target_group_arn_suffix,
        function_target_group_arn_suffix=delete_fn.target_group_arn_suffix,
        function_name=delete_fn.function_name,
        table_name=table.name,
        idempotency_table_name=idempotency_table.name,
        p99_latency_seconds=config.p99_latency_ms / 1000,
        alarm_email=config.alarm_email,
        alarm_topic_arn=config.alarm_topic_arn,
    ),
)
api = FargateService(
    f"{prefix}-api",
    FargateServiceArgs(
        vpc_id=network.vpc_id,
        vpc_cidr=config.vpc_cidr,
        private_subnet_ids=network.private_subnet_ids,
        load_balancer_security_group_id=load_balancer.security_group_id,
        target_group_arn=load_balancer.target_group_arn,
        request_count_label=load_balancer.request_count_label,
        canary_target_group_arn=load_balancer.canary_target_group_arn,
        canary_request_count_label=load_balancer.canary_request_count_label,
        deregistration_delay=config.deregistration_delay,
        table_name=table.name,
        table_arn=table.arn,
        idempotency_table_name=idempotency_table.name,
        idempotency_table_arn=idempotency_table.arn,
        table_kms_key_arn=config.table_kms_key_arn,
        architecture=config.architecture,
        cpu=config.cpu,
        memory=config.memory,
        desired_count=config.desired_count,
        min_count=config.min_count,
        max_count=config.max_count,
        cpu_target_percent=config.cpu_target_percent,
        requests_per_target=config.requests_per_target,
        health_check_grace_period=config.health_check_grace_period,
        deployment=config.deployment,
        deployment_alarm_names=alarms.deployment_alarm_names,
        log_retention_days=config.log_retention_days,
        image_uri=config.image_uri,
        protect=config.protect,
        auth=config.auth,
        cors_origins=config.cors_origins,
    ),
)
# CodeDeploy shifts each new version of the function onto the alias, under these alarms.
release = FunctionRelease(
    f"{prefix}-release",
    FunctionReleaseArgs(
        function_name=delete_fn.function_name,
        function_arn=delete_fn.function_arn,
        function_version=delete_fn.function_version,
        alias_name=ALIAS,
        load_balancer_arn_suffix=load_balancer.arn_suffix,
        function_target_group_arn_suffix=delete_fn.target_group_arn_suffix,
        settings=config.function_release,
        alarm_actions=alarms.alarm_actions,
    ),
)
dashboard = Dashboard(
    prefix,
    DashboardArgs(
        load_balancer_arn_suffix=load_balancer.arn_suffix,
        service_target_group_arn_suffix=load_balancer.target_group_arn_suffix,
        function_target_group_arn_suffix=delete_fn.target_group_arn_suffix,
        cluster_name=api.cluster_name,
        service_name=api.service_name,
        function_name=delete_fn.function_name,
        table_name=table.name,
        alarm_arns=[*alarms.alarm_arns, *release.alarm_arns],
    ),
)

pulumi.export(outputs.API_URL, load_balancer.url)
pulumi.export(outputs.ALB_DNS_NAME, load_balancer.dns_name)
pulumi.export(outputs.TABLE_NAME, table.name)
pulumi.export(outputs.IDEMPOTENCY_TABLE_NAME, idempotency_table.name)
pulumi.export(outputs.IMAGE_URI, api.image_uri)
pulumi.export(outputs.FUNCTION_ARN, delete_fn.function_arn)
pulumi.export(outputs.FUNCTION_VERSION, delete_fn.function_version)
pulumi.export(outputs.ALIAS_ARN, delete_fn.alias_arn)
pulumi.export(outputs.CLUSTER_NAME, api.cluster_name)
pulumi.export(outputs.SERVICE_NAME, api.service_name)
pulumi.export(outputs.TASK_DEFINITION_ARN, api.task_definition_arn)
pulumi.export(outputs.DASHBOARD_URL, dashboard.url)
pulumi.export(outputs.HTTPS, config.https)
# What the deploy job reads to drive and judge a canary (deploy/canary.py, deploy/check.py).
pulumi.export(release_outputs.CANARY_SERVICE_NAME, api.canary_service_name)
pulumi.export(release_outputs.CANARY_TASK_DEFINITION_ARN, api.canary_task_definition_arn)
pulumi.export(release_outputs.CANARY_ALARM_NAMES, alarms.canary_alarm_names)
pulumi.export(release_outputs.CANARY_IMAGE_URI, config.deployment.canary_image_uri or "")
pulumi.export(release_outputs.CANARY_WEIGHT, config.deployment.canary_weight)
if config.auth is not None:
    pulumi.export(outputs.AUTH_ISSUER, config.auth.issuer)
