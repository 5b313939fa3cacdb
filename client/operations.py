"""The API's operations as requests, and their answers read: no I/O, so the sync and the
async client send the very same requests and read the very same way."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

from client import errors, retry
from client.models import Created, Item, Page
from picus import contract

if TYPE_CHECKING:
    import httpx

T = TypeVar("T")


@dataclass(frozen=True)
class Call(Generic[T]):
    """One operation: what to send, which success statuses it expects, how to read them."""

    method: str
    #: The operation's path template in the OpenAPI document (``/picus/{key}``).
    template: str
    path: str
    read: Callable[[httpx.Response], T]
    ok: frozenset[int] = frozenset({200})
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None


def answer(call: Call[T], sent: retry.Sent) -> T:
    """What the call's last answer means: its value, or the error it stands for."""
    response = sent.response
    if response.status_code >= 400:
        error = errors.from_response(response)
        if sent.uncertain and retry.maybe_applied_before(response.request, response):
            # Sent again after no answer: the first attempt may have done this write, and this
            # 404 or 412 would be its doing. Only a read tells.
            error.maybe_applied_before = True
        raise error
    if response.status_code not in call.ok:
        raise errors.UnexpectedResponse(
            f"{call.method} {call.path}: expected {'/'.join(map(str, sorted(call.ok)))}, got "
            f"{response.status_code} {response.headers.get('location', '')}".rstrip(),
            response.status_code,
        )
    return call.read(response)


def _key(key: str) -> str:
    # Checked here, not left to the API: a key is spliced into the path, and one such as
    # "../put" would name another operation's URL.
    if not contract.is_valid_key(key):
        raise ValueError(f"{key!r} is not a key the API hands out (a lowercase uuid4)")
    return key


def _body(payload: Mapping[str, Any]) -> bytes:
    if not isinstance(payload, Mapping):
        raise TypeError(f"a payload is a JSON object (a mapping), not {type(payload).__name__}")
    # NaN and Infinity are not JSON: refused here rather than sent as the API would refuse them.
    return json.dumps(payload, ensure_ascii=False, allow_nan=False).encode()


_JSON: Final = {"content-type": "application/json"}
#: A Structured Field String's characters (RFC 8941, 3.3.3), as the draft's field requires.
_SF_STRING: Final = re.compile(r"[\x20-\x7e]+")


def idempotency_key_field(key: str) -> str:
    """``key`` as the ``Idempotency-Key`` field's value: a quoted Structured Field String."""
    if not _SF_STRING.fullmatch(key) or len(key) > contract.MAX_IDEMPOTENCY_KEY_LENGTH:
        raise ValueError(
            "an Idempotency-Key is 1 to "
            f"{contract.MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters"
        )
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = response.text[:200]
    if not isinstance(body, dict):
        raise errors.UnexpectedResponse(
            f"expected a JSON object, got {body!r}", response.status_code
        )
    return body


def _time(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


def item_of(body: Any, etag: str | None, status: int) -> Item:
    try:
        updated = body.get(contract.UPDATED_AT)
        payload = body[contract.PAYLOAD]
        if not isinstance(payload, dict):
            raise TypeError(payload)
        return Item(
            object_id=str(body[contract.PARTITION_KEY]),
            created_at=_time(body[contract.CREATED_AT]),
            updated_at=_time(updated) if updated is not None else None,
            payload=payload,
            etag=etag,
        )
    except (AttributeError, KeyError, TypeError, ValueError):
        raise errors.UnexpectedResponse(f"expected an item, got {body!r}", status) from None


def _read_item(response: httpx.Response) -> Item:
    return item_of(_object(response), response.headers.get("etag"), response.status_code)


def _read_created(response: httpx.Response) -> Created:
    body = _object(response)
    key = body.get(contract.PARTITION_KEY)
    if not isinstance(key, str):
        raise errors.UnexpectedResponse(f"expected a Created, got {body!r}", response.status_code)
    return Created(key, response.headers.get("location") or contract.item_url(key))


def put(payload: Mapping[str, Any], idempotency_key: str | None = None) -> Call[Created]:
    # Always a key: then a retry (ours, or the caller's with the same key) is answered with the
    # first attempt's item, never a second copy.
    key = idempotency_key_field(idempotency_key or str(uuid.uuid4()))
    return Call(
        "POST",
        contract.PUT_PATH,
        contract.PUT_PATH,
        _read_created,
        ok=frozenset({201}),
        headers={**_JSON, contract.IDEMPOTENCY_KEY_HEADER: key},
        content=_body(payload),
    )


def get(key: str, if_none_match: str | None = None) -> Call[Item | None]:
    def read(response: httpx.Response) -> Item | None:
        return None if response.status_code == 304 else _read_item(response)

    headers = {contract.IF_NONE_MATCH_HEADER: if_none_match} if if_none_match else {}
    return Call(
        "GET",
        contract.ITEM_PATH,
        contract.item_url(_key(key)),
        read,
        ok=frozenset({200, 304}) if if_none_match else frozenset({200}),
        headers=headers,
    )


def replace(key: str, payload: Mapping[str, Any], if_match: str) -> Call[Item]:
    if not if_match:
        raise ValueError("replace needs the ETag it read (or '*'): If-Match")
    return Call(
        "PUT",
        contract.ITEM_PATH,
        contract.item_url(_key(key)),
        _read_item,
        headers={**_JSON, contract.IF_MATCH_HEADER: if_match},
        content=_body(payload),
    )


def _read_deleted(response: httpx.Response) -> str:
    body = _object(response)
    deleted = body.get("deleted")
    if not isinstance(deleted, str):
        raise errors.UnexpectedResponse(f"expected a Deleted, got {body!r}", response.status_code)
    return deleted


def delete(key: str, if_match: str | None = None) -> Call[str]:
    headers = {contract.IF_MATCH_HEADER: if_match} if if_match else {}
    return Call(
        "DELETE", contract.ITEM_PATH, contract.item_url(_key(key)), _read_deleted, headers=headers
    )


def _read_page(response: httpx.Response) -> Page:
    body = _object(response)
    items, cursor = body.get("items"), body.get("next_cursor")
    if not isinstance(items, list) or not (cursor is None or isinstance(cursor, str)):
        raise errors.UnexpectedResponse(f"expected a Page, got {body!r}", response.status_code)
    return Page([item_of(i, None, response.status_code) for i in items], cursor)


def page(limit: int | None = None, cursor: str | None = None) -> Call[Page]:
    params = {"limit": str(limit)} if limit is not None else {}
    if cursor is not None:
        params["cursor"] = cursor
    return Call("GET", contract.LIST_PATH, contract.LIST_PATH, _read_page, params=params)
