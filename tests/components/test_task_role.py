"""The service's task role (components/policies.py, ``service_policy``) against the calls its
store makes. Every path a request can take is run against the test DynamoDB in each consistency
mode, and each call is judged by IAM's evaluation logic on the table it names: the role allows
all of them, and grants nothing on a table that no call of that mode needs. A keyed put under
strong consistency writes its record apart from its item, and a role that allowed only the
transaction's writes would answer every such put 503."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import replace
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders

from components.policies import SERVICE_TABLE_ACTIONS, idempotency_actions, service_policy
from picus import conditional
from picus.errors import BadRequest, UnprocessableContent
from picus.regions import Consistency
from service.codec import payload_of
from service.dynamodb import dynamodb_client
from service.idempotency import idempotent_request
from service.keyed_put import StrongStore
from service.settings import Settings
from service.store import Store
from service.transactional_put import TransactionalStore
from service.wire import Payload
from tests.deploy.iam_evaluator import Request, allows

#: Where the tables of an account are, for the policy under test.
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
STORES: dict[Consistency, type[Store]] = {
    Consistency.EVENTUAL: TransactionalStore,
    Consistency.STRONG: StrongStore,
}


def _payload(body: dict[str, Any]) -> Payload:
    return Payload(payload_of(json.dumps(body).encode()))


async def _keyed_put(store: Store, key: str, body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    await store.put(Payload(payload_of(raw)), idempotent_request(key, None, raw))


async def _every_path(
    store: Store, refuse_next_item: list[bool], lose_next_record: list[bool]
) -> None:
    """Each thing a request can ask of the store, and each way a keyed put can go."""
    created = await store.put(_payload({"plain": 1}))
    key = str(uuid.uuid4())
    await _keyed_put(store, key, {"keyed": 1})
    await _keyed_put(store, key, {"keyed": 1})  # its retry, answered from the record
    with pytest.raises(UnprocessableContent):
        await _keyed_put(store, key, {"another": 1})
    # An item DynamoDB refuses after its key was claimed (strong mode claims first).
    refuse_next_item.append(True)
    with pytest.raises(BadRequest):
        await _keyed_put(store, str(uuid.uuid4()), {"refused": 1})
    assert not refuse_next_item, "no item was refused"
    # A key's record gone before its item is marked stored (a twin released it).
    lose_next_record.append(True)
    await _keyed_put(store, str(uuid.uuid4()), {"lost": 1})
    lose_next_record.clear()
    stored = await store.get(created.object_id)
    tags = conditional.parse(f'"{stored.revision}"', "If-Match")
    await store.replace(created.object_id, _payload({"v": 2}), conditional.if_match_condition(tags))
    await store.scan(10, None)


async def _calls(settings: Settings, consistency: Consistency) -> set[tuple[str, str]]:
    """(action, table name) of every call the mode's store made on every path."""
    calls: set[tuple[str, str]] = set()
    refuse_next_item: list[bool] = []
    lose_next_record: list[bool] = []
    table = boto3.client(
        "dynamodb", region_name=settings.region, endpoint_url=settings.endpoint_url
    )

    def record(params: dict[str, Any], event_name: str, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        if operation == "TransactWriteItems":
            for write in params["TransactItems"]:
                ((kind, call),) = write.items()
                calls.add((TRANSACTION_WRITES[kind], call["TableName"]))
        else:
            calls.add((operation, params["TableName"]))

    def refuse(
        params: dict[str, Any], model: Any, **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        # The next write of an item is answered as DynamoDB answers an item it refuses
        # (botocore's before-call: a handler's answer stands for the call's).
        if not refuse_next_item or model.name not in REFUSALS:
            return None
        sent = json.loads(params["body"])
        item = sent["TransactItems"][0]["Put"] if model.name == "TransactWriteItems" else sent
        if item["TableName"] != settings.table_name:
            return None
        refuse_next_item.clear()
        return AWSResponse(params["url"], 400, HTTPHeaders(), None), REFUSALS[model.name]

    def lose(params: dict[str, Any], **_: Any) -> None:
        sent = json.loads(params["body"])
        if lose_next_record and sent["TableName"] == settings.idempotency_table_name:
            lose_next_record.clear()
            table.delete_item(TableName=sent["TableName"], Key=sent["Key"])

    async with dynamodb_client(replace(settings, max_attempts=1)) as client:
        client.meta.events.register("provide-client-params.dynamodb", record)
        client.meta.events.register("before-call.dynamodb", refuse)
        client.meta.events.register("before-call.dynamodb.UpdateItem", lose)
        store = STORES[consistency](
            client, settings.table_name, settings.idempotency_table_name, settings.store_deadline
        )
        await _every_path(store, refuse_next_item, lose_next_record)
    return calls


@pytest.mark.parametrize("consistency", list(Consistency), ids=str)
def test_the_task_role_allows_every_call_the_store_makes_and_nothing_more(
    settings: Settings, consistency: Consistency
) -> None:
    tables = {
        settings.table_name: TABLE_ARNS + settings.table_name,
        settings.idempotency_table_name: TABLE_ARNS + settings.idempotency_table_name,
    }
    policy = json.loads(
        service_policy(
            tables[settings.table_name],
            tables[settings.idempotency_table_name],
            consistency=consistency,
        )
    )
    calls = asyncio.run(_calls(settings, consistency))
    for action, table in calls:
        request = Request("dynamodb:" + action, tables[table])
        assert allows(policy, request), f"{consistency}: {action} on {table} is denied"
    granted = {(a, settings.table_name) for a in SERVICE_TABLE_ACTIONS} | {
        (a, settings.idempotency_table_name) for a in idempotency_actions(consistency)
    }
    assert {("dynamodb:" + action, table) for action, table in calls} == granted
