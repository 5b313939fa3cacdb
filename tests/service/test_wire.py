"""The service's own encoding of a write: sent in place of botocore's for the one operation it
was made for, only within the call. (That its bytes are stock botocore's, and that every retry
resends them signed, is tests/service/test_dynamodb.py's.)"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio
import botocore.session
import pytest

from service.codec import OFF_LOOP_BYTES
from service.wire import (
    STAND_IN,
    Payload,
    received,
    sending,
    stand_in_parameters,
    use_encoded_body,
)

if TYPE_CHECKING:
    from botocore.model import OperationModel

PAYLOAD = Payload({"M": {"n": {"N": "1"}}}, large=True)
MODEL = botocore.session.get_session().get_service_model("dynamodb")
PUT_ITEM, GET_ITEM = MODEL.operation_model("PutItem"), MODEL.operation_model("GetItem")


def params() -> dict[str, Any]:
    return {"TableName": "t", "Item": {"k": {"S": "a"}, "payload": PAYLOAD.value}}


def test_within_a_write_botocore_serializes_a_stand_in_and_sends_the_payload() -> None:
    given = params()
    built, request = params(), {"body": b"botocore's"}
    with sending("PutItem", given, ("Item", "payload"), PAYLOAD):
        stand_in_parameters(built, model=PUT_ITEM)
        use_encoded_body(request, model=PUT_ITEM)
    assert built == {"TableName": "t", "Item": {"k": {"S": "a"}, "payload": STAND_IN}}
    assert given == params(), "the call's own parameters are left as they are"
    assert request["body"] == (
        b'{"TableName": "t", "Item": {"k": {"S": "a"}, "payload": {"M": {"n": {"N": "1"}}}}}'
    )


def untouched(model: OperationModel) -> bool:
    """Whether a call of ``model``, now, sends what botocore serialized from its parameters."""
    built, request = params(), {"body": b"botocore's"}
    stand_in_parameters(built, model=model)
    use_encoded_body(request, model=model)
    return (built, request) == (params(), {"body": b"botocore's"})


def test_another_operation_within_the_write_is_left_to_botocore() -> None:
    with sending("PutItem", params(), ("Item", "payload"), PAYLOAD):
        assert untouched(GET_ITEM)


def test_a_small_payload_is_left_to_botocore() -> None:
    # Its serializer costs less than the detour for a small item (bench.codec).
    small = Payload(PAYLOAD.value)
    given = {"TableName": "t", "Item": {"k": {"S": "a"}, "payload": small.value}}
    with sending("PutItem", given, ("Item", "payload"), small):
        assert untouched(PUT_ITEM)


def test_a_body_is_encoded_by_the_service_exactly_when_it_is_converted_off_the_loop() -> None:
    for size in (OFF_LOOP_BYTES, OFF_LOOP_BYTES + 1):
        body = b'{"s": "' + b"x" * (size - 9) + b'"}'
        assert len(body) == size
        assert (anyio.run(received, body).encoded is not None) == (size > OFF_LOOP_BYTES)


def test_calls_after_a_failed_write_are_left_to_botocore() -> None:
    with (
        pytest.raises(TimeoutError),
        sending("PutItem", params(), ("Item", "payload"), PAYLOAD),
    ):
        raise TimeoutError
    assert untouched(PUT_ITEM)


def test_a_path_that_does_not_hold_the_payload_is_refused() -> None:
    with (
        pytest.raises(ValueError, match="payload"),
        sending("PutItem", params(), ("Item", "k"), PAYLOAD),
    ):
        pass
    other = Payload({"M": {"n": {"N": "1"}}}, large=True)  # equal, not the value the call holds
    with (
        pytest.raises(ValueError, match="payload"),
        sending("PutItem", params(), ("Item", "payload"), other),
    ):
        pass


def test_parameters_holding_the_stand_in_text_elsewhere_are_refused() -> None:
    given = {**params(), "Expected": STAND_IN}
    with (
        pytest.raises(ValueError, match="once"),
        sending("PutItem", given, ("Item", "payload"), PAYLOAD),
    ):
        pass
