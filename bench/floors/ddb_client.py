"""One process, one shared aioboto3 client, the service's DynamoDB calls as fast as it can:
the client CPU one call costs. Prints CPU milliseconds per call.

    python -m bench.floors.ddb_client {get,put} CALLS KEYS_FILE
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid

import aioboto3

from picus.contract import PARTITION_KEY, TABLE_NAME
from service.app import client_config
from service.settings import Settings

CONCURRENCY = 64


async def main(operation: str, calls: int, keys: list[str]) -> float:
    settings = Settings.from_env()
    session = aioboto3.Session()
    async with session.client(
        "dynamodb", endpoint_url=settings.endpoint_url, config=client_config(settings)
    ) as client:
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
                        "created_at": {"S": "2026-01-01T00:00:00.000Z"},
                        "payload": {"M": {"name": {"S": "bench"}, "price": {"N": "12.5"}}},
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
    print(f"{asyncio.run(main(operation, calls, keys)):.4f}")
