"""Conditional requests (RFC 9110, 13.1): an item's strong ETag, the entity-tag lists of
``If-Match`` and ``If-None-Match``, and ``If-Match`` as a DynamoDB condition, so that the
service's replace and the function's delete evaluate it in the write itself, never by a read
before it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from picus.contract import PARTITION_KEY, REVISION
from picus.errors import BadRequest, ErrorCode, PreconditionFailed

if TYPE_CHECKING:
    from collections.abc import Mapping

#: The revision of an item written before items carried one: its ETag is this, and a
#: condition on it is that the item still has no revision.
UNREVISED: Final = "0"

#: RFC 9110, 8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE.
_ENTITY_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e]*)"\s*')
#: DynamoDB's limit on the operands of ``IN``.
MAX_TAGS: Final = 100


def etag(revision: str | None) -> str:
    """The strong ETag of an item at ``revision`` (None: written before revisions)."""
    return f'"{revision or UNREVISED}"'


@dataclass(frozen=True)
class EntityTags:
    """An ``If-Match`` or ``If-None-Match`` field: ``*``, or a list of entity-tags."""

    any: bool
    #: The opaque tags, with whether each is weak.
    tags: tuple[tuple[str, bool], ...] = ()

    def weak_match(self, revision: str | None) -> bool:
        # If-None-Match: weak comparison (RFC 9110, 13.1.2).
        opaque = revision or UNREVISED
        return self.any or any(tag == opaque for tag, _ in self.tags)


def field(lines: list[str]) -> str | None:
    """A request's field from all its lines (None: absent): lines of one name are one
    comma-separated list (RFC 9110, 5.3)."""
    return ", ".join(lines) if lines else None


def parse(field: str, name: str) -> EntityTags:
    """The field's value, every line of it joined by commas; 400 when it is not one."""
    if field.strip() == "*":
        return EntityTags(any=True)
    tags: list[tuple[str, bool]] = []
    for part in _split(field):
        match = _ENTITY_TAG.fullmatch(part)
        if match is None:
            raise BadRequest(
                f'{name} must be "*" or a list of entity-tags such as "abc" or W/"abc"',
                ErrorCode.INVALID_PRECONDITION,
            )
        tags.append((match[2], match[1] is not None))
    if not tags or len(tags) > MAX_TAGS:
        raise BadRequest(
            f"{name} must name from 1 to {MAX_TAGS} entity-tags", ErrorCode.INVALID_PRECONDITION
        )
    return EntityTags(any=False, tags=tuple(tags))


def _split(field: str) -> list[str]:
    # Commas inside a quoted tag are part of it (RFC 9110 allows them in etagc).
    parts, current, quoted = [], "", False
    for char in field:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p for p in parts if p.strip()] if len(parts) > 1 else parts


@dataclass(frozen=True)
class Condition:
    """A DynamoDB ConditionExpression with its names and values."""

    expression: str
    names: Mapping[str, str]
    values: Mapping[str, dict[str, str]]


#: The item exists: ``If-Match: *``, and a delete without If-Match (which makes concurrent
#: deletes of one key answer 200 exactly once).
EXISTS: Final = Condition("attribute_exists(#k)", {"#k": PARTITION_KEY}, {})


def if_match_condition(tags: EntityTags) -> Condition:
    """``If-Match`` as a condition on the item's write: the item exists and has one of the
    listed revisions (strong comparison, RFC 9110, 13.1.1). 412 at once when no revision can
    match: a list of weak tags only."""
    names = {"#k": PARTITION_KEY, "#r": REVISION}
    if tags.any:
        return EXISTS
    strong = sorted({tag for tag, weak in tags.tags if not weak})
    if not strong:
        raise PreconditionFailed(
            'If-Match names only weak entity-tags (W/"..."), which never match for a write'
        )
    clauses = []
    values = {f":r{i}": {"S": tag} for i, tag in enumerate(strong) if tag != UNREVISED}
    if values:
        clauses.append(f"#r IN ({', '.join(values)})")
    if UNREVISED in strong:
        clauses.append("attribute_not_exists(#r)")
    return Condition(f"attribute_exists(#k) AND ({' OR '.join(clauses)})", names, values)


def failed(key: str, item: Mapping[str, Any] | None) -> PreconditionFailed:
    """The 412 of a conditional write whose condition failed, from the item as DynamoDB
    returned it with the failure (ReturnValuesOnConditionCheckFailure ALL_OLD): gone, or
    changed, with the ETag it has now."""
    if item is None:
        return PreconditionFailed(f"no item has the key {key}: If-Match needs one")
    revision = item.get(REVISION)
    current = etag(str(revision["S"]) if revision else None)
    return PreconditionFailed(
        f"the item has changed: its ETag is now {current}, which If-Match does not name", current
    )
