"""What the API's answers hold, typed (the document's ``Created``, ``Item`` and ``Page``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Created:
    """A put's answer: the new item's key and its URL (the ``Location`` header, as sent)."""

    object_id: str
    location: str


@dataclass(frozen=True)
class Item:
    """A stored item. ``etag`` is its strong ETag for ``If-Match`` and ``If-None-Match``;
    None for an item read from a page of the list, which carries no ETag per item."""

    object_id: str
    created_at: datetime
    updated_at: datetime | None
    payload: dict[str, Any]
    etag: str | None = None


@dataclass(frozen=True)
class Page:
    items: list[Item]
    #: None on the last page.
    next_cursor: str | None
