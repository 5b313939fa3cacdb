"""The load balancer: listeners, the service's target group, the domain and the WAF hook."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from botocore.model import ListShape, StructureShape

from devkit import ROOT
from devkit.processes import wait_healthy
from picus.alb import FIXED_RESPONSE_MAX_BYTES, NO_ROUTE_BODY, NO_ROUTE_STATUS
from picus.contract import (
    ALB_IDLE_TIMEOUT_SECONDS,
    CONTAINER_PORT,
    HEALTH_PATH,
    SERVICE_KEEP_ALIVE_SECONDS,
)
from tests.components.conftest import Stack, input_shape, service_target_group


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
