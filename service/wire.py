"""A write's request body, encoded by the service instead of botocore's serializer.

botocore serializes a call by walking the operation's input shape node by node: for the
largest items the API accepts, 120 to 370 ms of CPU on the event loop (``python -m
bench.codec``), against 30 to 60 ms for ``json.dumps`` of the same parameters, which is what
that serializer writes for DynamoDB's JSON protocol (``botocore.serialize.JSONSerializer``:
the parameters in their given order, ``json.dumps``, UTF-8) when they carry no blob and no
timestamp, as the service's writes never do. ``tests/service/test_dynamodb.py`` holds every
write's bytes to stock botocore's.

So a payload is encoded once, with its conversion, in the worker thread that converts a large
body (``Payload``), and a write is sent in two documented steps of botocore's event system:
``before-parameter-build`` gives botocore the call's parameters with a one-attribute stand-in
for the payload, which serialize in microseconds and resolve the same endpoint; ``before-call``
swaps the serialized body for this one, before it is signed and sent, and every retry of the
call sends it again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from service.codec import payload_of

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb.type_defs import AttributeValueTypeDef

#: Stands in for the payload while botocore serializes a call: text no other parameter of a
#: write holds (names, expressions, uuids, times, entity-tags); ``sending`` checks it is there
#: once.
STAND_IN: Final[AttributeValueTypeDef] = {"S": "\x00picus-payload\x00"}
_STAND_IN_JSON: Final = json.dumps(STAND_IN).encode()

#: The operations whose body the service encodes.
ENCODED_OPERATIONS: Final = ("PutItem", "TransactWriteItems", "UpdateItem")


def encode(params: Mapping[str, Any]) -> bytes:
    """What botocore's JSON serializer writes for ``params`` (without blobs or timestamps)."""
    return json.dumps(params).encode()


@dataclass(frozen=True, slots=True)
class Payload:
    """A body's payload: its attribute value, and that value as a request's JSON."""

    value: AttributeValueTypeDef
    encoded: bytes

    @classmethod
    def of(cls, value: AttributeValueTypeDef) -> Payload:
        return cls(value, encode(value))


def converted(body: bytes) -> Payload:
    """The body's payload, converted and encoded: all of a write's CPU that grows with the
    body, in one step a worker thread can take."""
    return Payload.of(payload_of(body))


@dataclass(frozen=True, slots=True)
class _Encoded:
    stand_in: dict[str, Any]
    body: bytes


_SENDING: ContextVar[_Encoded | None] = ContextVar("picus_encoded_request", default=None)


@contextmanager
def sending(stand_in: dict[str, Any], payload: Payload) -> Iterator[None]:
    """Within it, this task's call sends ``stand_in``'s body with ``payload`` in place of
    ``STAND_IN``: the call's own parameters are those with the payload's value."""
    encoded = encode(stand_in)
    if encoded.count(_STAND_IN_JSON) != 1:
        raise ValueError("the stand-in parameters must hold STAND_IN once")
    head, _, tail = encoded.partition(_STAND_IN_JSON)
    token = _SENDING.set(_Encoded(stand_in, head + payload.encoded + tail))
    try:
        yield
    finally:
        _SENDING.reset(token)


def stand_in_parameters(params: dict[str, Any], **_: Any) -> None:
    """``before-parameter-build`` handler: botocore serializes the stand-in's parameters."""
    encoded = _SENDING.get()
    if encoded is not None:
        params.clear()
        params.update(encoded.stand_in)


def use_encoded_body(params: dict[str, Any], **_: Any) -> None:
    """``before-call`` handler: the request's body is the service's encoding."""
    encoded = _SENDING.get()
    if encoded is not None:
        params["body"] = encoded.body
