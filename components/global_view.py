"""What an operator of a multi-region API looks at first: each region's Route 53 health check,
and how far each replica lags behind the writes of the first region.

``HealthCheckStatus`` is published in us-east-1 only ("Monitoring health checks using
CloudWatch"); ``ReplicationLatency`` in the region a write comes from, per receiving region,
and only by MREC tables ("Global tables configured for multi-Region strong consistency (MRSC) do
not publish a ReplicationLatency metric", How DynamoDB global tables work). A dashboard shows
metrics of any region; an alarm only its own region's, so the replication alarms live in the
first region, beside its other alarms and on its topic.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.alarms import metric_alarm
from components.dashboard import WIDTH, console_url
from picus.regions import Consistency

#: Where Route 53 publishes its health checks' metrics.
ROUTE53_METRICS_REGION = "us-east-1"
#: A replica further behind than this, for as long as ``metric_alarm`` asks, is an alarm: AWS
#: states no bound ("There is no SLA on this latency"), and a minute is sixty times the usual
#: second.
REPLICATION_LATENCY_ALARM_MS = 60_000


@dataclass(frozen=True)
class GlobalViewArgs:
    dashboard_name: str
    home_region: str
    #: Each region's health check, by region, in the order of the stack's regions.
    health_check_ids: Sequence[tuple[str, pulumi.Input[str]]]
    #: The global tables, by the name their alarms carry (``table``, ``idempotency``).
    tables: Sequence[tuple[str, pulumi.Input[str]]]
    replica_regions: Sequence[str]
    consistency: Consistency
    alarm_actions: Sequence[pulumi.Input[str]]


def global_body(
    home_region: str,
    health_checks: Sequence[tuple[str, str]],
    tables: Sequence[str],
    replica_regions: Sequence[str],
    consistency: Consistency,
) -> str:
    """The dashboard's JSON: a plain function of the names, as the regional dashboard's."""
    health = [
        ["AWS/Route53", "HealthCheckStatus", "HealthCheckId", check_id, {"label": region}]
        for region, check_id in health_checks
    ]
    widgets: list[Any] = [
        {
            "type": "metric",
            "width": WIDTH,
            "height": 6,
            "properties": {
                "title": "Each region's health check (1 healthy, 0 out of the answers)",
                "view": "timeSeries",
                "stat": "Minimum",
                "period": 60,
                "region": ROUTE53_METRICS_REGION,
                "metrics": health,
                "yAxis": {"left": {"min": 0, "max": 1}},
            },
        }
    ]
    if consistency is Consistency.EVENTUAL:
        latency = [
            [
                "AWS/DynamoDB",
                "ReplicationLatency",
                "TableName",
                table,
                "ReceivingRegion",
                region,
                {"label": f"{table} → {region}"},
            ]
            for table in tables
            for region in replica_regions
        ]
        widgets.append(
            {
                "type": "metric",
                "width": WIDTH,
                "height": 6,
                "properties": {
                    "title": f"Replication latency from {home_region}, ms",
                    "view": "timeSeries",
                    "stat": "Average",
                    "period": 60,
                    "region": home_region,
                    "metrics": latency,
                },
            }
        )
    return json.dumps({"widgets": widgets})


class GlobalView(pulumi.ComponentResource):
    url: pulumi.Output[str]

    def __init__(
        self, name: str, args: GlobalViewArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("picus:index:GlobalView", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        regions = [region for region, _ in args.health_check_ids]
        body = pulumi.Output.all(
            pulumi.Output.all(*(check for _, check in args.health_check_ids)),
            pulumi.Output.all(*(table for _, table in args.tables)),
        ).apply(
            lambda a: global_body(
                args.home_region,
                list(zip(regions, a[0], strict=True)),
                a[1],
                args.replica_regions,
                args.consistency,
            )
        )
        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard", dashboard_name=args.dashboard_name, dashboard_body=body, opts=child
        )
        if args.consistency is Consistency.EVENTUAL:
            for label, table in args.tables:
                for region in args.replica_regions:
                    metric_alarm(
                        f"{name}-{label}-replication-{region}",
                        namespace="AWS/DynamoDB",
                        metric="ReplicationLatency",
                        dimensions={"TableName": table, "ReceivingRegion": region},
                        threshold=REPLICATION_LATENCY_ALARM_MS,
                        description=f"writes reach the replica in {region} over a minute "
                        "late: a failover now would lose them until the first region returns",
                        actions=args.alarm_actions,
                        statistic="Average",
                        opts=child,
                    )
        self.url = dashboard.dashboard_name.apply(lambda n: console_url(args.home_region, n))
        self.register_outputs({"url": self.url})
