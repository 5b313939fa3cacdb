"""What ``POST /picus/put`` accepts, as JSON Schema, from the limits the codec enforces.

The API document's request body is built here from :mod:`picus.contract`'s limits, the same
constants :mod:`service.codec` checks, so a client generated from the document builds no body
the API refuses (tests/service/test_payload_schema.py holds the two to each other):

- an object key is never empty (DynamoDB stores no empty map key);
- a number is zero or has a magnitude in DynamoDB's range.

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
_VALUE: Final = "PayloadValue"

#: The bounds as doubles, the way a validator reads both a bound and a number. The double
#: nearest 1E+126 is just below it, so it is exclusive: "1e+126" is refused, as the codec does.
_LARGEST: Final = float(f"1e{contract.MAX_NUMBER_EXPONENT + 1}")
_SMALLEST: Final = float(f"1e{contract.MIN_NUMBER_EXPONENT}")

_NUMBER: Final[dict[str, Any]] = {
    "type": "number",
    "exclusiveMaximum": _LARGEST,
    "exclusiveMinimum": -_LARGEST,
    # Zero, or at least 1E-130 in magnitude.
    "not": {"exclusiveMinimum": -_SMALLEST, "exclusiveMaximum": _SMALLEST, "not": {"const": 0}},
    "x-maxSignificantDigits": contract.MAX_NUMBER_DIGITS,
    "description": (
        f"Zero, or a magnitude from 1E{contract.MIN_NUMBER_EXPONENT} to below "
        f"1E+{contract.MAX_NUMBER_EXPONENT + 1}, with at most {contract.MAX_NUMBER_DIGITS} "
        "significant digits (DynamoDB's Number)."
    ),
}
_KEY: Final = {"type": "string", "minLength": 1}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def schemas() -> dict[str, Any]:
    """The payload's schema and its values', for the document's ``components.schemas``."""
    value = _ref(_VALUE)
    container = {"propertyNames": _KEY, "additionalProperties": value}
    payload = {
        "type": "object",
        **container,
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
        "anyOf": [
            {"type": ["string", "boolean", "null"]},
            _NUMBER,
            {"type": "array", "items": value},
            {"type": "object", **container},
        ]
    }
    return {PAYLOAD_SCHEMA: payload, _VALUE: values}


def payload_ref() -> dict[str, str]:
    return _ref(PAYLOAD_SCHEMA)
