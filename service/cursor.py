"""The opaque ``list`` cursor: the last key a page returned, validated on the way back in.

A cursor only ever names a key the service could have handed out, so a forged one can move a
traversal to another place in the table but never make it read anything else.
"""

from __future__ import annotations

import binascii
from base64 import urlsafe_b64decode, urlsafe_b64encode

from picus.contract import is_valid_key
from picus.errors import BadRequest, ErrorCode

_PREFIX = "v1:"
#: What every cursor looks like (base64url, unpadded), for the API document.
MAX_CURSOR_LENGTH = 64
CURSOR_PATTERN = "^[A-Za-z0-9_-]+$"


def encode_cursor(last_key: str) -> str:
    return urlsafe_b64encode((_PREFIX + last_key).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    invalid = BadRequest("the cursor is not one this API returned", ErrorCode.INVALID_CURSOR)
    if len(cursor) > MAX_CURSOR_LENGTH or not cursor.isascii():
        raise invalid
    try:
        text = urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise invalid from exc
    key = text.removeprefix(_PREFIX)
    if not text.startswith(_PREFIX) or not is_valid_key(key) or encode_cursor(key) != cursor:
        raise invalid
    return key
