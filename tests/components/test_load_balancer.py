"""The load balancer: listeners, the service's target group, the domain and the WAF hook."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from botocore.model import ListShape, StructureShape

from components.load_balancer import elb_options, stack_scope
from components.naming import (
    ELB_NAME_LIMIT,
    LOAD_BALANCER_REPLACED_BY,
    MAX_NAME,
    TARGET_GROUP_REPLACED_BY,
    elb_name,
    explicit_elb_name,
    stack_prefix,
)
from devkit import ROOT
from devkit.processes import wait_healthy
from picus.alb import FIXED_RESPONSE_MAX_BYTES, NO_ROUTE_BODY, NO_ROUTE_STATUS
from picus.contract import (
    ALB_IDLE_TIMEOUT_SECONDS,
    CONTAINER_PORT,
    HEALTH_PATH,
    SERVICE_KEEP_ALIVE_SECONDS,
)
from tests.components.conftest import Stack, harness, input_shape, service_target_group
from tests.components.harness import PROJECT, autoname
from tests.components.test_lifecycle import ELB_NAME
from tests.components.test_naming import ELB_CHILDREN


def test_the_load_balancer(stack: Stack) -> None:
    alb = stack.one("aws:lb/loadBalancer:LoadBalancer")
    state = alb["state"]
    assert state["internal"] is False
    assert state["dropInvalidHeaderFields"] is True
    assert state["idleTimeout"] == ALB_IDLE_TIMEOUT_SECONDS < SERVICE_KEEP_ALIVE_SECONDS
    assert state["subnets"] == stack.one("awsx:ec2:Vpc")["state"]["publicSubnetIds"]


def test_the_target_group_checks_what_the_service_serves(stack: Stack) -> None:
    state = service_target_group(stack)["state"]
    assert state["port"] == CONTAINER_PORT
    assert state["healthCheck"]["path"] == HEALTH_PATH
    assert 5 <= state["deregistrationDelay"] <= 30


def test_listeners(stack: Stack) -> None:
    listeners = {
        r["name"].rsplit("-", 1)[-1]: r["state"] for r in stack.all("aws:lb/listener:Listener")
    }
    # Port 80 is the same resource (the same logical name) whether it serves or redirects.
    assert (listeners["http"]["port"], listeners["http"]["protocol"]) == (80, "HTTP")
    if stack.setting("certificateArn"):
        assert set(listeners) == {"https", "http"}
        https = listeners["https"]
        assert (https["port"], https["protocol"]) == (443, "HTTPS")
        assert https["certificateArn"] == stack.setting("certificateArn")
        assert "TLS13" in https["sslPolicy"]
        (redirect,) = listeners["http"]["defaultActions"]
        assert redirect["redirect"]["statusCode"] == "HTTP_301"
        assert redirect["redirect"]["protocol"] == "HTTPS"
    else:
        assert set(listeners) == {"http"}


def test_a_path_no_rule_names_reaches_no_target(stack: Stack) -> None:
    # Deny by default, whether or not auth is on and however the ALB reads an escaped path:
    # the serving listener's default action answers the contract's 404 itself.
    actions = input_shape("elbv2", "CreateListener").members["DefaultActions"]
    assert isinstance(actions, ListShape) and isinstance(actions.member, StructureShape)
    fixed_shape = actions.member.members["FixedResponseConfig"]
    assert isinstance(fixed_shape, StructureShape)
    for listener in stack.all("aws:lb/listener:Listener"):
        (action,) = listener["state"]["defaultActions"]
        if action["type"] == "redirect":
            continue
        assert action["type"] == "fixed-response", listener["name"]
        fixed = action["fixedResponse"]
        assert fixed["statusCode"] == str(NO_ROUTE_STATUS)
        assert fixed["messageBody"].encode() == NO_ROUTE_BODY
        assert len(NO_ROUTE_BODY) <= FIXED_RESPONSE_MAX_BYTES
        assert len(fixed["messageBody"]) <= fixed_shape.members["MessageBody"].metadata["max"]
        assert re.fullmatch(fixed_shape.members["StatusCode"].metadata["pattern"], "404")
        # The model lists the content types only in its documentation: "Valid Values: a | b".
        documented = fixed_shape.members["ContentType"].documentation
        valid = re.search(r"Valid Values: ([^<]+)", documented)
        assert valid is not None
        assert fixed["contentType"] in {v.strip() for v in valid.group(1).split("|")}


def test_the_load_balancer_reaches_only_the_tasks_and_with_auth_the_issuer(
    stack: Stack,
) -> None:
    alb_group = stack.one("aws:ec2/securityGroup:SecurityGroup", "-alb-sg")["id"]
    egress = [
        r["state"]
        for r in stack.all("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
        if r["state"]["securityGroupId"] == alb_group
    ]
    task_group = stack.one("aws:ec2/securityGroup:SecurityGroup", "-task-sg")["id"]
    to_tasks = [e for e in egress if e.get("referencedSecurityGroupId") == task_group]
    assert [(e["fromPort"], e["toPort"]) for e in to_tasks] == [(CONTAINER_PORT, CONTAINER_PORT)]
    to_internet = [e for e in egress if e not in to_tasks]
    if stack.setting("authIssuer"):
        # The jwt-validation action fetches the issuer's JWKS over HTTPS, from the ALB's nodes.
        assert [
            (e["ipProtocol"], e["fromPort"], e["toPort"], e["cidrIpv4"]) for e in to_internet
        ] == [("tcp", 443, 443, "0.0.0.0/0")]
    else:
        assert to_internet == []


def test_the_custom_domain(stack: Stack) -> None:
    records = stack.all("aws:route53/record:Record")
    domain = stack.setting("domainName")
    scheme = "https" if stack.setting("certificateArn") else "http"
    if not domain:
        assert records == []
        assert stack.exports["apiUrl"] == f"http://{stack.exports['albDnsName']}"
        return
    assert stack.exports["apiUrl"] == f"{scheme}://{domain}"
    if not stack.setting("hostedZoneId"):
        assert records == [], "without a hosted zone the deployer's own DNS holds the record"
        return
    (record,) = records
    alb = stack.one("aws:lb/loadBalancer:LoadBalancer")["state"]
    assert record["state"]["zoneId"] == stack.setting("hostedZoneId")
    assert record["state"]["name"] == domain
    assert record["state"]["aliases"][0]["name"] == alb["dnsName"]


def test_the_health_check_and_port_are_what_the_service_serves(stack: Stack) -> None:
    # The container's own command, on the port and path the target group will use.
    target = service_target_group(stack)["state"]
    host = "127.0.0.3"
    env = {**os.environ, "PICUS_HOST": host, "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:9"}
    env.pop("PICUS_PORT", None)  # the container sets none: the default must be the target's
    process = subprocess.Popen(
        [sys.executable, "-m", "service"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://{host}:{int(target['port'])}{target['healthCheck']['path']}"
        response = wait_healthy(process, url)
        assert response.status_code == int(target["healthCheck"]["matcher"])
    finally:
        process.terminate()
        process.wait(10)


def test_the_waf_hook(stack: Stack) -> None:
    # A web ACL given by ARN, else the stack's own firewall, else none.
    associations = stack.all("aws:wafv2/webAclAssociation:WebAclAssociation")
    own = [acl["state"]["arn"] for acl in stack.all("aws:wafv2/webAcl:WebAcl")]
    expected = [stack.setting("wafWebAclArn")] if stack.setting("wafWebAclArn") else own
    assert [a["state"]["webAclArn"] for a in associations] == expected
    alb = stack.one("aws:lb/loadBalancer:LoadBalancer")["state"]
    assert all(a["state"]["resourceArn"] == alb["arn"] for a in associations)


def test_the_service_is_created_only_once_a_listener_forwards_to_its_target_group(
    stack: Stack,
) -> None:
    # ECS refuses a service whose target group no load balancer uses yet: the primary's and
    # the canary's alike.
    for suffix, group in (
        ("-api-service", service_target_group(stack)),
        ("-api-canary", stack.one("aws:lb/targetGroup:TargetGroup", "-canary-tg")),
    ):
        service = stack.one("aws:ecs/service:Service", suffix)
        forwarding = [
            r["urn"]
            for r in stack.all("aws:lb/listenerRule:ListenerRule")
            for a in r["state"]["actions"]
            if group["state"]["arn"]
            in {
                a.get("targetGroupArn"),
                *(g["arn"] for g in a.get("forward", {}).get("targetGroups", [])),
            }
        ]
        assert forwarding, suffix
        assert set(forwarding) <= set(service["dependencies"]), suffix


#: The inputs of each ELB resource type whose change replaces it (components/naming.py).
REPLACED_BY = {
    "aws:lb/loadBalancer:LoadBalancer": LOAD_BALANCER_REPLACED_BY,
    "aws:lb/targetGroup:TargetGroup": TARGET_GROUP_REPLACED_BY,
}
#: Stack names past the 8 characters every stack had before explicit names. (A stack variant
#: with a MAX_NAME-character name in tests/components/conftest.py would cover every test.)
LONG_STACKS = ("alice-dev", "payments-staging-eu", "a" * MAX_NAME)


def _input(state: dict[str, Any], key: str) -> Any:
    """An input as the program gave it: JSON numbers come back from the mocks as floats."""
    head, *rest = key.split("_")
    value = state.get(head + "".join(part.title() for part in rest))
    return int(value) if isinstance(value, float) and value.is_integer() else value


def expected_name(resource: dict[str, Any]) -> str:
    """The name the resource must bear: pulumi-aws's auto-name where it fits (the mocks give
    one only where the program passes no name), else the explicit name made from the inputs
    the resource was given that replace it."""
    state = resource["state"]
    inputs = {key: _input(state, key) for key in REPLACED_BY[resource["type"]]}
    stack = resource["urn"].split("::")[0].removeprefix("urn:pulumi:")
    scope = f"{PROJECT}/{stack}"
    return elb_name(resource["name"], inputs, scope) or autoname(resource["name"])


def elb_resources(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in resources if r["type"] in REPLACED_BY]


def test_load_balancer_and_target_group_names(stack: Stack) -> None:
    # Every stack name accepted before explicit names existed keeps its auto-names: the
    # program passes no name, so nothing is renamed, so nothing is replaced.
    resources = elb_resources(stack.resources)
    prefix = stack_prefix(stack.stack) + "-"
    assert sorted(r["name"].removeprefix(prefix) for r in resources) == sorted(ELB_CHILDREN)
    for resource in resources:
        assert resource["state"]["name"] == expected_name(resource), resource["name"]


@pytest.fixture(scope="module")
def long_named() -> dict[str, list[dict[str, Any]]]:
    """Each of LONG_STACKS with dev's settings, as the program builds it under the mocks."""

    def run(stack: str) -> list[dict[str, Any]]:
        result = harness(stack, "dev", {})
        assert result.returncode == 0, f"{stack}: the program failed\n{result.stderr}"
        resources: list[dict[str, Any]] = json.loads(result.stdout)["resources"]
        return resources

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(LONG_STACKS, pool.map(run, LONG_STACKS), strict=True))


@pytest.mark.parametrize("name", LONG_STACKS)
def test_a_long_stack_names_its_load_balancer_and_target_groups_within_awss_rule(
    long_named: dict[str, list[dict[str, Any]]], name: str
) -> None:
    resources = elb_resources(long_named[name])
    prefix = stack_prefix(name) + "-"
    assert sorted(r["name"].removeprefix(prefix) for r in resources) == sorted(ELB_CHILDREN)
    for resource in resources:
        physical = resource["state"]["name"]
        assert physical == expected_name(resource), resource["name"]
        assert len(physical) <= ELB_NAME_LIMIT, physical
        assert re.fullmatch(ELB_NAME, physical), physical
    assert len({r["state"]["name"] for r in resources}) == len(resources)


def test_long_and_deployed_stacks_share_no_load_balancer_or_target_group_name(
    long_named: dict[str, list[dict[str, Any]]], stacks: dict[str, Stack]
) -> None:
    graphs = [*long_named.values(), *(stack.resources for stack in stacks.values())]
    # Variants of one stack name share their names, as they would share the stack.
    names = {
        (r["type"], r["state"]["name"], r["name"]) for graph in graphs for r in elb_resources(graph)
    }
    physical = [(typ, name) for typ, name, _ in names]
    assert len(set(physical)) == len(physical)


def test_an_explicitly_named_resource_is_created_before_its_predecessor_is_deleted() -> None:
    # pulumi-aws would delete a resource it did not name before creating its replacement; the
    # replacement bears a name of its own, so the program asks for create-before-delete.
    logical = stack_prefix("a" * MAX_NAME) + "-delete-tg"
    args = aws.lb.TargetGroupArgs(target_type="lambda")

    async def named() -> tuple[pulumi.ResourceOptions, str | None]:
        # Outputs live on an event loop: this test's own, whatever earlier tests left behind.
        opts = elb_options(logical, args, pulumi.ResourceOptions())
        return opts, await pulumi.Output.from_input(args.name).future()

    opts, name = asyncio.run(named())
    assert opts.delete_before_replace is False
    assert name == explicit_elb_name(logical, {"target_type": "lambda"}, stack_scope())


def test_an_auto_named_resource_gets_no_name_and_its_options_as_they_were() -> None:
    child = pulumi.ResourceOptions()
    args = aws.lb.TargetGroupArgs(target_type="lambda")
    assert elb_options(stack_prefix("dev") + "-delete-tg", args, child) is child
    assert args.name is None


def test_the_hashed_inputs_are_inputs_of_the_resources() -> None:
    # elb_options reads each from the resource's args.
    for args, keys in (
        (aws.lb.LoadBalancerArgs, LOAD_BALANCER_REPLACED_BY),
        (aws.lb.TargetGroupArgs, TARGET_GROUP_REPLACED_BY),
    ):
        assert all(isinstance(getattr(args, key, None), property) for key in keys), args
