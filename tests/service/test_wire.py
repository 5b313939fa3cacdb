"""The service's own encoding of a write: sent in place of botocore's, only within the call it
was made for. (That its bytes are stock botocore's is tests/service/test_dynamodb.py's.)"""

from __future__ import annotations

from typing import Any

import pytest

from service.wire import STAND_IN, Payload, sending, stand_in_parameters, use_encoded_body

PAYLOAD = Payload.of({"M": {"n": {"N": "1"}}})


def test_within_a_write_botocore_serializes_the_stand_in_and_sends_the_payload() -> None:
    stand_in = {"TableName": "t", "Item": {"payload": STAND_IN}}
    params: dict[str, Any] = {"TableName": "t", "Item": {"payload": PAYLOAD.value}}
    request: dict[str, Any] = {"body": b"botocore's"}
    with sending(stand_in, PAYLOAD):
        stand_in_parameters(params)
        use_encoded_body(request)
    assert params == stand_in
    assert request["body"] == b'{"TableName": "t", "Item": {"payload": {"M": {"n": {"N": "1"}}}}}'


def test_outside_a_write_botocore_sends_what_it_serialized() -> None:
    params: dict[str, Any] = {"TableName": "t"}
    request: dict[str, Any] = {"body": b"botocore's"}
    stand_in_parameters(params)
    use_encoded_body(request)
    assert (params, request) == ({"TableName": "t"}, {"body": b"botocore's"})


@pytest.mark.parametrize("times", [0, 2])
def test_parameters_without_exactly_one_stand_in_are_refused(times: int) -> None:
    stand_in = {"Item": {f"a{i}": STAND_IN for i in range(times)}}
    with pytest.raises(ValueError, match="once"), sending(stand_in, PAYLOAD):
        pass
