"""Numbers a client may send, drawn around each of DynamoDB's limits in every JSON spelling, and
what DynamoDB answers for each: its canonical text, or a refusal."""

from __future__ import annotations

from decimal import Context, Decimal, InvalidOperation

from hypothesis import strategies as st

from picus.contract import MAX_NUMBER_DIGITS, MAX_NUMBER_EXPONENT, MIN_NUMBER_EXPONENT

#: Significant digits around the limit of 38, and a few ordinary counts.
DIGITS = st.one_of(
    st.sampled_from([MAX_NUMBER_DIGITS - 1, MAX_NUMBER_DIGITS, MAX_NUMBER_DIGITS + 1]),
    st.integers(1, MAX_NUMBER_DIGITS + 4),
)
#: Exponents (of the first significant digit) around each end of the range, and far past them:
#: past what a double holds, and past what Python's Decimal holds (19 digits).
EXPONENTS = st.one_of(
    st.sampled_from(
        [
            MIN_NUMBER_EXPONENT - 1,
            MIN_NUMBER_EXPONENT,
            MIN_NUMBER_EXPONENT + 1,
            MAX_NUMBER_EXPONENT - 1,
            MAX_NUMBER_EXPONENT,
            MAX_NUMBER_EXPONENT + 1,
        ]
    ),
    st.integers(MIN_NUMBER_EXPONENT - 10, MAX_NUMBER_EXPONENT + 10),
    st.sampled_from([400, -400, 10**9, -(10**9), 10**19, -(10**19), 10**30]),
)
ZEROS = st.sampled_from(["0", "-0", "0.0", "-0.000", "0e5", "0E-999", "-0.0e+0"])


@st.composite
def number_texts(draw: st.DrawFn) -> str:
    """A valid JSON number: digits, leading and trailing zeros, a point anywhere, an exponent
    with ``e`` or ``E`` and with or without its sign, or none."""
    if draw(st.integers(0, 15)) == 0:
        return draw(ZEROS)
    count = draw(DIGITS)
    digits = str(draw(st.integers(1, 9))) + draw(
        st.text("0123456789", min_size=count - 1, max_size=count - 1)
    )
    digits += "0" * draw(st.integers(0, 3))
    point = draw(st.integers(0, len(digits)))
    if point == 0:
        leading = draw(st.integers(0, 3))
        text, first = "0." + "0" * leading + digits, -(leading + 1)
    else:
        text, first = digits[:point], point - 1
        if point < len(digits):
            text += "." + digits[point:]
        elif draw(st.booleans()):
            text += "." + "0" * draw(st.integers(1, 2))
    if draw(st.booleans()):
        exponent = draw(EXPONENTS) - first
        sign = "+" if exponent >= 0 and draw(st.booleans()) else ""
        text += draw(st.sampled_from("eE")) + sign + str(exponent)
    return ("-" if draw(st.booleans()) else "") + text


def dynamodb_text(text: str) -> str | None:
    """What DynamoDB gives back for the number, or None when it refuses it: the value in plain
    notation, leading and trailing zeros trimmed (boto/boto3#4636; ExtendDB/extenddb#7)."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if value.is_zero():
        return "0"
    significant = "".join(map(str, value.as_tuple().digits)).strip("0")
    if len(significant) > MAX_NUMBER_DIGITS:
        return None
    if not MIN_NUMBER_EXPONENT <= value.adjusted() <= MAX_NUMBER_EXPONENT:
        return None
    return format(value.normalize(Context(prec=MAX_NUMBER_DIGITS + 1)), "f")


def refusal(text: str) -> str | None:
    """The limit a 400 for the number names, or None when DynamoDB holds it."""
    if dynamodb_text(text) is not None:
        return None
    try:
        digits = "".join(map(str, Decimal(text).as_tuple().digits)).strip("0")
    except InvalidOperation:
        return "outside DynamoDB's range"
    if len(digits) > MAX_NUMBER_DIGITS:
        return f"more than {MAX_NUMBER_DIGITS} significant digits"
    return "outside DynamoDB's range"
