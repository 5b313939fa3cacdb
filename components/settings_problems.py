"""What makes an ApiCluster's settings undeployable: contradictions between them, values AWS
would refuse, and the rules of a production stack; each problem names its settings by their
stack config keys. Pulumi runs these on ``preview`` as on ``up``, before anything is created.
"""

from __future__ import annotations

import re
from typing import Final

import pulumi

from components.cluster_settings import ClusterSettings, ExistingNetwork
from components.deployment import problems as deployment_problems
from components.fargate import MAX_STOP_TIMEOUT, fargate_size_problems
from components.firewall import RATE_LIMIT_RANGE
from components.jwt_validation import problems as auth_problems
from components.multi_region import region_problems
from components.naming import table_name_problems
from components.release_budget import problems as release_budget_problems
from picus.cors import origin_problem

#: The values CloudWatch Logs accepts for a log group's retention.
LOG_RETENTION_DAYS: Final = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557}
    | {2922, 3288, 3653}
)
_IMAGE: Final = re.compile(
    r"\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[a-z0-9._/-]+@sha256:[0-9a-f]{64}"
)
_ARN = r"arn:aws[a-z-]*:{service}:[a-z0-9-]+:\d{{12}}:{resource}"
_FORMATS: Final = {
    "certificateArn": re.compile(_ARN.format(service="acm", resource=r"certificate/[\w-]+")),
    "tableKmsKeyArn": re.compile(_ARN.format(service="kms", resource=r"key/[\w-]+")),
    "alarmTopicArn": re.compile(_ARN.format(service="sns", resource=r"[\w-]+")),
    "wafWebAclArn": re.compile(_ARN.format(service="wafv2", resource=r"regional/webacl/.+")),
    "imageUri": _IMAGE,
    "canaryImageUri": _IMAGE,
    "hostedZoneId": re.compile(r"Z[A-Z0-9]{1,31}"),
}

#: AWS's forms of the IDs of an existing network.
_VPC_ID: Final = re.compile(r"vpc-[0-9a-f]{8,17}")
_SUBNET_ID: Final = re.compile(r"subnet-[0-9a-f]{8,17}")


def problems_of(c: ClusterSettings) -> list[str]:
    """Every contradiction and every stage rule the settings break, each naming its keys."""
    problems: list[str] = []
    formatted = {
        "certificateArn": c.certificate_arn,
        "tableKmsKeyArn": c.table_kms_key_arn,
        "alarmTopicArn": c.alarm_topic_arn,
        "wafWebAclArn": c.waf_web_acl_arn,
        "imageUri": c.image_uri,
        "canaryImageUri": c.deployment.canary_image_uri,
        "hostedZoneId": c.hosted_zone_id,
    }
    for key, pattern in _FORMATS.items():
        value = formatted[key]
        # An output (of a resource of the consumer's own) is checked by AWS when it is known.
        if isinstance(value, str) and not pattern.fullmatch(value):
            problems.append(f"picus:{key} {value!r} is not of the form {pattern.pattern}")
    problems += table_name_problems(c.table_name)
    problems += region_problems(
        c.regions,
        https=c.https,
        domain_name=c.domain_name,
        hosted_zone_id=c.hosted_zone_id,
        regional={
            "tableKmsKeyArn": c.table_kms_key_arn,
            "wafWebAclArn": c.waf_web_acl_arn,
            "alarmTopicArn": c.alarm_topic_arn,
            "vpcId": c.existing_network,
        },
    )
    if c.existing_network is None:
        problems += c.subnet_layout.problems()
    problems += [f"picus:cpu, picus:memory: {p}" for p in fargate_size_problems(c.cpu, c.memory)]
    if not 0 < c.min_count <= c.desired_count <= c.max_count:
        problems.append(
            "picus:minCount, picus:desiredCount, picus:maxCount: need 0 < min <= desired <= max"
        )
    problems += deployment_problems(c.deployment, c.image_uri)
    problems += release_budget_problems(c.deployment, c.function_release)
    if not 0 <= c.deployment.handover_count <= c.max_count:
        problems.append("picus:handoverCount must be 0..picus:maxCount tasks")
    if c.deregistration_delay + 5 >= MAX_STOP_TIMEOUT:
        problems.append(
            f"picus:deregistrationDelay must stay below {MAX_STOP_TIMEOUT - 5} s: the container's "
            "stop timeout (Fargate allows 120 s) must be longer"
        )
    for key, days in (
        ("logRetentionDays", c.log_retention_days),
        ("trafficLogRetentionDays", c.traffic_log_retention_days),
    ):
        if days not in LOG_RETENTION_DAYS:
            problems.append(f"picus:{key} {days} is not one CloudWatch Logs accepts")
    if c.firewall_rate_limit not in RATE_LIMIT_RANGE:
        problems.append(
            f"picus:firewallRateLimit must be {RATE_LIMIT_RANGE.start}.."
            f"{RATE_LIMIT_RANGE.stop - 1} requests per 5 minutes"
        )
    if not 128 <= c.lambda_memory <= 10240:
        problems.append("picus:lambdaMemory must be 128..10240 MB")
    if not 1 <= c.lambda_timeout <= 900:
        problems.append("picus:lambdaTimeout must be 1..900 seconds")
    problems += c.function_release.problems()
    for origin in c.cors_origins:
        # A deployed API is called from deployed pages: HTTPS only (`serve` takes http too).
        if (problem := origin_problem(origin, schemes=("https",))) is not None:
            problems.append(f"picus:corsOrigins {problem}")
    if c.certificate_arn and not c.domain_name:
        problems.append(
            "picus:certificateArn needs picus:domainName: a certificate is for a domain, and "
            "the load balancer's own *.elb.amazonaws.com name is not on it (set "
            "picus:hostedZoneId too to have the DNS record created)"
        )
    if c.hosted_zone_id and not c.domain_name:
        problems.append("picus:hostedZoneId needs picus:domainName, the record to create in it")
    if c.auth is not None:
        problems += auth_problems(c.auth)
    if c.auth is not None and not c.https:
        problems.append(
            "picus:authIssuer needs picus:certificateArn: the load balancer verifies tokens on "
            "HTTPS listeners only"
        )
    if c.production and c.auth is None and not c.public_api:
        problems.append(
            "picus:authIssuer and picus:authJwksUrl, or picus:publicApi true: without auth a "
            "production stack lets the whole internet read, write and delete every item; set "
            "the issuer, or say on purpose that the API is public"
        )
    if c.production:
        missing = [
            key
            for key, value in (("certificateArn", c.certificate_arn), ("domainName", c.domain_name))
            if not value
        ]
        if missing:
            problems.append(
                f"{', '.join('picus:' + k for k in missing)}: a production stack serves HTTPS "
                "only, on its own domain"
            )
        if not (c.alarm_email or c.alarm_topic_arn):
            problems.append(
                "picus:alarmEmail or picus:alarmTopicArn: a production stack needs someone "
                "to receive its alarms"
            )
        if not c.protect:
            problems.append("picus:protect must be true in a production stack")
        if c.min_count < 2:
            problems.append("picus:minCount must be at least 2 in a production stack")
    return problems


def network_problems(network: ExistingNetwork) -> list[str]:
    """What can be known of an existing network before anything is created: the form of its
    IDs where they are values; an output of the consumer's own resources is AWS's to check."""
    problems: list[str] = []
    vpc = network.vpc_id
    if not isinstance(vpc, pulumi.Output) and not (isinstance(vpc, str) and _VPC_ID.fullmatch(vpc)):
        problems.append(f"picus:vpcId {vpc!r} is not of the form {_VPC_ID.pattern}")
    given: dict[str, list[str]] = {}
    for key, ids in (
        ("publicSubnetIds", network.public_subnet_ids),
        ("privateSubnetIds", network.private_subnet_ids),
    ):
        if isinstance(ids, pulumi.Output):
            continue
        if not isinstance(ids, list | tuple):
            problems.append(f"picus:{key} {ids!r} is not a list of subnet IDs")
            continue
        for subnet in ids:
            if isinstance(subnet, pulumi.Output):
                continue
            if not (isinstance(subnet, str) and _SUBNET_ID.fullmatch(subnet)):
                problems.append(f"picus:{key} {subnet!r} is not of the form {_SUBNET_ID.pattern}")
            else:
                given.setdefault(key, []).append(subnet)
    public = network.public_subnet_ids
    if isinstance(public, list | tuple) and len(public) < 2:
        problems.append("picus:publicSubnetIds must name at least two: an ALB needs two zones")
    shared = sorted(set(given.get("publicSubnetIds", [])) & set(given.get("privateSubnetIds", [])))
    if shared:
        problems.append(
            f"picus:publicSubnetIds, picus:privateSubnetIds share {', '.join(shared)}: the "
            "tasks belong in private subnets, the load balancer in public ones"
        )
    return problems
