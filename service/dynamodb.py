"""The service's one DynamoDB client: its configuration, items left in DynamoDB's own JSON, and
a User-Agent header built once. Only botocore's documented seams: ``Config`` and the client's
event system (``client.meta.events``); ``tests/service/test_dynamodb.py`` compares the bytes
this client sends with stock botocore's, so an upgrade that changes them fails there.

botocore parses every response by walking the operation's output shape, which for items means
rebuilding each attribute map node by node. DynamoDB's wire format already is the attribute
value format (``{"S": ...}``, ``{"N": "<decimal text>"}``), so for the operations whose output
is items, ``orjson.loads`` gives the same structure at a fraction of the cost; the codec writes
it straight back as JSON. Binary values stay base64 text instead of becoming bytes. The
``before-parse`` event hands its handlers the raw response and a dictionary whose entries the
parsed response takes over: the handler fills that from the body and leaves the parser an
empty one.

botocore also rebuilds the User-Agent header, a dozen sanitised components, twice per request:
a tenth of a GET's CPU (``python -m bench.profile``). ``Config(user_agent=...)`` sets the whole
header instead; it is botocore's own string for this client, built once, without the list of
features each call records (``m/...``), which only AWS's telemetry reads.

A large write's body is the service's own encoding (``service/wire.py``): two more handlers of
the same event system, ``before-parameter-build`` and ``before-call``, on the writing
operations.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Final

import aioboto3
import orjson
from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession, get_session
from botocore.useragent import UserAgentString

from service.wire import ENCODED_OPERATIONS, stand_in_parameters, use_encoded_body

if TYPE_CHECKING:
    from service.settings import Settings

#: Operations whose output is items (or nothing) and nothing botocore would convert.
RAW_OPERATIONS: Final = ("GetItem", "Scan", "PutItem")


def leave_items_raw(
    response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any
) -> None:
    """``before-parse`` handler: a successful answer's body as DynamoDB wrote it."""
    body = response_dict["body"]
    if response_dict["status_code"] < 300 and body:
        customized_response_dict.update(orjson.loads(body))
        response_dict["body"] = b""


def client_config(settings: Settings, user_agent: str | None = None) -> AioConfig:
    """The client's configuration; ``user_agent`` replaces the header botocore would build."""
    return AioConfig(
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        retries={"mode": "standard", "total_max_attempts": settings.max_attempts},
        max_pool_connections=settings.max_pool_connections,
        tcp_keepalive=True,
        # Requests are built by this service's own code; validating them again per call
        # costs CPU and catches nothing.
        parameter_validation=False,
        user_agent=user_agent,
    )


def built_user_agent(core: AioSession, config: AioConfig) -> str:
    """botocore's User-Agent for a client of this session and configuration, before a call
    adds its features (botocore.useragent's documented usage). Without the session's extra:
    botocore appends that to a configured header itself."""
    return (
        UserAgentString.from_environment()
        .set_session_config(core.user_agent_name, core.user_agent_version, "")
        .with_client_config(config)
        .to_string()
    )


@asynccontextmanager
async def dynamodb_client(settings: Settings) -> AsyncIterator[Any]:
    """The client, open until the context exits."""
    core = get_session()
    config = client_config(settings, built_user_agent(core, client_config(settings)))
    async with aioboto3.Session(botocore_session=core).client(
        "dynamodb",
        region_name=settings.region,
        endpoint_url=settings.endpoint_url,
        config=config,
    ) as client:
        for operation in RAW_OPERATIONS:
            client.meta.events.register(f"before-parse.dynamodb.{operation}", leave_items_raw)
        for operation in ENCODED_OPERATIONS:
            events = client.meta.events
            events.register(f"before-parameter-build.dynamodb.{operation}", stand_in_parameters)
            events.register(f"before-call.dynamodb.{operation}", use_encoded_body)
        yield client
