"""IAM policy documents, as plain functions of ARNs so tests can check them directly.

Each grants exactly what its code calls, on exactly its resources.
"""

from __future__ import annotations

import json
from typing import Any

from picus.regions import Consistency

ASSUME_ECS_TASKS = "ecs-tasks.amazonaws.com"
ASSUME_LAMBDA = "lambda.amazonaws.com"

#: What the service's code calls on the data table (service/store.py, and a keyed put's
#: service/transactional_put.py or service/keyed_put.py): put, get, replace (a conditional
#: UpdateItem) and list.
SERVICE_TABLE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
)
#: ... and on the idempotency table (service/transactional_put.py): a create with an
#: Idempotency-Key writes the item and the key's record in one TransactWriteItems of two Puts,
#: and a retry reads the record back. TransactWriteItems is no IAM action of its own: each Put
#: is authorised as the PutItem it stands for, on its own table, and only a ConditionCheck
#: would need dynamodb:ConditionCheckItem ("Using IAM with DynamoDB transactions",
#: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
SERVICE_IDEMPOTENCY_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem")
#: ... and there under strong consistency, which refuses transactions (service/keyed_put.py):
#: the record is claimed (PutItem), read back, marked stored or moved to a fresh key (a
#: conditional UpdateItem), and released when DynamoDB refuses its item (DeleteItem).
STRONG_IDEMPOTENCY_ACTIONS = (
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
)
#: What the Lambda's code calls (delete_fn/handler.py).
DELETE_TABLE_ACTIONS = ("dynamodb:DeleteItem",)


def _document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def assume_role_policy(service: str, account_id: str | None = None) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if account_id is not None:
        # Only tasks of this account may assume the role (confused-deputy guard).
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": account_id}}
    return _document(statement)


#: What DynamoDB does with a customer managed key on behalf of a caller that reads and writes.
TABLE_KEY_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")


def table_statements(
    table_arn: str, actions: tuple[str, ...], kms_key_arn: str | None = None
) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = [
        {"Sid": "TableAccess", "Effect": "Allow", "Action": list(actions), "Resource": table_arn}
    ]
    if kms_key_arn is not None:
        region = table_arn.split(":")[3]
        statements.append(
            {
                "Sid": "TableKey",
                "Effect": "Allow",
                "Action": list(TABLE_KEY_ACTIONS),
                "Resource": kms_key_arn,
                # Only through DynamoDB, for this table's region: never the key directly.
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"dynamodb.{region}.amazonaws.com"}
                },
            }
        )
    return statements


def table_policy(table_arn: str, actions: tuple[str, ...], kms_key_arn: str | None = None) -> str:
    return _document(*table_statements(table_arn, actions, kms_key_arn))


def idempotency_actions(consistency: Consistency) -> tuple[str, ...]:
    """What the service calls on the idempotency table when it writes in ``consistency``."""
    if consistency is Consistency.STRONG:
        return STRONG_IDEMPOTENCY_ACTIONS
    return SERVICE_IDEMPOTENCY_ACTIONS


def service_policy(
    table_arn: str, idempotency_table_arn: str, kms_key_arn: str | None, consistency: Consistency
) -> str:
    """The service's task role: the data table, the idempotency records as ``consistency``
    writes them, and the tables' key (one key encrypts both)."""
    table, *key = table_statements(table_arn, SERVICE_TABLE_ACTIONS, kms_key_arn)
    records = {
        "Sid": "IdempotencyRecords",
        "Effect": "Allow",
        "Action": list(idempotency_actions(consistency)),
        "Resource": idempotency_table_arn,
    }
    return _document(table, records, *key)


def log_writing_statement(log_group_arn: str) -> dict[str, Any]:
    # A log group's ARN as the API reports it ends in ":*"; streams live under it.
    group = log_group_arn.removesuffix(":*")
    return {
        "Sid": "WriteOwnLogs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": f"{group}:log-stream:*",
    }


#: What the Lambda runtime sends to X-Ray with active tracing. X-Ray takes no resource-level
#: permissions for these: AWS accepts only "*".
XRAY_ACTIONS = ("xray:PutTelemetryRecords", "xray:PutTraceSegments")


def lambda_policy(
    table_arn: str, log_group_arn: str, kms_key_arn: str | None = None, tracing: bool = False
) -> str:
    tracing_statements = (
        [{"Sid": "SendTraces", "Effect": "Allow", "Action": list(XRAY_ACTIONS), "Resource": "*"}]
        if tracing
        else []
    )
    return _document(
        *table_statements(table_arn, DELETE_TABLE_ACTIONS, kms_key_arn),
        log_writing_statement(log_group_arn),
        *tracing_statements,
    )


def execution_policy(repository_arns: list[str], log_group_arn: str) -> str:
    return _document(
        {
            # ecr:GetAuthorizationToken has no resource-level permissions: AWS accepts only "*".
            "Sid": "RegistryLogin",
            "Effect": "Allow",
            "Action": "ecr:GetAuthorizationToken",
            "Resource": "*",
        },
        {
            "Sid": "PullServiceImage",
            "Effect": "Allow",
            "Action": [
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
            ],
            "Resource": repository_arns[0] if len(repository_arns) == 1 else repository_arns,
        },
        log_writing_statement(log_group_arn),
    )


def repository_arn_from_image(image_uri: str, partition: str = "aws") -> str:
    """The ECR repository ARN of ``account.dkr.ecr.region.amazonaws.com/name@sha256:...``."""
    host, _, path = image_uri.partition("/")
    name = path.split("@", 1)[0].rsplit(":", 1)[0]
    account, _, rest = host.partition(".dkr.ecr.")
    region = rest.split(".", 1)[0]
    if not (account.isdigit() and region and name):
        raise ValueError(f"imageUri must be an ECR image (account.dkr.ecr.region...): {image_uri}")
    return f"arn:{partition}:ecr:{region}:{account}:repository/{name}"
