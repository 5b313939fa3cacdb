"""The OpenAPI document of the whole public API (the Lambda's DELETE included), as one stack
serves it: with auth on, every data operation requires a token with its scope (and the open
ones say ``security: []``); a public stack's document has no security at all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from picus import alb, contract
from picus.auth import OIDC_DISCOVERY_PATH, Scope, ScopePolicy
from picus.errors import ErrorCode
from picus.guarantees import for_operation
from picus.regions import DYNAMODB_NAMES, Consistency
from picus.version import LICENSE, VERSION
from service import payload_schema
from service.cursor import CURSOR_PATTERN, MAX_CURSOR_LENGTH

OIDC_SCHEME: Final = "openId"
BEARER_SCHEME: Final = "bearer"
ITEMS_TAG: Final = "items"
HEALTH_TAG: Final = "health"

_ERROR = {"$ref": "#/components/schemas/Error"}


def _errors(*codes: ErrorCode) -> dict[str, Any]:
    by_status: dict[int, list[str]] = {}
    for code in codes:
        by_status.setdefault(int(code.status), []).append(code.code)
    responses: dict[str, Any] = {}
    for status, names in sorted(by_status.items()):
        response: dict[str, Any] = {
            "description": "error codes: " + ", ".join(names),
            "content": {"application/json": {"schema": _ERROR}},
        }
        if status == 503:
            response["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
        if status == 405:
            response["headers"] = {"Allow": {"schema": {"type": "string"}}}
        responses[str(status)] = response
    return responses


#: What the load balancer answers itself, before or instead of a target ("The load balancer
#: generates an HTTP error" in Elastic Load Balancing's troubleshooting guide for Application
#: Load Balancers), by who the target is.
_FIREWALL: Final = {403: "the firewall blocked the request (stacks with a firewall)"}
_TOKEN: Final = {401: "no bearer token, or one the load balancer refuses (stacks with auth)"}
_TASKS: Final = {
    502: "a task closed the connection or answered malformed",
    503: "the service's target group has no registered task",
    504: "a task did not accept the connection, or answer, in time",
}
_FUNCTION: Final = {
    413: "the request is over 1 MB, the most the load balancer passes to a function",
    502: "the function failed, timed out or answered malformed",
}


def _load_balancer(*why: dict[int, str]) -> dict[str, Any]:
    """Answers of the load balancer itself: its HTML page, never the API's JSON error."""
    return {
        str(status): {
            "description": f"from the load balancer: {reason}",
            "content": {alb.CONTENT_TYPE: {"schema": {"type": "string"}}},
        }
        for answers in why
        for status, reason in answers.items()
    }


def _either(*sources: dict[str, Any]) -> dict[str, Any]:
    """The responses of several sources (the API, the load balancer) by status: where two give
    one status, a single response carrying both's contents and headers."""
    merged: dict[str, Any] = {}
    for source in sources:
        for status, response in source.items():
            have = merged.get(status)
            if have is None:
                merged[status] = response
                continue
            headers = {**have.get("headers", {}), **response.get("headers", {})}
            merged[status] = {
                "description": f"{have['description']}; or {response['description']}",
                **({"headers": headers} if headers else {}),
                "content": {**have["content"], **response["content"]},
            }
    return dict(sorted(merged.items()))


@dataclass(frozen=True)
class StackAuth:
    """What the document says of a stack with auth on: whose tokens, and each operation's scope."""

    issuer: str
    policy: ScopePolicy

    @property
    def discovery_url(self) -> str:
        # OpenID Connect Discovery 1.0, section 4: the issuer, without a trailing slash, and
        # the well-known suffix.
        return self.issuer.rstrip("/") + OIDC_DISCOVERY_PATH


def _security_schemes(auth: StackAuth) -> dict[str, Any]:
    schemes: dict[str, Any] = {
        BEARER_SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A token of the stack's issuer, pasted: each operation needs its scope.",
        },
    }
    if auth.issuer:
        schemes[OIDC_SCHEME] = {
            "type": "openIdConnect",
            "openIdConnectUrl": auth.discovery_url,
            "description": f"A token of {auth.issuer}, verified by the load balancer; each "
            "operation needs its scope. Clients get one by the client-credentials flow.",
        }
    return schemes


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_KEY_PARAM = {
    "name": "key",
    "in": "path",
    "required": True,
    "description": "an object_id returned by POST /picus/put",
    "schema": {"type": "string", "pattern": contract.KEY_PATTERN},
    "example": contract.EXAMPLE_KEY,
}
_UNAVAILABLE = (ErrorCode.BACKEND_UNAVAILABLE, ErrorCode.INTERNAL)
#: What a read or a delete of an item may be refused for, beside the table's state.
_AT_AN_ITEM = (
    ErrorCode.INVALID_KEY,
    ErrorCode.INVALID_PRECONDITION,
    ErrorCode.NOT_FOUND,
    ErrorCode.NO_ROUTE,
    ErrorCode.METHOD_NOT_ALLOWED,
)
#: What a body a put or a replace sends may be refused for.
_BAD_BODY = (
    ErrorCode.INVALID_JSON,
    ErrorCode.NOT_AN_OBJECT,
    ErrorCode.INVALID_VALUE,
    ErrorCode.PAYLOAD_TOO_LARGE,
    ErrorCode.REQUEST_TIMEOUT,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE,
)
_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": payload_schema.payload_ref(),
            "example": {"name": "picus", "tags": ["a", "b"], "count": 3},
        }
    },
}
#: What the service's middleware refuses before any route (service/middleware.py), under the
#: load balancer's own limits on a request line and its headers.
_SERVICE_LIMITS = (ErrorCode.URI_TOO_LONG, ErrorCode.HEADERS_TOO_LARGE)

#: From a stored item's key to what can be done with it (OpenAPI 3.1, "Link Object"): what a
#: generated client, or schemathesis's stateful phase, follows.
_ITEM_LINKS = {
    operation: {
        "operationId": operation,
        "parameters": {"key": f"$response.body#/{contract.PARTITION_KEY}"},
    }
    for operation in ("getItem", "getItemBySeedPath", "deleteItem")
}
#: From a read item to a write that names the version read: its ETag as the If-Match.
_VERSION_LINKS = {
    operation: {
        "operationId": operation,
        "parameters": {
            "key": f"$response.body#/{contract.PARTITION_KEY}",
            "header.If-Match": "$response.header.ETag",
        },
    }
    for operation in ("replaceItem", "deleteItem")
}

#: RFC 9110, 8.8.3 and 13.1: one entity-tag, or a list of them, or ``*``.
_ENTITY_TAG = r'(W/)?"[!#-~]*"'
_ENTITY_TAGS = {
    "type": "string",
    "pattern": rf"^(\*|{_ENTITY_TAG}(\s*,\s*{_ENTITY_TAG})*)$",
}
_ETAG_HEADER = {
    "ETag": {
        "description": "the item's version: a strong entity-tag, new on every write",
        "schema": {"type": "string", "pattern": rf"^{_ENTITY_TAG}$"},
    }
}


def _precondition(name: str, required: bool, description: str) -> dict[str, Any]:
    # No example: Swagger UI's "Try it out" would send it, and an invented ETag is a 412.
    return {
        "name": name,
        "in": "header",
        "required": required,
        "description": description,
        "schema": _ENTITY_TAGS,
    }


_IF_NONE_MATCH = _precondition(
    "If-None-Match",
    False,
    "the ETag of a version the client holds: 304, no body, while it is still the item's",
)
_IF_MATCH_REPLACE = _precondition(
    "If-Match",
    True,
    "the ETag of the version being replaced (428 without it, 412 when the item has changed)",
)
_IF_MATCH_DELETE = _precondition(
    "If-Match",
    False,
    "delete only this version: 412 when the item has changed or is gone",
)
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "A key unique to this create (a uuid4, say), quoted as a Structured Field string or "
        "bare. A retry with the same key and body gets the first answer, for "
        f"{contract.IDEMPOTENCY_TTL_SECONDS // 3600} hours; the same key with another body is "
        "422, and while the first is being written, 409. Scoped to the token's subject."
    ),
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": contract.MAX_IDEMPOTENCY_KEY_LENGTH + 2,
        "pattern": r'^("[ !#-\[\]-~]+"|[!#-+\--~]+)$',
    },
    # No example: every "Try it out" in Swagger UI would send the same key, a 422 for the
    # second body.
}


def _across_regions(method: str, path: str) -> str:
    """What the operation's promises keep in a stack of several regions, per consistency mode
    (picus/guarantees.py), as a paragraph of its description."""
    lines = [
        "Across regions: a stack of one region keeps every promise above; one of several "
        "regions, by its tables' consistency mode (the guarantees page, Several regions):",
        "",
    ]
    for g in for_operation(method, path):
        modes = " ".join(
            f"{mode.capitalize()} ({DYNAMODB_NAMES[mode]}), {g.verdict(mode).holds}: "
            f"{g.verdict(mode).reason}"
            + (f" ({g.verdict(mode).inferred}.)" if g.verdict(mode).inferred else "")
            for mode in Consistency
        )
        lines.append(f"- {g.name}. {modes}")
    return "\n".join(lines)


def _described(text: str, method: str, path: str) -> str:
    return f"{text}\n\n{_across_regions(method, path)}"


def _health(operation_id: str, used_by: str) -> dict[str, Any]:
    return {
        "get": {
            "operationId": operation_id,
            "tags": [HEALTH_TAG],
            "security": [],
            "summary": f"Liveness of the service process ({used_by}); does not call DynamoDB",
            "description": (
                "200 while the process can serve. It never calls DynamoDB, so an outage of the "
                "table does not take healthy tasks out of the load balancer's target group."
            ),
            "responses": _either(
                {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {"status": {"const": "ok"}},
                            "required": ["status"],
                        },
                        "the process can serve",
                    )
                },
                _errors(*_SERVICE_LIMITS),
                # Open to everyone (no token, no scope): only the firewall refuses it.
                _load_balancer(_TASKS, _FIREWALL),
            ),
        }
    }


def document(auth: StackAuth | None = None) -> dict[str, Any]:
    """The document a stack serves; ``auth``: None for a public stack."""

    def needs(scope: Scope) -> list[dict[str, list[str]]]:
        if auth is None:
            return []
        name = auth.policy.names[scope]
        schemes = [OIDC_SCHEME, BEARER_SCHEME] if auth.issuer else [BEARER_SCHEME]
        return [{scheme: [name]} for scheme in schemes]

    def edge(target: dict[int, str]) -> dict[str, Any]:
        # The load balancer's 401 and the API's insufficient_scope exist only with auth on; a
        # 403 is then the firewall's page or the API's error.
        if auth is None:
            return _load_balancer(target, _FIREWALL)
        return _either(
            _load_balancer(_TOKEN, target, _FIREWALL), _errors(ErrorCode.INSUFFICIENT_SCOPE)
        )

    def read(operation_id: str, summary: str, path: str) -> dict[str, Any]:
        return {
            "operationId": operation_id,
            "tags": [ITEMS_TAG],
            "security": needs(Scope.READ),
            "summary": summary,
            "description": _described(
                "The item stored under the key, with its creation time and, once replaced, "
                "the time of its last replace: a write that answered is always visible to it. "
                "Its ETag names this version, for If-None-Match here and If-Match on a replace "
                "or a delete.",
                "GET",
                path,
            ),
            "parameters": [_KEY_PARAM, _IF_NONE_MATCH],
            "responses": _either(
                {
                    "200": {
                        **_json({"$ref": "#/components/schemas/Item"}, "the item"),
                        "headers": _ETAG_HEADER,
                        "links": _VERSION_LINKS,
                    },
                    "304": {"description": "not modified", "headers": _ETAG_HEADER},
                },
                _errors(*_AT_AN_ITEM, *_SERVICE_LIMITS, *_UNAVAILABLE),
                edge(_TASKS),
            ),
        }

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "picus",
            "version": VERSION,
            "license": {"name": LICENSE, "identifier": LICENSE},
            "description": (
                "A JSON object store. Every error has the Error shape and carries the request id, "
                "also returned in the X-Request-Id header. An item has one URL, /picus/{key}: "
                "its ETag names its version for If-None-Match, and for If-Match on a replace "
                "or a delete; a create sent with an Idempotency-Key is safe to retry. Pages of "
                "the origins a stack names (its corsOrigins) may call the API from a browser: "
                "the API answers their preflight (OPTIONS, no token) and exposes ETag, "
                "Location, Retry-After and X-Request-Id to them."
            ),
        },
        # Relative: the origin the document is served from, which is the API's own, whichever
        # stack (or the local origin) serves it.
        "servers": [{"url": "/", "description": "the origin serving this document"}],
        "tags": [
            {
                "name": ITEMS_TAG,
                "description": "Stored JSON objects, each under a key the API chooses.",
            },
            {
                "name": HEALTH_TAG,
                "description": "Liveness of the service, for the load balancer's health check.",
            },
        ],
        "paths": {
            contract.PUT_PATH: {
                "post": {
                    "operationId": "putItem",
                    "tags": [ITEMS_TAG],
                    "security": needs(Scope.WRITE),
                    "summary": "Store a JSON object under a new key",
                    "description": _described(
                        "Stores the body, a JSON object within the limits its schema states, "
                        "under a new key, and answers the key (also in Location, the item's "
                        "URL). With an Idempotency-Key a retry is safe: after a 503 or a lost "
                        "answer, send the same request with the same key. Without one, a 503's "
                        "error names the key the object may have been stored under. "
                        "A key given twice in one object, at any depth, is refused (400 "
                        "invalid_json, naming the key), and so is a Content-Encoding other than "
                        "identity (415): the body is read as sent, never decompressed. Numbers "
                        "are stored by value and read back in DynamoDB's spelling: plain "
                        "notation, leading and trailing zeros trimmed (1.0 reads back as 1).",
                        "POST",
                        contract.PUT_PATH,
                    ),
                    "parameters": [_IDEMPOTENCY_KEY],
                    "requestBody": _BODY,
                    "responses": _either(
                        {
                            "201": {
                                **_json({"$ref": "#/components/schemas/Created"}, "stored"),
                                "headers": {
                                    "Location": {
                                        "description": "the item's URL, /picus/{key}",
                                        "schema": {"type": "string"},
                                    },
                                    "Idempotent-Replayed": {
                                        "description": "true: the first answer to this key",
                                        "schema": {"const": "true"},
                                    },
                                },
                                "links": _ITEM_LINKS,
                            }
                        },
                        _errors(
                            *_BAD_BODY,
                            ErrorCode.INVALID_IDEMPOTENCY_KEY,
                            ErrorCode.METHOD_NOT_ALLOWED,
                            ErrorCode.IDEMPOTENCY_KEY_IN_USE,
                            ErrorCode.IDEMPOTENCY_KEY_REUSED,
                            *_SERVICE_LIMITS,
                            *_UNAVAILABLE,
                        ),
                        edge(_TASKS),
                    ),
                }
            },
            contract.ITEM_PATH: {
                "get": read(
                    "getItem", "Read one stored item (strongly consistent)", contract.ITEM_PATH
                ),
                "put": {
                    "operationId": "replaceItem",
                    "tags": [ITEMS_TAG],
                    "security": needs(Scope.WRITE),
                    "summary": "Replace an item's payload, if it is still the version read",
                    "description": _described(
                        "Replaces the payload of the item under the key, keeping its object_id "
                        "and created_at and setting updated_at, only when If-Match names its "
                        "current version (RFC 9110, 13.1.1): read it, change it, send it back "
                        "with the ETag read. 412 when another write came first or the item is "
                        "gone; 428 without If-Match. The body is as for POST /picus/put. The "
                        "answer is the item as stored (Content-Location names it), and its ETag "
                        "names that representation, not the request's content (RFC 9110, "
                        "9.3.4): send it as If-Match of the next write.",
                        "PUT",
                        contract.ITEM_PATH,
                    ),
                    "parameters": [_KEY_PARAM, _IF_MATCH_REPLACE],
                    "requestBody": _BODY,
                    "responses": _either(
                        {
                            "200": {
                                **_json({"$ref": "#/components/schemas/Item"}, "replaced"),
                                "headers": {
                                    **_ETAG_HEADER,
                                    "Content-Location": {
                                        "description": "the item's URL: the body is its "
                                        "representation",
                                        "schema": {"type": "string"},
                                    },
                                },
                                "links": _VERSION_LINKS,
                            }
                        },
                        _errors(
                            *_BAD_BODY,
                            ErrorCode.INVALID_KEY,
                            ErrorCode.INVALID_PRECONDITION,
                            ErrorCode.NO_ROUTE,
                            ErrorCode.METHOD_NOT_ALLOWED,
                            ErrorCode.PRECONDITION_FAILED,
                            ErrorCode.PRECONDITION_REQUIRED,
                            *_SERVICE_LIMITS,
                            *_UNAVAILABLE,
                        ),
                        edge(_TASKS),
                    ),
                },
                "delete": {
                    "operationId": "deleteItem",
                    "tags": [ITEMS_TAG],
                    "security": needs(Scope.DELETE),
                    "summary": "Delete one item (served by the delete_fn Lambda behind the ALB)",
                    "description": _described(
                        "Deletes the item stored under the key; 404 when there is none. With "
                        "If-Match, only while it is that version (412 otherwise), decided by "
                        "the delete itself. A function behind the load balancer serves it, so "
                        "a request over 1 MB and a failure of the function are the load "
                        "balancer's own pages.",
                        "DELETE",
                        contract.ITEM_PATH,
                    ),
                    "parameters": [_KEY_PARAM, _IF_MATCH_DELETE],
                    "responses": _either(
                        {"200": _json({"$ref": "#/components/schemas/Deleted"}, "deleted")},
                        _errors(*_AT_AN_ITEM, ErrorCode.PRECONDITION_FAILED, *_UNAVAILABLE),
                        edge(_FUNCTION),
                    ),
                },
            },
            contract.GET_PATH: {
                "get": read(
                    "getItemBySeedPath",
                    "The seed design's path to an item: an alias",
                    contract.GET_PATH,
                ),
            },
            contract.LIST_PATH: {
                "get": {
                    "operationId": "listItems",
                    "tags": [ITEMS_TAG],
                    "security": needs(Scope.READ),
                    "summary": "One page of items; follow next_cursor until it is null",
                    "description": _described(
                        "Items in the table's order, which is no particular one. A page holds "
                        "at most `limit` items and may hold fewer (DynamoDB ends a page at 1 MB "
                        "of items): only a null next_cursor says there are no more.",
                        "GET",
                        contract.LIST_PATH,
                    ),
                    "parameters": [
                        {
                            "name": "limit",
                            "in": "query",
                            "required": False,
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": contract.LIST_MAX_LIMIT,
                                "default": contract.LIST_DEFAULT_LIMIT,
                            },
                            "example": 10,
                        },
                        {
                            "name": "cursor",
                            "in": "query",
                            "required": False,
                            "description": "next_cursor from the previous page, opaque",
                            "schema": {
                                "type": "string",
                                "minLength": 1,
                                "maxLength": MAX_CURSOR_LENGTH,
                                "pattern": CURSOR_PATTERN,
                            },
                        },
                    ],
                    "responses": _either(
                        {"200": _json({"$ref": "#/components/schemas/Page"}, "a page of items")},
                        _errors(
                            ErrorCode.INVALID_LIMIT,
                            ErrorCode.INVALID_CURSOR,
                            ErrorCode.METHOD_NOT_ALLOWED,
                            *_SERVICE_LIMITS,
                            *_UNAVAILABLE,
                        ),
                        edge(_TASKS),
                    ),
                }
            },
            contract.HEALTH_PATH: _health("health", "the load balancer's health check"),
            contract.SEED_HEALTH_PATH: _health("seedHealth", "the seed design's path, same answer"),
        },
        "components": {
            **({"securitySchemes": _security_schemes(auth)} if auth is not None else {}),
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "additionalProperties": False,
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message", "request_id"],
                            "additionalProperties": False,
                            "properties": {
                                "code": {"type": "string", "enum": [c.code for c in ErrorCode]},
                                "message": {"type": "string"},
                                "request_id": {"type": "string"},
                                contract.PARTITION_KEY: {
                                    "type": "string",
                                    "description": (
                                        "on a 503 from a put without Idempotency-Key: the key "
                                        "the object may have been stored under; GET it to know"
                                    ),
                                },
                            },
                        }
                    },
                },
                **payload_schema.schemas(),
                "Created": {
                    "type": "object",
                    "required": [contract.PARTITION_KEY],
                    "properties": {
                        contract.PARTITION_KEY: {"type": "string", "pattern": contract.KEY_PATTERN}
                    },
                },
                "Item": {
                    "type": "object",
                    "required": list(contract.ITEM_REQUIRED_FIELDS),
                    "properties": {
                        contract.PARTITION_KEY: {"type": "string", "pattern": contract.KEY_PATTERN},
                        contract.CREATED_AT: {"type": "string", "format": "date-time"},
                        contract.UPDATED_AT: {
                            "type": "string",
                            "format": "date-time",
                            "description": "when the payload was last replaced; absent until",
                        },
                        contract.PAYLOAD: payload_schema.payload_ref(),
                    },
                },
                "Page": {
                    "type": "object",
                    "required": ["items", "next_cursor"],
                    "properties": {
                        "items": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Item"},
                            "maxItems": contract.LIST_MAX_LIMIT,
                        },
                        "next_cursor": {"type": ["string", "null"]},
                    },
                },
                "Deleted": {
                    "type": "object",
                    "required": ["deleted"],
                    "properties": {"deleted": {"type": "string", "pattern": contract.KEY_PATTERN}},
                },
            },
        },
    }
