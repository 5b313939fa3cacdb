"""A large write's request body, encoded by the service instead of botocore's serializer.

botocore serializes a call by walking the operation's input shape node by node: for the
largest items the API accepts, 90 to 400 ms of CPU on the event loop (``python -m
bench.codec``), against 20 to 60 ms for ``json.dumps`` of the same parameters, which is what
that serializer writes for DynamoDB's JSON protocol (``botocore.serialize.JSONSerializer``:
the parameters in their given order, ``json.dumps``, UTF-8) when they carry no blob and no
timestamp, as the service's writes never do. ``tests/service/test_dynamodb.py`` holds every
write's bytes to stock botocore's.

So a large payload is encoded once, with its conversion, in the worker thread that converts
its body (``Payload``), and its write is sent in two documented steps of botocore's event system,
for the one operation ``sending`` names: ``before-parameter-build`` gives botocore the call's
parameters with a one-attribute stand-in where the payload was, which serialize in
microseconds and resolve the same endpoint; ``before-call`` swaps the serialized body for the
stand-in's encoding with the payload's spliced in, before it is signed and sent, and every
retry of the call sends it again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from anyio import to_thread

from service.codec import OFF_LOOP_BYTES, payload_of

if TYPE_CHECKING:
    from botocore.model import OperationModel
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
    """A body's payload: its attribute value and, when it is ``large``, that value as a
    request's JSON, made from it (never given apart from it). A small payload is left to
    botocore: its serializer then costs less than the detour (about 40 us per put)."""

    value: AttributeValueTypeDef
    large: bool = False
    encoded: bytes | None = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "encoded", encode(self.value) if self.large else None)


def converted(body: bytes, large: bool) -> Payload:
    """The body's payload, converted and, when ``large``, encoded: all of a write's CPU that
    grows with the body, in one step a worker thread can take."""
    return Payload(payload_of(body), large)


async def received(body: bytes) -> Payload:
    """A request body's payload. A body over ``OFF_LOOP_BYTES`` is converted and encoded in a
    worker thread: its CPU would hold the event loop for longer than one turn should, and in a
    thread the loop keeps serving other requests between the GIL's switches."""
    large = len(body) > OFF_LOOP_BYTES
    return await to_thread.run_sync(converted, body, large) if large else converted(body, large)


#: Where a write's parameters hold the payload: keys and list indexes from the top.
Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class _Encoded:
    operation: str
    stand_in: dict[str, Any]
    body: bytes


_SENDING: ContextVar[_Encoded | None] = ContextVar("picus_encoded_request", default=None)


def _with_stand_in(node: Any, path: Path, payload: Payload) -> Any:
    """A copy of the containers along ``path`` with ``STAND_IN`` at its end; the rest shared."""
    if not path:
        if node is not payload.value:
            raise ValueError("the parameters do not hold this payload at its path")
        return STAND_IN
    copy = dict(node) if isinstance(node, dict) else list(node)
    copy[path[0]] = _with_stand_in(node[path[0]], path[1:], payload)  # type: ignore[index]
    return copy


@contextmanager
def sending(operation: str, params: dict[str, Any], path: Path, payload: Payload) -> Iterator[None]:
    """Within it, this task's call of ``operation`` with ``params``, which hold the payload's
    value at ``path``, sends the service's encoding of them (a small payload's, botocore's)."""
    if payload.encoded is None:
        yield
        return
    stand_in: dict[str, Any] = _with_stand_in(params, path, payload)
    encoded = encode(stand_in)
    if encoded.count(_STAND_IN_JSON) != 1:
        raise ValueError("the stand-in parameters must hold STAND_IN once")
    head, _, tail = encoded.partition(_STAND_IN_JSON)
    token = _SENDING.set(_Encoded(operation, stand_in, head + payload.encoded + tail))
    try:
        yield
    finally:
        _SENDING.reset(token)


def _for(model: OperationModel) -> _Encoded | None:
    encoded = _SENDING.get()
    return encoded if encoded is not None and encoded.operation == model.name else None


def stand_in_parameters(params: dict[str, Any], model: OperationModel, **_: Any) -> None:
    """``before-parameter-build`` handler: botocore serializes the stand-in's parameters."""
    if (encoded := _for(model)) is not None:
        params.clear()
        params.update(encoded.stand_in)


def use_encoded_body(params: dict[str, Any], model: OperationModel, **_: Any) -> None:
    """``before-call`` handler: the request's body is the service's encoding."""
    if (encoded := _for(model)) is not None:
        params["body"] = encoded.body
