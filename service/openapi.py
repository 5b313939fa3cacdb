"""The OpenAPI document of the whole public API (the Lambda's DELETE included), as one stack
serves it: with auth on, every data operation requires a token with its scope (and the open
ones say ``security: []``); a public stack's document has no security at all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from picus import alb, contract
from picus.auth import OIDC_DISCOVERY_PATH, Scope, ScopePolicy
from picus.errors import ErrorCode
from service import payload_schema
from service.cursor import CURSOR_PATTERN, MAX_CURSOR_LENGTH

OIDC_SCHEME: Final = "openId"
BEARER_SCHEME: Final = "bearer"

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


def _load_balancer(*statuses: int) -> dict[str, Any]:
    """Answers of the load balancer itself: its HTML page, never the API's JSON error."""
    why = {
        401: "no bearer token, or one the load balancer refuses (stacks with auth)",
        403: "the firewall blocked the request (stacks with a firewall)",
        413: "the request is over 1 MB, the most the load balancer passes to a function",
        502: "the function failed, timed out or answered malformed",
    }
    return {
        str(status): {
            "description": f"from the load balancer: {why[status]}",
            "content": {alb.CONTENT_TYPE: {"schema": {"type": "string"}}},
        }
        for status in statuses
    }


def _both_403(*load_balancer: int) -> dict[str, Any]:
    """The load balancer's answers, and a 403 that is the firewall's page or, with auth on,
    the API's ``insufficient_scope`` error."""
    responses = _load_balancer(*load_balancer, 403)
    api = _errors(ErrorCode.INSUFFICIENT_SCOPE)["403"]
    responses["403"] = {
        "description": f"{responses['403']['description']}; or {api['description']}",
        "content": {**responses["403"]["content"], **api["content"]},
    }
    return responses


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
    "example": "2f897e49-a179-4160-8056-d96c51aab199",
}
_UNAVAILABLE = (ErrorCode.BACKEND_UNAVAILABLE, ErrorCode.INTERNAL)

#: From a stored item's key to what can be done with it (OpenAPI 3.1, "Link Object"): what a
#: generated client, or schemathesis's stateful phase, follows.
_ITEM_LINKS = {
    operation: {
        "operationId": operation,
        "parameters": {"key": f"$response.body#/{contract.PARTITION_KEY}"},
    }
    for operation in ("getItem", "deleteItem")
}


def _health(operation_id: str, used_by: str) -> dict[str, Any]:
    return {
        "get": {
            "operationId": operation_id,
            "security": [],
            "summary": f"Liveness of the service process ({used_by}); does not call DynamoDB",
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {"status": {"const": "ok"}},
                        "required": ["status"],
                    },
                    "the process can serve",
                )
            },
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

    def edge(*statuses: int) -> dict[str, Any]:
        # The load balancer's 401 and the API's insufficient_scope exist only with auth on.
        return _both_403(401, *statuses) if auth is not None else _load_balancer(*statuses, 403)

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "picus",
            "version": "1.0.0",
            "description": (
                "A JSON object store. Every error has the Error shape and carries the request id, "
                "also returned in the X-Request-Id header."
            ),
        },
        "paths": {
            contract.PUT_PATH: {
                "post": {
                    "operationId": "putItem",
                    "security": needs(Scope.WRITE),
                    "summary": "Store a JSON object under a new key",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": payload_schema.payload_ref(),
                                "example": {"name": "picus", "tags": ["a", "b"], "count": 3},
                            }
                        },
                    },
                    "responses": {
                        "201": {
                            **_json({"$ref": "#/components/schemas/Created"}, "stored"),
                            "headers": {"Location": {"schema": {"type": "string"}}},
                            "links": _ITEM_LINKS,
                        },
                        **_errors(
                            ErrorCode.INVALID_JSON,
                            ErrorCode.NOT_AN_OBJECT,
                            ErrorCode.INVALID_VALUE,
                            ErrorCode.METHOD_NOT_ALLOWED,
                            ErrorCode.PAYLOAD_TOO_LARGE,
                            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                            *_UNAVAILABLE,
                        ),
                        **edge(),
                    },
                }
            },
            contract.GET_PATH: {
                "get": {
                    "operationId": "getItem",
                    "security": needs(Scope.READ),
                    "summary": "Read one stored item (strongly consistent)",
                    "parameters": [_KEY_PARAM],
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/Item"}, "the item"),
                        **_errors(
                            ErrorCode.INVALID_KEY,
                            ErrorCode.NOT_FOUND,
                            ErrorCode.METHOD_NOT_ALLOWED,
                            *_UNAVAILABLE,
                        ),
                        **edge(),
                    },
                }
            },
            contract.LIST_PATH: {
                "get": {
                    "operationId": "listItems",
                    "security": needs(Scope.READ),
                    "summary": "One page of items; follow next_cursor until it is null",
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
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/Page"}, "a page of items"),
                        **_errors(
                            ErrorCode.INVALID_LIMIT,
                            ErrorCode.INVALID_CURSOR,
                            ErrorCode.METHOD_NOT_ALLOWED,
                            *_UNAVAILABLE,
                        ),
                        **edge(),
                    },
                }
            },
            contract.DELETE_PATH: {
                "delete": {
                    "operationId": "deleteItem",
                    "security": needs(Scope.DELETE),
                    "summary": "Delete one item (served by the delete_fn Lambda behind the ALB)",
                    "parameters": [_KEY_PARAM],
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/Deleted"}, "deleted"),
                        **_errors(
                            ErrorCode.INVALID_KEY,
                            ErrorCode.NOT_FOUND,
                            ErrorCode.METHOD_NOT_ALLOWED,
                            *_UNAVAILABLE,
                        ),
                        **edge(413, 502),
                    },
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
                                        "on a 503 from put: the key the object may have been "
                                        "stored under; GET it to know"
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
                    "required": list(contract.ITEM_FIELDS),
                    "properties": {
                        contract.PARTITION_KEY: {"type": "string", "pattern": contract.KEY_PATTERN},
                        contract.CREATED_AT: {"type": "string", "format": "date-time"},
                        contract.PAYLOAD: payload_schema.payload_ref(),
                    },
                },
                "Page": {
                    "type": "object",
                    "required": ["items", "next_cursor"],
                    "properties": {
                        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
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
