"""The embedded DynamoDB: its own process, the tables created as the stack creates them,
stopped cleanly."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import anyio
import boto3
import pytest

from local.embedded import EmbeddedDynamoDB, ensure_idempotency_table, ensure_table
from picus.contract import IDEMPOTENCY_EXPIRES_AT, IDEMPOTENCY_PARTITION_KEY, PARTITION_KEY
from tests.backends import REGION


@pytest.fixture(autouse=True)
def local_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")


def test_once_ready_it_serves_the_tables_it_created() -> None:
    embedded = EmbeddedDynamoDB(
        table=("embedded_probe", "eu-west-1"), idempotency_table="embedded_records"
    )
    try:
        # The endpoint is known before the server is up; endpoint() waits for the tables.
        assert embedded.url.startswith("http://127.0.0.1:")
        assert anyio.run(embedded.until_ready)
        endpoint = embedded.endpoint()
        client = boto3.client("dynamodb", region_name="eu-west-1", endpoint_url=endpoint)
        table = client.describe_table(TableName="embedded_probe")["Table"]
        assert table["TableStatus"] == "ACTIVE"
        assert table["KeySchema"] == [{"AttributeName": PARTITION_KEY, "KeyType": "HASH"}]
        records = client.describe_table(TableName="embedded_records")["Table"]
        assert records["TableStatus"] == "ACTIVE"
        assert records["KeySchema"] == [
            {"AttributeName": IDEMPOTENCY_PARTITION_KEY, "KeyType": "HASH"}
        ]
        ttl = client.describe_time_to_live(TableName="embedded_records")
        assert ttl["TimeToLiveDescription"]["AttributeName"] == IDEMPOTENCY_EXPIRES_AT
    finally:
        embedded.stop()


def test_the_idempotency_table_is_created_as_the_stack_creates_it(ddb_endpoint: str) -> None:
    # On the backend under test (moto, DynamoDB Local): its key, TTL on its attribute, and a
    # second call leaves it as it is.
    name = f"records_{uuid.uuid4().hex[:12]}"
    assert ensure_idempotency_table(name, region=REGION, endpoint_url=ddb_endpoint)
    assert not ensure_idempotency_table(name, region=REGION, endpoint_url=ddb_endpoint)
    client = boto3.client("dynamodb", region_name=REGION, endpoint_url=ddb_endpoint)
    table = client.describe_table(TableName=name)["Table"]
    assert table["KeySchema"] == [{"AttributeName": IDEMPOTENCY_PARTITION_KEY, "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [
        {"AttributeName": IDEMPOTENCY_PARTITION_KEY, "AttributeType": "S"}
    ]
    ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) in {
        ("ENABLED", IDEMPOTENCY_EXPIRES_AT),
        ("ENABLING", IDEMPOTENCY_EXPIRES_AT),
    }
    # The data table keeps items until they are deleted.
    items = f"items_{uuid.uuid4().hex[:12]}"
    assert ensure_table(items, region=REGION, endpoint_url=ddb_endpoint)
    ttl = client.describe_time_to_live(TableName=items)["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] == "DISABLED"


def test_stopped_before_it_is_ready_it_reports_a_failure_not_a_hang() -> None:
    embedded = EmbeddedDynamoDB(table=("embedded_probe", "eu-west-1"))
    embedded.stop()
    assert embedded.ready.wait(10)
    assert not anyio.run(embedded.until_ready)
    with pytest.raises(RuntimeError, match="did not start"):
        embedded.endpoint()


def test_of_concurrent_conditional_writers_of_one_item_exactly_one_wins(ddb_endpoint: str) -> None:
    # DynamoDB applies a write, and a transaction, atomically; the backend the local stack and
    # the suite run on must too, or the API's own exactly-once tests measure the emulator.
    name = f"race_{uuid.uuid4().hex[:12]}"
    ensure_table(name, region=REGION, endpoint_url=ddb_endpoint)
    client = boto3.client("dynamodb", region_name=REGION, endpoint_url=ddb_endpoint)

    def put(key: str) -> bool:
        try:
            client.put_item(
                TableName=name,
                Item={PARTITION_KEY: {"S": key}, "filler": {"S": "x" * 2000}},
                ConditionExpression="attribute_not_exists(#k)",
                ExpressionAttributeNames={"#k": PARTITION_KEY},
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def transact(key: str) -> bool:
        try:
            client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": name,
                            "Item": {PARTITION_KEY: {"S": key}},
                            "ConditionExpression": "attribute_not_exists(#k)",
                            "ExpressionAttributeNames": {"#k": PARTITION_KEY},
                        }
                    }
                ]
            )
        except client.exceptions.TransactionCanceledException:
            return False
        return True

    writers = 8
    with ThreadPoolExecutor(writers) as pool:
        for write in (put, transact):
            for _ in range(40):
                key = str(uuid.uuid4())
                assert sum(pool.map(write, [key] * writers)) == 1, write.__name__
