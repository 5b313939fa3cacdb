"""An item as the table holds it and as the store hands it back: its key and creation time, the
stored item's layout, an item's revision, and a page of a scan."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from picus.contract import CREATED_AT, PARTITION_KEY, PAYLOAD, REVISION

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb.type_defs import AttributeValueTypeDef


@dataclass(frozen=True)
class Created:
    object_id: str
    created_at: str
    #: Whether this answers an earlier request with the same Idempotency-Key.
    replayed: bool = False


@dataclass(frozen=True)
class Stored:
    """An item as the API shows it, and its revision (its ETag's opaque part)."""

    json: bytes
    revision: str | None


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    last_key: str | None


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_item(created: Created, payload: AttributeValueTypeDef) -> dict[str, AttributeValueTypeDef]:
    """A stored item: its key, its creation time, a fresh revision (its ETag) and its payload."""
    return {
        PARTITION_KEY: {"S": created.object_id},
        CREATED_AT: {"S": created.created_at},
        REVISION: {"S": str(uuid.uuid4())},
        PAYLOAD: payload,
    }


def revision_of(item: Mapping[str, Any]) -> str | None:
    revision = item.get(REVISION)
    return str(revision["S"]) if revision else None
