"""A DELETE handler in the common style: a boto3 resource Table created at import."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3

table = boto3.resource("dynamodb").Table(os.environ.get("PICUS_TABLE_NAME", "picus_data"))


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    key = event["path"].rsplit("/", 1)[-1]
    response = table.delete_item(Key={"object_id": key}, ReturnValues="ALL_OLD")
    status = 200 if "Attributes" in response else 404
    body = {"deleted": key} if status == 200 else {"error": "not found"}
    return {
        "statusCode": status,
        "statusDescription": f"{status} {'OK' if status == 200 else 'Not Found'}",
        "isBase64Encoded": False,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
    }
