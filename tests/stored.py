"""What a test finds in a table the whole suite shares: a filtered scan over every page, so an
item is found however many other tests wrote before it."""

from __future__ import annotations

from typing import Any

from picus import contract


def keys_marked(table: Any, table_name: str, field: str, marker: str) -> list[str]:
    """The keys of every stored item whose payload's ``field`` is ``marker``; ``table`` is a
    boto3 DynamoDB client."""
    found: list[str] = []
    pages = table.get_paginator("scan").paginate(
        TableName=table_name,
        FilterExpression="#p.#m = :m",
        ExpressionAttributeNames={"#p": contract.PAYLOAD, "#m": field},
        ExpressionAttributeValues={":m": {"S": marker}},
        ConsistentRead=True,
    )
    for page in pages:
        found += [item[contract.PARTITION_KEY]["S"] for item in page["Items"]]
    return found
