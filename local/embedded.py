"""The embedded DynamoDB (moto's server, in a thread) and the table the API expects."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import boto3
from botocore.exceptions import ClientError

from picus.contract import PARTITION_KEY


@contextlib.contextmanager
def embedded_dynamodb() -> Iterator[str]:
    """Run moto's DynamoDB on a free loopback port; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def ensure_table(table_name: str, *, region: str, endpoint_url: str | None) -> bool:
    """Create the table as the infrastructure does, unless it exists; True if created."""
    client = boto3.client("dynamodb", region_name=region, endpoint_url=endpoint_url)
    try:
        client.create_table(
            TableName=table_name,
            AttributeDefinitions=[{"AttributeName": PARTITION_KEY, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": PARTITION_KEY, "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceInUseException":
            raise
        return False
    client.get_waiter("table_exists").wait(
        TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    return True
