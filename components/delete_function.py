"""The DELETE Lambda and its routing: the function, its role and logs, a published version
behind an alias, a ``lambda`` target group and the listener rules from ``picus.routing``.

The alias is created on the first version; later versions reach it through CodeDeploy's shift
(components/function_release.py), never through Pulumi."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.function_release import ALIAS_OWNED_BY_CODEDEPLOY
from components.jwt_validation import EdgeAuth
from components.listener_rules import auth_environment, listener_rules
from components.load_balancer import elb_options, stack_scope
from components.naming import LAMBDA_NAME_LIMIT, capped_name
from components.policies import ASSUME_LAMBDA, lambda_policy
from components.roles import service_role
from components.sources import PACKAGE_ROOT, source_path
from picus.cors import cors_environment
from picus.routing import LAMBDA_MULTI_VALUE_HEADERS, Target

#: The packages the function's archive holds: its own and the stdlib-only contract it imports.
PACKAGES = ("delete_fn", "picus")
HANDLER = "delete_fn.handler.handler"
RUNTIME = "python3.13"
ALIAS = "live"


def code_archive() -> pulumi.AssetArchive:
    """Only the two packages' modules: no tests, caches or anything else from the repo, read
    from the package's own location (components/sources.py)."""
    modules = [
        f"{package}/{path.name}"
        for package in PACKAGES
        for path in sorted((PACKAGE_ROOT / package).glob("*.py"))
    ]
    return pulumi.AssetArchive(
        {module: pulumi.FileAsset(source_path(module)) for module in modules}
    )


@dataclass(frozen=True)
class DeleteFunctionArgs:
    table_name: pulumi.Input[str]
    table_arn: pulumi.Input[str]
    table_kms_key_arn: str | None
    #: Every listener that serves traffic gets the routing rules.
    listener_arns: Sequence[pulumi.Input[str]]
    memory_size: int
    timeout: int
    log_retention_days: int
    #: X-Ray active tracing of each invocation.
    tracing: bool
    #: Token verification at the load balancer; None for a public API.
    auth: EdgeAuth | None
    #: Published versions start from a snapshot of the initialised function.
    snap_start: bool
    #: The browser origins whose pages may call the API (picus/cors.py); empty: none.
    cors_origins: tuple[str, ...] = ()


class DeleteFunction(pulumi.ComponentResource):
    function_arn: pulumi.Output[str]
    function_name: pulumi.Output[str]
    #: The version this update published, which the alias must point at after it.
    function_version: pulumi.Output[str]
    alias_arn: pulumi.Output[str]
    target_group_arn_suffix: pulumi.Output[str]

    def __init__(
        self, name: str, args: DeleteFunctionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("picus:index:DeleteFunction", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs", retention_in_days=args.log_retention_days, opts=child
        )
        role = service_role(
            name,
            ASSUME_LAMBDA,
            pulumi.Output.all(args.table_arn, log_group.arn).apply(
                lambda a: lambda_policy(a[0], a[1], args.table_kms_key_arn, args.tracing)
            ),
            parent=self,
        )
        function = aws.lambda_.Function(
            f"{name}-fn",
            name=capped_name(f"{name}-fn", LAMBDA_NAME_LIMIT, stack_scope()),
            runtime=RUNTIME,
            architectures=["arm64"],
            handler=HANDLER,
            code=code_archive(),
            role=role.role.arn,
            memory_size=args.memory_size,
            timeout=args.timeout,
            publish=True,
            snap_start=aws.lambda_.FunctionSnapStartArgs(apply_on="PublishedVersions")
            if args.snap_start
            else None,
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(
                mode="Active" if args.tracing else "PassThrough"
            ),
            environment=aws.lambda_.FunctionEnvironmentArgs(
                variables={
                    "PICUS_TABLE_NAME": args.table_name,
                    **auth_environment(args.auth),
                    **cors_environment(args.cors_origins),
                }
            ),
            # The runtime's JSON lines, with the handler's fields beside its requestId.
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON",
                application_log_level="INFO",
                system_log_level="WARN",
                log_group=log_group.name,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role.policy]),
        )
        alias = aws.lambda_.Alias(
            f"{name}-alias",
            name=ALIAS,
            function_name=function.name,
            function_version=function.version,
            # CodeDeploy moves it to each new version, a slice at a time, or back on an alarm.
            opts=pulumi.ResourceOptions(
                parent=self, ignore_changes=list(ALIAS_OWNED_BY_CODEDEPLOY)
            ),
        )
        group_args = aws.lb.TargetGroupArgs(
            target_type="lambda", lambda_multi_value_headers_enabled=LAMBDA_MULTI_VALUE_HEADERS
        )
        target_group = aws.lb.TargetGroup(
            f"{name}-tg", group_args, opts=elb_options(f"{name}-tg", group_args, child)
        )
        permission = aws.lambda_.Permission(
            f"{name}-invoke",
            action="lambda:InvokeFunction",
            function=function.name,
            qualifier=alias.name,
            principal="elasticloadbalancing.amazonaws.com",
            source_arn=target_group.arn,
            opts=child,
        )
        aws.lb.TargetGroupAttachment(
            f"{name}-attachment",
            target_group_arn=target_group.arn,
            target_id=alias.arn,
            # The ALB checks its permission to invoke when the target is registered.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[permission]),
        )
        listener_rules(
            name, Target.DELETE_FN, target_group.arn, args.listener_arns, args.auth, parent=self
        )

        self.function_arn = function.arn
        self.function_name = function.name
        self.function_version = function.version
        self.alias_arn = alias.arn
        self.target_group_arn_suffix = target_group.arn_suffix
        self.register_outputs(
            {
                "function_arn": self.function_arn,
                "function_version": self.function_version,
                "alias_arn": self.alias_arn,
            }
        )
