"""ApiCluster: the whole API as one component, which any Pulumi program adds in any language.

The network (or an existing one), both tables, the load balancer and its rules, the firewall,
the traffic logs, the service and its canary, the DELETE function and its release, the alarms,
the dashboard and the image build. The stack's ``__main__.py`` constructs one from its config;
``plugin/`` hosts it for other languages. Every child keeps the logical name it had when the
stack program created it at the top level (``<name>-table``), and answers to its URN from then
through its alias.
"""

import pulumi

from components.alarms import Alarms, AlarmsArgs
from components.api_cluster_args import ApiClusterArgs
from components.certificate import in_stack_region
from components.cluster_settings import ClusterSettings
from components.cluster_tables import own_tables, replica_tables
from components.dashboard import Dashboard, DashboardArgs
from components.delete_function import ALIAS, DeleteFunction, DeleteFunctionArgs
from components.domain_record import latency_record
from components.fargate_service import FargateService, FargateServiceArgs
from components.firewall import Firewall, FirewallArgs
from components.function_release import FunctionRelease, FunctionReleaseArgs
from components.load_balancer import LoadBalancer, LoadBalancerArgs
from components.multi_region import service_consistency
from components.naming import stack_scoped
from components.placement import placement
from components.region_role import RegionRole
from components.settings_reader import resolve
from components.traffic_logs import TrafficLogs, TrafficLogsArgs

#: Until ApiCluster, each of its components was created at the top of the stack.
_WAS_AT_THE_TOP = pulumi.ResourceOptions(aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)])


class ApiCluster(pulumi.ComponentResource):
    """The picus HTTP CRUD API on AWS: Starlette on ECS Fargate behind an Application Load
    Balancer, a DELETE Lambda function, a DynamoDB table of items and one of Idempotency-Key
    records, with canary releases, alarms and a dashboard."""

    api_url: pulumi.Output[str]
    """Where clients reach the API: https://<domainName> with a certificate, else the load
    balancer's own name over http."""
    alb_dns_name: pulumi.Output[str]
    """The load balancer's DNS name, for a record of the consumer's own."""
    table_name: pulumi.Output[str]
    """The DynamoDB table of the items."""
    idempotency_table_name: pulumi.Output[str]
    """The DynamoDB table where the service remembers each Idempotency-Key."""
    image_uri: pulumi.Output[str]
    """The service's image, by digest."""
    function_arn: pulumi.Output[str]
    """The DELETE function."""
    function_version: pulumi.Output[str]
    """The function version this update published; the live alias points at it once released."""
    alias_arn: pulumi.Output[str]
    """The function's live alias, which the load balancer invokes."""
    cluster_name: pulumi.Output[str]
    """The ECS cluster."""
    service_name: pulumi.Output[str]
    """The ECS service of the running image."""
    task_definition_arn: pulumi.Output[str]
    """The task definition revision this update registered."""
    dashboard_url: pulumi.Output[str]
    """The CloudWatch dashboard of the API."""
    https: pulumi.Output[bool]
    """Whether the API serves HTTPS (it has a certificate)."""
    auth_issuer: pulumi.Output[str]
    """The token issuer the load balancer trusts; empty for a public API."""
    canary_service_name: pulumi.Output[str]
    """The ECS service that runs a release's new image beside the running one."""
    canary_task_definition_arn: pulumi.Output[str]
    """The canary's task definition revision this update registered."""
    canary_alarm_names: pulumi.Output[list[str]]
    """The canary target group's alarms, which a release watches while it bakes."""
    canary_image_uri: pulumi.Output[str]
    """The image the canary runs; empty when no release is under way."""
    canary_weight: pulumi.Output[int]
    """The canary's share of the traffic, in %."""
    listener_arn: pulumi.Output[str]
    """The listener whose rules forward the API's traffic to the service and its canary."""
    target_group_arn: pulumi.Output[str]
    """The primary service's target group."""
    canary_target_group_arn: pulumi.Output[str]
    """The canary's target group, which the rules send canaryWeight % of the traffic."""

    def __init__(
        self, name: str, args: ApiClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        self._construct(name, args, opts, None)

    @classmethod
    def in_region(
        cls, name: str, args: ApiClusterArgs, role: RegionRole, opts: pulumi.ResourceOptions
    ) -> "ApiCluster":
        """The cluster of one region of a GlobalApi (components/global_api.py)."""
        cluster = cls.__new__(cls)
        cluster._construct(name, args, opts, role)
        return cluster

    def _construct(
        self,
        name: str,
        args: ApiClusterArgs,
        opts: pulumi.ResourceOptions | None,
        role: RegionRole | None,
    ) -> None:
        stack = pulumi.get_stack()
        # Checked before anything is registered: bad settings create nothing.
        settings = resolve(name, args, stack)
        super().__init__("picus:index:ApiCluster", name, {}, opts)
        self._compose(settings, stack, role)

    def _compose(self, s: ClusterSettings, stack: str, role: RegionRole | None) -> None:
        name = s.name
        physical = stack_scoped(name, stack)
        top = pulumi.ResourceOptions(parent=self).merge(_WAS_AT_THE_TOP)
        network = placement(name, s, top)
        traffic_logs = (
            TrafficLogs(
                f"{name}-traffic",
                TrafficLogsArgs(
                    # A consumer's VPC carries its other workloads: their flows are not ours.
                    flow_log_vpc_id=network.vpc_id if network.owned else None,
                    retention_days=s.traffic_log_retention_days,
                    force_destroy=not s.protect,
                ),
                opts=top,
            )
            if s.traffic_logs
            else None
        )
        tables = (
            replica_tables(s, role.replica_tables)
            if role is not None and role.replica_tables is not None
            else own_tables(s, top)
        )
        table, idempotency_table = tables
        firewall = (
            Firewall(
                f"{name}-firewall",
                FirewallArgs(rate_limit=s.firewall_rate_limit, count_only=s.firewall_count_only),
                opts=top,
            )
            if s.firewall and not s.waf_web_acl_arn
            else None
        )
        load_balancer = LoadBalancer(
            name,
            LoadBalancerArgs(
                vpc_id=network.vpc_id,
                public_subnet_ids=network.public_subnet_ids,
                deregistration_delay=s.deregistration_delay,
                certificate_arn=(
                    in_stack_region(name, s.certificate_arn, self) if s.certificate_arn else None
                ),
                ssl_policy=s.ssl_policy,
                domain_name=s.domain_name,
                hosted_zone_id=s.hosted_zone_id,
                waf_web_acl_arn=firewall.web_acl_arn if firewall else s.waf_web_acl_arn,
                access_logs_bucket=traffic_logs.bucket if traffic_logs else None,
                protect=s.protect,
                auth=s.auth,
                cors=bool(s.cors_origins),
                canary_weight=s.deployment.canary_weight,
                release_header=s.deployment.release_header,
                routed=role is not None,
            ),
            opts=top,
        )
        delete_fn = DeleteFunction(
            f"{name}-delete",
            DeleteFunctionArgs(
                table_name=table.name,
                table_arn=table.arn,
                table_kms_key_arn=s.table_kms_key_arn,
                listener_arns=load_balancer.serving_listener_arns,
                memory_size=s.lambda_memory,
                timeout=s.lambda_timeout,
                log_retention_days=s.log_retention_days,
                tracing=s.tracing,
                auth=s.auth,
                snap_start=s.snap_start,
                cors_origins=s.cors_origins,
            ),
            opts=top,
        )
        # ECS watches two of these during each release of the service, and rolls it back; the
        # deploy job watches their twins on the canary's target group while a canary bakes.
        alarms = Alarms(
            name,
            AlarmsArgs(
                load_balancer_arn_suffix=load_balancer.arn_suffix,
                target_group_arn_suffix=load_balancer.target_group_arn_suffix,
                canary_target_group_arn_suffix=load_balancer.canary_target_group_arn_suffix,
                function_target_group_arn_suffix=delete_fn.target_group_arn_suffix,
                function_name=delete_fn.function_name,
                table_name=table.name,
                idempotency_table_name=idempotency_table.name,
                p99_latency_seconds=s.p99_latency_ms / 1000,
                alarm_email=s.alarm_email,
                alarm_topic_arn=s.alarm_topic_arn,
            ),
            opts=top,
        )
        api = FargateService(
            f"{name}-api",
            FargateServiceArgs(
                physical_name=f"{physical}-api",
                vpc_id=network.vpc_id,
                forwarded_allow_ips=network.load_balancer_cidrs,
                private_subnet_ids=network.private_subnet_ids,
                load_balancer_security_group_id=load_balancer.security_group_id,
                target_group_arn=load_balancer.target_group_arn,
                request_count_label=load_balancer.request_count_label,
                canary_target_group_arn=load_balancer.canary_target_group_arn,
                canary_request_count_label=load_balancer.canary_request_count_label,
                deregistration_delay=s.deregistration_delay,
                table_name=table.name,
                table_arn=table.arn,
                idempotency_table_name=idempotency_table.name,
                idempotency_table_arn=idempotency_table.arn,
                table_kms_key_arn=s.table_kms_key_arn,
                architecture=s.architecture,
                cpu=s.cpu,
                memory=s.memory,
                desired_count=s.desired_count,
                min_count=s.min_count,
                max_count=s.max_count,
                cpu_target_percent=s.cpu_target_percent,
                requests_per_target=s.requests_per_target,
                health_check_grace_period=s.health_check_grace_period,
                deployment=s.deployment,
                deployment_alarm_names=alarms.deployment_alarm_names,
                log_retention_days=s.log_retention_days,
                image_uri=s.image_uri,
                protect=s.protect,
                auth=s.auth,
                cors_origins=s.cors_origins,
                consistency=service_consistency(s.regions),
            ),
            opts=top,
        )
        # CodeDeploy shifts each new version of the function onto the alias, under these alarms.
        release = FunctionRelease(
            f"{name}-release",
            FunctionReleaseArgs(
                function_name=delete_fn.function_name,
                function_arn=delete_fn.function_arn,
                function_version=delete_fn.function_version,
                alias_name=ALIAS,
                load_balancer_arn_suffix=load_balancer.arn_suffix,
                function_target_group_arn_suffix=delete_fn.target_group_arn_suffix,
                settings=s.function_release,
                alarm_actions=alarms.alarm_actions,
            ),
            opts=top,
        )
        dashboard = Dashboard(
            name,
            DashboardArgs(
                dashboard_name=physical,
                load_balancer_arn_suffix=load_balancer.arn_suffix,
                service_target_group_arn_suffix=load_balancer.target_group_arn_suffix,
                function_target_group_arn_suffix=delete_fn.target_group_arn_suffix,
                cluster_name=api.cluster_name,
                service_name=api.service_name,
                function_name=delete_fn.function_name,
                table_name=table.name,
                alarm_arns=[*alarms.alarm_arns, *release.alarm_arns],
            ),
            opts=top,
        )

        self.api_url = load_balancer.url
        self.alb_dns_name = load_balancer.dns_name
        self.table_name = table.name
        self.idempotency_table_name = idempotency_table.name
        self.image_uri = api.image_uri
        self.function_arn = delete_fn.function_arn
        self.function_version = delete_fn.function_version
        self.alias_arn = delete_fn.alias_arn
        self.cluster_name = api.cluster_name
        self.service_name = api.service_name
        self.task_definition_arn = api.task_definition_arn
        self.dashboard_url = dashboard.url
        self.https = pulumi.Output.from_input(s.https)
        self.auth_issuer = pulumi.Output.from_input(s.auth.issuer if s.auth else "")
        self.canary_service_name = api.canary_service_name
        self.canary_task_definition_arn = api.canary_task_definition_arn
        self.canary_alarm_names = pulumi.Output.all(*alarms.canary_alarm_names)
        self.canary_image_uri = pulumi.Output.from_input(s.deployment.canary_image_uri or "")
        self.canary_weight = pulumi.Output.from_input(s.deployment.canary_weight)
        (self.listener_arn,) = load_balancer.serving_listener_arns
        self.target_group_arn = load_balancer.target_group_arn
        self.canary_target_group_arn = load_balancer.canary_target_group_arn
        # For a GlobalApi, which watches every region from the first: not outputs of the cluster.
        self.alarm_actions = alarms.alarm_actions
        self.table_arn = table.arn
        self.idempotency_table_arn = idempotency_table.arn
        health = (
            latency_record(
                name,
                s.domain_name,
                s.hosted_zone_id,
                load_balancer.target,
                s.https,
                role.latency,
                alarms.service_errors_alarm_name,
                # Under the load balancer, as the plain record of a stack of one region is.
                pulumi.ResourceOptions(parent=load_balancer),
            )
            if role is not None and s.domain_name and s.hosted_zone_id
            else None
        )
        self.health_check_id = health.check_id if health else None
        self.domain_record = health.record if health else None
        self.register_outputs({key: getattr(self, key) for key in self.__annotations__})
