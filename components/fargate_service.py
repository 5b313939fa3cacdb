"""The service on ECS Fargate in the private subnets: its image, security group, roles, logs,
cluster, task definition, service and autoscaling; and the canary service beside it, with a task
definition of its own, the same roles, and no tasks while there is no canary image
(components/deployment.py).

Plain pulumi-aws rather than awsx's FargateService, which attaches AWS managed policies to the
roles it makes: here each role has one inline policy of exactly what the service does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.container import CONTAINER_NAME, container_definitions
from components.deployment import (
    DeploymentSettings,
    canary_capacity,
    ecs_deployment_configuration,
    primary_capacity,
    service_deployment_args,
)
from components.fargate import MAX_STOP_TIMEOUT
from components.image import CpuArchitecture, ServiceImage, ServiceImageArgs
from components.jwt_validation import EdgeAuth
from components.listener_rules import auth_environment
from components.multi_region import consistency_environment
from components.policies import (
    ASSUME_ECS_TASKS,
    execution_policy,
    service_policy,
)
from components.roles import service_role
from components.security_groups import ANYWHERE, tcp_rule
from picus.contract import CONTAINER_PORT
from picus.cors import cors_environment
from picus.regions import Consistency


@dataclass(frozen=True)
class FargateServiceArgs:
    """Validated by ``components.cluster_settings``; defaults in ``components.api_cluster_args``."""

    #: What the names AWS takes as given (the cluster, the task families) begin with:
    #: unique in the account (components/naming.py, ``stack_scoped``).
    physical_name: str
    vpc_id: pulumi.Input[str]
    #: The addresses of the load balancer's nodes, comma-separated CIDR blocks: only they may
    #: set X-Forwarded-For.
    forwarded_allow_ips: pulumi.Input[str]
    private_subnet_ids: pulumi.Input[list[str]]
    load_balancer_security_group_id: pulumi.Input[str]
    target_group_arn: pulumi.Input[str]
    #: "app/.../targetgroup/..." for the ALBRequestCountPerTarget scaling metric.
    request_count_label: pulumi.Input[str]
    canary_target_group_arn: pulumi.Input[str]
    canary_request_count_label: pulumi.Input[str]
    deregistration_delay: int
    table_name: pulumi.Input[str]
    table_arn: pulumi.Input[str]
    #: Where a create with an Idempotency-Key records it (the service's alone).
    idempotency_table_name: pulumi.Input[str]
    idempotency_table_arn: pulumi.Input[str]
    #: The tables' key, None for the AWS owned key.
    table_kms_key_arn: str | None
    #: How the service writes: with transactions, or apart under a strong global table's mode.
    #: It sets the service's mode and what its role may do on the idempotency table.
    consistency: Consistency
    architecture: CpuArchitecture
    cpu: int
    memory: int
    desired_count: int
    min_count: int
    max_count: int
    cpu_target_percent: float
    requests_per_target: int
    health_check_grace_period: int
    #: The strategy of every release, and the alarms that roll one back.
    deployment: DeploymentSettings
    deployment_alarm_names: Sequence[pulumi.Input[str]]
    log_retention_days: int
    image_uri: str | None
    #: Whether the image repository refuses to be deleted while it holds images.
    protect: bool
    #: With auth on, the service checks each route's scope itself too.
    auth: EdgeAuth | None
    #: The browser origins whose pages may call the API (picus/cors.py); empty: none.
    cors_origins: tuple[str, ...] = ()

    @property
    def stop_timeout(self) -> int:
        """SIGTERM comes once the target has drained; the container then has this long."""
        return min(MAX_STOP_TIMEOUT, self.deregistration_delay + 30)

    @property
    def graceful_shutdown(self) -> int:
        """The service stops accepting and finishes in-flight requests within this."""
        return self.stop_timeout - 5


def container_insights_log_group(cluster_name: str) -> str:
    return f"/aws/ecs/containerinsights/{cluster_name}/performance"


class FargateService(pulumi.ComponentResource):
    cluster_name: pulumi.Output[str]
    service_name: pulumi.Output[str]
    task_definition_arn: pulumi.Output[str]
    image_uri: pulumi.Output[str]
    canary_service_name: pulumi.Output[str]
    #: The canary's revision this `up` registered: what the test rules reach once it runs.
    canary_task_definition_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: FargateServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("picus:index:FargateService", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region

        image = ServiceImage(
            f"{name}-image",
            ServiceImageArgs(
                architecture=args.architecture,
                image_uri=args.image_uri,
                force_delete=not args.protect,
            ),
            opts=child,
        )

        # Internet -> ALB -> tasks, nothing else in. Tasks call AWS APIs over HTTPS only: ECR and
        # logs through NAT, DynamoDB through its gateway endpoint.
        security_group = aws.ec2.SecurityGroup(
            f"{name}-task-sg", vpc_id=args.vpc_id, description="picus service tasks", opts=child
        )
        alb_group = args.load_balancer_security_group_id
        egress, ingress = aws.vpc.SecurityGroupEgressRule, aws.vpc.SecurityGroupIngressRule
        tcp_rule(
            f"{name}-alb-to-tasks",
            egress,
            alb_group,
            CONTAINER_PORT,
            self,
            peer_group_id=security_group.id,
        )
        tcp_rule(
            f"{name}-tasks-from-alb",
            ingress,
            security_group.id,
            CONTAINER_PORT,
            self,
            peer_group_id=alb_group,
        )
        tcp_rule(
            f"{name}-tasks-https-out", egress, security_group.id, 443, self, cidr_ipv4=ANYWHERE
        )

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs", retention_in_days=args.log_retention_days, opts=child
        )
        execution = service_role(
            f"{name}-execution",
            ASSUME_ECS_TASKS,
            pulumi.Output.all(image.repository_arns, log_group.arn).apply(
                lambda a: execution_policy(a[0], a[1])
            ),
            parent=self,
        )
        task_role = service_role(
            f"{name}-task",
            ASSUME_ECS_TASKS,
            pulumi.Output.all(args.table_arn, args.idempotency_table_arn).apply(
                lambda a: service_policy(a[0], a[1], args.table_kms_key_arn, args.consistency)
            ),
            parent=self,
        )

        # Named, not auto-named, so that the log group Container Insights writes to can exist
        # before the cluster: ours, with its retention, and deleted by `destroy`.
        cluster_name = f"{args.physical_name}-cluster"
        insights_logs = aws.cloudwatch.LogGroup(
            f"{name}-insights-logs",
            name=container_insights_log_group(cluster_name),
            retention_in_days=args.log_retention_days,
            opts=child,
        )
        cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            name=cluster_name,
            settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value="enabled")],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[insights_logs]),
        )

        def task_definition(
            suffix: str, family: str, image_uri: pulumi.Input[str]
        ) -> aws.ecs.TaskDefinition:
            return aws.ecs.TaskDefinition(
                f"{name}-{suffix}",
                family=family,
                cpu=str(args.cpu),
                memory=str(args.memory),
                network_mode="awsvpc",
                requires_compatibilities=["FARGATE"],
                runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
                    cpu_architecture=args.architecture.value, operating_system_family="LINUX"
                ),
                # The canary's too: it reaches what the primary reaches, and nothing else.
                execution_role_arn=execution.role.arn,
                task_role_arn=task_role.role.arn,
                container_definitions=pulumi.Output.all(
                    image_uri,
                    args.table_name,
                    args.idempotency_table_name,
                    region,
                    log_group.name,
                    args.forwarded_allow_ips,
                ).apply(
                    lambda a: container_definitions(
                        image=a[0],
                        table_name=a[1],
                        idempotency_table_name=a[2],
                        region=a[3],
                        log_group=a[4],
                        forwarded_allow_ips=a[5],
                        stop_timeout=args.stop_timeout,
                        graceful_shutdown=args.graceful_shutdown,
                        extra_environment=auth_environment(args.auth)
                        | cors_environment(args.cors_origins)
                        | consistency_environment(args.consistency),
                    )
                ),
                # Replacing the task definition keeps the old revision registered: it is what
                # the deployment circuit breaker rolls back to when the new one fails.
                skip_destroy=True,
                opts=child,
            )

        task = task_definition("task", f"{args.physical_name}-service", image.image_uri)
        # Without a canary image the canary's revision is the primary's image: it runs no
        # tasks then, and a promotion (imageUri = the canary's image) leaves it unchanged.
        canary_task = task_definition(
            "canary-task",
            f"{args.physical_name}-canary",
            args.deployment.canary_image_uri or image.image_uri,
        )
        # One description of the deployment, ECS's, read here and in the tests; the alarms'
        # names are filled in by the provider.
        configuration = ecs_deployment_configuration([])
        del configuration["alarms"]["alarmNames"]

        def service(
            suffix: str,
            task: aws.ecs.TaskDefinition,
            target_group_arn: pulumi.Input[str],
            desired_count: int,
            alarms: aws.ecs.ServiceAlarmsArgs | None,
        ) -> aws.ecs.Service:
            return aws.ecs.Service(
                f"{name}-{suffix}",
                cluster=cluster.arn,
                task_definition=task.arn,
                desired_count=desired_count,
                launch_type="FARGATE",
                network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                    subnets=args.private_subnet_ids,
                    security_groups=[security_group.id],
                    assign_public_ip=False,
                ),
                load_balancers=[
                    aws.ecs.ServiceLoadBalancerArgs(
                        target_group_arn=target_group_arn,
                        container_name=CONTAINER_NAME,
                        container_port=CONTAINER_PORT,
                    )
                ],
                deployment_configuration=service_deployment_args(),
                deployment_minimum_healthy_percent=configuration["minimumHealthyPercent"],
                deployment_maximum_percent=configuration["maximumPercent"],
                deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(
                    **configuration["deploymentCircuitBreaker"]
                ),
                alarms=alarms,
                health_check_grace_period_seconds=args.health_check_grace_period,
                wait_for_steady_state=True,
                propagate_tags="SERVICE",
                # A task that starts must be able to write its logs and read the table at
                # once; autoscaling owns the count once the service exists.
                opts=pulumi.ResourceOptions(
                    parent=self,
                    depends_on=[execution.policy, task_role.policy],
                    ignore_changes=["desiredCount"],
                ),
            )

        primary = service(
            "service",
            task,
            args.target_group_arn,
            args.desired_count,
            aws.ecs.ServiceAlarmsArgs(
                alarm_names=args.deployment_alarm_names, **configuration["alarms"]
            ),
        )
        # The canary's own rollouts keep the circuit breaker; its alarms are the deploy job's
        # to judge (a rollback by ECS would put the previous image behind the test rules).
        canary = service("canary", canary_task, args.canary_target_group_arn, 0, None)
        canary_min, canary_max = canary_capacity(
            args.deployment, args.min_count, args.desired_count, args.max_count
        )

        def autoscaling(
            prefix: str,
            ecs_service: aws.ecs.Service,
            bounds: tuple[int, int],
            request_count_label: pulumi.Input[str],
            scale_in_suspended: bool,
        ) -> None:
            scaling = aws.appautoscaling.Target(
                f"{prefix}-scaling",
                service_namespace="ecs",
                scalable_dimension="ecs:service:DesiredCount",
                resource_id=pulumi.Output.concat("service/", cluster.name, "/", ecs_service.name),
                min_capacity=bounds[0],
                max_capacity=bounds[1],
                suspended_state=aws.appautoscaling.TargetSuspendedStateArgs(
                    dynamic_scaling_in_suspended=scale_in_suspended,
                    dynamic_scaling_out_suspended=False,
                    scheduled_scaling_suspended=False,
                ),
                opts=child,
            )
            tracked: list[tuple[str, str, float, pulumi.Input[str] | None]] = [
                ("cpu", "ECSServiceAverageCPUUtilization", args.cpu_target_percent, None),
                (
                    "requests",
                    "ALBRequestCountPerTarget",
                    float(args.requests_per_target),
                    request_count_label,
                ),
            ]
            for suffix, metric, target, label in tracked:
                aws.appautoscaling.Policy(
                    f"{prefix}-{suffix}",
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

        # While a canary holds a share, the primary does not scale in: the traffic it gave up
        # comes back at once on a rollback or a promotion, to the capacity it had before.
        autoscaling(
            name,
            primary,
            primary_capacity(args.deployment, args.min_count, args.max_count),
            args.request_count_label,
            args.deployment.canary_active,
        )
        # The canary scales on its own requests per target, so its share sizes it.
        autoscaling(
            f"{name}-canary",
            canary,
            (canary_min, canary_max),
            args.canary_request_count_label,
            False,
        )

        self.cluster_name = cluster.name
        self.service_name = primary.name
        self.task_definition_arn = task.arn
        self.image_uri = image.image_uri
        self.canary_service_name = canary.name
        self.canary_task_definition_arn = canary_task.arn
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "service_name": self.service_name,
                "task_definition_arn": self.task_definition_arn,
                "image_uri": self.image_uri,
                "canary_service_name": self.canary_service_name,
                "canary_task_definition_arn": self.canary_task_definition_arn,
            }
        )
