"""The round-trip corpus: any JSON object within DynamoDB's limits, as hypothesis draws them,
written with exact numbers, and compared by exact value."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st


def _in_range(d: Decimal) -> bool:
    if d.is_zero():
        return True
    digits = len(bytes(d.as_tuple().digits).rstrip(b"\0"))
    return digits <= 38 and -130 <= d.adjusted() <= 125


integers = st.integers(min_value=-(10**38) + 1, max_value=10**38 - 1)
floats = st.floats(allow_nan=False, allow_infinity=False).filter(
    lambda f: _in_range(Decimal(repr(f)))
)
decimals = st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(_in_range)
strings = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
keys = strings.filter(bool)
scalars = st.none() | st.booleans() | integers | floats | decimals | strings
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=25,
)
objects = st.dictionaries(keys, values, max_size=6)


def to_json(value: Any) -> str:
    # Decimals are written as their exact text, which json cannot do on its own.
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    return json.dumps(value)


def canonical(value: Any) -> Any:
    """The value with numbers compared by exact decimal value, and types kept apart."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    if isinstance(value, int | float | Decimal):
        return ("number", Decimal(repr(value)) if isinstance(value, float) else Decimal(value))
    if isinstance(value, list):
        return ("list", [canonical(v) for v in value])
    return ("object", {k: canonical(v) for k, v in value.items()})
