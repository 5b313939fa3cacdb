"""The Starlette application: one DynamoDB client per process, opened in the lifespan."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypedDict

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from picus.access_log import CLIENT_CLOSED_REQUEST
from picus.errors import NO_SUCH_ROUTE, ApiError, ErrorCode, MethodNotAllowed, code_for_status
from picus.regions import Consistency
from picus.routing import Target, allowed_methods, is_open, operation_at
from service.access import undeclared
from service.cors import CorsMiddleware
from service.deadlines import BodyDeadlineMiddleware
from service.dynamodb import dynamodb_client
from service.heap import settled_heap
from service.keyed_put import StrongStore
from service.middleware import (
    CanonicalTargetMiddleware,
    RequestContextMiddleware,
    RequestLimitsMiddleware,
)
from service.openapi import StackAuth, document
from service.responses import error_response
from service.routes import routes
from service.settings import Settings
from service.store import Store
from service.transactional_put import TransactionalStore

log = logging.getLogger("picus.service")


class State(TypedDict):
    store: Store


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(request, exc.code, exc.message, exc.headers, exc.details)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    # Starlette's 404 for a path that is an operation's, and its own 405: the routing table's
    # ``Allow``, the same the function answers (the path is canonical: CanonicalTargetMiddleware).
    operation = operation_at(request.url.path)
    if exc.status_code == 405 and operation is not None and is_open(operation):
        # An open path answers GET and HEAD alone; any other method there is no route at all,
        # as at the edge, whose rules send it nowhere (picus/routing.py).
        return error_response(request, ErrorCode.NO_ROUTE, NO_SUCH_ROUTE)
    if exc.status_code in (404, 405) and operation is not None:
        allow = allowed_methods(operation)
        if request.method in allow:
            # Another runtime's method (a DELETE), sent here past the load balancer: what
            # this runtime answers at the path.
            allow = allowed_methods(operation, Target.SERVICE)
        refused = MethodNotAllowed(allow)
        return error_response(request, refused.code, refused.message, headers=refused.headers)
    code = code_for_status(exc.status_code)
    message = NO_SUCH_ROUTE if exc.status_code == 404 else exc.detail
    return error_response(request, code, message, headers=exc.headers)


async def _client_abort(request: Request, exc: Exception) -> Response:
    # The client left while its body was read: nothing was stored, nobody reads this answer.
    # Its access line says 499, at INFO with every other request: no error, no 5xx.
    return Response(status_code=CLIENT_CLOSED_REQUEST)


async def _unexpected(request: Request, exc: Exception) -> Response:
    # Logged here with the request id; the client gets the JSON shape, never a traceback.
    log.error(
        "unhandled error",
        exc_info=exc,
        extra={"request_id": getattr(request.state, "request_id", "")},
    )
    return error_response(request, ErrorCode.INTERNAL, "internal error")


def store_kind(consistency: Consistency) -> type[Store]:
    """The store for the tables' mode: strong consistency refuses transactions, so its keyed
    puts are written apart."""
    return StrongStore if consistency is Consistency.STRONG else TransactionalStore


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    if missing := undeclared(routes):
        # Deny by default: a route nobody said who may call is a bug, not an open door.
        raise RuntimeError(f"routes without a declared access policy: {', '.join(missing)}")
    policy = settings.scope_policy

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        async with dynamodb_client(settings) as client:
            with settled_heap():
                store = store_kind(settings.consistency)(
                    client,
                    settings.table_name,
                    settings.idempotency_table_name,
                    settings.store_deadline,
                )
                yield {"store": store}

    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(RequestContextMiddleware),
            Middleware(BodyDeadlineMiddleware, seconds=settings.body_timeout),
            # Before the limits and routing: a preflight is answered, and every refusal
            # carries the headers a page needs to read it.
            Middleware(CorsMiddleware, policy=settings.cors_policy),
            Middleware(RequestLimitsMiddleware),
            Middleware(CanonicalTargetMiddleware),
        ],
        exception_handlers={
            ApiError: _api_error,
            HTTPException: _http_error,
            ClientDisconnect: _client_abort,
            Exception: _unexpected,
        },
        lifespan=lifespan,
    )
    # A non-canonical path is refused before routing; a redirect would name the client's Host.
    app.router.redirect_slashes = False
    app.state.settings = settings
    app.state.scope_policy = policy
    stack_auth = StackAuth(settings.auth_issuer, policy) if policy is not None else None
    app.state.openapi_json = json.dumps(document(stack_auth)).encode()
    return app
