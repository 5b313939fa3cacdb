"""``Idempotency-Key`` (IETF httpapi draft, "The Idempotency-Key HTTP Header Field"): what a
create carries so that a retry of it is answered, not repeated.

The key is the client's; what the table remembers is a digest of it and of who sent it, so
two callers' keys never meet, and a digest of the body, so a key reused for another request
is refused (422) instead of answered with the first one's result.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Final

from picus.contract import (
    CREATED_AT,
    IDEMPOTENCY_EXPIRES_AT,
    IDEMPOTENCY_FINGERPRINT,
    IDEMPOTENCY_OBJECT_ID,
    IDEMPOTENCY_PARTITION_KEY,
    IDEMPOTENCY_TTL_SECONDS,
    MAX_IDEMPOTENCY_KEY_LENGTH,
)
from picus.errors import BadRequest, ErrorCode, UnprocessableContent
from service.items import Created

#: The draft's field is a Structured Field String (RFC 8941, 3.3.3): printable ASCII in
#: double quotes, ``\\`` and ``\"`` escaped. A bare token of visible ASCII is taken as well:
#: many clients send keys unquoted, and nothing else could be meant by one.
_QUOTED: Final = re.compile(r'"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"')
_BARE: Final = re.compile(r"[\x21\x23-\x2b\x2d-\x7e]+")


@dataclass(frozen=True)
class IdempotentRequest:
    """A create the table may already have answered."""

    #: The record's key: the caller and the key it sent, as one digest.
    request_key: str
    #: The request's body, as one digest: the same key with another body is another request.
    fingerprint: str


def key_of(values: list[str]) -> str | None:
    """The key a request sent (None: none); 400 when it is not one key the draft allows."""
    if not values:
        return None
    if len(values) > 1:
        raise _invalid("send one Idempotency-Key")
    value = values[0].strip()
    if (quoted := _QUOTED.fullmatch(value)) is not None:
        key = re.sub(r"\\(.)", r"\1", quoted[1])
    elif _BARE.fullmatch(value):
        key = value
    else:
        raise _invalid('the Idempotency-Key is a string such as "8e03978e-40d5-43e8"')
    if not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY_LENGTH:
        raise _invalid(f"the Idempotency-Key has 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} characters")
    return key


def _invalid(message: str) -> BadRequest:
    return BadRequest(message, ErrorCode.INVALID_IDEMPOTENCY_KEY)


def idempotent_request(key: str, subject: str | None, body: bytes) -> IdempotentRequest:
    """``subject``: the token's, verified at the edge; None with auth off, where everyone
    shares one namespace, never the namespace of a subject. A NUL occurs in neither a key
    nor a subject, so the join is unambiguous."""
    scoped = (f"subject\0{subject}\0{key}" if subject is not None else f"public\0{key}").encode()
    return IdempotentRequest(
        request_key=hashlib.sha256(scoped).hexdigest(),
        fingerprint=hashlib.sha256(body).hexdigest(),
    )


def key_reused() -> UnprocessableContent:
    return UnprocessableContent(
        "this Idempotency-Key was used with another body: use a new key for a new item"
    )


def record_write(
    table: str, request_key: str, created: Created, fingerprint: str, now: int
) -> dict[str, Any]:
    """A put of the key's record, naming the item that answers it, which holds only while the
    key is free or its record expired: an expired record may outlive its time (TTL deletes
    within days, not at once, developer guide "Time to Live"; a strong table has no TTL)."""
    return {
        "TableName": table,
        "Item": {
            IDEMPOTENCY_PARTITION_KEY: {"S": request_key},
            IDEMPOTENCY_OBJECT_ID: {"S": created.object_id},
            CREATED_AT: {"S": created.created_at},
            IDEMPOTENCY_FINGERPRINT: {"S": fingerprint},
            IDEMPOTENCY_EXPIRES_AT: {"N": str(now + IDEMPOTENCY_TTL_SECONDS)},
        },
        "ConditionExpression": "attribute_not_exists(#k) OR #e < :now",
        "ExpressionAttributeNames": {"#k": IDEMPOTENCY_PARTITION_KEY, "#e": IDEMPOTENCY_EXPIRES_AT},
        "ExpressionAttributeValues": {":now": {"N": str(now)}},
    }
