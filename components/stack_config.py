"""The stack's configuration, read and validated once, before anything is created.

Every key is declared with its type, default and description in Pulumi.yaml; this module only
reads them and refuses a stack whose settings contradict each other or are unsafe for its stage,
with one message naming every key to set. Pulumi runs it on ``preview`` as on ``up``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Final, Protocol, TypeVar

from components.deployment import DeploymentSettings, DeploymentStrategy
from components.deployment import problems as deployment_problems
from components.fargate import MAX_STOP_TIMEOUT, fargate_size_problems
from components.firewall import RATE_LIMIT_RANGE
from components.function_release import ReleaseSettings, ReleaseStrategy
from components.image import CpuArchitecture
from components.jwt_validation import Claim, ClaimFormat, EdgeAuth
from components.jwt_validation import problems as auth_problems
from components.naming import (
    idempotency_table_name,
    stack_name_problems,
    table_name,
    table_name_problems,
)
from components.network import NatStrategy, SubnetLayout
from picus.auth import ScopePolicy
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


_Choice = TypeVar("_Choice", NatStrategy, CpuArchitecture, ReleaseStrategy, DeploymentStrategy)


class ConfigError(Exception):
    """The stack's configuration cannot be deployed; the message names every key to change."""


class ConfigSource(Protocol):
    """What this module needs of ``pulumi.Config``."""

    def get(self, key: str) -> str | None: ...


@dataclass(frozen=True)
class StackConfig:
    stack: str
    production: bool
    protect: bool
    table_name: str
    table_kms_key_arn: str | None
    subnet_layout: SubnetLayout
    nat: NatStrategy
    architecture: CpuArchitecture
    cpu: int
    memory: int
    desired_count: int
    min_count: int
    max_count: int
    cpu_target_percent: int
    requests_per_target: int
    deregistration_delay: int
    health_check_grace_period: int
    #: How a new revision of the service replaces the old one.
    deployment: DeploymentSettings
    log_retention_days: int
    traffic_logs: bool
    traffic_log_retention_days: int
    image_uri: str | None
    certificate_arn: str | None
    ssl_policy: str
    domain_name: str | None
    hosted_zone_id: str | None
    waf_web_acl_arn: str | None
    auth: EdgeAuth | None
    public_api: bool
    firewall: bool
    firewall_rate_limit: int
    firewall_count_only: bool
    tracing: bool
    snap_start: bool
    lambda_memory: int
    lambda_timeout: int
    #: How a new version of the DELETE function takes the traffic.
    function_release: ReleaseSettings
    p99_latency_ms: int
    alarm_email: str | None
    alarm_topic_arn: str | None
    #: The browser origins whose pages may call the API (picus/cors.py); empty: none.
    cors_origins: tuple[str, ...]

    @property
    def idempotency_table_name(self) -> str:
        return idempotency_table_name(self.table_name)

    @property
    def vpc_cidr(self) -> str:
        return self.subnet_layout.vpc_cidr

    @property
    def https(self) -> bool:
        return self.certificate_arn is not None


def load(config: ConfigSource, stack: str) -> StackConfig:
    """Reads every key (Pulumi.yaml supplies the defaults) and validates the whole stack."""
    reader = _Reader(config)
    settings = StackConfig(
        stack=stack,
        production=reader.boolean("production"),
        protect=reader.boolean("protect"),
        table_name=table_name(stack, reader.text("tableName") or ""),
        table_kms_key_arn=reader.text("tableKmsKeyArn"),
        subnet_layout=SubnetLayout(
            vpc_cidr=reader.required("vpcCidr"),
            zones=reader.integer("availabilityZones"),
            private_mask=reader.integer("privateSubnetCidrMask"),
            public_mask=reader.integer("publicSubnetCidrMask"),
        ),
        nat=reader.choice("natGateways", NatStrategy),
        architecture=reader.choice("cpuArchitecture", CpuArchitecture),
        cpu=reader.integer("cpu"),
        memory=reader.integer("memory"),
        desired_count=reader.integer("desiredCount"),
        min_count=reader.integer("minCount"),
        max_count=reader.integer("maxCount"),
        cpu_target_percent=reader.integer("cpuTargetPercent"),
        requests_per_target=reader.integer("requestsPerTarget"),
        deregistration_delay=reader.integer("deregistrationDelay"),
        health_check_grace_period=reader.integer("healthCheckGracePeriod"),
        deployment=_deployment(reader),
        log_retention_days=reader.integer("logRetentionDays"),
        traffic_logs=reader.boolean("trafficLogs"),
        traffic_log_retention_days=reader.integer("trafficLogRetentionDays"),
        image_uri=reader.text("imageUri"),
        certificate_arn=reader.text("certificateArn"),
        ssl_policy=reader.required("sslPolicy"),
        domain_name=reader.text("domainName"),
        hosted_zone_id=reader.text("hostedZoneId"),
        waf_web_acl_arn=reader.text("wafWebAclArn"),
        auth=reader.auth(),
        public_api=reader.boolean("publicApi"),
        firewall=reader.boolean("firewall"),
        firewall_rate_limit=reader.integer("firewallRateLimit"),
        firewall_count_only=reader.boolean("firewallCountOnly"),
        tracing=reader.boolean("tracing"),
        snap_start=reader.boolean("snapStart"),
        lambda_memory=reader.integer("lambdaMemory"),
        lambda_timeout=reader.integer("lambdaTimeout"),
        function_release=ReleaseSettings(
            strategy=reader.choice("functionRelease", ReleaseStrategy),
            percent=reader.integer("functionReleasePercent"),
            minutes=reader.integer("functionReleaseMinutes"),
        ),
        p99_latency_ms=reader.integer("p99LatencyMs"),
        alarm_email=reader.text("alarmEmail"),
        alarm_topic_arn=reader.text("alarmTopicArn"),
        cors_origins=reader.strings("corsOrigins"),
    )
    problems = reader.problems + stack_name_problems(stack) + problems_of(settings)
    if problems:
        raise ConfigError(
            f"the stack {stack!r} cannot be deployed as configured:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    return settings


def _deployment(reader: _Reader) -> DeploymentSettings:
    return DeploymentSettings(
        strategy=reader.choice("deploymentStrategy", DeploymentStrategy),
        bake_minutes=reader.integer("bakeTimeMinutes"),
        canary_percent=reader.integer("canaryPercent"),
        canary_bake_minutes=reader.integer("canaryBakeMinutes"),
        linear_step_percent=reader.integer("linearStepPercent"),
        linear_step_bake_minutes=reader.integer("linearStepBakeMinutes"),
        canary_image_uri=reader.text("canaryImageUri"),
        canary_weight=reader.integer("canaryWeight"),
        release_header=reader.text("releaseHeader"),
    )


def deployment_settings(config: ConfigSource) -> DeploymentSettings:
    """The release settings alone, as the deploy job reads them (deploy/canary.py); ConfigError
    naming each bad key."""
    reader = _Reader(config)
    settings = _deployment(reader)
    if reader.problems:
        raise ConfigError("; ".join(reader.problems))
    return settings


def problems_of(c: StackConfig) -> list[str]:
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
        if value and not pattern.fullmatch(value):
            problems.append(f"picus:{key} {value!r} is not of the form {pattern.pattern}")
    problems += table_name_problems(c.table_name)
    problems += c.subnet_layout.problems()
    problems += [f"picus:cpu, picus:memory: {p}" for p in fargate_size_problems(c.cpu, c.memory)]
    if not 0 < c.min_count <= c.desired_count <= c.max_count:
        problems.append("picus:minCount, desiredCount, maxCount: need 0 < min <= desired <= max")
    problems += deployment_problems(c.deployment, c.image_uri)
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


class _Reader:
    """Reads typed keys, collecting every bad value instead of stopping at the first."""

    def __init__(self, config: ConfigSource) -> None:
        self._config = config
        self.problems: list[str] = []

    def text(self, key: str) -> str | None:
        return self._config.get(key) or None

    def required(self, key: str) -> str:
        value = self.text(key)
        if value is None:
            self.problems.append(f"picus:{key} must be set")
        return value or ""

    def integer(self, key: str) -> int:
        value = self.required(key)
        try:
            return int(value)
        except ValueError:
            if value:
                self.problems.append(f"picus:{key} {value!r} is not an integer")
            return 0

    def number(self, key: str) -> float:
        value = self.required(key)
        try:
            return float(value)
        except ValueError:
            if value:
                self.problems.append(f"picus:{key} {value!r} is not a number")
            return 0.0

    def strings(self, key: str) -> tuple[str, ...]:
        # Pulumi hands a structured value to the program as its JSON text.
        text = self.text(key)
        try:
            value = json.loads(text) if text is not None else []
        except ValueError:
            value = None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problems.append(
                f"picus:{key} {text!r} is not a list of strings (pulumi config set --path "
                f"'{key}[0]' VALUE)"
            )
            return ()
        return tuple(value)

    def boolean(self, key: str) -> bool:
        value = self.required(key)
        if value not in ("true", "false"):
            if value:
                self.problems.append(f"picus:{key} {value!r} is not true or false")
            return False
        return value == "true"

    def auth(self) -> EdgeAuth | None:
        issuer, jwks = self.text("authIssuer"), self.text("authJwksUrl")
        if not issuer and not jwks:
            return None
        if not (issuer and jwks):
            self.problems.append("picus:authIssuer and picus:authJwksUrl go together")
            return None
        # The load balancer matches a claim only in the JSON type the token writes it in
        # (components/jwt_validation.py, ClaimFormat): the deployer names those in arrays.
        arrays = {n.strip() for n in (self.text("authArrayClaims") or "").split(",") if n.strip()}
        claims: list[Claim] = []
        for pair in filter(None, (self.text("authClaims") or "").split(",")):
            name, _, value = (part.strip() for part in pair.partition("="))
            if not name or not value:
                self.problems.append(f"picus:authClaims {pair.strip()!r} is not name=value")
                continue
            form = ClaimFormat.STRING_ARRAY if name in arrays else ClaimFormat.SINGLE_STRING
            claims.append(Claim(name, form, (value,)))
        try:
            policy = ScopePolicy.from_env(
                self.required("authScopes"), self.required("authScopeClaim")
            )
        except ValueError as error:
            self.problems.append(f"picus:authScopes: {error}")
            policy = ScopePolicy()
        for name in sorted(arrays - {c.name for c in claims} - {policy.claim}):
            self.problems.append(
                f"picus:authArrayClaims {name!r} is neither a claim of picus:authClaims nor "
                "picus:authScopeClaim"
            )
        scope_format = (
            ClaimFormat.STRING_ARRAY if policy.claim in arrays else ClaimFormat.SPACE_SEPARATED
        )
        return EdgeAuth(issuer, jwks, policy, tuple(claims), scope_format)

    def choice(self, key: str, enum: type[_Choice]) -> _Choice:
        value = self.required(key)
        try:
            return enum(value)
        except ValueError:
            choices = ", ".join(str(m.value) for m in enum)
            self.problems.append(f"picus:{key} {value!r} is not one of {choices}")
            return next(iter(enum))
