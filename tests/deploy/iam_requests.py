"""The requests IAM authorizes when a CI role calls an action on a stack's resources.

AWS's Service Authorization Reference (which parliament ships as its IAM definitions) says, for
each action, which resource types IAM checks and which condition keys each supports. A stack's
resources, as IAM sees them, are ``Inventory``: one example ARN per resource type, named as the
program names them (``components/naming.py``: ``picus-<stack>-...``, the tables by
``table_name``), each with the stack's tags where the type takes tags (the stack file's
``aws:defaultTags``). An action becomes one request per resource type it acts on:

- the types the reference marks as required (``*``), of those the stack has (an ELB listener
  action names ``listener/app`` and ``listener/net``, of which a request carries one);
- else the types it may act on that the stack has;
- else ``*``: the action has no resource-level permissions.

A request carries the stack's tags as ``aws:RequestTag`` when the action can tag what it
creates (the provider sends the default tags with the create call), and as ``aws:ResourceTag``
for every resource that exists already; plus the request-specific keys in ``CONTEXT``, with the
values the program's calls carry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache, cached_property
from typing import Any, Final

from parliament.statement import get_privilege_info

from components.fargate_service import container_insights_log_group
from components.naming import idempotency_table_name, stack_prefix, table_name
from tests.components.harness import ACCOUNT, REGION, stack_config
from tests.deploy.iam_evaluator import Request, Value

#: The project's tag and the stack's, which every taggable resource of a stack carries.
PROJECT_TAG: Final = ("project", "picus")
STACK_TAG: Final = "stack"

#: The keys a request of these actions carries beyond tags, as the program's calls set them:
#: each dict is one call. The roles the program passes are the ones its components trust
#: (held against the program's roles in test_iam.py); the grant a table's key gets comes
#: through DynamoDB; the one record is of type A (components/load_balancer.py).
CONTEXT: Final[Mapping[str, tuple[Mapping[str, Value], ...]]] = {
    "iam:PassRole": tuple(
        {"iam:PassedToService": service}
        for service in (
            "ecs-tasks.amazonaws.com",
            "lambda.amazonaws.com",
            "codedeploy.amazonaws.com",
        )
    ),
    "iam:CreateServiceLinkedRole": tuple(
        {"iam:AWSServiceName": service}
        for service in (
            "ecs.amazonaws.com",
            "elasticloadbalancing.amazonaws.com",
            "ecs.application-autoscaling.amazonaws.com",
            # A global table's replication (AWSServiceRoleForDynamoDBReplication).
            "replication.dynamodb.amazonaws.com",
        )
    ),
    "kms:CreateGrant": ({"kms:ViaService": f"dynamodb.{REGION}.amazonaws.com"},),
    "kms:DescribeKey": ({"kms:ViaService": f"dynamodb.{REGION}.amazonaws.com"},),
    "route53:ChangeResourceRecordSets": ({"route53:ChangeResourceRecordSetsRecordTypes": ["A"]},),
}


#: Actions the reference lets act on several resource types, of which the program's calls name
#: one: Route 53's tag calls name a health check, never the deployer's hosted zone.
ACTS_ON: Final[Mapping[str, str]] = {
    "route53:ChangeTagsForResource": "healthcheck*",
    "route53:ListTagsForResource": "healthcheck",
}


@dataclass(frozen=True)
class Owned:
    arn: str
    #: Whether the resource carries the stack's tags (IAM reads them where the type takes tags).
    tagged: bool


def _arn(service: str, rest: str, region: str = REGION) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{rest}"


@dataclass(frozen=True)
class Inventory:
    """A stack's resources as IAM sees them: one example ARN per resource type."""

    stack: str
    #: The region its regional resources are in: a stack of several regions has them in each.
    region: str = REGION

    @cached_property
    def tables(self) -> tuple[str, str]:
        configured = stack_config(self.stack, {})["picus:tableName"]
        data = table_name(self.stack, configured)
        return data, idempotency_table_name(data)

    @cached_property
    def owned(self) -> dict[tuple[str, str], list[Owned]]:
        p = stack_prefix(self.stack)
        alb = f"loadbalancer/app/{p}-alb-1a2b3c4/50dc6c495c0c9188"
        cluster = f"{p}-api-cluster"
        service = f"{p}-api-service-1a2b3c4"
        function = f"{p}-delete-fn-1a2b3c4"
        ec2 = {
            ("ec2", kind): [Owned(_arn("ec2", f"{kind}/{ident}"), tagged=True)]
            for kind, ident in {
                "vpc": "vpc-0a1b2c3d4e5f60718",
                "subnet": "subnet-0a1b2c3d4e5f60718",
                "route-table": "rtb-0a1b2c3d4e5f60718",
                "internet-gateway": "igw-0a1b2c3d4e5f60718",
                "natgateway": "nat-0a1b2c3d4e5f60718",
                "elastic-ip": "eipalloc-0a1b2c3d4e5f60718",
                "security-group": "sg-0a1b2c3d4e5f60718",
                "security-group-rule": "sgr-0a1b2c3d4e5f60718",
                "vpc-endpoint": "vpce-0a1b2c3d4e5f60718",
                "vpc-flow-log": "fl-0a1b2c3d4e5f60718",
            }.items()
        }
        named = {
            ("elasticloadbalancing", "loadbalancer/app/"): [_arn("elasticloadbalancing", alb)],
            ("elasticloadbalancing", "targetgroup"): [
                _arn("elasticloadbalancing", f"targetgroup/{p}-tg-1a2b3c4/73e2d6bc24d8a067")
            ],
            ("elasticloadbalancing", "listener/app"): [
                _arn(
                    "elasticloadbalancing", f"listener/app/{alb.split('/', 2)[2]}/f2f7dc8efc522ab2"
                )
            ],
            ("elasticloadbalancing", "listener-rule/app"): [
                _arn(
                    "elasticloadbalancing",
                    f"listener-rule/app/{alb.split('/', 2)[2]}/f2f7dc8efc522ab2/9683b2d02a6cabee",
                )
            ],
            ("wafv2", "loadbalancer/app/"): [_arn("elasticloadbalancing", alb)],
            ("wafv2", "webacl"): [_arn("wafv2", f"regional/webacl/{p}-firewall-acl-1a2b3c4/a1b2")],
            ("ecs", "cluster"): [_arn("ecs", f"cluster/{cluster}")],
            ("ecs", "service"): [_arn("ecs", f"service/{cluster}/{service}")],
            ("ecs", "task-definition"): [_arn("ecs", f"task-definition/{p}-api-service:7")],
            ("ecs", "task"): [_arn("ecs", f"task/{cluster}/0123456789abcdef0123456789abcdef")],
            ("ecs", "container-instance"): [_arn("ecs", f"container-instance/{cluster}/0a1b2c3d")],
            ("ecs", "service-deployment"): [
                _arn("ecs", f"service-deployment/{cluster}/{service}/a1b2c3d4e5")
            ],
            ("lambda", "function"): [_arn("lambda", f"function:{function}")],
            ("lambda", "function alias"): [_arn("lambda", f"function:{function}:live")],
            ("lambda", "function version"): [_arn("lambda", f"function:{function}:7")],
            ("iam", "role"): [f"arn:aws:iam::{ACCOUNT}:role/{p}-api-task-role-1a2b3c4"],
            ("logs", "log-group"): [
                _arn("logs", f"log-group:{p}-api-logs-1a2b3c4:*"),
                _arn("logs", f"log-group:{container_insights_log_group(cluster)}:*"),
            ],
            ("dynamodb", "table"): [_arn("dynamodb", f"table/{t}") for t in self.tables],
            ("sns", "topic"): [_arn("sns", f"{p}-topic-1a2b3c4")],
            ("codedeploy", "application"): [_arn("codedeploy", f"application:{function}")],
            ("codedeploy", "deploymentgroup"): [
                _arn("codedeploy", f"deploymentgroup:{function}/delete")
            ],
            ("codedeploy", "deploymentconfig"): [
                _arn("codedeploy", f"deploymentconfig:{p}-release-config-1a2b3c4")
            ],
            ("cloudwatch", "alarm"): [
                _arn("cloudwatch", f"alarm:{p}-alb-5xx-1a2b3c4"),
                # What a target tracking policy of Application Auto Scaling names its alarms.
                _arn(
                    "cloudwatch",
                    f"alarm:TargetTracking-service/{cluster}/{service}-AlarmHigh-0a1b2c3d",
                ),
            ],
            ("cloudwatch", "dashboard"): [_arn("cloudwatch", f"dashboard/{p}", region="")],
            ("ecr", "repository"): [_arn("ecr", f"repository/{p}-api-image-repo-1a2b3c4")],
            ("s3", "bucket"): [f"arn:aws:s3:::{p}-logs-bucket-1a2b3c4"],
            ("s3", "object"): [f"arn:aws:s3:::{p}-logs-bucket-1a2b3c4/AWSLogs/{ACCOUNT}/x.gz"],
        }
        # Named by AWS or by the deployer, the same for every stack: not the stack's to scope.
        shared = {
            ("application-autoscaling", "ScalableTarget"): [
                _arn("application-autoscaling", "scalable-target/0ec1a2b3c4d5e6f7a8b9")
            ],
            ("route53", "hostedzone"): ["arn:aws:route53:::hostedzone/Z0123456789ABC"],
            ("route53", "change"): ["arn:aws:route53:::change/C0123456789ABC"],
            ("route53", "healthcheck"): [
                "arn:aws:route53:::healthcheck/abcdef11-2222-3333-4444-555555fedcba"
            ],
            ("acm", "certificate"): [_arn("acm", "certificate/0a1b2c3d-1234")],
            ("kms", "key"): [_arn("kms", "key/1234abcd-12ab")],
            ("iam", "role/aws-service-role"): [
                f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/ecs.amazonaws.com/"
                "AWSServiceRoleForECS"
            ],
        }
        found = {
            **ec2,
            **{key: [Owned(arn, tagged=True) for arn in arns] for key, arns in named.items()},
            **{key: [Owned(arn, tagged=False) for arn in arns] for key, arns in shared.items()},
        }
        # The same resources in another region: only the ARN's region differs.
        return {
            key: [replace(o, arn=o.arn.replace(f":{REGION}:", f":{self.region}:")) for o in owned]
            for key, owned in found.items()
        }

    @property
    def cluster_arn(self) -> str:
        return _arn("ecs", f"cluster/{stack_prefix(self.stack)}-api-cluster", self.region)

    def tags(self, kind: str) -> dict[str, str]:
        return {
            f"aws:{kind}Tag/{PROJECT_TAG[0]}": PROJECT_TAG[1],
            f"aws:{kind}Tag/{STACK_TAG}": self.stack,
        }


def _on_any_resource(action: str, stack: Inventory) -> list[Request]:
    """What IAM evaluates beside the reference's resource types: ecs:ListTasks names a
    container instance there, but is authorized on ``*`` with the cluster as a condition
    (awsdocs/amazon-ecs-developer-guide#211). A policy must allow both forms."""
    if action == "ecs:ListTasks":
        return [Request(action, "*", {"ecs:cluster": stack.cluster_arn})]
    return []


@cache
def _privilege(action: str) -> dict[str, Any]:
    service, name = action.split(":")
    info: dict[str, Any] = get_privilege_info(service, name)
    return info


def _creates_tagged(entry: Mapping[str, Any]) -> bool:
    keys = entry["condition_keys"]
    return "aws:RequestTag/${TagKey}" in keys and "aws:ResourceTag/${TagKey}" not in keys


def requests(action: str, stack: Inventory, acting: Inventory | None = None) -> list[Request]:
    """Every request IAM authorizes when the action is called on the stack's resources; by the
    deploy role of ``acting`` (its tags on what it creates), by default the stack's own."""
    service = action.split(":")[0]
    entries = [
        e
        for e in _privilege(action)["resource_types"]
        if e["resource_type"] and ACTS_ON.get(action, e["resource_type"]) == e["resource_type"]
    ]
    required = [e for e in entries if e["resource_type"].endswith("*")]
    named = required or entries
    present = [e for e in named if (service, e["resource_type"].rstrip("*")) in stack.owned]
    if required and not present:
        raise KeyError(
            f"{action} acts on {[e['resource_type'] for e in required]}: add to Inventory"
        )
    # A service-linked role lives under its own path; CreateServiceLinkedRole acts on it alone.
    if action == "iam:CreateServiceLinkedRole":
        present = [{"resource_type": "role/aws-service-role", "condition_keys": []}]
    tagging = any("aws:RequestTag/${TagKey}" in e["condition_keys"] for e in entries)
    base: dict[str, Value] = {**(acting or stack).tags("Request")} if tagging else {}
    calls = CONTEXT.get(action, ({},))
    if not present:
        return [Request(action, "*", {**base, **call}) for call in calls]
    found = []
    for entry in present:
        for owned in stack.owned[(service, entry["resource_type"].rstrip("*"))]:
            exists = owned.tagged and not _creates_tagged(entry)
            tags = {}
            if exists and "aws:ResourceTag/${TagKey}" in entry["condition_keys"]:
                tags = stack.tags("Resource")
            found += [Request(action, owned.arn, {**base, **tags, **call}) for call in calls]
    return found + _on_any_resource(action, stack)


@cache
def inventory(stack: str, region: str = REGION) -> Inventory:
    """The stack's inventory in ``region``, read once (its table names come from the stack
    file)."""
    return Inventory(stack, region)
