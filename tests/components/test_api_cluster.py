from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import botocore.session
from botocore.model import Shape
from botocore.validate import ParamValidator

from components.container import CONTAINER_NAME
from components.fargate import FARGATE_SIZES
from picus.contract import (
    ALB_IDLE_TIMEOUT_SECONDS,
    CONTAINER_PORT,
    HEALTH_PATH,
    SERVICE_KEEP_ALIVE_SECONDS,
)
from tests.backends import ROOT
from tests.components.conftest import Stack
from tests.processes import wait_healthy


def register_task_definition_shape() -> Shape:
    shape = (
        botocore.session.get_session()
        .get_service_model("ecs")
        .operation_model("RegisterTaskDefinition")
        .input_shape
    )
    assert shape is not None
    return shape


def container(stack: Stack) -> dict[str, Any]:
    task = stack.one("aws:ecs/taskDefinition:TaskDefinition")
    (definition,) = json.loads(task["state"]["containerDefinitions"])
    return dict(definition)


def service_target_group(stack: Stack) -> dict[str, Any]:
    return next(
        t for t in stack.all("aws:lb/targetGroup:TargetGroup") if t["state"]["targetType"] == "ip"
    )


def test_the_task_definition_is_valid_for_ecs(stack: Stack) -> None:
    task = stack.one("aws:ecs/taskDefinition:TaskDefinition")["state"]
    request = {
        "family": task["family"],
        "containerDefinitions": json.loads(task["containerDefinitions"]),
        "cpu": task["cpu"],
        "memory": task["memory"],
        "networkMode": task["networkMode"],
        "requiresCompatibilities": task["requiresCompatibilities"],
        "runtimePlatform": task["runtimePlatform"],
        "executionRoleArn": task["executionRoleArn"],
        "taskRoleArn": task["taskRoleArn"],
    }
    shape = register_task_definition_shape()
    report = ParamValidator().validate(request, shape)
    assert not report.has_errors(), f"{stack.variant}: {report.generate_report()}"


def test_botocore_validation_catches_a_bad_container_definition() -> None:
    shape = register_task_definition_shape()
    bad = {"family": "f", "containerDefinitions": [{"name": "x", "portMappings": [{"port": 1}]}]}
    assert ParamValidator().validate(bad, shape).has_errors()


def test_fargate_size_comes_from_config_and_is_legal(stack: Stack) -> None:
    task = stack.one("aws:ecs/taskDefinition:TaskDefinition")["state"]
    config = stack.config
    cpu, memory = int(task["cpu"]), int(task["memory"])
    assert (cpu, memory) == (int(config["picus:cpu"]), int(config["picus:memory"]))
    assert memory in FARGATE_SIZES[cpu]
    assert task["requiresCompatibilities"] == ["FARGATE"]
    assert task["networkMode"] == "awsvpc"


def test_the_container(stack: Stack) -> None:
    definition = container(stack)
    assert definition["name"] == CONTAINER_NAME
    assert definition["portMappings"][0]["containerPort"] == CONTAINER_PORT
    env = {e["name"]: e["value"] for e in definition["environment"]}
    assert env["PICUS_TABLE_NAME"] == stack.one("aws:dynamodb/table:Table")["state"]["name"]
    assert env["PICUS_FORWARDED_ALLOW_IPS"] == stack.one("aws:ec2/vpc:Vpc")["state"]["cidrBlock"]
    log_group = stack.one("aws:cloudwatch/logGroup:LogGroup", "-api-logs")["state"]
    assert definition["logConfiguration"]["options"]["awslogs-group"] == log_group["name"]
    retention = int(stack.config["picus:logRetentionDays"])
    assert log_group["retentionInDays"] == retention
    delay = service_target_group(stack)["state"]["deregistrationDelay"]
    assert definition["stopTimeout"] > delay, "the task must outlive the target's draining"
    assert int(env["PICUS_GRACEFUL_SHUTDOWN"]) < definition["stopTimeout"]
    assert definition["readonlyRootFilesystem"] is True


def test_the_ecs_service_deploys_with_zero_downtime(stack: Stack) -> None:
    service = stack.one("aws:ecs/service:Service")
    state = service["state"]
    config = stack.config
    assert state["launchType"] == "FARGATE"
    assert state["desiredCount"] == int(config["picus:desiredCount"])
    if stack.setting("production") == "true":
        assert state["desiredCount"] >= 2
    assert state["deploymentMinimumHealthyPercent"] == 100
    assert state["deploymentMaximumPercent"] == 200
    assert state["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert state["healthCheckGracePeriodSeconds"] > 0
    assert state["waitForSteadyState"] is True
    network = state["networkConfiguration"]
    assert network["assignPublicIp"] is False
    private = {s["id"] for s in stack.all("aws:ec2/subnet:Subnet") if "-private-" in s["name"]}
    assert set(network["subnets"]) == private, f"{stack.variant}: tasks not in private subnets"
    (balancer,) = state["loadBalancers"]
    assert balancer["containerPort"] == CONTAINER_PORT
    assert balancer["targetGroupArn"] == service_target_group(stack)["state"]["arn"]


def test_the_cluster_has_container_insights(stack: Stack) -> None:
    cluster = stack.one("aws:ecs/cluster:Cluster")["state"]
    assert {"name": "containerInsights", "value": "enabled"} in cluster["settings"]


def test_autoscaling_between_the_configured_bounds(stack: Stack) -> None:
    config = stack.config
    target = stack.one("aws:appautoscaling/target:Target")["state"]
    assert target["minCapacity"] == int(config["picus:minCount"])
    assert target["maxCapacity"] == int(config["picus:maxCount"])
    assert target["scalableDimension"] == "ecs:service:DesiredCount"
    metrics = {
        p["state"]["targetTrackingScalingPolicyConfiguration"]["predefinedMetricSpecification"][
            "predefinedMetricType"
        ]
        for p in stack.all("aws:appautoscaling/policy:Policy")
    }
    assert metrics == {"ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget"}


def test_the_load_balancer(stack: Stack) -> None:
    alb = stack.one("aws:lb/loadBalancer:LoadBalancer")
    state = alb["state"]
    assert state["internal"] is False
    assert state["dropInvalidHeaderFields"] is True
    assert state["idleTimeout"] == ALB_IDLE_TIMEOUT_SECONDS < SERVICE_KEEP_ALIVE_SECONDS
    public = {s["id"] for s in stack.all("aws:ec2/subnet:Subnet") if "-public-" in s["name"]}
    assert set(state["subnets"]) == public


def test_the_target_group_checks_what_the_service_serves(stack: Stack) -> None:
    state = service_target_group(stack)["state"]
    assert state["port"] == CONTAINER_PORT
    assert state["healthCheck"]["path"] == HEALTH_PATH
    assert 5 <= state["deregistrationDelay"] <= 30


def test_listeners(stack: Stack) -> None:
    listeners = {
        r["name"].rsplit("-", 1)[-1]: r["state"] for r in stack.all("aws:lb/listener:Listener")
    }
    if stack.setting("certificateArn"):
        assert set(listeners) == {"https", "redirect"}
        https = listeners["https"]
        assert (https["port"], https["protocol"]) == (443, "HTTPS")
        assert https["certificateArn"] == stack.setting("certificateArn")
        assert "TLS13" in https["sslPolicy"]
        (redirect,) = listeners["redirect"]["defaultActions"]
        assert redirect["redirect"]["statusCode"] == "HTTP_301"
        assert redirect["redirect"]["protocol"] == "HTTPS"
    else:
        assert set(listeners) == {"http"}
        assert (listeners["http"]["port"], listeners["http"]["protocol"]) == (80, "HTTP")


def test_security_groups_let_only_the_alb_reach_the_tasks(stack: Stack) -> None:
    alb_sg = stack.one("aws:ec2/securityGroup:SecurityGroup", "-alb-sg")["id"]
    task_sg = stack.one("aws:ec2/securityGroup:SecurityGroup", "-task-sg")["id"]
    ports = {80, 443} if stack.setting("certificateArn") else {80}
    opened = set()
    for rule in stack.all("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        state = rule["state"]
        if state["securityGroupId"] == alb_sg:
            assert state["fromPort"] == state["toPort"] and state["fromPort"] in ports
            # The ALB is IPv4 only: an IPv6 rule would admit nothing and mislead a reader.
            assert state["cidrIpv4"] == "0.0.0.0/0" and "cidrIpv6" not in state, rule["name"]
            opened.add(state["fromPort"])
        else:
            assert state["securityGroupId"] == task_sg
            assert state["fromPort"] == state["toPort"] == CONTAINER_PORT
            assert state["referencedSecurityGroupId"] == alb_sg, rule["name"]
            assert "cidrIpv4" not in state and "cidrIpv6" not in state
    assert opened == ports
    alb = stack.one("aws:lb/loadBalancer:LoadBalancer")["state"]
    assert alb["ipAddressType"] == "ipv4"


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
    env.pop("PICUS_PORT", None)
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
    associations = stack.all("aws:wafv2/webAclAssociation:WebAclAssociation")
    if not stack.setting("wafWebAclArn"):
        assert associations == []
        return
    (association,) = associations
    alb = stack.one("aws:lb/loadBalancer:LoadBalancer")["state"]
    assert association["state"]["resourceArn"] == alb["arn"]
    assert association["state"]["webAclArn"] == stack.setting("wafWebAclArn")
