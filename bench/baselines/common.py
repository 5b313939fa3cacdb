"""What both baselines share, written the way such services usually are: a boto3 *resource*
``Table`` created at import, floats parsed as ``Decimal`` (the resource layer rejects float),
``Decimal`` turned back into numbers by a JSON encoder."""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3

table = boto3.resource("dynamodb", endpoint_url=os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")).Table(
    os.environ.get("PICUS_TABLE_NAME", "picus_data")
)


class DecimalEncoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            return int(o) if o == o.to_integral_value() else float(o)
        return super().default(o)


def dumps(value: Any) -> str:
    return json.dumps(value, cls=DecimalEncoder)


def new_item(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "object_id": str(uuid.uuid4()),
        "created_at": datetime.now(UTC).isoformat(),
        "payload": payload,
    }


def scan_all() -> list[dict[str, Any]]:
    """Every item, in one response: the usual list endpoint."""
    response = table.scan()
    items = response["Items"]
    while "LastEvaluatedKey" in response:
        response = table.scan(ExclusiveStartKey=response["LastEvaluatedKey"])
        items.extend(response["Items"])
    return items
