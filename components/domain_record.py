"""The API's name in Route 53: an alias record to the load balancer, and, when the stack lists
its regions, a latency record with this region's health.

A latency record answers with the region of least latency to the resolver among those whose
health check passes ("Choosing a routing policy", Latency routing; "How Amazon Route 53 checks
the health of your resources"). A region's health is two checks, both of which must pass (a
calculated check): its load balancer answers ``/health``, which says the service runs; and the
service's 5xx alarm is not firing, which says it can do its work, since ``/health`` asks nothing
of DynamoDB (a table that fails in one region, or a strong table that lost its quorum, answers
every write with a 503 while the process is well).

The record of a stack of one region becomes its region's latency record in place: one resource,
whose update Route 53 applies as one change batch, so the name never stops resolving; a new
record beside the old one would be refused ("a non-latency RRSet with the same name and type
already exists").
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from picus.contract import HEALTH_PATH


@dataclass(frozen=True)
class LatencyRouting:
    """This region's share of a name that the listed regions serve."""

    #: The region's name, as Route 53 knows it; known once the provider's region is checked.
    region: pulumi.Input[str]
    #: Seconds between Route 53's checks, and failures in a row that take the region out.
    interval: int
    failure_threshold: int
    #: The first region's record, which this one is created after: while a stack of one region
    #: becomes two, that record turns from a plain one into a latency record, and Route 53
    #: refuses a latency record beside a plain one of the same name.
    after: aws.route53.Record | None = None


@dataclass(frozen=True)
class AliasTarget:
    """The load balancer a record points at."""

    dns_name: pulumi.Input[str]
    zone_id: pulumi.Input[str]

    def alias(self) -> aws.route53.RecordAliasArgs:
        return aws.route53.RecordAliasArgs(
            name=self.dns_name, zone_id=self.zone_id, evaluate_target_health=True
        )


def plain_record(
    name: str,
    domain_name: str,
    zone_id: pulumi.Input[str],
    target: AliasTarget,
    opts: pulumi.ResourceOptions,
) -> aws.route53.Record:
    """The record of a stack that lists no regions, named ``<name>-domain`` as every record of
    the domain is, whatever the stack's regions."""
    return aws.route53.Record(
        f"{name}-domain",
        zone_id=zone_id,
        name=domain_name,
        type="A",
        aliases=[target.alias()],
        opts=opts,
    )


@dataclass(frozen=True)
class RegionHealth:
    """What the record of a region answers by."""

    record: aws.route53.Record
    #: The calculated check the record names, and the two it is made of.
    check_id: pulumi.Output[str]


def latency_record(
    name: str,
    domain_name: str,
    zone_id: pulumi.Input[str],
    target: AliasTarget,
    https: bool,
    latency: LatencyRouting,
    errors_alarm_name: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> RegionHealth:
    """The region's latency record and the health checks it answers by."""
    label = pulumi.Output.concat(domain_name, " ", latency.region)
    # The load balancer's own name is checked: the listener serves /health to anyone, GET only
    # (picus/routing.py); Route 53 does not validate the certificate of an HTTPS check, which
    # the load balancer's name would not match.
    answers = aws.route53.HealthCheck(
        f"{name}-health",
        type="HTTPS" if https else "HTTP",
        fqdn=target.dns_name,
        port=443 if https else 80,
        resource_path=HEALTH_PATH,
        request_interval=latency.interval,
        failure_threshold=latency.failure_threshold,
        tags={"Name": label},
        opts=opts,
    )
    # Healthy while the alarm is OK, and while it has no data (a region without traffic).
    works = aws.route53.HealthCheck(
        f"{name}-errors-health",
        type="CLOUDWATCH_METRIC",
        cloudwatch_alarm_name=errors_alarm_name,
        cloudwatch_alarm_region=latency.region,
        insufficient_data_health_status="Healthy",
        tags={"Name": pulumi.Output.concat(label, " 5xx")},
        opts=opts,
    )
    healthy = aws.route53.HealthCheck(
        f"{name}-region-health",
        type="CALCULATED",
        child_healthchecks=[answers.id, works.id],
        child_health_threshold=2,
        tags={"Name": pulumi.Output.concat(label, " region")},
        opts=opts,
    )
    record = aws.route53.Record(
        f"{name}-domain",
        zone_id=zone_id,
        name=domain_name,
        type="A",
        aliases=[target.alias()],
        set_identifier=latency.region,
        latency_routing_policies=[
            aws.route53.RecordLatencyRoutingPolicyArgs(region=latency.region)
        ],
        health_check_id=healthy.id,
        opts=opts.merge(
            pulumi.ResourceOptions(depends_on=[latency.after] if latency.after else None)
        ),
    )
    return RegionHealth(record, healthy.id)
