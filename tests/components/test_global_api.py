"""A stack of several regions (components/global_api.py), under the mocks: each region's cluster
is the first region's, in its own region, on the first region's global tables; Route 53 answers
the domain from the healthy regions; a global view watches them.

The first region's cluster is checked as a stack of one region by every other component test
(conftest.py, ``Stack.first_region``); these tests hold the others equal to it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from components import region_outputs
from components.global_view import ROUTE53_METRICS_REGION
from components.naming import stack_prefix
from components.policies import idempotency_actions
from components.region_role import region_code
from picus.contract import HEALTH_PATH
from picus.regions import CONSISTENCY_ENV, Consistency
from tests.components.cloudwatch_metrics import METRICS
from tests.components.conftest import API_CLUSTER, TABLE, TWO_REGIONS, Stack, policy_of
from tests.components.graph import load

MULTI_REGION = ["dev-two-regions", "prod-three-regions"]
RECORD = "aws:route53/record:Record"
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
#: What only the cluster that owns the tables has.
TABLE_TYPES = {TABLE, "picus:index:Table"}


@pytest.fixture(params=MULTI_REGION)
def whole(request: pytest.FixtureRequest, stacks: dict[str, Stack]) -> Stack:
    return stacks[request.param]


def regions_of(stack: Stack) -> list[str]:
    found: list[str] = json.loads(stack.setting("regions"))
    return found


def cluster(stack: Stack, region: str) -> list[dict[str, Any]]:
    """The resources of one region's cluster."""
    first = regions_of(stack)[0]
    name = stack_prefix(stack.stack)
    name = name if region == first else f"{name}-{region_code(region)}"
    (top,) = [r for r in stack.all(API_CLUSTER) if r["name"] == name]
    return [r for r in stack.resources if stack.descends_from(r, {top["urn"]})]


def _shape(resource: dict[str, Any], prefix: str) -> tuple[str, str]:
    return resource["type"], resource["name"].removeprefix(prefix)


def test_every_region_runs_the_first_regions_cluster_but_its_tables(whole: Stack) -> None:
    first, *others = regions_of(whole)
    home = stack_prefix(whole.stack)
    expected = {_shape(r, home) for r in cluster(whole, first) if r["type"] not in TABLE_TYPES}
    for region in others:
        prefix = f"{home}-{region_code(region)}"
        assert {_shape(r, prefix) for r in cluster(whole, region)} == expected, region


def test_nothing_of_a_region_points_into_another(whole: Stack) -> None:
    """Each cluster's ARNs, image registry and load balancer name are of its own region: its
    provider is its region's, and its tables are the replicas there."""
    everywhere = regions_of(whole)
    for region in everywhere:
        text = json.dumps([r["state"] for r in cluster(whole, region)])
        for other in set(everywhere) - {region}:
            assert not re.search(rf"[:.]{other}[:.]", text), (region, other)
        assert f":dynamodb:{region}:" in text


def test_the_first_regions_tables_are_global_tables_with_a_replica_in_each_other(
    whole: Stack,
) -> None:
    _, *others = regions_of(whole)
    strong = whole.setting("consistency") == Consistency.STRONG
    tables = whole.all(TABLE)
    assert len(tables) == 2
    for table in tables:
        state = table["state"]
        assert [r["regionName"] for r in state["replicas"]] == others
        for replica in state["replicas"]:
            # Not synchronized between replicas: each gets the table's own recovery, and no
            # deletion protection, so that a region can leave in one update.
            assert replica["pointInTimeRecovery"] is True
            assert replica["deletionProtectionEnabled"] is False
            assert replica.get("consistencyMode") == ("STRONG" if strong else None)
        if strong:
            # MRSC replicates without streams, and has no TTL.
            assert "streamEnabled" not in state and "ttl" not in state
        else:
            assert (state["streamEnabled"], state["streamViewType"]) == (
                True,
                "NEW_AND_OLD_IMAGES",
            )


def test_each_other_region_has_its_own_provider_with_the_stacks_tags(whole: Stack) -> None:
    _, *others = regions_of(whole)
    providers = whole.all("pulumi:providers:aws")
    assert sorted(p["state"]["region"] for p in providers) == sorted(others)
    tags = json.loads(whole.config["aws:defaultTags"])
    for provider in providers:
        assert json.loads(provider["state"]["defaultTags"]) == tags


def test_route53_answers_the_domain_from_each_healthy_region(whole: Stack) -> None:
    regions = regions_of(whole)
    domain = whole.setting("domainName")
    https = bool(whole.setting("certificateArn"))
    records = {r["state"]["setIdentifier"]: r for r in whole.all(RECORD)}
    checks = {
        c["state"]["id"] if "id" in c["state"] else c["id"]: c for c in whole.all(HEALTH_CHECK)
    }
    assert sorted(records) == sorted(regions)
    for region in regions:
        record = records[region]["state"]
        assert record["name"] == domain and record["type"] == "A"
        assert record["latencyRoutingPolicies"] == [{"region": region}]
        (alias,) = record["aliases"]
        assert alias["evaluateTargetHealth"] is True
        # Healthy when both hold: the load balancer answers /health, and the service's 5xx
        # alarm in that region is not firing (a table that fails leaves /health well).
        region_check = checks[record["healthCheckId"]]["state"]
        assert (region_check["type"], region_check["childHealthThreshold"]) == ("CALCULATED", 2)
        children = [checks[c]["state"] for c in region_check["childHealthchecks"]]
        (check,) = [c for c in children if c["type"] != "CLOUDWATCH_METRIC"]
        (alarmed,) = [c for c in children if c["type"] == "CLOUDWATCH_METRIC"]
        # The check of this region's own load balancer, on the path it serves to anyone.
        assert check["fqdn"] == alias["name"] and f".{region}.elb." in check["fqdn"]
        assert check["resourcePath"] == HEALTH_PATH
        assert (check["type"], check["port"]) == (("HTTPS", 443) if https else ("HTTP", 80))
        assert check["requestInterval"] == int(whole.setting("healthCheckInterval"))
        assert check["failureThreshold"] == int(whole.setting("healthCheckFailureThreshold"))
        (errors,) = [
            a["state"]
            for a in cluster(whole, region)
            if a["type"] == ALARM and a["name"].endswith("-target-5xx")
        ]
        assert (alarmed["cloudwatchAlarmName"], alarmed["cloudwatchAlarmRegion"]) == (
            errors["name"],
            region,
        )
        # Route 53 reads only a plain statistic of a standard metric ("AlarmIdentifier").
        assert errors["statistic"] == "Sum" and "metricQueries" not in errors
        assert alarmed["insufficientDataHealthStatus"] == "Healthy"
    # Created after the first region's, which a stack of one region had as a plain record.
    (first,) = [r for r in whole.all(RECORD) if r["state"]["setIdentifier"] == regions[0]]
    for record in whole.all(RECORD):
        if record is not first:
            assert first["urn"] in record["dependencies"]


def test_the_service_writes_as_the_tables_mode_asks(whole: Stack) -> None:
    strong = whole.setting("consistency") == Consistency.STRONG
    for task in whole.all("aws:ecs/taskDefinition:TaskDefinition"):
        (definition,) = json.loads(task["state"]["containerDefinitions"])
        env = {e["name"]: e["value"] for e in definition["environment"]}
        assert env.get(CONSISTENCY_ENV) == (Consistency.STRONG.value if strong else None)
    # ... and every region's task role may write the key's records as that mode does.
    mode = Consistency.STRONG if strong else Consistency.EVENTUAL
    roles = whole.all("aws:iam/rolePolicy:RolePolicy")
    task_roles = [r for r in roles if r["name"].endswith("-task-policy")]
    assert len(task_roles) == len(regions_of(whole))
    for role in task_roles:
        (records,) = [s for s in policy_of(role)["Statement"] if s["Sid"] == "IdempotencyRecords"]
        assert sorted(records["Action"]) == sorted(idempotency_actions(mode)), role["name"]


def test_each_region_is_exported_with_every_output_of_its_cluster(whole: Stack) -> None:
    regions = regions_of(whole)
    exported = whole.exports[region_outputs.REGIONS]
    assert list(exported) == regions
    first = exported[regions[0]]
    # The stack's own outputs are its first region's cluster's.
    assert {k: whole.exports[k] for k in first} == first
    for region in regions:
        outputs = exported[region]
        assert set(outputs) == set(first)
        assert outputs["apiUrl"] == whole.exports["apiUrl"]
        assert outputs["tableName"] == first["tableName"]
        assert f".{region}.elb.amazonaws.com" in outputs["albDnsName"]
    assert whole.exports[region_outputs.GLOBAL_DASHBOARD_URL]


def test_the_global_view_shows_every_health_check_and_the_replicas_lag(whole: Stack) -> None:
    _, *others = regions_of(whole)
    strong = whole.setting("consistency") == Consistency.STRONG
    (dashboard,) = [
        d for d in whole.all(DASHBOARD) if d["state"]["dashboardName"].endswith("-global")
    ]
    widgets = json.loads(dashboard["state"]["dashboardBody"])["widgets"]
    checks = {c["id"] for c in whole.all(HEALTH_CHECK) if c["state"]["type"] == "CALCULATED"}
    tables = {t["state"]["name"] for t in whole.all(TABLE)}
    shown: dict[str, set[str]] = {}
    for widget in widgets:
        for namespace, name, *rest in widget["properties"]["metrics"]:
            pairs = [x for x in rest if not isinstance(x, dict)]
            dimensions = dict(zip(pairs[::2], pairs[1::2], strict=True))
            assert frozenset(dimensions) in METRICS[(namespace, name)], name
            for key, value in dimensions.items():
                shown.setdefault(key, set()).add(value)
        if widget["properties"]["metrics"][0][1] == "HealthCheckStatus":
            assert widget["properties"]["region"] == ROUTE53_METRICS_REGION
    assert shown["HealthCheckId"] == checks
    replication = [
        a for a in whole.all(ALARM) if a["state"].get("metricName") == "ReplicationLatency"
    ]
    if strong:
        # "MRSC ... do not publish a ReplicationLatency metric".
        assert "ReceivingRegion" not in shown and replication == []
    else:
        assert shown["TableName"] == tables and shown["ReceivingRegion"] == set(others)
        watched = {
            (a["state"]["dimensions"]["TableName"], a["state"]["dimensions"]["ReceivingRegion"])
            for a in replication
        }
        assert watched == {(t, r) for t in tables for r in others}


def test_each_regions_provider_has_the_stacks_account_credentials_and_tags() -> None:
    # An explicit provider reads none of the stack's aws: config: the first region's would use
    # the stack's role in the stack's account, the others whatever the machine has.
    role = "arn:aws:iam::123456789012:role/picus-deploy"
    settings = {
        **TWO_REGIONS,
        "aws:allowedAccountIds": json.dumps(["123456789012"]),
        "aws:assumeRoles": json.dumps([{"roleArn": role, "sessionName": "deploy"}]),
        "aws:profile": "picus",
    }
    stack = load("provider-config", "dev", "dev", settings)
    (provider,) = stack.all("pulumi:providers:aws")
    state = provider["state"]
    assert json.loads(state["allowedAccountIds"]) == ["123456789012"]
    assert json.loads(state["assumeRoles"]) == [{"roleArn": role, "sessionName": "deploy"}]
    assert state["profile"] == "picus"
    assert json.loads(state["defaultTags"]) == json.loads(stack.config["aws:defaultTags"])
