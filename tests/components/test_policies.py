"""Every IAM policy the program creates: least privilege, and clean under parliament."""

from __future__ import annotations

import json
from typing import Any

import pytest
from parliament import analyze_policy_string

from components.policies import (
    DELETE_TABLE_ACTIONS,
    SERVICE_TABLE_ACTIONS,
    XRAY_ACTIONS,
    idempotency_actions,
    repository_arn_from_image,
    table_policy,
)
from picus.regions import CONSISTENCY_ENV, Consistency
from tests.components.conftest import Stack, data_table, idempotency_table, policy_of

#: Actions AWS authorises only on "*": no resource-level permissions exist for them.
STAR_ONLY_ACTIONS = {"ecr:GetAuthorizationToken", *XRAY_ACTIONS}


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = document["Statement"]
    return found if isinstance(found, list) else [found]


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def test_every_policy_passes_parliament(stack: Stack) -> None:
    for resource in stack.all("aws:iam/rolePolicy:RolePolicy"):
        findings = analyze_policy_string(resource["state"]["policy"]).findings
        assert findings == [], f"{stack.variant}: {resource['name']}: {findings}"


def test_parliament_would_flag_a_broad_policy() -> None:
    broad = table_policy("*", ("dynamodb:*",))
    assert analyze_policy_string(broad).findings


def test_no_wildcard_actions_and_star_resources_only_where_aws_allows_nothing_else(
    stack: Stack,
) -> None:
    for resource in stack.all("aws:iam/rolePolicy:RolePolicy"):
        for statement in statements(policy_of(resource)):
            actions = as_list(statement["Action"])
            assert all("*" not in action for action in actions), resource["name"]
            if statement["Resource"] == "*":
                assert set(actions) <= STAR_ONLY_ACTIONS, f"{resource['name']}: {actions} on *"


def _role_policy(stack: Stack, suffix: str) -> dict[str, Any]:
    return policy_of(stack.one("aws:iam/rolePolicy:RolePolicy", suffix))


def test_the_task_role_reads_and_writes_only_the_tables(stack: Stack) -> None:
    by_sid = {s["Sid"]: s for s in statements(_role_policy(stack, "-task-policy"))}
    key = {"TableKey"} if stack.setting("tableKmsKeyArn") else set()
    assert set(by_sid) == {"TableAccess", "IdempotencyRecords"} | key
    table, records = by_sid["TableAccess"], by_sid["IdempotencyRecords"]
    assert sorted(as_list(table["Action"])) == sorted(SERVICE_TABLE_ACTIONS)
    assert "dynamodb:DeleteItem" not in table["Action"]
    assert table["Resource"] == data_table(stack)["state"]["arn"]
    # What the service does with the records in the mode its task definition names (each
    # call of each mode: tests/components/test_task_role.py).
    task = stack.one("aws:ecs/taskDefinition:TaskDefinition", "-api-task")
    (container,) = json.loads(task["state"]["containerDefinitions"])
    environment = {e["name"]: e["value"] for e in container["environment"]}
    mode = Consistency(environment.get(CONSISTENCY_ENV, Consistency.EVENTUAL.value))
    assert sorted(as_list(records["Action"])) == sorted(idempotency_actions(mode))
    assert records["Resource"] == idempotency_table(stack)["state"]["arn"]


def test_the_lambda_role_has_nothing_on_the_idempotency_table(stack: Stack) -> None:
    records = idempotency_table(stack)["state"]["arn"]
    for statement in statements(_role_policy(stack, "-delete-policy")):
        assert records not in as_list(statement["Resource"]), statement["Sid"]


def test_the_lambda_role_deletes_and_logs_only(stack: Stack) -> None:
    table_arn = data_table(stack)["state"]["arn"]
    log_group = stack.one("aws:cloudwatch/logGroup:LogGroup", "-delete-logs")["state"]
    by_sid = {s["Sid"]: s for s in statements(_role_policy(stack, "-delete-policy"))}
    expected = (
        {"TableAccess", "WriteOwnLogs"}
        | ({"TableKey"} if stack.setting("tableKmsKeyArn") else set())
        | ({"SendTraces"} if stack.setting("tracing") == "true" else set())
    )
    assert set(by_sid) == expected
    table, logs = by_sid["TableAccess"], by_sid["WriteOwnLogs"]
    assert as_list(table["Action"]) == list(DELETE_TABLE_ACTIONS)
    assert table["Resource"] == table_arn
    assert sorted(logs["Action"]) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert logs["Resource"] == log_group["arn"].removesuffix(":*") + ":log-stream:*"


def test_the_execution_role_pulls_the_image_and_writes_logs_only(stack: Stack) -> None:
    log_group = stack.one("aws:cloudwatch/logGroup:LogGroup", "-api-logs")["state"]
    by_sid = {s["Sid"]: s for s in statements(_role_policy(stack, "-execution-policy"))}
    assert set(by_sid) == {"RegistryLogin", "PullServiceImage", "WriteOwnLogs"}
    assert by_sid["WriteOwnLogs"]["Resource"].startswith(log_group["arn"].removesuffix(":*"))
    repository = stack.one("aws:ecr/repository:Repository")["state"]
    pulled = by_sid["PullServiceImage"]["Resource"]
    assert repository["arn"] in ([pulled] if isinstance(pulled, str) else pulled)


def test_roles_are_assumable_only_by_their_service(stack: Stack) -> None:
    expected = {
        "-execution-role": "ecs-tasks.amazonaws.com",
        "-task-role": "ecs-tasks.amazonaws.com",
        "-delete-role": "lambda.amazonaws.com",
    }
    for suffix, principal in expected.items():
        role = stack.one("aws:iam/role:Role", suffix)
        (statement,) = json.loads(role["state"]["assumeRolePolicy"])["Statement"]
        assert statement["Principal"] == {"Service": principal}, role["name"]
        assert statement["Action"] == "sts:AssumeRole"
        assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"


def test_each_role_has_one_inline_policy_and_no_managed_ones(stack: Stack) -> None:
    assert stack.all("aws:iam/rolePolicyAttachment:RolePolicyAttachment") == []
    policies = stack.all("aws:iam/rolePolicy:RolePolicy")
    roles = stack.all("aws:iam/role:Role")
    # The service's execution and task roles (the canary's too), the function's, CodeDeploy's.
    assert len(roles) == len(policies) == 4
    for role in roles:
        assert not role["state"].get("managedPolicyArns"), role["name"]
        (policy,) = [p for p in policies if p["state"]["role"] == role["id"]]
        assert policy["name"] == role["name"].removesuffix("-role") + "-policy"


@pytest.mark.parametrize(
    ("uri", "arn"),
    [
        (
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/picus@sha256:" + "a" * 64,
            "arn:aws:ecr:eu-west-1:123456789012:repository/picus",
        ),
        (
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/api:v1",
            "arn:aws:ecr:us-east-1:123456789012:repository/team/api",
        ),
    ],
)
def test_repository_arn_from_image(uri: str, arn: str) -> None:
    assert repository_arn_from_image(uri) == arn


def test_a_non_ecr_image_is_refused() -> None:
    with pytest.raises(ValueError):
        repository_arn_from_image("docker.io/library/python:3.12")
