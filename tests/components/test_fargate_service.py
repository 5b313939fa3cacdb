from __future__ import annotations

import json
from typing import Any

from botocore.model import Shape
from botocore.validate import ParamValidator

from components.container import CONTAINER_NAME
from components.fargate import FARGATE_SIZES
from picus.contract import (
    CONTAINER_PORT,
)
from tests.components.conftest import (
    Stack,
    data_table,
    idempotency_table,
    input_shape,
    service_target_group,
)


def register_task_definition_shape() -> Shape:
    return input_shape("ecs", "RegisterTaskDefinition")


def container(stack: Stack) -> dict[str, Any]:
    task = stack.one("aws:ecs/taskDefinition:TaskDefinition", "-api-task")
    (definition,) = json.loads(task["state"]["containerDefinitions"])
    return dict(definition)


def test_the_task_definition_is_valid_for_ecs(stack: Stack) -> None:
    task = stack.one("aws:ecs/taskDefinition:TaskDefinition", "-api-task")["state"]
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
    task = stack.one("aws:ecs/taskDefinition:TaskDefinition", "-api-task")["state"]
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
    assert env["PICUS_TABLE_NAME"] == data_table(stack)["state"]["name"]
    assert env["PICUS_IDEMPOTENCY_TABLE_NAME"] == idempotency_table(stack)["state"]["name"]
    assert env["PICUS_FORWARDED_ALLOW_IPS"] == stack.one("awsx:ec2:Vpc")["inputs"]["cidrBlock"]
    log_group = stack.one("aws:cloudwatch/logGroup:LogGroup", "-api-logs")["state"]
    assert definition["logConfiguration"]["options"]["awslogs-group"] == log_group["name"]
    retention = int(stack.config["picus:logRetentionDays"])
    assert log_group["retentionInDays"] == retention
    delay = service_target_group(stack)["state"]["deregistrationDelay"]
    assert definition["stopTimeout"] > delay, "the task must outlive the target's draining"
    assert int(env["PICUS_GRACEFUL_SHUTDOWN"]) < definition["stopTimeout"]
    assert definition["readonlyRootFilesystem"] is True


def test_the_ecs_service_deploys_with_zero_downtime(stack: Stack) -> None:
    service = stack.one("aws:ecs/service:Service", "-api-service")
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
    (balancer,) = state["loadBalancers"]
    assert balancer["containerPort"] == CONTAINER_PORT
    assert balancer["targetGroupArn"] == service_target_group(stack)["state"]["arn"]


def test_the_cluster_has_container_insights(stack: Stack) -> None:
    cluster = stack.one("aws:ecs/cluster:Cluster")["state"]
    assert {"name": "containerInsights", "value": "enabled"} in cluster["settings"]


def test_autoscaling_between_the_configured_bounds(stack: Stack) -> None:
    config = stack.config
    target = stack.one("aws:appautoscaling/target:Target", "-api-scaling")["state"]
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
