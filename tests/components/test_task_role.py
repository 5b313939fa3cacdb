"""The service's task role (components/policies.py, ``service_policy``) against the calls its
store makes. The store the service runs in each consistency mode takes every path a request
can, against the test DynamoDB, and each call is judged by IAM's evaluation logic on the table
it names: the role allows all of them, and its document grants nothing else on either table. A
keyed put under strong consistency writes its record apart from its item, and a role that
allowed only the transaction's writes would answer every such put 503."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders

from components.policies import service_policy
from devkit import ROOT
from picus import conditional
from picus.errors import BadRequest, UnprocessableContent
from picus.regions import Consistency
from service.app import store_kind
from service.codec import payload_of
from service.dynamodb import dynamodb_client
from service.idempotency import idempotent_request
from service.settings import Settings
from service.store import Store
from service.wire import Payload
from tests.components.test_policies import as_list, statements
from tests.deploy.iam_evaluator import Request, allows

#: Where an account's tables are, for the policy under test.
TABLE_ARNS = "arn:aws:dynamodb:eu-west-1:111122223333:table/"
#: A transaction's writes, each authorised as the action it stands for ("Using IAM with
#: DynamoDB transactions").
TRANSACTION_WRITES = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
_INVALID = "One or more parameter values were invalid"
#: DynamoDB's answer to an item it refuses, by the call that wrote it.
REFUSALS: dict[str, dict[str, Any]] = {
    "PutItem": {"Error": {"Code": "ValidationException", "Message": _INVALID}},
    "TransactWriteItems": {
        "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
        "CancellationReasons": [{"Code": "ValidationError", "Message": _INVALID}, {"Code": "None"}],
    },
}


@dataclass
class _Run:
    """What the store called, and the faults the run asked for and got."""

    calls: set[tuple[str, str]] = field(default_factory=set)
    refuse_next_item: bool = False
    refused: int = 0
    lose_next_record: bool = False
    lost: int = 0


def _payload(body: dict[str, Any]) -> Payload:
    return Payload(payload_of(json.dumps(body).encode()))


async def _keyed_put(store: Store, key: str, body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    await store.put(Payload(payload_of(raw)), idempotent_request(key, None, raw))


async def _every_path(store: Store, run: _Run) -> None:
    """Each thing a request can ask of the store, and each way a keyed put can go."""
    created = await store.put(_payload({"plain": 1}))
    key = str(uuid.uuid4())
    await _keyed_put(store, key, {"keyed": 1})
    await _keyed_put(store, key, {"keyed": 1})  # its retry, answered from the record
    with pytest.raises(UnprocessableContent):
        await _keyed_put(store, key, {"another": 1})
    # An item DynamoDB refuses after its key was claimed (strong mode claims first).
    run.refuse_next_item = True
    with pytest.raises(BadRequest):
        await _keyed_put(store, str(uuid.uuid4()), {"refused": 1})
    # A key's record gone before its item is marked stored (a twin released it): strong
    # mode reads the key's record again, and claims it anew.
    run.lose_next_record = True
    await _keyed_put(store, str(uuid.uuid4()), {"lost": 1})
    run.lose_next_record = False
    stored = await store.get(created.object_id)
    tags = conditional.parse(f'"{stored.revision}"', "If-Match")
    await store.replace(created.object_id, _payload({"v": 2}), conditional.if_match_condition(tags))
    await store.scan(10, None)


async def _run(settings: Settings, consistency: Consistency) -> _Run:
    """Every path, by the store the service runs in ``consistency``."""
    run = _Run()
    table = boto3.client(
        "dynamodb", region_name=settings.region, endpoint_url=settings.endpoint_url
    )

    def record(params: dict[str, Any], event_name: str, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        if operation == "TransactWriteItems":
            for write in params["TransactItems"]:
                ((kind, call),) = write.items()
                run.calls.add((TRANSACTION_WRITES[kind], call["TableName"]))
        else:
            run.calls.add((operation, params["TableName"]))

    def refuse(
        params: dict[str, Any], model: Any, **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        # The next write of an item is answered as DynamoDB answers an item it refuses
        # (botocore's before-call: a handler's answer stands for the call's).
        if not run.refuse_next_item or model.name not in REFUSALS:
            return None
        sent = json.loads(params["body"])
        item = sent["TransactItems"][0]["Put"] if model.name == "TransactWriteItems" else sent
        if item["TableName"] != settings.table_name:
            return None
        run.refuse_next_item, run.refused = False, run.refused + 1
        return AWSResponse(params["url"], 400, HTTPHeaders(), None), REFUSALS[model.name]

    def lose(params: dict[str, Any], **_: Any) -> None:
        sent = json.loads(params["body"])
        if run.lose_next_record and sent["TableName"] == settings.idempotency_table_name:
            run.lose_next_record, run.lost = False, run.lost + 1
            table.delete_item(TableName=sent["TableName"], Key=sent["Key"])

    async with dynamodb_client(replace(settings, max_attempts=1)) as client:
        client.meta.events.register("provide-client-params.dynamodb", record)
        client.meta.events.register("before-call.dynamodb", refuse)
        client.meta.events.register("before-call.dynamodb.UpdateItem", lose)
        store = store_kind(consistency)(
            client, settings.table_name, settings.idempotency_table_name, settings.store_deadline
        )
        await _every_path(store, run)
    return run


def _granted(policy: dict[str, Any], arns: dict[str, str]) -> set[tuple[str, str]]:
    """(action, table name) of every Allow on one of the tables, each action named in full."""
    tables = {arn: name for name, arn in arns.items()}
    granted: set[tuple[str, str]] = set()
    for statement in statements(policy):
        for arn in as_list(statement["Resource"]):
            assert "*" not in arn, statement
            if statement["Effect"] == "Allow" and arn in tables:
                for action in as_list(statement["Action"]):
                    assert "*" not in action, statement
                    granted.add((action, tables[arn]))
    return granted


@pytest.mark.parametrize("consistency", list(Consistency), ids=str)
def test_the_task_role_allows_every_call_the_store_makes_and_nothing_more(
    settings: Settings, consistency: Consistency
) -> None:
    arns = {
        name: TABLE_ARNS + name for name in (settings.table_name, settings.idempotency_table_name)
    }
    policy = json.loads(
        service_policy(
            arns[settings.table_name], arns[settings.idempotency_table_name], None, consistency
        )
    )
    run = asyncio.run(_run(settings, consistency))
    # Each fault the run asked for happened where the mode's writes meet it: the refused item
    # in both, the lost record where a record is written apart from its item.
    assert run.refused == 1
    assert run.lost == (1 if consistency is Consistency.STRONG else 0)
    for action, table in run.calls:
        request = Request("dynamodb:" + action, arns[table])
        assert allows(policy, request), f"{consistency}: {action} on {table} is denied"
    assert _granted(policy, arns) == {("dynamodb:" + a, table) for a, table in run.calls}


def test_every_call_the_service_code_makes_is_granted_in_some_mode() -> None:
    # A net for paths the run above does not take: every DynamoDB operation the service's
    # code names on its client is an action some mode's role grants (a transaction's writes
    # are their own actions).
    arns = {"data": TABLE_ARNS + "data", "records": TABLE_ARNS + "records"}
    granted = {
        action
        for consistency in Consistency
        for action, _ in _granted(
            json.loads(service_policy(arns["data"], arns["records"], None, consistency)), arns
        )
    }
    called = {
        name
        for module in sorted((ROOT / "service").glob("*.py"))
        for name in re.findall(r"self\._client\.(\w+)\(", module.read_text())
    }
    assert "transact_write_items" in called
    actions = {"dynamodb:" + name.title().replace("_", "") for name in called}
    assert actions - {"dynamodb:TransactWriteItems"} <= granted
