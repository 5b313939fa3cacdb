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
from typing import TYPE_CHECKING, Any, NoReturn

from orjson import Fragment, dumps

from picus.contract import (
    CREATED_AT,
    ITEM_FIELDS,
    MAX_ITEM_BYTES,
    MAX_NUMBER_DIGITS,
    MAX_NUMBER_EXPONENT,
    MAX_PAYLOAD_DEPTH,
    MIN_NUMBER_EXPONENT,
    PARTITION_KEY,
    PAYLOAD,
)
from picus.errors import BadRequest, ErrorCode, PayloadTooLarge

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb.type_defs import AttributeValueTypeDef


_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


class _Number(str):
    """A JSON number, kept as the text the client sent."""

    __slots__ = ()


def _reject_constant(name: str) -> NoReturn:
    raise BadRequest(f"{name} is not a number DynamoDB can store", ErrorCode.INVALID_VALUE)


def parse_object(body: bytes) -> dict[str, Any]:
    """Parse a request body that must be one JSON object, numbers kept exact."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("the body is not valid UTF-8", ErrorCode.INVALID_JSON) from exc
    try:
        value = json.loads(
            text, parse_float=_Number, parse_int=_Number, parse_constant=_reject_constant
        )
    except json.JSONDecodeError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}", ErrorCode.INVALID_JSON) from exc
    except RecursionError as exc:
        raise BadRequest("the body nests too deeply", ErrorCode.INVALID_VALUE) from exc
    if not isinstance(value, dict):
        raise BadRequest("the body must be a JSON object", ErrorCode.NOT_AN_OBJECT)
    return value


def _number(text: str) -> tuple[str, int]:
    try:
        d = Decimal(text)
    except InvalidOperation as exc:
        # An exponent past what Decimal holds (about 10**18): far outside DynamoDB's range.
        raise _out_of_range(text) from exc
    if d.is_zero():
        return "0", 2
    significant = len(bytes(d.as_tuple().digits).rstrip(b"\0"))
    if significant > MAX_NUMBER_DIGITS:
        raise BadRequest(
            f"the number {text[:60]} has more than {MAX_NUMBER_DIGITS} significant digits",
            ErrorCode.INVALID_VALUE,
        )
    if not MIN_NUMBER_EXPONENT <= d.adjusted() <= MAX_NUMBER_EXPONENT:
        raise _out_of_range(text)
    return text, (significant + 1) // 2 + 1


def _out_of_range(text: str) -> BadRequest:
    return BadRequest(
        f"the number {text[:60]} is outside DynamoDB's range 1E-130 .. 9.9E+125",
        ErrorCode.INVALID_VALUE,
    )


def _utf8_size(s: str) -> int:
    try:
        return len(s.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise BadRequest("a string holds a lone surrogate", ErrorCode.INVALID_VALUE) from exc


class _Converter:
    """Builds the attribute and adds up its size as DynamoDB counts it: UTF-8 bytes of names
    and strings, about one byte per two significant digits of a number plus one, and three
    bytes per map or list plus one per element."""

    __slots__ = ("size",)

    def __init__(self) -> None:
        self.size = 0

    def convert(self, value: Any, depth: int) -> AttributeValueTypeDef:
        if isinstance(value, _Number):
            text, size = _number(value)
            self.size += size
            return {"N": text}
        if isinstance(value, str):
            self.size += _utf8_size(value)
            return {"S": value}
        if value is None or isinstance(value, bool):
            self.size += 1
            return {"NULL": True} if value is None else {"BOOL": value}
        if depth > MAX_PAYLOAD_DEPTH:
            raise BadRequest(
                f"the object nests deeper than DynamoDB's limit of {MAX_PAYLOAD_DEPTH} levels",
                ErrorCode.INVALID_VALUE,
            )
        if isinstance(value, dict):
            self.size += 3 + len(value)
            members: dict[str, AttributeValueTypeDef] = {}
            for k, v in value.items():
                if not k:
                    raise BadRequest(
                        "DynamoDB cannot store an empty object key", ErrorCode.INVALID_VALUE
                    )
                self.size += _utf8_size(k)
                members[k] = self.convert(v, depth + 1)
            return {"M": members}
        if isinstance(value, list):
            self.size += 3 + len(value)
            return {"L": [self.convert(v, depth + 1) for v in value]}
        raise TypeError(f"not a parsed JSON value: {type(value).__name__}")


#: What the stored item adds around the payload: its other attributes and their names.
_ITEM_OVERHEAD = sum(
    len(name) + size
    for name, size in ((PARTITION_KEY, 36), (CREATED_AT, len("2026-01-01T00:00:00.000Z")))
) + len(PAYLOAD)


def to_payload(value: dict[str, Any]) -> AttributeValueTypeDef:
    """The DynamoDB attribute for a parsed JSON object; BadRequest for what DynamoDB cannot
    store, PayloadTooLarge when the item would exceed DynamoDB's item size limit."""
    converter = _Converter()
    attribute = converter.convert(value, 1)
    if converter.size + _ITEM_OVERHEAD > MAX_ITEM_BYTES:
        raise PayloadTooLarge(f"the item would be larger than DynamoDB's {MAX_ITEM_BYTES} bytes")
    return attribute


def same_value(stored: Mapping[str, Any], sent: Mapping[str, Any]) -> bool:
    """Whether two DynamoDB attributes hold the same value. DynamoDB keeps a number's value,
    not its spelling (developer guide, "Number": leading and trailing zeros are trimmed), so
    what it gives back for ``1.0`` or ``1E+2`` is equal as a number, not as text."""
    if stored.keys() != sent.keys():
        return False
    if "N" in sent:
        return Decimal(stored["N"]) == Decimal(sent["N"])
    if "M" in sent:
        a, b = stored["M"], sent["M"]
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in b)
    if "L" in sent:
        a, b = stored["L"], sent["L"]
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    return stored == sent


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
    return {name: None if (a := item.get(name)) is None else plain(a) for name in ITEM_FIELDS}


def item_json(item: Mapping[str, Any]) -> bytes:
    """The JSON of a stored item, as the API shows it."""
    return dumps(item_value(item))
