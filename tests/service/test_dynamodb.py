"""The service's DynamoDB client leaves items in wire JSON: the same structure botocore's own
parser builds, except that binaries stay base64 text."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from aiobotocore.parsers import create_parser
from botocore.session import get_session

from picus.contract import CREATED_AT, PARTITION_KEY, PAYLOAD
from service.dynamodb import RAW_OUTPUTS, _ParserFactory, client_config, dynamodb_client, session
from service.settings import Settings

BODY = {
    "Item": {
        "object_id": {"S": "k"},
        "payload": {
            "M": {
                "n": {"N": "9.9999999999999999999999999999999999999E+125"},
                "l": {"L": [{"NULL": True}, {"BOOL": False}, {"SS": ["a"]}]},
                "b": {"B": "AAE="},
            }
        },
    }
}


async def parse(parser: Any, operation: str, body: dict[str, Any]) -> dict[str, Any]:
    model = get_session().get_service_model("dynamodb").operation_model(operation)
    response = {"status_code": 200, "headers": {}, "body": json.dumps(body).encode()}
    parsed: dict[str, Any] = await parser.parse(response, model.output_shape)
    parsed.pop("ResponseMetadata")
    return parsed


@pytest.mark.parametrize("operation", ["GetItem"])
def test_items_parse_as_botocore_would_but_binaries_stay_base64(operation: str) -> None:
    raw = asyncio.run(parse(_ParserFactory().create_parser("json"), operation, BODY))
    stock = asyncio.run(parse(create_parser("json"), operation, BODY))
    assert stock["Item"]["payload"]["M"]["b"] == {"B": b"\x00\x01"}
    stock["Item"]["payload"]["M"]["b"] = {"B": "AAE="}
    assert raw == stock


def test_only_item_outputs_are_left_raw() -> None:
    model = get_session().get_service_model("dynamodb")
    shapes = [model.operation_model(op).output_shape for op in ("GetItem", "Scan", "PutItem")]
    assert {shape.name for shape in shapes if shape is not None} == RAW_OUTPUTS


async def _user_agents(settings: Settings, client_factory: Any) -> list[str]:
    """The User-Agent header of each request a client sends: a PutItem, two GetItems."""
    sent: list[str] = []
    async with client_factory(settings) as client:
        client.meta.events.register(
            "before-send.dynamodb", lambda request, **_: sent.append(request.headers["User-Agent"])
        )
        key = {PARTITION_KEY: {"S": str(uuid.uuid4())}}
        item = {**key, CREATED_AT: {"S": "2026-01-01T00:00:00.000Z"}, PAYLOAD: {"M": {}}}
        await client.put_item(TableName=settings.table_name, Item=item)
        for _ in range(2):
            await client.get_item(TableName=settings.table_name, Key=key)
        await client.delete_item(TableName=settings.table_name, Key=key)
    return [text.decode() if isinstance(text, bytes) else text for text in sent]


def test_the_user_agent_built_once_is_the_header_botocore_builds(settings: Settings) -> None:
    def rebuilt_every_request(settings: Settings) -> Any:
        return session().client(
            "dynamodb",
            region_name=settings.region,
            endpoint_url=settings.endpoint_url,
            config=client_config(settings),
        )

    ours = asyncio.run(_user_agents(settings, dynamodb_client))
    botocores = asyncio.run(_user_agents(settings, rebuilt_every_request))
    assert ours == botocores
    assert all(text.startswith("Boto3/") or "botocore/" in text for text in ours)
