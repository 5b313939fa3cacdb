from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from picus.contract import MAX_ITEM_BYTES
from picus.errors import ApiError, BadRequest, ErrorCode, PayloadTooLarge
from service.codec import item_json, parse_object, payload_of, plain, to_payload
from tests.service.numbers import dynamodb_text, number_texts

#: What DynamoDB gives back for what a client may send (boto/boto3#4636, #2500;
#: ExtendDB/extenddb#7): the value in plain notation, zeros trimmed.
CANONICAL = {
    "0.1": "0.1",
    "1.0": "1",
    "1E+2": "100",
    "1e2": "100",
    "100": "100",
    "0.00100": "0.001",
    "-0.0": "0",
    "-0": "0",
    "0e-999": "0",
    "1e-130": "0." + "0" * 129 + "1",
    "9.9E125": "99" + "0" * 124,
    "12345678901234567890.000": "12345678901234567890",
    "-1.50e-3": "-0.0015",
    "0.5E1": "5",
    "1" + "0" * 45: "1" + "0" * 45,
}


@pytest.mark.parametrize(("sent", "stored"), CANONICAL.items())
def test_numbers_are_sent_as_dynamodb_spells_them(sent: str, stored: str) -> None:
    body = f'{{"n": {sent}}}'.encode()
    assert to_payload(parse_object(body)) == {"M": {"n": {"N": stored}}}
    assert payload_of(body) == {"M": {"n": {"N": stored}}}


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


@pytest.mark.parametrize(
    "body",
    [b'{"a": 1, "a": 2}', b'{"x": [{"k": {"a": 1, "b": 2, "a": 1}}]}', b'{"a": {}, "a": {}}'],
)
def test_a_key_twice_in_one_object_is_refused_by_name(body: bytes) -> None:
    with pytest.raises(BadRequest) as refused:
        payload_of(body)
    assert refused.value.code is ErrorCode.INVALID_JSON
    assert '"a" appears twice' in refused.value.message


def test_the_same_key_in_different_objects_is_fine() -> None:
    assert payload_of(b'{"a": {"a": 1}, "b": [{"a": 2}, {"a": 3}]}')


def _outcome(convert: Any, body: bytes) -> Any:
    try:
        return convert(body)
    except ApiError as exc:
        return (exc.code, exc.message)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(texts=st.lists(number_texts(), max_size=6), strings=st.lists(st.text(max_size=6)))
@example(texts=["1.0", "-0", "1e5"], strings=["1.0"])
@example(texts=["10", "0.5"], strings=["1e5", "-0"])
def test_the_quick_path_is_the_general_one(texts: list[str], strings: list[str]) -> None:
    # payload_of skips the canonical form's work when nothing in the body can need it; a
    # string that looks like such a number only sends it the long way.
    body = '{"n": [' + ",".join(texts) + '], "s": ' + json.dumps(strings) + "}"
    general = _outcome(lambda b: to_payload(parse_object(b)), body.encode())
    assert _outcome(payload_of, body.encode()) == general
    if not isinstance(general, tuple):
        numbers = general["M"]["n"]["L"]
        assert [n["N"] for n in numbers] == [dynamodb_text(t) for t in texts]
