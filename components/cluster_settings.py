"""An ApiCluster's settings: its args typed, defaulted and validated once, before anything is
created, whichever language or stack config they came from.

Every problem is reported at once, one line each, naming its setting by its stack config key
(``picus:minCount``); ``describe`` names it by its path in the args (``scaling.minCount``) for
a program that wrote the args itself. Pulumi runs this on ``preview`` as on ``up``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import pulumi

from components.api_cluster_args import DEFAULTS, PATHS
from components.deployment import DeploymentSettings, DeploymentStrategy
from components.deployment import problems as deployment_problems
from components.fargate import MAX_STOP_TIMEOUT, fargate_size_problems
from components.firewall import RATE_LIMIT_RANGE
from components.function_release import ReleaseSettings, ReleaseStrategy
from components.image import CpuArchitecture
from components.jwt_validation import Claim, ClaimFormat, EdgeAuth
from components.jwt_validation import problems as auth_problems
from components.naming import (
    MAX_CLUSTER_NAME,
    idempotency_table_name,
    stack_name_problems,
    table_name_problems,
)
from components.network import NatStrategy, SubnetLayout
from picus.auth import ScopePolicy
from picus.contract import TABLE_NAME
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
#: AWS's forms of the IDs of an existing network.
_VPC_ID: Final = re.compile(r"vpc-[0-9a-f]{8,17}")
_SUBNET_ID: Final = re.compile(r"subnet-[0-9a-f]{8,17}")


class InvalidSettings(pulumi.RunError):
    """An ApiCluster's args cannot be deployed. Its message names every setting to change, one
    line each, by its path in the args; ``problems`` by its stack config key. A RunError is
    reported as its message alone, without a traceback."""

    def __init__(self, name: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(report(f"the ApiCluster {name!r}", [describe(p) for p in problems]))


def report(subject: str, problems: list[str]) -> str:
    """One message naming every problem, one line each."""
    lines = "\n".join(f"  - {p}" for p in problems)
    return f"{subject} cannot be deployed as configured:\n{lines}"


#: A setting named by its config key; only the keys, so a value such as picus:read stays.
_KEY: Final = re.compile(rf"picus:({'|'.join(sorted(PATHS, key=len, reverse=True))})\b")


def describe(problem: str) -> str:
    """A problem as a program that wrote the args reads it: each setting by its path in the
    args (``picus:minCount`` is ``scaling.minCount``)."""
    return _KEY.sub(lambda m: PATHS[m[1]], problem)


@dataclass(frozen=True)
class ExistingNetwork:
    """A VPC the cluster runs in without creating any of it."""

    vpc_id: pulumi.Input[str]
    public_subnet_ids: pulumi.Input[list[str]]
    private_subnet_ids: pulumi.Input[list[str]]


@dataclass(frozen=True)
class ClusterSettings:
    """An ApiCluster's settings, typed, defaulted and checked against each other."""

    #: The cluster's name: every resource's logical name begins with it.
    name: str
    production: bool
    protect: bool
    table_name: str
    table_kms_key_arn: str | None
    subnet_layout: SubnetLayout
    nat: NatStrategy
    #: Where the cluster runs when it creates no network of its own.
    existing_network: ExistingNetwork | None
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
        if value and not pattern.fullmatch(value):
            problems.append(f"picus:{key} {value!r} is not of the form {pattern.pattern}")
    problems += table_name_problems(c.table_name)
    if c.existing_network is None:
        problems += c.subnet_layout.problems()
    problems += [f"picus:cpu, picus:memory: {p}" for p in fargate_size_problems(c.cpu, c.memory)]
    if not 0 < c.min_count <= c.desired_count <= c.max_count:
        problems.append(
            "picus:minCount, picus:desiredCount, picus:maxCount: need 0 < min <= desired <= max"
        )
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


def resolve(name: str, args: Mapping[str, Any], stack: str) -> ClusterSettings:
    """The settings of the cluster ``name`` in ``stack``: every setting ``args`` leaves out takes
    its default. Raises InvalidSettings naming every problem, by its stack config key."""
    reader = ArgsReader(args)
    settings = ClusterSettings(
        name=name,
        production=reader.boolean("production"),
        protect=reader.boolean("protect"),
        # Carries the stack as well as the cluster: two stacks of one program, in one account,
        # never share a table.
        table_name=reader.text("tableName") or f"{TABLE_NAME}-{name}-{stack}",
        table_kms_key_arn=reader.text("tableKmsKeyArn"),
        subnet_layout=SubnetLayout(
            vpc_cidr=reader.required("vpcCidr"),
            zones=reader.integer("availabilityZones"),
            private_mask=reader.integer("privateSubnetCidrMask"),
            public_mask=reader.integer("publicSubnetCidrMask"),
        ),
        nat=reader.choice("natGateways", NatStrategy),
        existing_network=reader.existing_network(),
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
        deployment=deployment_of(reader),
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
    name_problems = stack_name_problems(name, "the ApiCluster name", MAX_CLUSTER_NAME)
    problems = reader.problems + name_problems + problems_of(settings)
    if problems:
        raise InvalidSettings(name, problems)
    return settings


def deployment_of(reader: ArgsReader) -> DeploymentSettings:
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


def network_problems(network: ExistingNetwork) -> list[str]:
    """What can be known of an existing network before anything is created: the form of its
    IDs, when they are values rather than outputs of the consumer's resources."""
    problems: list[str] = []
    if isinstance(network.vpc_id, str) and not _VPC_ID.fullmatch(network.vpc_id):
        problems.append(f"picus:vpcId {network.vpc_id!r} is not of the form {_VPC_ID.pattern}")
    lists = {"publicSubnetIds": network.public_subnet_ids}
    lists["privateSubnetIds"] = network.private_subnet_ids
    for key, ids in lists.items():
        if not isinstance(ids, list | tuple):
            continue
        if not ids:
            problems.append(f"picus:{key} must name the existing VPC's subnets")
        for subnet in ids:
            if isinstance(subnet, str) and not _SUBNET_ID.fullmatch(subnet):
                problems.append(f"picus:{key} {subnet!r} is not of the form {_SUBNET_ID.pattern}")
    public, private = network.public_subnet_ids, network.private_subnet_ids
    if isinstance(public, list | tuple) and len(public) == 1:
        problems.append("picus:publicSubnetIds must name at least two: an ALB needs two zones")
    if isinstance(public, list | tuple) and isinstance(private, list | tuple):
        shared = sorted({s for s in public if isinstance(s, str)} & set(private))
        if shared:
            problems.append(
                f"picus:publicSubnetIds, picus:privateSubnetIds share {', '.join(shared)}: the "
                "tasks belong in private subnets, the load balancer in public ones"
            )
    return problems


class ArgsReader:
    """Reads typed settings from args, collecting every bad value instead of stopping at the
    first. A value another language sent may be a float for an integer (JSON has one number
    type), and the stack config's are already typed by ``components.stack_config``."""

    def __init__(self, args: Mapping[str, Any]) -> None:
        self._args = args
        self.problems: list[str] = []

    def value(self, key: str) -> Any:
        path = PATHS[key]
        group, _, leaf = path.rpartition(".")
        found = self._args.get(group) if group else self._args
        if isinstance(found, Mapping) and found.get(python_name(leaf)) is not None:
            return found[python_name(leaf)]
        return DEFAULTS.get(path)

    def text(self, key: str) -> str | None:
        value = self.value(key)
        if value is not None and not isinstance(value, str):
            self.problems.append(f"picus:{key} {value!r} is not a string")
            return None
        return value or None

    def required(self, key: str) -> str:
        value = self.text(key)
        if value is None:
            self.problems.append(f"picus:{key} must be set")
        return value or ""

    def integer(self, key: str) -> int:
        value = self.value(key)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            self.problems.append(f"picus:{key} {value!r} is not an integer")
            return 0
        return value

    def boolean(self, key: str) -> bool:
        value = self.value(key)
        if not isinstance(value, bool):
            self.problems.append(f"picus:{key} {value!r} is not true or false")
            return False
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.value(key)
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            self.problems.append(
                f"picus:{key} {value!r} is not a list of strings (pulumi config set --path "
                f"'{key}[0]' VALUE)"
            )
            return ()
        return tuple(value)

    def choice(self, key: str, enum: type[_Choice]) -> _Choice:
        value = self.required(key)
        try:
            return enum(value)
        except ValueError:
            choices = ", ".join(str(m.value) for m in enum)
            self.problems.append(f"picus:{key} {value!r} is not one of {choices}")
            return next(iter(enum))

    def existing_network(self) -> ExistingNetwork | None:
        given = {key: self.value(key) for key in ("vpcId", "publicSubnetIds", "privateSubnetIds")}
        # An output (a resource's ID) counts as given; an empty value as left out.
        present = {key for key, value in given.items() if value not in ("", [], ())}
        if not present:
            return None
        if present != set(given):
            self.problems.append(
                "picus:vpcId, picus:publicSubnetIds and picus:privateSubnetIds go together: "
                f"set {', '.join(f'picus:{k}' for k in sorted(set(given) - present))} too, or "
                "none of them for a VPC of its own"
            )
            return None
        network = ExistingNetwork(
            given["vpcId"], given["publicSubnetIds"], given["privateSubnetIds"]
        )
        self.problems += network_problems(network)
        return network

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


def python_name(name: str) -> str:
    """A schema name as the args' Python key (``minCount`` is ``min_count``), as Pulumi's
    component analyzer maps them."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()
