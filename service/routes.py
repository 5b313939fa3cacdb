"""The service's endpoints, each declaring who may call it. DELETE is the Lambda's
(``delete_fn``), never mounted here."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson
from starlette.responses import Response
from starlette.routing import Match, Route

from picus import conditional, contract
from picus.auth import Scope
from picus.errors import (
    ApiError,
    BadRequest,
    ErrorCode,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from picus.routing import operation_at
from service import docs
from service.access import public, requires
from service.cursor import decode_cursor, encode_cursor
from service.idempotency import idempotent_request, key_of
from service.responses import json_text
from service.wire import Payload, received

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.types import Scope as AsgiScope

    from service.store import Store


def _store(request: Request) -> Store:
    store: Store = request.state.store
    return store


@public
async def health(request: Request) -> Response:
    # Answers while the process can serve; deliberately no DynamoDB call, so a table outage
    # never makes the load balancer drain healthy tasks.
    return json_text('{"status":"ok"}')


def _is_json(content_type: str) -> bool:
    media, *params = (part.strip().lower() for part in content_type.split(";"))
    charsets = [p.partition("=")[2].strip('"') for p in params if p.startswith("charset=")]
    json_media = media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )
    # JSON is UTF-8 (RFC 8259); a body declared in another charset is not one we read.
    return json_media and all(c in ("utf-8", "utf8") for c in charsets)


def _is_identity(content_encoding: str) -> bool:
    # RFC 9110, 8.4: the codings applied, in order; ``identity`` (or none) means the bytes are
    # the JSON itself. A gzip body would otherwise be read as broken JSON, or a body labelled
    # gzip that is not would be stored as if the label meant nothing.
    codings = (c.strip().lower() for c in content_encoding.split(","))
    return all(c in ("", "identity") for c in codings)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BadRequest("Content-Length is not a number", ErrorCode.INVALID_VALUE)
        if int(declared) > limit:
            raise PayloadTooLarge(f"the body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _payload(request: Request) -> tuple[bytes, Payload]:
    """The request's body and its payload: a JSON object in UTF-8, uncompressed."""
    if not _is_json(request.headers.get("content-type", "")):
        raise UnsupportedMediaType("the body must be application/json in UTF-8")
    if not _is_identity(",".join(request.headers.getlist("content-encoding"))):
        raise UnsupportedMediaType("the body must not be compressed: Content-Encoding identity")
    body = await _read_body(request, request.app.state.settings.max_body_bytes)
    return body, await received(body)


@requires(Scope.WRITE)
async def put(request: Request) -> Response:
    key = key_of(request.headers.getlist(contract.IDEMPOTENCY_KEY_HEADER))
    subject: str | None = getattr(request.state, "subject", None)
    if key is not None and request.app.state.scope_policy is not None and not subject:
        # Keys are scoped to who sends them: a token naming no one would share its keys with
        # every other such token, and be answered with their items.
        raise BadRequest(
            "an Idempotency-Key needs a token with a subject (sub) to scope it to",
            ErrorCode.INVALID_IDEMPOTENCY_KEY,
        )
    body, payload = await _payload(request)
    idempotent = idempotent_request(key, subject, body) if key is not None else None
    try:
        created = await _store(request).put(payload, idempotent)
    except ApiError as failure:
        if failure.code is ErrorCode.BACKEND_UNAVAILABLE:
            failure.message += (
                ": retrying with the same Idempotency-Key is safe"
                if key is not None
                else ": the item may have been stored under object_id; send an Idempotency-Key"
                " to make a retry safe"
            )
        raise
    headers = {"location": contract.item_url(created.object_id)}
    if created.replayed:
        # Not in the draft; tells a client (and its logs) that nothing new was written.
        headers[contract.IDEMPOTENT_REPLAYED_HEADER] = "true"
    return json_text(
        orjson.dumps({contract.PARTITION_KEY: created.object_id}), status=201, headers=headers
    )


class ItemRoute(Route):
    """A route of an item's one URL that never matches a concrete operation's path:
    ``/picus/health`` and ``/picus/list`` fit ``/picus/{key}`` too, but the routing table says
    whose they are (a concrete path before a template), so a method they do not answer there
    is theirs to refuse, and never reaches an item's endpoint and its scope check."""

    def matches(self, scope: AsgiScope) -> tuple[Match, AsgiScope]:
        if scope["type"] == "http" and operation_at(scope["path"]) != contract.ITEM_PATH:
            return Match.NONE, {}
        return super().matches(scope)


def _item_key(request: Request) -> str:
    """The key of the item the path names."""
    key: str = request.path_params["key"]
    if not contract.is_valid_key(key):
        raise BadRequest(
            "a key is the object_id the API returned: a lowercase uuid4", ErrorCode.INVALID_KEY
        )
    return key


@requires(Scope.READ)
async def get(request: Request) -> Response:
    key = _item_key(request)
    if_none_match = conditional.field(request.headers.getlist(contract.IF_NONE_MATCH_HEADER))
    tags = conditional.parse(if_none_match, "If-None-Match") if if_none_match is not None else None
    stored = await _store(request).get(key)
    headers = {contract.ETAG_HEADER: conditional.etag(stored.revision)}
    if tags is not None and tags.weak_match(stored.revision):
        # RFC 9110, 15.4.5: a 304 carries the ETag a 200 would have, and no body.
        return Response(status_code=304, headers=headers)
    return json_text(stored.json, headers=headers)


@requires(Scope.WRITE)
async def replace(request: Request) -> Response:
    key = _item_key(request)
    if_match = conditional.field(request.headers.getlist(contract.IF_MATCH_HEADER))
    if if_match is None:
        raise ApiError(
            "replacing an item needs If-Match with the ETag of the version it replaces",
            ErrorCode.PRECONDITION_REQUIRED,
        )
    tags = conditional.parse(if_match, "If-Match")
    # The body is read before the condition is weighed: a request malformed in any part is
    # told so (400), whatever its If-Match names.
    _, payload = await _payload(request)
    condition = conditional.if_match_condition(tags)
    stored = await _store(request).replace(key, payload, condition)
    # RFC 9110, 9.3.4 keeps validators off a PUT's answer unless its content is stored as sent,
    # so a client never takes what it sent for what is stored. This answer carries the stored
    # representation itself, named by Content-Location (8.7), and its ETag names that body:
    # a client chains its next conditional write on it without a GET that another write could
    # overtake. A deliberate reading, stated in the document.
    return json_text(
        stored.json,
        headers={
            contract.ETAG_HEADER: conditional.etag(stored.revision),
            "content-location": contract.item_url(key),
        },
    )


def _limit(raw: str | None) -> int:
    if raw is None:
        return contract.LIST_DEFAULT_LIMIT
    if raw.isascii() and raw.isdigit() and len(raw) <= 4:
        limit = int(raw)
        if 1 <= limit <= contract.LIST_MAX_LIMIT:
            return limit
    raise BadRequest(
        f"limit must be a whole number from 1 to {contract.LIST_MAX_LIMIT}",
        ErrorCode.INVALID_LIMIT,
    )


@requires(Scope.READ)
async def list_items(request: Request) -> Response:
    limit = _limit(request.query_params.get("limit"))
    cursor = request.query_params.get("cursor")
    start_after = decode_cursor(cursor) if cursor is not None else None
    page = await _store(request).scan(limit, start_after)
    next_cursor = encode_cursor(page.last_key) if page.last_key else None
    return json_text(orjson.dumps({"items": page.items, "next_cursor": next_cursor}))


@public
async def openapi(request: Request) -> Response:
    # The stack's own document, built once by create_app.
    return Response(request.app.state.openapi_json, media_type="application/json")


routes = [
    Route(contract.HEALTH_PATH, health, methods=["GET"]),
    Route(contract.SEED_HEALTH_PATH, health, methods=["GET"]),
    Route(contract.PUT_PATH, put, methods=["POST"]),
    # ``path``: a key with a slash in it still reaches the handler, which refuses it (400).
    Route(contract.GET_PATH.replace("{key}", "{key:path}"), get, methods=["GET"], name="get"),
    Route(contract.LIST_PATH, list_items, methods=["GET"]),
    ItemRoute(contract.ITEM_PATH, get, methods=["GET"], name="item"),
    ItemRoute(contract.ITEM_PATH, replace, methods=["PUT"], name="replace"),
    Route(contract.OPENAPI_PATH, openapi, methods=["GET"]),
    Route(docs.DOCS_PATH, docs.docs, methods=["GET"]),
    Route(docs.ASSETS_PATH + "/{name}", docs.asset, methods=["GET"]),
]
