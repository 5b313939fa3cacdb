"""The floor for any Python DELETE function: one boto3 client created at import, one
DeleteItem per invocation, nothing else (no checks, no logging, no error mapping)."""

from __future__ import annotations

import os
from typing import Any

import boto3

client = boto3.client("dynamodb")
TABLE = os.environ.get("PICUS_TABLE_NAME", "picus_data")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    key = event["path"].rsplit("/", 1)[-1]
    client.delete_item(TableName=TABLE, Key={"object_id": {"S": key}})
    return {"statusCode": 204, "isBase64Encoded": False, "headers": {}, "body": ""}
