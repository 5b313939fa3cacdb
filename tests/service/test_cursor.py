from __future__ import annotations

import pytest

from picus.errors import BadRequest
from service.cursor import decode_cursor, encode_cursor

KEY = "2f897e49-a179-4160-8056-d96c51aab199"


def test_a_cursor_round_trips() -> None:
    cursor = encode_cursor(KEY)
    assert KEY not in cursor
    assert decode_cursor(cursor) == KEY


@pytest.mark.parametrize("cursor", [encode_cursor(KEY) + "=", encode_cursor(KEY).upper(), "é"])
def test_a_cursor_not_issued_by_the_api_is_refused(cursor: str) -> None:
    with pytest.raises(BadRequest):
        decode_cursor(cursor)
