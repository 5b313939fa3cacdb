"""The API's name in Route 53: an alias record to the load balancer, and, when several regions
serve the name, a latency record with a health check of this region's ``/health``.

A latency record answers with the region of least latency to the resolver among those whose
health check passes ("Choosing a routing policy", Latency routing; "How Amazon Route 53 checks
the health of your resources"). The record of a stack of one region becomes its region's latency
record in place: one resource, whose update Route 53 applies as one change batch, so the name
never stops resolving; a new record beside the old one would be refused ("a non-latency RRSet
with the same name and type already exists").
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from picus.contract import HEALTH_PATH


@dataclass(frozen=True)
class LatencyRouting:
    """This region's share of a name that several regions serve."""

    #: The region's name, as Route 53 knows it; known once the provider's region is checked.
    region: pulumi.Input[str]
    #: Seconds between Route 53's checks, and failures in a row that take the region out.
    interval: int
    failure_threshold: int
    #: The first region's record, which this one is created after: while a stack of one region
    #: becomes two, that record turns from a plain one into a latency record, and Route 53
    #: refuses a latency record beside a plain one of the same name.
    after: aws.route53.Record | None = None


def domain_record(
    name: str,
    domain_name: str,
    zone_id: pulumi.Input[str],
    alb: aws.lb.LoadBalancer,
    https: bool,
    latency: LatencyRouting | None,
    opts: pulumi.ResourceOptions,
) -> tuple[aws.route53.Record, pulumi.Output[str] | None]:
    """The record of ``domain_name``, named ``<name>-domain`` in every region count, and the
    ID of its health check if it has one."""
    alias = aws.route53.RecordAliasArgs(
        name=alb.dns_name, zone_id=alb.zone_id, evaluate_target_health=True
    )
    if latency is None:
        record = aws.route53.Record(
            f"{name}-domain",
            zone_id=zone_id,
            name=domain_name,
            type="A",
            aliases=[alias],
            opts=opts,
        )
        return record, None
    # Checked on the load balancer's own name: the domain's answer is what the check decides.
    # The listener serves /health to anyone, GET only (picus/routing.py); Route 53 does not
    # validate the certificate of an HTTPS check, which the load balancer's name would not match.
    check = aws.route53.HealthCheck(
        f"{name}-health",
        type="HTTPS" if https else "HTTP",
        fqdn=alb.dns_name,
        port=443 if https else 80,
        resource_path=HEALTH_PATH,
        request_interval=latency.interval,
        failure_threshold=latency.failure_threshold,
        tags={"Name": pulumi.Output.concat(domain_name, " ", latency.region)},
        opts=opts,
    )
    record = aws.route53.Record(
        f"{name}-domain",
        zone_id=zone_id,
        name=domain_name,
        type="A",
        aliases=[alias],
        set_identifier=latency.region,
        latency_routing_policies=[
            aws.route53.RecordLatencyRoutingPolicyArgs(region=latency.region)
        ],
        health_check_id=check.id,
        opts=opts.merge(
            pulumi.ResourceOptions(depends_on=[latency.after] if latency.after else None)
        ),
    )
    return record, check.id
