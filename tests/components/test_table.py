from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.naming import idempotency_table_name, table_name_problems
from components.outputs import IDEMPOTENCY_TABLE_NAME as IDEMPOTENCY_OUTPUT
from components.outputs import TABLE_NAME as TABLE_OUTPUT
from picus.contract import (
    IDEMPOTENCY_EXPIRES_AT,
    IDEMPOTENCY_PARTITION_KEY,
    IDEMPOTENCY_TABLE_NAME,
    PARTITION_KEY,
    TABLE_NAME,
)
from picus.regions import Consistency
from service.settings import Settings
from tests.components.conftest import TABLE, Stack, data_table, idempotency_table, policy_of


def test_the_table(stack: Stack) -> None:
    state = data_table(stack)["state"]
    assert state["hashKey"] == PARTITION_KEY
    assert state["attributes"] == [{"name": PARTITION_KEY, "type": "S"}]
    assert state["billingMode"] == "PAY_PER_REQUEST"
    assert state["pointInTimeRecovery"]["enabled"] is True
    # Items live until a DELETE.
    assert "ttl" not in state


def test_the_idempotency_table_forgets_its_records_by_ttl(stack: Stack) -> None:
    state = idempotency_table(stack)["state"]
    assert state["hashKey"] == IDEMPOTENCY_PARTITION_KEY
    assert state["attributes"] == [{"name": IDEMPOTENCY_PARTITION_KEY, "type": "S"}]
    assert state["billingMode"] == "PAY_PER_REQUEST"
    if stack.setting("consistency") == Consistency.STRONG:
        # "Time to Live (TTL) is not supported for MRSC global tables": an expired record stays
        # and counts for nothing (service/keyed_put.py).
        assert "ttl" not in state
    else:
        assert state["ttl"] == {"attributeName": IDEMPOTENCY_EXPIRES_AT, "enabled": True}
    # A record lost to an accident lets a retried create store a second item.
    assert state["pointInTimeRecovery"]["enabled"] is True


def test_the_stack_has_the_two_tables_and_exports_both_names(stack: Stack) -> None:
    assert len(stack.all(TABLE)) == 2
    assert stack.exports[TABLE_OUTPUT] == data_table(stack)["state"]["name"]
    assert stack.exports[IDEMPOTENCY_OUTPUT] == idempotency_table(stack)["state"]["name"]


def test_the_contracts_table_names_are_the_production_stacks(stack: Stack) -> None:
    name = data_table(stack)["state"]["name"]
    records = idempotency_table(stack)["state"]["name"]
    if stack.setting("production") == "true":
        # Where the service looks without settings: a production task and `serve` agree.
        assert (name, records) == (TABLE_NAME, IDEMPOTENCY_TABLE_NAME)
        assert (Settings().table_name, Settings().idempotency_table_name) == (name, records)
    else:
        assert name == f"{TABLE_NAME}-{stack.stack}"
        assert records == f"{IDEMPOTENCY_TABLE_NAME}-{stack.stack}"


@pytest.mark.parametrize(
    ("table", "records"),
    [
        ("picus_data", "picus_idempotency"),
        ("picus_data-dev", "picus_idempotency-dev"),
        ("orders", "orders-idempotency"),
    ],
)
def test_the_idempotency_table_is_named_after_the_data_table(table: str, records: str) -> None:
    # `serve --aws-table` finds the records of a deployed table from its name alone.
    assert idempotency_table_name(table) == records


def test_encryption_is_the_aws_owned_key_unless_a_key_is_configured(stack: Stack) -> None:
    key = stack.setting("tableKmsKeyArn")
    roles = [
        policy_of(stack.one("aws:iam/rolePolicy:RolePolicy", suffix))
        for suffix in ("-task-policy", "-delete-policy")
    ]
    for table in (data_table(stack), idempotency_table(stack)):
        state = table["state"]
        if not key:
            # No serverSideEncryption block: DynamoDB's default, the AWS owned key.
            assert "serverSideEncryption" not in state, table["name"]
        else:
            assert state["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": key}
    if not key:
        for policy in roles:
            assert not any(s["Sid"] == "TableKey" for s in policy["Statement"])
        return
    for policy in roles:
        (grant,) = [s for s in policy["Statement"] if s["Sid"] == "TableKey"]
        assert grant["Resource"] == key
        assert grant["Condition"]["StringEquals"]["kms:ViaService"] == (
            "dynamodb.eu-west-1.amazonaws.com"
        )


def test_a_protected_table_is_kept_even_when_the_program_lets_it_go(stack: Stack) -> None:
    # protect refuses a delete; retain_on_delete makes one that slips through (protect lifted
    # for a destroy, a rename without an alias) leave the table and its data in the account.
    protect = stack.setting("protect") == "true"
    for table in (data_table(stack), idempotency_table(stack)):
        assert table["protect"] is protect, table["name"]
        assert table["retain_on_delete"] is protect, table["name"]
        assert table["state"]["deletionProtectionEnabled"] is protect, table["name"]


@settings(max_examples=300, deadline=None)
@given(
    names=st.lists(
        st.one_of(
            st.text("ab-_", max_size=12).map(lambda s: TABLE_NAME + s),
            st.text("ab-_", max_size=12).map(lambda s: IDEMPOTENCY_TABLE_NAME + s),
            st.text("ab-_", min_size=1, max_size=12).map(lambda s: s + "-idempotency"),
            st.text("ab-_", min_size=1, max_size=12),
        ),
        min_size=2,
        max_size=6,
        unique=True,
    )
)
def test_stacks_whose_table_names_are_allowed_share_no_table(names: list[str]) -> None:
    # Whatever data table names deployers pick, among those preview lets through: no two
    # stacks' idempotency tables coincide, and none is another stack's data table.
    allowed = [n for n in names if not table_name_problems(n)]
    records = [idempotency_table_name(n) for n in allowed]
    assert len(set(records)) == len(records)
    assert not set(records) & set(allowed)
    # The default names, the contract's name with the stack, are always allowed.
    assert not table_name_problems(f"{TABLE_NAME}-dev-idempotency")
