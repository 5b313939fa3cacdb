"""The service's DynamoDB client leaves items in wire JSON: the same structure botocore's own
parser builds, except that binaries stay base64 text."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiobotocore.parsers import create_parser
from botocore.session import get_session

from service.dynamodb import RAW_OUTPUTS, _ParserFactory

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
