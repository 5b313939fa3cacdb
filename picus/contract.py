"""Names and limits of the public API, defined once."""

from __future__ import annotations

import re
from typing import Final

TABLE_NAME: Final = "picus_data"
PARTITION_KEY: Final = "object_id"
#: The item's other attributes, beside its key: when it was stored, when its payload was last
#: replaced (absent until then), and what the client sent.
CREATED_AT: Final = "created_at"
UPDATED_AT: Final = "updated_at"
PAYLOAD: Final = "payload"
#: Every attribute of a stored item the API shows, in the order it writes them; all but
#: ``updated_at`` are always there.
ITEM_FIELDS: Final = (PARTITION_KEY, CREATED_AT, UPDATED_AT, PAYLOAD)
ITEM_REQUIRED_FIELDS: Final = (PARTITION_KEY, CREATED_AT, PAYLOAD)
#: A fresh uuid4 on every write of the item, never shown in its body: its strong ETag
#: (picus/conditional.py), and what a conditional write or delete compares.
REVISION: Final = "revision"

#: Retried creates (``POST`` with ``Idempotency-Key``) are remembered in a table of their own,
#: written in the same transaction as the item, and forgotten by DynamoDB's TTL.
IDEMPOTENCY_TABLE_NAME: Final = "picus_idempotency"
#: Its partition key: a digest of the caller's subject and the key it sent.
IDEMPOTENCY_PARTITION_KEY: Final = "request_key"
#: Epoch seconds after which a record no longer counts; the table's TTL attribute.
IDEMPOTENCY_EXPIRES_AT: Final = "expires_at"
#: The record's other attributes: the item it created and a digest of the request's body.
IDEMPOTENCY_OBJECT_ID: Final = PARTITION_KEY
IDEMPOTENCY_FINGERPRINT: Final = "fingerprint"
#: Set on a record once its item is written, where the two are written apart (a global table in
#: strong mode, which refuses transactions): a record without it may name an item that its
#: first request never got to write.
IDEMPOTENCY_STORED: Final = "stored"
#: How long a key is remembered (the README's promise).
IDEMPOTENCY_TTL_SECONDS: Final = 24 * 60 * 60
IDEMPOTENCY_KEY_HEADER: Final = "idempotency-key"
#: On a 201 that answers a retry: nothing new was written.
IDEMPOTENT_REPLAYED_HEADER: Final = "idempotent-replayed"
MAX_IDEMPOTENCY_KEY_LENGTH: Final = 255

HEALTH_PATH: Final = "/health"
CONTAINER_PORT: Final = 8000

#: The ALB closes idle client connections after this long; the service keeps them open longer
#: so that the ALB, never the service, ends an idle connection (no 502 on a reused socket).
ALB_IDLE_TIMEOUT_SECONDS: Final = 60
SERVICE_KEEP_ALIVE_SECONDS: Final = 75

#: DynamoDB's hard limit for one item; a larger body can never be stored.
MAX_ITEM_BYTES: Final = 400 * 1024
MAX_BODY_BYTES: Final = MAX_ITEM_BYTES
#: What an ALB passes to a Lambda target, request and response alike.
ALB_LAMBDA_MAX_BYTES: Final = 1024 * 1024

#: DynamoDB nests documents up to 32 levels; the stored item's own map is the first.
MAX_PAYLOAD_DEPTH: Final = 31

#: DynamoDB's numbers (developer guide, "Number"): up to 38 significant digits, a magnitude
#: from 1E-130 to 9.9999999999999999999999999999999999999E+125, or zero.
MAX_NUMBER_DIGITS: Final = 38
MIN_NUMBER_EXPONENT: Final = -130
MAX_NUMBER_EXPONENT: Final = 125

#: Far above what the API's own requests need (keys are 36 characters), far below what would
#: let one request hold much memory.
MAX_URL_BYTES: Final = 8 * 1024
MAX_HEADER_BYTES: Final = 16 * 1024

LIST_DEFAULT_LIMIT: Final = 100
LIST_MAX_LIMIT: Final = 1000

#: Keys are the uuid4 values the service hands out, in canonical form; any other key can
#: never name an item.
KEY_PATTERN: Final = r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
_KEY_RE: Final = re.compile(KEY_PATTERN)
#: The key the API document's examples name: a key that can exist, and in the suite's
#: schemathesis runs one that does, so that an example read reaches a stored item.
EXAMPLE_KEY: Final = "2f897e49-a179-4160-8056-d96c51aab199"

#: Everything under this prefix is the API's (DELETE goes to the Lambda).
ITEM_PATH_PREFIX: Final = "/picus/"
#: The operations' paths, ``{key}`` standing for an item's key (OpenAPI's template syntax).
PUT_PATH: Final = ITEM_PATH_PREFIX + "put"
LIST_PATH: Final = ITEM_PATH_PREFIX + "list"
#: An item's one URL: GET, HEAD, PUT (replace) and DELETE.
ITEM_PATH: Final = ITEM_PATH_PREFIX + "{key}"
#: The seed design's read path, kept as an alias of ``GET ITEM_PATH``.
GET_PATH: Final = ITEM_PATH_PREFIX + "get/{key}"


#: A path template's parameter, one whole segment (OpenAPI 3.1, "Path Templating").
PATH_PARAMETER: Final = re.compile(r"\{[a-z_]+\}")


def alb_path_pattern(path: str) -> str:
    """A path template as an ALB path pattern: a parameter may be anything, ``*``."""
    return PATH_PARAMETER.sub("*", path)


#: The seed design's consumers ask for health here; same handler, same answer.
SEED_HEALTH_PATH: Final = ITEM_PATH_PREFIX + "health"
#: The API's own document, and Swagger UI over it with the files it loads.
OPENAPI_PATH: Final = "/openapi.json"
DOCS_PATH: Final = "/docs"
DOCS_ASSETS_PATH: Final = DOCS_PATH + "/assets"
DOCS_ASSET_PATH: Final = DOCS_ASSETS_PATH + "/{name}"

REQUEST_ID_HEADER: Final = "x-request-id"
#: Conditional requests (RFC 9110, 13.1).
ETAG_HEADER: Final = "etag"
IF_MATCH_HEADER: Final = "if-match"
IF_NONE_MATCH_HEADER: Final = "if-none-match"
TRACE_ID_HEADER: Final = "x-amzn-trace-id"


def is_valid_key(key: str) -> bool:
    return _KEY_RE.fullmatch(key) is not None


def item_url(key: str) -> str:
    """The one URL of the item under ``key`` (a uuid4: nothing in it to escape)."""
    return ITEM_PATH.format(key=key)
