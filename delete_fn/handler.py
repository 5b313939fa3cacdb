"""DELETE /picus/{key}: the Lambda handler behind the ALB's listener rule."""

from __future__ import annotations

import logging
import os
import time
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from delete_fn.alb import AlbRequest, alb_response
from picus import contract
from picus.access_log import MESSAGE, access_fields
from picus.auth import (
    SCOPES_ENV,
    Scope,
    ScopePolicy,
    authorization,
    bearer_claims,
    has_scope,
    subject,
)
from picus.conditional import EXISTS, EntityTags, failed, field, if_match_condition, parse
from picus.cors import ORIGIN, CorsPolicy, read_environment
from picus.errors import (
    ApiError,
    BadRequest,
    ErrorCode,
    InsufficientScope,
    MethodNotAllowed,
    NoSuchRoute,
    NotFound,
    StoreUnavailable,
    error_body,
    from_client_error,
    retry_headers,
)
from picus.request_id import pick_request_id
from picus.routing import allowed_methods, operation_at
from picus.targets import NOT_CANONICAL, is_canonical

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import DeleteItemInputTypeDef

# Nothing at import may raise. With SnapStart this code runs while Lambda snapshots a newly
# published version; an exception there leaves that version Failed, pulumi-aws waiting for it
# until its timeout, and the next `up` publishing nothing new while it moves the alias to the
# failed version, which Lambda refuses (terraform-provider-aws #49904, #42693). What cannot be
# set up here is kept as a reason, and every invocation answers the API's 500 with it logged.

TABLE_NAME = os.environ.get("PICUS_TABLE_NAME", contract.TABLE_NAME)


def _scope_policy(env: Mapping[str, str]) -> tuple[ScopePolicy | None, str | None]:
    try:
        return ScopePolicy.from_environment(env), None
    except ValueError as exc:
        # Closed, not open: an unreadable setting never turns the scope check off.
        return ScopePolicy(), f"{SCOPES_ENV} is invalid: {exc}"


#: With auth on, the delete scope is checked in the token the load balancer verified.
SCOPES, _scopes_unusable = _scope_policy(os.environ)
#: The browser origins whose pages may read its answers (picus/cors.py, the stack's corsOrigins).
CORS, _cors_unusable = read_environment(os.environ)
log = logging.getLogger("picus.delete_fn")

#: Bounded so a dead table gives a fast 503 well inside the function's timeout instead of a
#: timed-out invocation (an ALB 502).
CLIENT_CONFIG = Config(
    connect_timeout=1, read_timeout=2, retries={"mode": "standard", "total_max_attempts": 2}
)


def make_client(endpoint_url: str | None = None) -> DynamoDBClient:
    """The function's DynamoDB client, as the runtime uses it (tests point it elsewhere)."""
    return boto3.client("dynamodb", endpoint_url=endpoint_url, config=CLIENT_CONFIG)


def _client_or_reason() -> tuple[DynamoDBClient | None, str | None]:
    # Creating a client reads the region and the AWS config files, not credentials and not
    # the network; it still raises without a region or with an unreadable config file.
    try:
        return make_client(), None
    except Exception as exc:
        return None, f"no DynamoDB client: {type(exc).__name__}: {exc}"


# Created once per execution environment, or once per snapshot with SnapStart.
_client, _client_unusable = _client_or_reason()


def _after_restore() -> None:
    """Every environment restored from one snapshot gets its own client: no connection pool
    or resolved credential from the snapshot is shared between them. The snapshot keeps what
    is slow (imports, the service model: about 120 ms here); a new client costs about 8 ms."""
    global _client, _client_unusable
    _client, _client_unusable = _client_or_reason()


try:
    # Part of Lambda's Python runtime (SnapStart's runtime hooks); absent elsewhere.
    from snapshot_restore_py import register_after_restore  # type: ignore[import-not-found]
except ImportError:
    pass
else:
    register_after_restore(_after_restore)


def _key(request: AlbRequest) -> str:
    # The same refusal as the service's: a path with a second spelling names nothing, so the
    # listener rule that sent it here and this handler always read one and the same path.
    if not is_canonical(request.raw_path):
        raise NoSuchRoute(NOT_CANONICAL)
    # The listener sends every DELETE under the prefix here, the other operations' paths too.
    operation = operation_at(request.raw_path)
    if operation is None:
        raise NoSuchRoute()
    if operation != contract.ITEM_PATH or request.method != "DELETE":
        raise MethodNotAllowed(allowed_methods(operation))
    key = request.raw_path.removeprefix(contract.ITEM_PATH_PREFIX)
    if not contract.is_valid_key(key):
        raise BadRequest(
            "a key is the object_id the API returned: a lowercase uuid4", ErrorCode.INVALID_KEY
        )
    return key


def if_match(request: AlbRequest) -> EntityTags | None:
    """The request's If-Match (None without one); 400 invalid_precondition when malformed."""
    # Without multi-value headers the load balancer passes one line of a repeated field (the
    # last); with them, every line. Joined by commas they are one list (RFC 9110, 5.3).
    value = field(request.header_values(contract.IF_MATCH_HEADER))
    return parse(value, "If-Match") if value is not None else None


def delete(
    key: str, client: DynamoDBClient, tags: EntityTags | None = None
) -> tuple[int, dict[str, Any]]:
    """Deletes the item under ``key``, if ``tags`` (If-Match) holds, in one conditional
    DeleteItem: no read before it, so nothing can change the item between the check and the
    delete."""
    condition = EXISTS if tags is None else if_match_condition(tags)
    request: DeleteItemInputTypeDef = {
        "TableName": TABLE_NAME,
        "Key": {contract.PARTITION_KEY: {"S": key}},
        "ConditionExpression": condition.expression,
        "ExpressionAttributeNames": dict(condition.names),
        "ReturnValues": "ALL_OLD",
        # A failed condition then returns the item as it is, in the same call: whether it
        # changed or is gone, and its current revision (DynamoDB API Reference, DeleteItem,
        # ReturnValuesOnConditionCheckFailure).
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    if condition.values:  # DynamoDB refuses an empty map of values
        # Each a revision, a string: spelled out so the checker sees DynamoDB's value type.
        request["ExpressionAttributeValues"] = {
            name: {"S": value["S"]} for name, value in condition.values.items()
        }
    try:
        answer = client.delete_item(**request)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if tags is not None and error.get("Code") == "ConditionalCheckFailedException":
            item = exc.response.get("Item")
            raise failed(key, item if isinstance(item, dict) else None) from exc
        raise from_client_error(error, key) from exc
    except BotoCoreError as exc:
        raise StoreUnavailable(f"the table cannot be reached ({type(exc).__name__})") from exc
    if "Attributes" not in answer:
        raise NotFound(f"no item has the key {key}")
    return 200, {"deleted": key}


def handle(
    event: dict[str, Any],
    context: Any,
    client: DynamoDBClient,
    cors: CorsPolicy | None = CORS,
) -> dict[str, Any]:
    started = time.perf_counter()
    request = AlbRequest(event)
    trace_id = request.header(contract.TRACE_ID_HEADER)
    request_id = pick_request_id(
        request.header(contract.REQUEST_ID_HEADER), trace_id, lambda: context.aws_request_id
    )
    headers = {contract.REQUEST_ID_HEADER: request_id}
    if cors is not None:
        # Every answer, errors too: a page reads why its DELETE failed (412, 403, 503).
        headers |= cors.response_headers(request.header(ORIGIN))
    who: str | None = None
    route: str | None = None
    try:
        if SCOPES is not None:
            # With multi-value headers the function sees every Authorization header and
            # refuses two; without, the load balancer passes only the last one.
            claims = bearer_claims(authorization(request.header_values("authorization")))
            # Only with auth on has the load balancer verified the token (its rule for
            # DELETE): a public stack's unverified ``sub`` is never logged as a subject.
            who = subject(claims)
            if not has_scope(claims, SCOPES, Scope.DELETE):
                needed = SCOPES.names[Scope.DELETE]
                raise InsufficientScope(f"deleting needs the {needed} scope")
        key = _key(request)
        route = contract.ITEM_PATH
        status, body = delete(key, client, if_match(request))
    except ApiError as failure:
        status = failure.code.status
        body = error_body(failure.code, failure.message, request_id, failure.details)
        headers |= retry_headers(failure.code)
        # A 405's Allow, a 412's ETag.
        headers |= failure.headers
        if not failure.expected:
            log.error("dynamodb DeleteItem failed: %s", failure.message)
    except Exception as exc:  # an uncaught exception is an empty 502 from the ALB
        status = ErrorCode.INTERNAL.status
        body = error_body(ErrorCode.INTERNAL, "internal error", request_id)
        _log(request, request_id, trace_id, who, route, status, started, error=repr(exc))
        return alb_response(request, status, body, headers)
    _log(request, request_id, trace_id, who, route, status, started)
    return alb_response(request, status, body, headers)


def _log(
    request: AlbRequest,
    request_id: str,
    trace_id: str | None,
    who: str | None,
    route: str | None,
    status: int,
    started: float,
    **extra: str,
) -> None:
    # The runtime's JSON log format adds the invocation's requestId beside these.
    fields = access_fields(
        request_id=request_id,
        trace_id=trace_id,
        subject=who,
        method=request.method,
        path=request.raw_path,
        route=route,
        status=status,
        started=started,
    )
    log.log(logging.ERROR if status >= 500 else logging.INFO, MESSAGE, extra=fields | extra)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    reason = _scopes_unusable or _cors_unusable or _client_unusable
    if reason is not None or _client is None:
        return _cannot_serve(event, context, reason or "no DynamoDB client")
    return handle(event, context, _client)


def _cannot_serve(event: dict[str, Any], context: Any, reason: str) -> dict[str, Any]:
    """What an environment that failed its init answers: the API's 500, the reason logged."""
    request = AlbRequest(event)
    request_id = pick_request_id(
        request.header(contract.REQUEST_ID_HEADER),
        request.header(contract.TRACE_ID_HEADER),
        lambda: context.aws_request_id,
    )
    log.error("the function cannot serve: %s", reason)
    message = "the DELETE function is misconfigured: its log names the setting"
    body = error_body(ErrorCode.INTERNAL, message, request_id)
    headers = {contract.REQUEST_ID_HEADER: request_id}
    return alb_response(request, ErrorCode.INTERNAL.status, body, headers)
