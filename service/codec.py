"""JSON to DynamoDB's wire format and back, numbers kept as exact decimal text.

Items are written back with orjson, each number an ``orjson.Fragment`` of its decimal text: a
listing is mostly this conversion, and orjson writes in C what the stdlib encoder builds
string by string.

DynamoDB carries numbers as decimal strings, so a number travels from the request body to
the table and back without ever becoming a ``float`` or a ``Decimal``: nothing is rounded,
and boto3's ``TypeDeserializer`` (which raises ``decimal.Rounded`` on some numbers DynamoDB
legitimately returns) is never involved.
"""

from __future__ import annotations

import json
import re
from base64 import b64encode
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Final, NoReturn

from orjson import Fragment, dumps

from picus.contract import (
    CREATED_AT,
    ITEM_FIELDS,
    ITEM_REQUIRED_FIELDS,
    MAX_ITEM_BYTES,
    MAX_NUMBER_DIGITS,
    MAX_NUMBER_EXPONENT,
    MAX_PAYLOAD_DEPTH,
    MIN_NUMBER_EXPONENT,
    PARTITION_KEY,
    PAYLOAD,
    REVISION,
    UPDATED_AT,
)
from picus.errors import BadRequest, ErrorCode, PayloadTooLarge

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb.type_defs import AttributeValueTypeDef


_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")

#: A number without an exponent whose every digit fits DynamoDB's 38: its canonical form and
#: its size are string operations. Anything else (an exponent, more digits) goes to Decimal.
_SHORT_NUMBER = re.compile(r"(-?)(0|[1-9][0-9]{0,37})(?:\.([0-9]{1,38}))?")

#: Whatever in a body could be a number DynamoDB would spell otherwise or refuse: an exponent,
#: a trailing zero after the point, a negative zero, 39 digits in a row. A body without any of
#: these (a string may match too: that only costs the slower path) has its numbers' canonical
#: text already.
_MAYBE_NOT_CANONICAL = re.compile(r"[0-9][eE]|\.[0-9]*0(?![0-9])|-0(?![0-9.])|[0-9.]{39}")

#: Bodies above this many bytes are converted, and their payload encoded for the request
#: (service/wire.py), in a worker thread (service/routes.py): the largest take hundreds of ms
#: of CPU, far more than one turn of the event loop should
#: (``python -m bench.codec``); a body this size takes a few ms at most, less than what
#: the thread hop and the GIL's hand-overs would add to its own answer.
OFF_LOOP_BYTES: Final = 8 * 1024


class _Number(str):
    """A JSON number, kept as the text the client sent."""

    __slots__ = ()


def _reject_constant(name: str) -> NoReturn:
    raise BadRequest(f"{name} is not a number DynamoDB can store", ErrorCode.INVALID_VALUE)


def parse_object(body: bytes) -> dict[str, Any]:
    """Parse a request body that must be one JSON object, numbers kept exact, for
    ``to_payload``. Objects inside it stay as their ``(key, value)`` pairs until then, so
    that a key given twice at any depth is refused there, not silently the last one."""
    return _parse(_text(body))


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("the body is not valid UTF-8", ErrorCode.INVALID_JSON) from exc


def _parse(text: str) -> dict[str, Any]:
    try:
        value = json.loads(
            text,
            parse_float=_Number,
            parse_int=_Number,
            parse_constant=_reject_constant,
            # ``tuple`` keeps every pair and is called from C: no Python call per object.
            object_pairs_hook=tuple,
        )
    except json.JSONDecodeError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}", ErrorCode.INVALID_JSON) from exc
    except RecursionError as exc:
        raise BadRequest("the body nests too deeply", ErrorCode.INVALID_VALUE) from exc
    if type(value) is not tuple:
        raise BadRequest("the body must be a JSON object", ErrorCode.NOT_AN_OBJECT)
    return _members(value)


def payload_of(body: bytes) -> AttributeValueTypeDef:
    """``to_payload(parse_object(body))``, in fewer steps: when nothing in the body can be a
    number needing another spelling, each number's text is used as it is."""
    text = _text(body)
    return _payload(_parse(text), _MAYBE_NOT_CANONICAL.search(text) is None)


def _members(pairs: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    members = dict(pairs)
    if len(members) != len(pairs):
        # RFC 8259 leaves the meaning of a repeated name to each parser, and parsers differ
        # (first wins, last wins, error); I-JSON (RFC 7493, 2.3) forbids it. Refused, named.
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise BadRequest(
                    f"the key {json.dumps(key)[:80]} appears twice in one object",
                    ErrorCode.INVALID_JSON,
                )
            seen.add(key)
    return members


def _number(text: str) -> tuple[str, int]:
    """The number as DynamoDB stores and returns it, and its size as DynamoDB counts it.

    DynamoDB trims leading and trailing zeros (developer guide, "Number") and answers in plain
    notation, never an exponent: ``1.0`` comes back as ``1``, ``1E+2`` as ``100``, ``-0`` as
    ``0`` (boto/boto3#4636 and #2500; ExtendDB/extenddb#7 lists what DynamoDB returned for each
    spelling). The emulators keep the client's text; sending the canonical text makes every
    backend give back the same.
    """
    short = _SHORT_NUMBER.fullmatch(text)
    if short is None:
        return _decimal_number(text)
    sign, whole, fraction = short.groups()
    if fraction:
        fraction = fraction.rstrip("0")
    if whole == "0":
        if not fraction:
            return "0", 2
        significant = len(fraction.lstrip("0"))
    elif fraction:
        significant = len(whole) + len(fraction)
    else:
        significant = len(whole.rstrip("0"))
    if significant > MAX_NUMBER_DIGITS:
        raise _too_many_digits(text)
    # At most 38 digits either side of the point: always inside DynamoDB's magnitudes.
    canonical = f"{sign}{whole}.{fraction}" if fraction else sign + whole
    return canonical, (significant + 1) // 2 + 1


def _canonical_number(text: str) -> tuple[str, int]:
    """``_number`` for a text known to be canonical and short: only its size to count."""
    digits = text.lstrip("-0.")
    if not digits:
        return "0", 2
    significant = len(digits) - 1 if "." in digits else len(digits.rstrip("0"))
    return text, (significant + 1) // 2 + 1


def _decimal_number(text: str) -> tuple[str, int]:
    try:
        d = Decimal(text)
    except InvalidOperation as exc:
        # An exponent past what Decimal holds (about 10**18): far outside DynamoDB's range.
        raise _out_of_range(text) from exc
    if d.is_zero():
        return "0", 2
    sign, digits, exponent = d.as_tuple()
    assert isinstance(exponent, int)  # a finite number: JSON has no others
    kept = bytes(digits).rstrip(b"\0")
    significant = len(kept)
    if significant > MAX_NUMBER_DIGITS:
        raise _too_many_digits(text)
    exponent += len(digits) - significant
    if not MIN_NUMBER_EXPONENT <= exponent + significant - 1 <= MAX_NUMBER_EXPONENT:
        raise _out_of_range(text)
    # Plain notation of the trimmed digits: at most 38 digits and 130 zeros, never rounded.
    canonical = format(Decimal((sign, tuple(kept), exponent)), "f")
    return canonical, (significant + 1) // 2 + 1


def _too_many_digits(text: str) -> BadRequest:
    return BadRequest(
        f"the number {text[:60]} has more than {MAX_NUMBER_DIGITS} significant digits",
        ErrorCode.INVALID_VALUE,
    )


def _out_of_range(text: str) -> BadRequest:
    return BadRequest(
        f"the number {text[:60]} is outside DynamoDB's range 1E-130 .. 9.9E+125",
        ErrorCode.INVALID_VALUE,
    )


def _utf8_size(s: str) -> int:
    if s.isascii():
        return len(s)
    try:
        return len(s.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise BadRequest("a string holds a lone surrogate", ErrorCode.INVALID_VALUE) from exc


def _too_deep() -> BadRequest:
    return BadRequest(
        f"the object nests deeper than DynamoDB's limit of {MAX_PAYLOAD_DEPTH} levels",
        ErrorCode.INVALID_VALUE,
    )


class _Converter:
    """Builds the attribute and adds up its size as DynamoDB counts it: UTF-8 bytes of names
    and strings, about one byte per two significant digits of a number plus one, and three
    bytes per map or list plus one per element.

    A body is mostly long lists and many members: their scalars are converted in the loop
    over them, without a call each (the conversion's CPU is mostly per value).
    """

    __slots__ = ("number", "size")

    def __init__(self, canonical_numbers: bool = False) -> None:
        self.size = 0
        self.number = _canonical_number if canonical_numbers else _number

    def convert(self, value: Any, depth: int) -> AttributeValueTypeDef:
        kind = type(value)
        if kind is _Number:
            text, size = self.number(value)
            self.size += size
            return {"N": text}
        if kind is str:
            self.size += _utf8_size(value)
            return {"S": value}
        if value is None or kind is bool:
            self.size += 1
            return {"NULL": True} if value is None else {"BOOL": value}
        if depth > MAX_PAYLOAD_DEPTH:
            raise _too_deep()
        if kind is tuple:
            return self.object(_members(value), depth)
        if kind is dict:
            return self.object(value, depth)
        if kind is list:
            return {"L": self.values(value, depth)}
        raise TypeError(f"not a parsed JSON value: {type(value).__name__}")

    def object(self, members: dict[str, Any], depth: int) -> AttributeValueTypeDef:
        size = 3 + len(members)
        number = self.number
        converted: dict[str, AttributeValueTypeDef] = {}
        for key, value in members.items():
            if not key:
                raise BadRequest(
                    "DynamoDB cannot store an empty object key", ErrorCode.INVALID_VALUE
                )
            size += _utf8_size(key)
            kind = type(value)
            if kind is _Number:
                text, n = number(value)
                size += n
                converted[key] = {"N": text}
            elif kind is str:
                size += _utf8_size(value)
                converted[key] = {"S": value}
            else:
                converted[key] = self.convert(value, depth + 1)
        self.size += size
        return {"M": converted}

    def values(self, values: list[Any], depth: int) -> list[AttributeValueTypeDef]:
        size = 3 + len(values)
        number = self.number
        converted: list[AttributeValueTypeDef] = []
        append = converted.append
        for value in values:
            kind = type(value)
            if kind is _Number:
                text, n = number(value)
                size += n
                append({"N": text})
            elif kind is str:
                size += _utf8_size(value)
                append({"S": value})
            else:
                append(self.convert(value, depth + 1))
        self.size += size
        return converted


#: What the stored item adds around the payload: its other attributes and their names, with
#: the ones a replace adds, so that an item stored may always be replaced by one as large.
_TIMESTAMP_BYTES = len("2026-01-01T00:00:00.000Z")
_ITEM_OVERHEAD = sum(
    len(name) + size
    for name, size in (
        (PARTITION_KEY, 36),
        (CREATED_AT, _TIMESTAMP_BYTES),
        (UPDATED_AT, _TIMESTAMP_BYTES),
        (REVISION, 36),
    )
) + len(PAYLOAD)


def to_payload(value: dict[str, Any]) -> AttributeValueTypeDef:
    """The DynamoDB attribute for a parsed JSON object; BadRequest for what DynamoDB cannot
    store, PayloadTooLarge when the item would exceed DynamoDB's item size limit."""
    return _payload(value, canonical_numbers=False)


def _payload(value: dict[str, Any], canonical_numbers: bool) -> AttributeValueTypeDef:
    converter = _Converter(canonical_numbers)
    attribute = converter.convert(value, 1)
    if converter.size + _ITEM_OVERHEAD > MAX_ITEM_BYTES:
        raise PayloadTooLarge(f"the item would be larger than DynamoDB's {MAX_ITEM_BYTES} bytes")
    return attribute


def _number_json(text: str) -> str:
    if _JSON_NUMBER.fullmatch(text):
        return text
    return format(Decimal(text), "f") if "e" not in text.lower() else str(Decimal(text))


def plain(attr: Mapping[str, Any]) -> Any:
    """A DynamoDB attribute as the value orjson writes, each number its exact text."""
    # An attribute has one type: a lookup per type tried, the common ones first (a listing is
    # mostly this function).
    if (text := attr.get("S")) is not None:
        return text
    if (number := attr.get("N")) is not None:
        return Fragment(_number_json(number))
    if (fields := attr.get("M")) is not None:
        return {k: plain(value) for k, value in fields.items()}
    if (values := attr.get("L")) is not None:
        return [plain(value) for value in values]
    if (flag := attr.get("BOOL")) is not None:
        return flag
    if "NULL" in attr:
        return None
    # Sets and binaries are never written by this API; they still read as plain JSON.
    if (strings := attr.get("SS")) is not None:
        return list(strings)
    if (numbers := attr.get("NS")) is not None:
        return [Fragment(_number_json(n)) for n in numbers]
    if (data := attr.get("B")) is not None:
        return _base64(data)
    if (blobs := attr.get("BS")) is not None:
        return [_base64(b) for b in blobs]
    raise ValueError(f"unknown DynamoDB attribute {attr!r}")


def _base64(value: bytes | str) -> str:
    # Raw wire JSON carries binaries as base64 text already; botocore would give bytes.
    return value if isinstance(value, str) else b64encode(value).decode()


def item_value(item: Mapping[str, Any]) -> dict[str, Any]:
    """A stored item as the API shows it, its attributes in the API's order."""
    return {
        name: None if (a := item.get(name)) is None else plain(a)
        for name in ITEM_FIELDS
        if name in item or name in ITEM_REQUIRED_FIELDS
    }


def item_json(item: Mapping[str, Any]) -> bytes:
    """The JSON of a stored item, as the API shows it."""
    return dumps(item_value(item))
