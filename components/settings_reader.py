"""An ApiCluster's args read into its settings: each setting typed, defaulted from
``components.api_cluster_args.DEFAULTS`` and checked, every problem collected before one error
names them all. The args come from a program in any language (through the plugin, whose
numbers arrive as floats) or from the stack's config (``components.stack_config``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final, TypeVar

import pulumi

from components.api_cluster_args import DEFAULTS, PATHS
from components.cluster_settings import ClusterSettings, ExistingNetwork, InvalidSettings
from components.deployment import DeploymentSettings, DeploymentStrategy
from components.function_release import ReleaseSettings, ReleaseStrategy
from components.image import CpuArchitecture
from components.jwt_validation import Claim, ClaimFormat, EdgeAuth
from components.multi_region import RegionSettings
from components.naming import MAX_CLUSTER_NAME, stack_name_problems
from components.network import NatStrategy, SubnetLayout
from components.settings_problems import network_problems, problems_of
from picus.auth import ScopePolicy
from picus.contract import TABLE_NAME
from picus.regions import Consistency


def python_name(name: str) -> str:
    """A schema name as the args' Python key (``minCount`` is ``min_count``), as Pulumi's
    component analyzer maps them."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def place(path: str) -> tuple[str, str]:
    """Where the setting ``path`` sits in the args: its group ("" at the top) and its key."""
    group, _, leaf = path.rpartition(".")
    return group, python_name(leaf)


#: Every key of the args, by its group ("" at the top, which holds the groups too).
_KEYS: Final[dict[str, frozenset[str]]] = {
    group: frozenset(key for g, key in map(place, PATHS.values()) if g == group)
    for group in {place(path)[0] for path in PATHS.values()}
}
_GROUPS: Final = sorted(_KEYS.keys() - {""})

#: How a problem with the cluster's own name names it.
CLUSTER = "the ApiCluster name"
_Choice = TypeVar(
    "_Choice", NatStrategy, CpuArchitecture, ReleaseStrategy, DeploymentStrategy, Consistency
)


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
        certificate_arn=reader.reference("certificateArn"),
        ssl_policy=reader.required("sslPolicy"),
        domain_name=reader.text("domainName"),
        hosted_zone_id=reader.reference("hostedZoneId"),
        waf_web_acl_arn=reader.reference("wafWebAclArn"),
        auth=reader.auth(),
        public_api=reader.boolean("publicApi"),
        firewall=reader.boolean("firewall"),
        firewall_rate_limit=reader.integer("firewallRateLimit"),
        firewall_count_only=reader.boolean("firewallCountOnly"),
        tracing=reader.boolean("tracing"),
        snap_start=reader.boolean("snapStart"),
        lambda_memory=reader.integer("lambdaMemory"),
        lambda_timeout=reader.integer("lambdaTimeout"),
        function_release=function_release_of(reader),
        p99_latency_ms=reader.integer("p99LatencyMs"),
        alarm_email=reader.text("alarmEmail"),
        alarm_topic_arn=reader.reference("alarmTopicArn"),
        cors_origins=reader.strings("corsOrigins"),
        regions=regions_of(reader),
    )
    name_problems = stack_name_problems(name, CLUSTER, MAX_CLUSTER_NAME)
    problems = reader.problems + name_problems + problems_of(settings)
    if problems:
        raise InvalidSettings(name, problems)
    return settings


def regions_of(reader: ArgsReader) -> RegionSettings:
    return RegionSettings(
        regions=reader.strings("regions"),
        consistency=reader.choice("consistency", Consistency),
        witness_region=reader.text("witnessRegion"),
        certificate_arns=reader.strings("regionCertificateArns"),
        health_check_interval=reader.integer("healthCheckInterval"),
        health_check_failure_threshold=reader.integer("healthCheckFailureThreshold"),
        release_region=reader.text("releaseRegion"),
    )


def function_release_of(reader: ArgsReader) -> ReleaseSettings:
    return ReleaseSettings(
        strategy=reader.choice("functionRelease", ReleaseStrategy),
        percent=reader.integer("functionReleasePercent"),
        minutes=reader.integer("functionReleaseMinutes"),
    )


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
        handover_count=reader.integer("handoverCount"),
        release_header=reader.reference("releaseHeader"),
    )


class ArgsReader:
    """Reads typed settings from args, collecting every bad value instead of stopping at the
    first. A value another language sent may be a float for an integer (JSON has one number
    type), and the stack config's are already typed by ``components.stack_config``."""

    def __init__(self, args: Mapping[str, Any]) -> None:
        self._args = args
        self.problems: list[str] = unknown_settings(args)

    def value(self, key: str) -> Any:
        path = PATHS[key]
        group, leaf = place(path)
        found = self._args.get(group) if group else self._args
        if isinstance(found, Mapping) and found.get(leaf) is not None:
            return found[leaf]
        return DEFAULTS.get(path)

    def text(self, key: str) -> str | None:
        value = self.value(key)
        if value is not None and not isinstance(value, str):
            self.problems.append(f"picus:{key} {value!r} is not a string")
            return None
        return value or None

    def reference(self, key: str) -> pulumi.Input[str] | None:
        """An ARN or ID that may be another resource's output; empty is unset."""
        value = self.value(key)
        if isinstance(value, pulumi.Output):
            return value
        return self.text(key)

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


def unknown_settings(args: Mapping[str, Any]) -> list[str]:
    """What ``args`` holds that is no setting: a misspelt one would otherwise leave its
    setting at the default without a word, and a group that is no object, all of its own."""
    top = _KEYS[""] | set(_GROUPS)
    problems = [f"{key!r} is not a setting of ApiCluster" for key in args if key not in top]
    for group in _GROUPS:
        value = args.get(group)
        if value is None:
            continue
        if not isinstance(value, Mapping):
            problems.append(f"{group} {value!r} is not an object of settings")
            continue
        problems += [
            f"{group}.{key} is not a setting of ApiCluster"
            for key in value
            if key not in _KEYS[group]
        ]
    return problems
