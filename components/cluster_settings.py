"""An ApiCluster's settings: its args typed and defaulted (``components.settings_reader``), as
the cluster's components read them, and the error that names every problem with them.

Every problem names its setting by its stack config key (``picus:minCount``); ``describe``
names it by its path in the args (``scaling.minCount``) for a program that wrote the args
itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import pulumi

from components.api_cluster_args import PATHS
from components.deployment import DeploymentSettings
from components.function_release import ReleaseSettings
from components.image import CpuArchitecture
from components.jwt_validation import EdgeAuth
from components.multi_region import ONE_REGION, RegionSettings
from components.naming import idempotency_table_name
from components.network import NatStrategy, SubnetLayout


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
    certificate_arn: pulumi.Input[str] | None
    ssl_policy: str
    domain_name: str | None
    hosted_zone_id: pulumi.Input[str] | None
    waf_web_acl_arn: pulumi.Input[str] | None
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
    alarm_topic_arn: pulumi.Input[str] | None
    #: The browser origins whose pages may call the API (picus/cors.py); empty: none.
    cors_origins: tuple[str, ...]
    #: The regions the API runs in; a stack of one region by default.
    regions: RegionSettings = ONE_REGION

    @property
    def idempotency_table_name(self) -> str:
        return idempotency_table_name(self.table_name)

    @property
    def https(self) -> bool:
        return self.certificate_arn is not None
