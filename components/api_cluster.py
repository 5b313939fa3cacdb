"""The service on ECS Fargate behind an internet-facing ALB: image, cluster, service,
load balancer, autoscaling, roles and logs."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.container import CONTAINER_NAME, container_definitions
from components.fargate import MAX_STOP_TIMEOUT
from components.image import CpuArchitecture, ServiceImage, ServiceImageArgs
from components.policies import (
    ASSUME_ECS_TASKS,
    SERVICE_TABLE_ACTIONS,
    assume_role_policy,
    execution_policy,
    table_policy,
)
from components.traffic_logs import ALB_PREFIX
from picus.contract import ALB_IDLE_TIMEOUT_SECONDS, CONTAINER_PORT, HEALTH_PATH

#: The ALB is IPv4 only (ip_address_type "ipv4"), so is every rule that admits clients.
ANYWHERE = "0.0.0.0/0"


@dataclass(frozen=True)
class ApiClusterArgs:
    """Validated by ``components.stack_config``; defaults live in Pulumi.yaml."""

    vpc_id: pulumi.Input[str]
    vpc_cidr: pulumi.Input[str]
    public_subnet_ids: pulumi.Input[list[str]]
    private_subnet_ids: pulumi.Input[list[str]]
    table_name: pulumi.Input[str]
    table_arn: pulumi.Input[str]
    table_kms_key_arn: str | None
    architecture: CpuArchitecture
    cpu: int
    memory: int
    desired_count: int
    min_count: int
    max_count: int
    log_retention_days: int
    image_uri: str | None
    cpu_target_percent: float
    requests_per_target: int
    deregistration_delay: int
    health_check_grace_period: int
    certificate_arn: str | None
    ssl_policy: str
    #: A custom domain; a Route 53 alias record when its hosted zone is given too.
    domain_name: str | None
    hosted_zone_id: str | None
    #: An AWS WAF web ACL in front of the ALB: where a deployer adds rate limits or auth rules.
    waf_web_acl_arn: str | None
    #: Where the ALB writes its access logs; None for none.
    access_logs_bucket: pulumi.Input[str] | None
    #: Deletion protection on the ALB; the image repository refuses to be deleted with images.
    protect: bool

    @property
    def stop_timeout(self) -> int:
        """SIGTERM comes once the target has drained; the container then has this long."""
        return min(MAX_STOP_TIMEOUT, self.deregistration_delay + 30)

    @property
    def graceful_shutdown(self) -> int:
        """The service stops accepting and finishes in-flight requests within this."""
        return self.stop_timeout - 5


def _tcp(
    rule: type[aws.vpc.SecurityGroupIngressRule] | type[aws.vpc.SecurityGroupEgressRule],
    name: str,
    group: aws.ec2.SecurityGroup,
    port: int,
    opts: pulumi.ResourceOptions,
    *,
    cidr_ipv4: str | None = None,
    peer: aws.ec2.SecurityGroup | None = None,
) -> None:
    """One TCP port, to or from exactly one CIDR or one other security group."""
    rule(
        name,
        security_group_id=group.id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        cidr_ipv4=cidr_ipv4,
        referenced_security_group_id=peer.id if peer is not None else None,
        opts=opts,
    )


def container_insights_log_group(cluster_name: str) -> str:
    return f"/aws/ecs/containerinsights/{cluster_name}/performance"


class ApiCluster(pulumi.ComponentResource):
    load_balancer_arn: pulumi.Output[str]
    load_balancer_arn_suffix: pulumi.Output[str]
    dns_name: pulumi.Output[str]
    zone_id: pulumi.Output[str]
    #: The listeners that forward traffic (not the HTTP -> HTTPS redirect).
    serving_listener_arns: list[pulumi.Output[str]]
    target_group_arn_suffix: pulumi.Output[str]
    task_definition_arn: pulumi.Output[str]
    cluster_name: pulumi.Output[str]
    service_name: pulumi.Output[str]
    image_uri: pulumi.Output[str]
    #: Where clients reach the API: the custom domain if any, else the ALB's name.
    url: pulumi.Output[str]
    https: bool

    def __init__(
        self, name: str, args: ApiClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("picus:index:ApiCluster", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        region = aws.get_region_output(opts=invoke).region
        account = aws.get_caller_identity_output(opts=invoke).account_id

        image = ServiceImage(
            f"{name}-image",
            ServiceImageArgs(
                architecture=args.architecture,
                image_uri=args.image_uri,
                force_delete=not args.protect,
            ),
            opts=child,
        )

        # --- security groups: internet -> ALB -> tasks, nothing else in
        alb_sg = aws.ec2.SecurityGroup(
            f"{name}-alb-sg", vpc_id=args.vpc_id, description="picus ALB", opts=child
        )
        task_sg = aws.ec2.SecurityGroup(
            f"{name}-task-sg", vpc_id=args.vpc_id, description="picus service tasks", opts=child
        )
        self.https = args.certificate_arn is not None
        public_ports = [80, 443] if self.https else [80]
        for port in public_ports:
            _tcp(
                aws.vpc.SecurityGroupIngressRule,
                f"{name}-alb-in-{port}",
                alb_sg,
                port,
                child,
                cidr_ipv4=ANYWHERE,
            )
        _tcp(
            aws.vpc.SecurityGroupEgressRule,
            f"{name}-alb-to-tasks",
            alb_sg,
            CONTAINER_PORT,
            child,
            peer=task_sg,
        )
        _tcp(
            aws.vpc.SecurityGroupIngressRule,
            f"{name}-tasks-from-alb",
            task_sg,
            CONTAINER_PORT,
            child,
            peer=alb_sg,
        )
        # Tasks call AWS APIs over HTTPS only: ECR and logs through NAT, DynamoDB through its
        # gateway endpoint.
        _tcp(
            aws.vpc.SecurityGroupEgressRule,
            f"{name}-tasks-https-out",
            task_sg,
            443,
            child,
            cidr_ipv4=ANYWHERE,
        )

        # --- load balancer
        alb = aws.lb.LoadBalancer(
            f"{name}-alb",
            internal=False,
            load_balancer_type="application",
            ip_address_type="ipv4",
            security_groups=[alb_sg.id],
            subnets=args.public_subnet_ids,
            drop_invalid_header_fields=True,
            idle_timeout=ALB_IDLE_TIMEOUT_SECONDS,
            enable_deletion_protection=args.protect,
            access_logs=(
                aws.lb.LoadBalancerAccessLogsArgs(
                    bucket=args.access_logs_bucket, prefix=ALB_PREFIX, enabled=True
                )
                if args.access_logs_bucket is not None
                else None
            ),
            opts=child,
        )
        target_group = aws.lb.TargetGroup(
            f"{name}-tg",
            target_type="ip",
            port=CONTAINER_PORT,
            protocol="HTTP",
            vpc_id=args.vpc_id,
            deregistration_delay=args.deregistration_delay,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                path=HEALTH_PATH,
                port="traffic-port",
                protocol="HTTP",
                matcher="200",
                interval=10,
                timeout=5,
                healthy_threshold=2,
                unhealthy_threshold=3,
            ),
            opts=child,
        )
        forward = [
            aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=target_group.arn)
        ]
        if self.https:
            serving = aws.lb.Listener(
                f"{name}-https",
                load_balancer_arn=alb.arn,
                port=443,
                protocol="HTTPS",
                certificate_arn=args.certificate_arn,
                ssl_policy=args.ssl_policy,
                default_actions=forward,
                opts=child,
            )
            aws.lb.Listener(
                f"{name}-http-redirect",
                load_balancer_arn=alb.arn,
                port=80,
                protocol="HTTP",
                default_actions=[
                    aws.lb.ListenerDefaultActionArgs(
                        type="redirect",
                        redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                            protocol="HTTPS", port="443", status_code="HTTP_301"
                        ),
                    )
                ],
                opts=child,
            )
        else:
            serving = aws.lb.Listener(
                f"{name}-http",
                load_balancer_arn=alb.arn,
                port=80,
                protocol="HTTP",
                default_actions=forward,
                opts=child,
            )

        # --- logs and roles
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs", retention_in_days=args.log_retention_days, opts=child
        )
        execution_role = aws.iam.Role(
            f"{name}-execution-role",
            assume_role_policy=account.apply(lambda a: assume_role_policy(ASSUME_ECS_TASKS, a)),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-execution-policy",
            role=execution_role.id,
            policy=pulumi.Output.all(image.repository_arn, log_group.arn).apply(
                lambda a: execution_policy(a[0], a[1])
            ),
            opts=child,
        )
        task_role = aws.iam.Role(
            f"{name}-task-role",
            assume_role_policy=account.apply(lambda a: assume_role_policy(ASSUME_ECS_TASKS, a)),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-task-policy",
            role=task_role.id,
            policy=pulumi.Output.from_input(args.table_arn).apply(
                lambda arn: table_policy(arn, SERVICE_TABLE_ACTIONS, args.table_kms_key_arn)
            ),
            opts=child,
        )

        # --- cluster, task, service
        # Named, not auto-named, so that the log group Container Insights writes to can exist
        # before the cluster: ours, with its retention, and deleted by `destroy`.
        cluster_name = f"{name}-cluster"
        insights_logs = aws.cloudwatch.LogGroup(
            f"{name}-insights-logs",
            name=container_insights_log_group(cluster_name),
            retention_in_days=args.log_retention_days,
            opts=child,
        )
        cluster = aws.ecs.Cluster(
            cluster_name,
            name=cluster_name,
            settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value="enabled")],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[insights_logs]),
        )
        task = aws.ecs.TaskDefinition(
            f"{name}-task",
            family=f"{name}-service",
            cpu=str(args.cpu),
            memory=str(args.memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
                cpu_architecture=args.architecture.value, operating_system_family="LINUX"
            ),
            execution_role_arn=execution_role.arn,
            task_role_arn=task_role.arn,
            container_definitions=pulumi.Output.all(
                image.image_uri, args.table_name, region, log_group.name, args.vpc_cidr
            ).apply(
                lambda a: container_definitions(
                    image=a[0],
                    table_name=a[1],
                    region=a[2],
                    log_group=a[3],
                    vpc_cidr=a[4],
                    stop_timeout=args.stop_timeout,
                    graceful_shutdown=args.graceful_shutdown,
                )
            ),
            # Replacing the task definition keeps the old revision registered: it is what the
            # deployment circuit breaker rolls back to when the new one fails.
            skip_destroy=True,
            opts=child,
        )
        service = aws.ecs.Service(
            f"{name}-service",
            cluster=cluster.arn,
            task_definition=task.arn,
            desired_count=args.desired_count,
            launch_type="FARGATE",
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=args.private_subnet_ids,
                security_groups=[task_sg.id],
                assign_public_ip=False,
            ),
            load_balancers=[
                aws.ecs.ServiceLoadBalancerArgs(
                    target_group_arn=target_group.arn,
                    container_name=CONTAINER_NAME,
                    container_port=CONTAINER_PORT,
                )
            ],
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(
                enable=True, rollback=True
            ),
            health_check_grace_period_seconds=args.health_check_grace_period,
            wait_for_steady_state=True,
            propagate_tags="SERVICE",
            # Autoscaling owns the count once the service exists.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[serving], ignore_changes=["desiredCount"]
            ),
        )

        # --- autoscaling between the configured bounds
        scaling = aws.appautoscaling.Target(
            f"{name}-scaling",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", cluster.name, "/", service.name),
            min_capacity=args.min_count,
            max_capacity=args.max_count,
            opts=child,
        )
        tracked: list[tuple[str, str, float, pulumi.Input[str] | None]] = [
            ("cpu", "ECSServiceAverageCPUUtilization", args.cpu_target_percent, None),
            (
                "requests",
                "ALBRequestCountPerTarget",
                float(args.requests_per_target),
                pulumi.Output.concat(alb.arn_suffix, "/", target_group.arn_suffix),
            ),
        ]
        for suffix, metric, target, label in tracked:
            aws.appautoscaling.Policy(
                f"{name}-{suffix}",
                policy_type="TargetTrackingScaling",
                service_namespace=scaling.service_namespace,
                scalable_dimension=scaling.scalable_dimension,
                resource_id=scaling.resource_id,
                target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                    target_value=target,
                    predefined_metric_specification=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                        predefined_metric_type=metric, resource_label=label
                    ),
                    # Out fast when load comes, in slowly so a dip does not drop capacity.
                    scale_in_cooldown=120,
                    scale_out_cooldown=30,
                ),
                opts=child,
            )

        if args.waf_web_acl_arn:
            aws.wafv2.WebAclAssociation(
                f"{name}-waf",
                resource_arn=alb.arn,
                web_acl_arn=args.waf_web_acl_arn,
                opts=child,
            )

        host: pulumi.Output[str] = alb.dns_name
        if args.domain_name and args.hosted_zone_id:
            record = aws.route53.Record(
                f"{name}-domain",
                zone_id=args.hosted_zone_id,
                name=args.domain_name,
                type="A",
                aliases=[
                    aws.route53.RecordAliasArgs(
                        name=alb.dns_name, zone_id=alb.zone_id, evaluate_target_health=True
                    )
                ],
                opts=child,
            )
            host = record.fqdn
        elif args.domain_name:
            # The deployer points the domain at albDnsName in their own DNS.
            host = pulumi.Output.from_input(args.domain_name)

        self.url = pulumi.Output.concat("https://" if self.https else "http://", host)
        self.load_balancer_arn = alb.arn
        self.load_balancer_arn_suffix = alb.arn_suffix
        self.dns_name = alb.dns_name
        self.zone_id = alb.zone_id
        self.serving_listener_arns = [serving.arn]
        self.target_group_arn_suffix = target_group.arn_suffix
        self.task_definition_arn = task.arn
        self.cluster_name = cluster.name
        self.service_name = service.name
        self.image_uri = image.image_uri
        self.register_outputs(
            {
                "load_balancer_arn": self.load_balancer_arn,
                "dns_name": self.dns_name,
                "cluster_name": self.cluster_name,
                "service_name": self.service_name,
                "task_definition_arn": self.task_definition_arn,
                "image_uri": self.image_uri,
                "url": self.url,
            }
        )
