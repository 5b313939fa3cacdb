"""The service's one DynamoDB client: its configuration, a response parser that leaves items
in DynamoDB's own JSON, and a User-Agent header built once.

botocore parses every response by walking the operation's output shape, which for items means
rebuilding each attribute map node by node. DynamoDB's wire format already is the attribute
value format (``{"S": ...}``, ``{"N": "<decimal text>"}``), so for the operations whose output
is items, ``orjson.loads`` gives the same structure at a fraction of the cost; the codec writes
it straight back as JSON. Binary values stay base64 text instead of becoming bytes.

botocore also rebuilds the User-Agent header, a dozen sanitised components, for every request:
a tenth of a GET's CPU (``python -m bench.profile``). The header depends only on the client,
fixed once created, and on the features the call records in its context; one string per
feature set is the same header at the cost of a dictionary lookup.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import aioboto3
import orjson
from aiobotocore.config import AioConfig
from aiobotocore.parsers import PROTOCOL_PARSERS, AioJSONParser, AioResponseParserFactory
from aiobotocore.session import get_session
from botocore.context import get_context

if TYPE_CHECKING:
    from botocore.model import Shape

    from service.settings import Settings

#: Outputs that are items (or nothing) and nothing botocore would convert.
RAW_OUTPUTS = frozenset({"GetItemOutput", "ScanOutput", "PutItemOutput"})


class _RawItemsJSONParser(AioJSONParser):
    # botocore's per-body hook of its JSON parser (not in its type stubs).
    def _handle_json_body(self, raw_body: bytes, shape: Shape | None) -> Any:
        if shape is not None and shape.name in RAW_OUTPUTS and raw_body:
            return orjson.loads(raw_body)
        return super()._handle_json_body(raw_body, shape)  # type: ignore[misc]


class _ParserFactory(AioResponseParserFactory):
    def create_parser(self, protocol_name: str) -> Any:
        defaults: dict[str, Any] = getattr(self, "_defaults", {})
        parser_class: Any = _RawItemsJSONParser
        if protocol_name != "json":
            parser_class = PROTOCOL_PARSERS[protocol_name]
        return parser_class(**defaults)


def client_config(settings: Settings) -> AioConfig:
    return AioConfig(
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        retries={"mode": "standard", "total_max_attempts": settings.max_attempts},
        max_pool_connections=settings.max_pool_connections,
        tcp_keepalive=True,
        # Requests are built by this service's own code; validating them again per call
        # costs CPU and catches nothing.
        parameter_validation=False,
    )


def session() -> aioboto3.Session:
    botocore_session = get_session()
    botocore_session.register_component("response_parser_factory", _ParserFactory())
    return aioboto3.Session(botocore_session=botocore_session)


def memoize_user_agent(client: Any) -> None:
    """The client's User-Agent string, built once per set of features a call records."""
    creator = client._user_agent_creator  # botocore's per-client builder (no public handle)
    build = creator.to_string
    built: dict[frozenset[str], str] = {}

    def to_string() -> str:
        context = get_context()
        features = frozenset(context.features) if context is not None else frozenset()
        text = built.get(features)
        if text is None:
            text = built[features] = build()
        return text

    creator.to_string = to_string


@asynccontextmanager
async def dynamodb_client(settings: Settings) -> AsyncIterator[Any]:
    """The client, open until the context exits."""
    async with session().client(
        "dynamodb",
        region_name=settings.region,
        endpoint_url=settings.endpoint_url,
        config=client_config(settings),
    ) as client:
        memoize_user_agent(client)
        yield client
