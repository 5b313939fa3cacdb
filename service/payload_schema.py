"""What ``POST /picus/put`` accepts, as JSON Schema, from the limits the codec enforces.

The API document's request body is built here from :mod:`picus.contract`'s limits, the same
constants :mod:`service.codec` checks, so a client generated from the document builds no body
the API refuses (tests/service/test_payload_schema.py holds the two to each other):

- an object key is never empty (DynamoDB stores no empty map key);
- a number is zero or has a magnitude in DynamoDB's range.

A payload is an object of any JSON values, and a value is written the way client generators
read "any value": a schema with no ``type``, no ``anyOf`` and no ``additionalProperties``
(openapi-python-client gives up on a union that refers to itself, and openapi-generator reads
``additionalProperties`` as "a map"). Its limits still hold for a validator, because each
keyword it carries constrains only values of its own type: ``items`` arrays, ``propertyNames``
and ``patternProperties`` (whose empty pattern matches every key) objects, the bounds and the
``not`` numbers (tests/service/test_generated_clients.py generates both clients).

Three limits JSON Schema cannot say, stated in the descriptions and as ``x-`` keywords:

- The depth, :data:`~picus.contract.MAX_PAYLOAD_DEPTH` levels. JSON Schema has no depth
  keyword; one schema per level says it, but tools that inline references (schemathesis
  among them) expand the two references per level into 2**31 copies.
- 38 significant digits. A validator reads a number as a double, which never has more than
  17, so a double always passes; an integer written with more digits is refused.
- The item's size (:data:`~picus.contract.MAX_ITEM_BYTES`, a 413): bytes of the stored item,
  not of the JSON text.
"""

from __future__ import annotations

from typing import Any, Final

from picus import contract

PAYLOAD_SCHEMA: Final = "Payload"
VALUE_SCHEMA: Final = "PayloadValue"

#: The bounds as doubles, the way a validator reads both a bound and a number. The double
#: nearest 1E+126 is just below it, so it is exclusive: "1e+126" is refused, as the codec does.
_LARGEST: Final = float(f"1e{contract.MAX_NUMBER_EXPONENT + 1}")
_SMALLEST: Final = float(f"1e{contract.MIN_NUMBER_EXPONENT}")

_NUMBERS: Final[dict[str, Any]] = {
    "exclusiveMaximum": _LARGEST,
    "exclusiveMinimum": -_LARGEST,
    # Zero, or at least 1E-130 in magnitude. The type inside keeps the other values out of it:
    # without it a string would match the inner schema, and so fail the `not`.
    "not": {
        "type": "number",
        "exclusiveMinimum": -_SMALLEST,
        "exclusiveMaximum": _SMALLEST,
        "not": {"const": 0},
    },
    "x-maxSignificantDigits": contract.MAX_NUMBER_DIGITS,
}
_KEY: Final = {"type": "string", "minLength": 1}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def schemas() -> dict[str, Any]:
    """The payload's schema and its values', for the document's ``components.schemas``."""
    value = _ref(VALUE_SCHEMA)
    payload = {
        "type": "object",
        "propertyNames": _KEY,
        "additionalProperties": value,
        "x-maxDepth": contract.MAX_PAYLOAD_DEPTH,
        "x-maxItemBytes": contract.MAX_ITEM_BYTES,
        "description": (
            "Any JSON object DynamoDB can store: no empty key, strings of Unicode text (no "
            "lone surrogate), at most "
            f"{contract.MAX_PAYLOAD_DEPTH} levels of nesting (this object is the first), "
            f"numbers as DynamoDB holds them, and a stored item of at most "
            f"{contract.MAX_ITEM_BYTES} bytes (else 413)."
        ),
    }
    values = {
        "description": (
            "Any JSON value: a string, a boolean, null, an array or an object of values (no "
            f"empty key), or a number: zero, or a magnitude from 1E{contract.MIN_NUMBER_EXPONENT}"
            f" to below 1E+{contract.MAX_NUMBER_EXPONENT + 1}, with at most "
            f"{contract.MAX_NUMBER_DIGITS} significant digits (DynamoDB's Number)."
        ),
        "items": value,
        "propertyNames": _KEY,
        "patternProperties": {"": value},
        **_NUMBERS,
    }
    return {PAYLOAD_SCHEMA: payload, VALUE_SCHEMA: values}


def payload_ref() -> dict[str, str]:
    return _ref(PAYLOAD_SCHEMA)
