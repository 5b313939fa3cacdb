from __future__ import annotations

from picus.contract import PARTITION_KEY, TABLE_NAME
from tests.components.conftest import Stack, policy_of


def test_the_table(stack: Stack) -> None:
    state = stack.one("aws:dynamodb/table:Table")["state"]
    assert state["hashKey"] == PARTITION_KEY
    assert state["attributes"] == [{"name": PARTITION_KEY, "type": "S"}]
    assert state["billingMode"] == "PAY_PER_REQUEST"
    assert state["pointInTimeRecovery"]["enabled"] is True


def test_the_contracts_table_name_is_the_production_stacks(stack: Stack) -> None:
    name = stack.one("aws:dynamodb/table:Table")["state"]["name"]
    if stack.setting("production") == "true":
        assert name == TABLE_NAME
    else:
        assert name == f"{TABLE_NAME}-{stack.stack}"


def test_encryption_is_the_aws_owned_key_unless_a_key_is_configured(stack: Stack) -> None:
    state = stack.one("aws:dynamodb/table:Table")["state"]
    key = stack.setting("tableKmsKeyArn")
    roles = [
        policy_of(stack.one("aws:iam/rolePolicy:RolePolicy", suffix))
        for suffix in ("-task-policy", "-delete-policy")
    ]
    if not key:
        # No serverSideEncryption block: DynamoDB's default, the AWS owned key.
        assert "serverSideEncryption" not in state
        for policy in roles:
            assert not any(s["Sid"] == "TableKey" for s in policy["Statement"])
        return
    assert state["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": key}
    for policy in roles:
        (grant,) = [s for s in policy["Statement"] if s["Sid"] == "TableKey"]
        assert grant["Resource"] == key
        assert grant["Condition"]["StringEquals"]["kms:ViaService"] == (
            "dynamodb.eu-west-1.amazonaws.com"
        )


def test_a_protected_table_is_kept_even_when_the_program_lets_it_go(stack: Stack) -> None:
    # protect refuses a delete; retain_on_delete makes one that slips through (protect lifted
    # for a destroy, a rename without an alias) leave the table and its data in the account.
    table = stack.one("aws:dynamodb/table:Table")
    protect = stack.setting("protect") == "true"
    assert table["protect"] is protect
    assert table["retain_on_delete"] is protect
    assert table["state"]["deletionProtectionEnabled"] is protect
