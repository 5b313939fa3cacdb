from __future__ import annotations

import orjson
import pytest

from picus.contract import MAX_ITEM_BYTES
from picus.errors import BadRequest, PayloadTooLarge
from service.codec import item_json, parse_object, plain, to_payload


def test_numbers_travel_as_their_text() -> None:
    attribute = to_payload(parse_object(b'{"a": 0.1, "b": 1e-130, "c": -0.0}'))
    assert attribute == {"M": {"a": {"N": "0.1"}, "b": {"N": "1e-130"}, "c": {"N": "0"}}}


def test_a_number_boto3_cannot_deserialize_is_written_exactly() -> None:
    # boto3's TypeDeserializer raises decimal.Rounded on this legitimate DynamoDB number.
    written = orjson.dumps(plain({"N": "9.9999999999999999999999999999999999999E+125"}))
    assert written == b"9.9999999999999999999999999999999999999E+125"


@pytest.mark.parametrize(
    ("wire", "json_text"), [("1E+2", "1E+2"), (".5", "0.5"), ("5.", "5"), ("+3", "3")]
)
def test_numbers_read_back_as_valid_json(wire: str, json_text: str) -> None:
    assert orjson.dumps(plain({"N": wire})).decode() == json_text


def test_sets_and_binaries_written_by_others_read_as_json() -> None:
    item = {
        "object_id": {"S": "k"},
        "created_at": {"S": "t"},
        "payload": {"M": {"s": {"SS": ["a"]}, "n": {"NS": ["1"]}, "b": {"B": b"\x00"}}},
    }
    assert item_json(item) == (
        b'{"object_id":"k","created_at":"t","payload":{"s":["a"],"n":[1],"b":"AA=="}}'
    )


def test_an_item_over_dynamodb_size_is_refused_before_any_call() -> None:
    with pytest.raises(PayloadTooLarge):
        to_payload({"s": "x" * MAX_ITEM_BYTES})


def test_deep_json_is_a_bad_request_not_a_crash() -> None:
    with pytest.raises(BadRequest):
        parse_object(b"[" * 100_000 + b"]" * 100_000)


def test_every_attribute_type_reads_as_its_json_falsy_values_included() -> None:
    attribute = {
        "M": {
            "empty": {"S": ""},
            "no": {"BOOL": False},
            "yes": {"BOOL": True},
            "nothing": {"NULL": True},
            "zero": {"N": "0"},
            "none": {"M": {}},
            "nested": {"L": [{"L": []}, {"M": {"k": {"S": "v"}}}, {"N": "-1.5e-3"}]},
        }
    }
    assert orjson.dumps(plain(attribute)) == (
        b'{"empty":"","no":false,"yes":true,"nothing":null,"zero":0,"none":{},'
        b'"nested":[[],{"k":"v"},-1.5e-3]}'
    )
