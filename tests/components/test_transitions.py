"""A running stack changing one setting: the graph before and after, built under the mocks.

Pulumi replaces a resource by creating the new one first and deleting the old one at the end
of the update (unless ``delete_before_replace``), and a resource whose URN disappears is deleted
only after every create. So an identity that AWS keeps unique in its scope (a listener's port on
its load balancer, a rule's priority on its listener, an explicit physical name, a subnet's range
in its VPC ...) may not pass from one resource to another in one update: AWS refuses the second
holder while the first still exists.

``TRANSITIONS`` is the single source of the releases page's table in "Changing a running
stack": each row declares what the change adds, removes and replaces, and what a user of the
API notices; the test holds the program to it and docs/releases.md to the rendered rows.

    .venv/bin/python -m tests.components.test_transitions    # prints the releases page's table
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fnmatch import fnmatch
from typing import Any

import pytest

from components.network import SubnetLayout
from docsite.pages import RELEASES
from tests.components.conftest import (
    NEXT_IMAGE,
    PRODUCTION_REQUIRED,
    RUNNING_IMAGE,
    TABLE,
    TWO_REGIONS,
    Stack,
)
from tests.components.graph import Urns, load
from tests.components.harness import autoname
from tests.components.test_lifecycle import NAME_RULES

HTTPS = {
    "certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
    "domainName": "dev.example.com",
    "hostedZoneId": "Z0123456789ABC",
}
AUTH = {
    "authIssuer": "https://login.example.com/",
    "authJwksUrl": "https://login.example.com/.well-known/jwks.json",
}
PUBLIC_PROD = {**PRODUCTION_REQUIRED, "authIssuer": "", "authJwksUrl": "", "publicApi": "true"}
KMS_KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab"
IMAGE = "210987654321.dkr.ecr.eu-west-1.amazonaws.com/picus@sha256:" + "cd" * 32


@dataclass(frozen=True)
class Transition:
    """One setting changed on a running stack. Resources are named ``<Type> <name>``: the
    type's last segment and the logical name without ``picus-<stack>-``; a ``*`` matches any
    name, and a component stands for everything under it."""

    change: str
    stack: str
    before: Mapping[str, str]
    after: Mapping[str, str]
    added: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()
    #: Kept under their URN, but an input AWS cannot update changed: a new one is made.
    replaced: frozenset[str] = frozenset()
    #: What a user of the API notices while the update runs.
    traffic: str = "No."
    #: Replacements deleted before their successor exists (``delete_before_replace``).
    gap: frozenset[str] = frozenset()
    #: Identities the change would hand from one resource to another: not possible in place.
    conflicts: frozenset[str] = frozenset()
    note: str = ""


def _names(*names: str) -> frozenset[str]:
    return frozenset(names)


TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "HTTP → HTTPS (`certificateArn`, `domainName`, `hostedZoneId`)",
        "dev",
        {},
        HTTPS,
        added=_names("Listener https", "SecurityGroupIngressRule alb-in-443", "Record domain"),
        replaced=_names("ListenerRule *"),
        traffic="No. The port-80 listener stays and turns into the redirect; each listener rule "
        "is created on the 443 listener before its twin on port 80 is deleted.",
    ),
    Transition(
        "auth on (`authIssuer`, `authJwksUrl`)",
        "dev",
        HTTPS,
        {**HTTPS, **AUTH},
        added=_names("SecurityGroupEgressRule alb-jwks-out"),
        replaced=_names("TaskDefinition api-task", "TaskDefinition api-canary-task"),
        traffic="No interruption: a new task definition revision rolls out (the canary's too, "
        "which runs no tasks). Requests without a "
        "valid token get 401 once the listener rules verify tokens.",
    ),
    Transition(
        "auth on, production (`publicApi` → `authIssuer`, `authJwksUrl`)",
        "prod",
        PUBLIC_PROD,
        PRODUCTION_REQUIRED,
        added=_names("SecurityGroupEgressRule alb-jwks-out"),
        replaced=_names("TaskDefinition api-task", "TaskDefinition api-canary-task"),
        traffic="As above.",
    ),
    Transition(
        "`firewall` on",
        "dev",
        {},
        {"firewall": "true"},
        added=_names("Firewall firewall", "WebAclAssociation waf"),
    ),
    Transition(
        "`trafficLogs` on",
        "dev",
        {},
        {"trafficLogs": "true"},
        added=_names("TrafficLogs traffic"),
        note="The load balancer's access logs are switched on in place, once the bucket's "
        "policy lets it write.",
    ),
    Transition(
        "`natGateways` single → onePerAz",
        "dev",
        {},
        {"natGateways": "onePerAz"},
        traffic="Requests to the API, no. Connections the other zones' tasks hold open through "
        "the first NAT gateway (to ECR or CloudWatch Logs) are reset when their route moves; "
        "the clients retry.",
        note="awsx adds a NAT gateway and an Elastic IP in each other zone and points that "
        "zone's private route at it, in place.",
    ),
    Transition(
        "`availabilityZones` 2 → 3",
        "dev",
        {},
        {"availabilityZones": "3"},
        added=_names("Subnet vpc-private-3", "Subnet vpc-public-3"),
        traffic="No. The load balancer and the service take the new zone's subnets in place.",
        note="The VPC is cut into four blocks whatever the zone count, so the third zone takes "
        "a free block and no subnet moves (up to four zones; 4 → 5 would halve every block: "
        "deploy a new stack instead).",
    ),
    Transition(
        "`imageUri` set (a prebuilt image)",
        "dev",
        {},
        {"imageUri": IMAGE},
        removed=_names("Image api-image-image"),
        replaced=_names("TaskDefinition api-task", "TaskDefinition api-canary-task"),
        traffic="No interruption: a new task definition revision rolls out (the canary's "
        "too, which runs no tasks).",
        note="The stack's own repository and its images stay, and the tasks may still pull "
        "from it: a rollback to the revision before starts as before. Deleting the build "
        "resource deletes no image.",
    ),
    Transition(
        "`snapStart` off → on",
        "dev",
        {"snapStart": "false"},
        {},
        traffic="No. The next published version starts from a snapshot; CodeDeploy moves the "
        "alias to it once it is ready (deploy/release.py).",
    ),
    Transition(
        "`tableKmsKeyArn` set",
        "prod",
        PRODUCTION_REQUIRED,
        {**PRODUCTION_REQUIRED, "tableKmsKeyArn": KMS_KEY},
        traffic="Possibly, for seconds: the table switches keys (in place, it stays available) "
        "before the two roles' policies grant that key.",
    ),
    Transition(
        "`deploymentStrategy` rolling → canary (with `releaseHeader`)",
        "prod",
        {
            **PRODUCTION_REQUIRED,
            "deploymentStrategy": "rolling",
            "releaseHeader": "",
            "imageUri": RUNNING_IMAGE,
        },
        {**PRODUCTION_REQUIRED, "imageUri": RUNNING_IMAGE},
        added=_names("ListenerRule test-rule-*"),
        traffic="No. The test rules match only requests that carry the release header; every "
        "other request is routed as before.",
        note="The canary service, its target group and alarms exist in every stack (no tasks "
        "without a canary image), so nothing holding traffic or data is replaced.",
    ),
    Transition(
        "a canary release: `canaryImageUri` set, then `canaryWeight` 0 → 10",
        "prod",
        {**PRODUCTION_REQUIRED, "imageUri": RUNNING_IMAGE},
        {
            **PRODUCTION_REQUIRED,
            "imageUri": RUNNING_IMAGE,
            "canaryImageUri": NEXT_IMAGE,
            "canaryWeight": "10",
        },
        replaced=_names("TaskDefinition api-canary-task"),
        traffic="No. The canary's tasks start beside the primary's; each rule's weights change "
        "in place, so 10 % of each route's requests go to the canary; the primary stops "
        "scaling in until the canary is gone.",
    ),
    Transition(
        "`corsOrigins` set",
        "dev",
        {},
        {"corsOrigins": json.dumps(["https://app.example.com"])},
        added=_names("ListenerRule rule-95-0"),
        replaced=_names("TaskDefinition api-task", "TaskDefinition api-canary-task"),
        traffic="No interruption: a new task definition revision rolls out with the origins, "
        "and the function's next version reads them. The preflight's rule, the one rule "
        "that forwards without a token, exists only from now on.",
    ),
    Transition(
        "`regions` one → two (`regions`, with `domainName`, `hostedZoneId`)",
        "dev",
        {k: v for k, v in TWO_REGIONS.items() if k != "regions"},
        TWO_REGIONS,
        added=_names("GlobalApi (stack)", "HealthCheck *health"),
        traffic="No. The first region keeps serving throughout: its tables become global tables "
        "in place, keeping their data, and its record turns into its region's latency record in "
        "one Route 53 change batch; the second region's record is created after it, and answers "
        "once its health check passes.",
        note="The stack's cluster moves under the GlobalApi through an alias. Adding a replica "
        "copies the table to the new region in the background; the new region's tasks start "
        "meanwhile and read what has arrived (eventual mode: the replica fills within minutes "
        "for small tables). Strong mode cannot be reached this way: AWS converts only an empty "
        "table to MRSC, and needs three regions from the start.",
    ),
    Transition(
        "a region leaves: `regions` two → one",
        "dev",
        TWO_REGIONS,
        {**TWO_REGIONS, "regions": json.dumps(["eu-west-1"])},
        removed=_names("ApiCluster use1", "aws use1", "MetricAlarm global-*-replication-us-east-1"),
        traffic="Requests to the first region, no. The second region's record goes with its "
        "cluster; until resolvers drop it (the record's alias TTL, 60 s), some clients still "
        "reach its load balancer while it is deleted, and retry.",
        note="The replica is removed from the global table in place; its data remains in the "
        "first region. Replicas carry no deletion protection, so that this is one update.",
    ),
    Transition(
        "`regions` emptied (one region, without latency routing)",
        "dev",
        {**TWO_REGIONS, "regions": json.dumps(["eu-west-1"])},
        {k: v for k, v in TWO_REGIONS.items() if k != "regions"},
        removed=_names("GlobalApi (stack)", "HealthCheck *health"),
        traffic="No. The record turns back into a plain alias record in one change batch. From "
        "two regions, remove the second first (the row above): Route 53 refuses a plain record "
        "beside another region's latency record.",
        note="The cluster moves back to the top of the stack through its alias.",
    ),
    Transition(
        "`protect` on",
        "dev",
        {},
        {"protect": "true"},
        note="The table is protected in Pulumi (and kept if ever deleted from the program), "
        "and in DynamoDB; the load balancer gets deletion protection.",
    ),
)

#: Whether AWS can change an input in place, per type, for every input a transition changes.
#: From each property's "Update requires" in the CloudFormation template reference (the
#: provider follows the same APIs), e.g. https://docs.aws.amazon.com/AWSCloudFormation/latest/
#: UserGuide/aws-properties-dynamodb-table-ssespecification.html (No interruption).
IN_PLACE: dict[str, frozenset[str]] = {
    "aws:lb/listener:Listener": frozenset({"defaultActions", "port", "protocol"}),
    "aws:lb/listenerRule:ListenerRule": frozenset({"actions", "conditions", "priority"}),
    "aws:lb/loadBalancer:LoadBalancer": frozenset(
        {"accessLogs", "subnets", "enableDeletionProtection", "securityGroups"}
    ),
    "aws:lambda/function:Function": frozenset({"environment", "snapStart", "code", "role"}),
    "aws:iam/rolePolicy:RolePolicy": frozenset({"policy"}),
    "aws:ecs/service:Service": frozenset({"networkConfiguration", "taskDefinition"}),
    # RegisterScalableTarget again, with new bounds or suspensions.
    "aws:appautoscaling/target:Target": frozenset({"minCapacity", "maxCapacity", "suspendedState"}),
    "aws:ec2/vpcEndpoint:VpcEndpoint": frozenset({"routeTableIds"}),
    # UpdateTable with ReplicaUpdates and a StreamSpecification: "you can add a replica to an
    # existing table" in place, its data kept (How DynamoDB global tables work).
    "aws:dynamodb/table:Table": frozenset(
        {
            "serverSideEncryption",
            "deletionProtectionEnabled",
            "replicas",
            "streamEnabled",
            "streamViewType",
        }
    ),
    # ChangeResourceRecordSets: the provider deletes the old record set and creates the new one
    # in one change batch, which Route 53 applies atomically.
    "aws:route53/record:Record": frozenset(
        {"setIdentifier", "latencyRoutingPolicies", "healthCheckId"}
    ),
    # PutDashboard replaces a dashboard's body by its name.
    "aws:cloudwatch/dashboard:Dashboard": frozenset({"dashboardBody"}),
    # A setting of the provider's delete, not of AWS.
    "aws:ecr/repository:Repository": frozenset({"forceDelete"}),
    "aws:s3/bucket:Bucket": frozenset({"forceDestroy"}),
}
REPLACES: dict[str, frozenset[str]] = {
    # A listener rule belongs to one listener.
    "aws:lb/listenerRule:ListenerRule": frozenset({"listenerArn"}),
    # Every change registers a new revision (the old one stays, skipDestroy).
    "aws:ecs/taskDefinition:TaskDefinition": frozenset({"containerDefinitions", "cpu", "memory"}),
    "aws:ec2/subnet:Subnet": frozenset({"cidrBlock", "availabilityZone"}),
}
#: Types whose explicit name is not unique: a task definition family holds every revision.
SHARED_NAMES = {"aws:ecs/taskDefinition:TaskDefinition"}
AWSX_VPC = "awsx:ec2:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"


def short(stack: Stack, resource: dict[str, Any]) -> str:
    prefix = f"picus-{stack.stack}"
    name = resource["name"].removeprefix(prefix).removeprefix("-") or "(stack)"
    return f"{resource['type'].split(':')[-1]} {name}"


def awsx_subnets(stack: Stack) -> list[dict[str, Any]]:
    """The subnets awsx makes in each zone, as the resources it names ``<vpc>-<type>-<n>``.
    The mocks do not run awsx, so these stand in for its children."""
    made = []
    for vpc in stack.all(AWSX_VPC):
        inputs = vpc["inputs"]
        # JSON numbers come back as floats.
        masks = {spec["type"].lower(): int(spec["cidrMask"]) for spec in inputs["subnetSpecs"]}
        zones = int(inputs["numberOfAvailabilityZones"])
        layout = SubnetLayout(inputs["cidrBlock"], zones, masks["private"], masks["public"])
        assert layout.zone_mask == inputs["availabilityZoneCidrMask"]
        for zone, pair in enumerate(layout.subnets(), start=1):
            for kind, cidr in zip(("private", "public"), pair, strict=True):
                name = f"{vpc['name']}-{kind}-{zone}"
                made.append(
                    {
                        "urn": f"{vpc['urn']}/{name}",
                        "type": SUBNET,
                        "name": name,
                        "parent": vpc["urn"],
                        "state": {"vpcId": vpc["state"]["vpcId"], "cidrBlock": str(cidr)},
                        "protect": False,
                        "delete_before_replace": False,
                        "aliases": [],
                    }
                )
    return made


def with_awsx_children(stack: Stack) -> Stack:
    return Stack(
        stack.variant,
        stack.stack,
        stack.config,
        [*stack.resources, *awsx_subnets(stack)],
        stack.exports,
    )


def identities(resource: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    """What AWS keeps unique in a scope, for this resource."""
    typ, state = resource["type"], resource["state"]
    if typ == "aws:lb/listener:Listener":
        yield ("port on load balancer", state["loadBalancerArn"], state["port"])
    elif typ == "aws:lb/listenerRule:ListenerRule":
        yield ("priority on listener", state["listenerArn"], state["priority"])
    elif typ == "aws:lb/targetGroupAttachment:TargetGroupAttachment":
        yield ("target of target group", state["targetGroupArn"], state["targetId"])
    elif typ == "aws:wafv2/webAclAssociation:WebAclAssociation":
        yield ("web ACL of", state["resourceArn"])
    elif typ == "aws:route53/record:Record":
        # Latency records of one name differ by their set identifier.
        yield ("record", state["zoneId"], state["name"], state["type"], state.get("setIdentifier"))
    elif typ == "aws:lambda/alias:Alias":
        yield ("alias of function", state["functionName"], state["name"])
    elif typ == SUBNET:
        # Overlapping ranges collide too: each address of the range is held.
        network = ipaddress.ip_network(state["cidrBlock"])
        yield from (
            ("address in VPC", state["vpcId"], str(a)) for a in network.subnets(new_prefix=28)
        )
    if typ in NAME_RULES and typ not in SHARED_NAMES:
        name = state[NAME_RULES[typ].field]
        if name != autoname(resource["name"]):
            yield ("name", typ, name)


def changed_inputs(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    keys = set(before["state"]) | set(after["state"])
    return {k for k in keys if before["state"].get(k) != after["state"].get(k)}


@dataclass
class Diff:
    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    replaced: list[dict[str, Any]] = field(default_factory=list)
    unclassified: list[str] = field(default_factory=list)
    conflicts: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    gaps: list[dict[str, Any]] = field(default_factory=list)


def diff(before: Stack, after: Stack) -> Diff:
    before, after = with_awsx_children(before), with_awsx_children(after)
    old_urns, new_urns = Urns(before), Urns(after)
    old = {old_urns.of(r): r for r in before.resources}
    successor: dict[str, dict[str, Any]] = {}
    result = Diff()
    for resource in after.resources:
        kept = sorted(new_urns.known_as(resource) & old.keys())
        if kept:
            successor[kept[0]] = resource
        else:
            result.added.append(resource)
    result.removed = [r for urn, r in old.items() if urn not in successor]
    for urn, resource in successor.items():
        if resource.get("remote") or resource["type"].startswith("picus:"):
            continue  # components: what they hold is compared resource by resource
        changes = changed_inputs(old[urn], resource)
        typ = resource["type"]
        result.unclassified += [
            f"{typ}.{k}"
            for k in sorted(changes)
            if k not in IN_PLACE.get(typ, frozenset()) | REPLACES.get(typ, frozenset())
        ]
        if changes & REPLACES.get(typ, frozenset()):
            result.replaced.append(resource)

    # An identity the old graph holds, taken by another resource or by a replacement.
    holders = {i: urn for urn, r in old.items() for i in identities(r)}
    replaced = {id(r) for r in result.replaced}
    for resource in after.resources:
        for identity in identities(resource):
            holder = holders.get(identity)
            if holder is None:
                continue
            if holder not in new_urns.known_as(resource):
                result.conflicts.append((resource, f"{identity} is still {holder}'s"))
            elif id(resource) in replaced:
                if resource.get("delete_before_replace"):
                    result.gaps.append(resource)
                else:
                    result.conflicts.append((resource, f"{identity}: replaced, created first"))
    return result


def topmost(stack: Stack, resources: list[dict[str, Any]]) -> set[str]:
    """The given resources, a component standing for its children."""
    urns = {r["urn"] for r in resources}
    return {short(stack, r) for r in resources if r["parent"] not in urns}


def matches(declared: frozenset[str], actual: set[str]) -> bool:
    return all(any(fnmatch(a, d) for d in declared) for a in actual) and all(
        any(fnmatch(a, d) for a in actual) for d in declared
    )


def graphs(row: Transition) -> tuple[Stack, Stack]:
    before = load(row.stack, row.stack, row.stack, dict(row.before))
    after = load(row.stack, row.stack, row.stack, dict(row.after))
    return before, after


@pytest.fixture(scope="module")
def every_graph() -> None:
    """Builds each distinct graph once, two at a time, before the rows read them."""
    settings = {
        (r.stack, tuple(sorted(s.items()))) for r in TRANSITIONS for s in (r.before, r.after)
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda s: load(s[0], s[0], s[0], dict(s[1])), settings))


@pytest.mark.parametrize("row", TRANSITIONS, ids=[t.change for t in TRANSITIONS])
def test_a_transition_replaces_what_its_row_says_and_no_identity_is_held_twice(
    row: Transition, every_graph: None
) -> None:
    before, after = graphs(row)
    change = diff(before, after)
    assert change.unclassified == [], (
        f"{row.change}: say in IN_PLACE or REPLACES whether AWS updates these in place"
    )
    conflicts = {short(after, r) for r, _ in change.conflicts}
    assert conflicts == set(row.conflicts), (
        f"{row.change}: created while the old resource still holds what AWS keeps unique: "
        f"{[why for _, why in change.conflicts]}"
    )
    gaps = {short(after, r) for r in change.gaps}
    assert gaps == set(row.gap), f"{row.change}: deleted before their successor exists: {gaps}"
    for label, declared, actual in (
        ("added", row.added, topmost(after, change.added)),
        ("removed", row.removed, topmost(before, change.removed)),
        ("replaced", row.replaced, {short(after, r) for r in change.replaced}),
    ):
        assert matches(declared, actual), f"{row.change}: {label} {sorted(actual)}"


@pytest.mark.parametrize("row", TRANSITIONS, ids=[t.change for t in TRANSITIONS])
def test_the_table_keeps_its_urn_and_its_protection(row: Transition, every_graph: None) -> None:
    before, after = graphs(row)
    # Both tables: the items, and the records of the Idempotency-Keys.
    tables_before = sorted(before.all(TABLE), key=lambda r: r["name"])
    tables_after = sorted(after.all(TABLE), key=lambda r: r["name"])
    assert len(tables_before) == len(tables_after) == 2, row.change
    for table_before, table_after in zip(tables_before, tables_after, strict=True):
        assert Urns(before).of(table_before) in Urns(after).known_as(table_after), row.change
        assert table_after["protect"] or not table_before["protect"], row.change


def _cell(names: frozenset[str]) -> str:
    return ", ".join(f"`{n}`" for n in sorted(names)) or "none"


def render() -> str:
    lines = [
        "| change | stack | adds | removes | replaces | traffic interrupted? | gap |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in TRANSITIONS:
        traffic = f"{row.traffic} {row.note}".strip()
        gap = _cell(row.gap) if row.gap else ("not in place" if row.conflicts else "none")
        lines.append(
            f"| {row.change} | {row.stack} | {_cell(row.added)} | {_cell(row.removed)} | "
            f"{_cell(row.replaced)} | {traffic} | {gap} |"
        )
    return "\n".join(lines)


def test_the_readme_table_is_the_rows() -> None:
    readme = RELEASES.read_text()
    start, end = "<!-- transitions:start -->\n", "\n<!-- transitions:end -->"
    assert start in readme and end in readme
    table = readme.split(start, 1)[1].split(end, 1)[0]
    assert table == render(), (
        "regenerate with .venv/bin/python -m tests.components.test_transitions"
    )


if __name__ == "__main__":
    print(render())
