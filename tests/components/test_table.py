from __future__ import annotations

from picus.contract import PARTITION_KEY, TABLE_NAME
from tests.components.conftest import Stack


def test_the_table(stack: Stack) -> None:
    table = stack.one("aws:dynamodb/table:Table")
    state = table["state"]
    assert state["name"] == TABLE_NAME
    assert state["hashKey"] == PARTITION_KEY
    assert state["attributes"] == [{"name": PARTITION_KEY, "type": "S"}]
    assert state["billingMode"] == "PAY_PER_REQUEST"
    assert state["pointInTimeRecovery"]["enabled"] is True
    assert state["serverSideEncryption"]["enabled"] is True


def test_prod_protects_the_table(stack: Stack) -> None:
    table = stack.one("aws:dynamodb/table:Table")
    protected = stack.stack == "prod"
    assert table["state"]["deletionProtectionEnabled"] is protected, stack.variant
    assert table["protect"] is protected, stack.variant
