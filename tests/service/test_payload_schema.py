"""The put body's schema in the API document and the codec that enforces it agree: a body is
accepted exactly when the document says it is valid.

The document's validator reads numbers as a JSON parser does (doubles, and integers), so the
bodies here are what a JSON encoder writes. The two limits JSON Schema cannot say are the
document's ``x-`` keywords, and they are part of what is compared.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from picus import contract
from picus.errors import ApiError
from service import payload_schema
from service.codec import parse_object, to_payload
from service.openapi import document

SCHEMAS = document()["components"]["schemas"]
PAYLOAD = SCHEMAS[payload_schema.PAYLOAD_SCHEMA]
VALUE = SCHEMAS[payload_schema.VALUE_SCHEMA]
VALIDATOR = Draft202012Validator(
    {
        "$ref": f"#/components/schemas/{payload_schema.PAYLOAD_SCHEMA}",
        "components": {"schemas": SCHEMAS},
    }
)

_LARGEST = 10.0 ** (contract.MAX_NUMBER_EXPONENT + 1)
_SMALLEST = 10.0**contract.MIN_NUMBER_EXPONENT


def _around(bound: float) -> st.SearchStrategy[float]:
    """Doubles a few steps either side of a bound, of either sign."""
    steps = st.integers(-3, 3)
    near = steps.map(lambda n: _step(bound, n))
    return st.tuples(near, st.booleans()).map(lambda t: -t[0] if t[1] else t[0])


def _step(x: float, n: int) -> float:
    for _ in range(abs(n)):
        x = math.nextafter(x, math.inf if n > 0 else 0.0)
    return x


NUMBERS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    _around(_LARGEST),
    _around(_SMALLEST),
    st.just(0.0),
    st.just(-0.0),
    # Integers as a JSON encoder writes them, every digit: up to and past 38 significant
    # digits, below the top of the range (within one double of it, a bound read as a double
    # and an exact integer cannot agree: the document's bound is the double).
    st.integers(-(10**125), 10**125),
    st.builds(lambda m, k: m * 10**k, st.integers(-(10**40), 10**40), st.integers(0, 85)),
)
KEYS = st.one_of(st.just(""), st.text(max_size=4))
SCALARS = st.one_of(st.none(), st.booleans(), st.text(max_size=8), NUMBERS)


def _nested(depth: int, leaf: Any) -> Any:
    for _ in range(depth):
        leaf = {"a": [leaf]} if depth % 2 else {"a": leaf}
    return leaf


VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(KEYS, children, max_size=3)
    ),
    max_leaves=12,
)
BODIES = st.one_of(
    st.dictionaries(KEYS, VALUES, max_size=4),
    # Around the depth limit.
    st.integers(contract.MAX_PAYLOAD_DEPTH - 3, contract.MAX_PAYLOAD_DEPTH + 2).map(
        lambda depth: _nested(depth - 1, 1)
    ),
)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


def _numbers(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    return [value] if is_number else []


def _digits(number: float) -> int:
    # Significant digits of the number as written: its mantissa without sign, point, or
    # leading and trailing zeros.
    mantissa = json.dumps(number).lstrip("-").lower().split("e")[0]
    return len(mantissa.replace(".", "").strip("0"))


def document_accepts(body: dict[str, Any]) -> bool:
    """What the document says, its ``x-`` limits included."""
    return (
        VALIDATOR.is_valid(body)
        and _depth(body) <= PAYLOAD["x-maxDepth"]
        and all(_digits(n) <= VALUE["x-maxSignificantDigits"] for n in _numbers(body))
    )


def codec_accepts(body: dict[str, Any]) -> bool:
    try:
        to_payload(parse_object(json.dumps(body).encode()))
    except ApiError:
        return False
    return True


@given(body=BODIES)
@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@example(body={"": 1})
@example(body={"a": {"": None}})
@example(body={"a": [{"": 1}]})
@example(body={"a": [[{"b": 1e-131}]]})
# Values of every type beside numbers pass the number's limits.
@example(body={"s": "", "b": False, "z": None, "o": {}, "l": []})
@example(body={"n": 1e-130})
@example(body={"n": 9.999999999999999e-131})
@example(body={"n": 1e126})
@example(body={"n": 9.999999999999999e125})
@example(body={"n": 10**38 - 1})
@example(body={"n": 10**38 + 1})
@example(body={"n": 5e-324})
def test_the_document_and_the_codec_agree(body: dict[str, Any]) -> None:
    assert document_accepts(body) == codec_accepts(body), json.dumps(body)[:300]


def test_the_limits_are_the_contracts() -> None:
    assert VALUE["x-maxSignificantDigits"] == contract.MAX_NUMBER_DIGITS
    assert PAYLOAD["x-maxDepth"] == contract.MAX_PAYLOAD_DEPTH
    assert PAYLOAD["x-maxItemBytes"] == contract.MAX_ITEM_BYTES
    assert PAYLOAD["propertyNames"] == VALUE["propertyNames"] == {"type": "string", "minLength": 1}


@pytest.mark.parametrize(
    "text",
    ["1e9999999999999999999", "-1E+99999999999999999999", "1e-9999999999999999999"],
)
def test_an_exponent_past_what_decimal_holds_is_a_400(text: str) -> None:
    # Found by a consumer: Decimal refuses exponents of 19 digits, which was a 500.
    with pytest.raises(ApiError) as refused:
        to_payload(parse_object(f'{{"n": {text}}}'.encode()))
    assert refused.value.code.status == 400
    assert "outside DynamoDB's range" in refused.value.message
