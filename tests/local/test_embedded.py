"""The embedded DynamoDB: its own process, the table created there, stopped cleanly."""

from __future__ import annotations

import anyio
import boto3
import pytest

from local.embedded import EmbeddedDynamoDB
from picus.contract import PARTITION_KEY


@pytest.fixture(autouse=True)
def local_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")


def test_once_ready_it_serves_the_table_it_created() -> None:
    embedded = EmbeddedDynamoDB(table=("embedded_probe", "eu-west-1"))
    try:
        # The endpoint is known before the server is up; endpoint() waits for the table.
        assert embedded.url.startswith("http://127.0.0.1:")
        assert anyio.run(embedded.until_ready)
        endpoint = embedded.endpoint()
        client = boto3.client("dynamodb", region_name="eu-west-1", endpoint_url=endpoint)
        table = client.describe_table(TableName="embedded_probe")["Table"]
        assert table["TableStatus"] == "ACTIVE"
        assert table["KeySchema"] == [{"AttributeName": PARTITION_KEY, "KeyType": "HASH"}]
    finally:
        embedded.stop()


def test_stopped_before_it_is_ready_it_reports_a_failure_not_a_hang() -> None:
    embedded = EmbeddedDynamoDB(table=("embedded_probe", "eu-west-1"))
    embedded.stop()
    assert embedded.ready.wait(10)
    assert not anyio.run(embedded.until_ready)
    with pytest.raises(RuntimeError, match="did not start"):
        embedded.endpoint()
