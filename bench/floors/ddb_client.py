"""One process, one shared aioboto3 client, the service's DynamoDB calls as fast as it can:
the client CPU one call costs. Prints CPU milliseconds per call.

    python -m bench.floors.ddb_client {get,put} CALLS KEYS_FILE [--tuned]

By default a stock aioboto3 client; ``--tuned`` uses the service's own client (no parameter
validation, items left in wire JSON), to show what is left of the service's own overhead.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from typing import Any

import aioboto3

from picus.contract import CREATED_AT, PARTITION_KEY, PAYLOAD, TABLE_NAME
from service.dynamodb import dynamodb_client
from service.settings import Settings

CONCURRENCY = 64


def stock_client(settings: Settings) -> Any:
    return aioboto3.Session().client("dynamodb", endpoint_url=settings.endpoint_url)


async def main(operation: str, calls: int, keys: list[str], tuned: bool) -> float:
    settings = Settings.from_env()
    async with (dynamodb_client if tuned else stock_client)(settings) as client:
        table = os.environ.get("PICUS_TABLE_NAME", TABLE_NAME)

        async def one(i: int) -> None:
            if operation == "get":
                await client.get_item(
                    TableName=table,
                    Key={PARTITION_KEY: {"S": keys[i % len(keys)]}},
                    ConsistentRead=True,
                )
            else:
                await client.put_item(
                    TableName=table,
                    Item={
                        PARTITION_KEY: {"S": str(uuid.uuid4())},
                        CREATED_AT: {"S": "2026-01-01T00:00:00.000Z"},
                        PAYLOAD: {"M": {"name": {"S": "bench"}, "price": {"N": "12.5"}}},
                    },
                    ConditionExpression="attribute_not_exists(#k)",
                    ExpressionAttributeNames={"#k": PARTITION_KEY},
                )

        async def worker(start: int) -> None:
            for i in range(start, calls, CONCURRENCY):
                await one(i)

        await asyncio.gather(*(worker(w) for w in range(CONCURRENCY)))  # warm the pool
        started = time.process_time()
        await asyncio.gather(*(worker(w) for w in range(CONCURRENCY)))
        return (time.process_time() - started) * 1000 / calls


if __name__ == "__main__":
    operation, calls, keys_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(keys_file) as f:
        keys = f.read().split()
    print(f"{asyncio.run(main(operation, calls, keys, '--tuned' in sys.argv)):.4f}")
