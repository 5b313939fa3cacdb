"""The service's one DynamoDB client: its configuration, and a response parser that leaves
items in DynamoDB's own JSON.

botocore parses every response by walking the operation's output shape, which for items means
rebuilding each attribute map node by node. DynamoDB's wire format already is the attribute
value format (``{"S": ...}``, ``{"N": "<decimal text>"}``), so for the operations whose output
is items, ``json.loads`` gives the same structure at a fraction of the cost; the codec writes
it straight back as JSON. Binary values stay base64 text instead of becoming bytes.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import aioboto3
from aiobotocore.config import AioConfig
from aiobotocore.parsers import PROTOCOL_PARSERS, AioJSONParser, AioResponseParserFactory
from aiobotocore.session import get_session

if TYPE_CHECKING:
    from botocore.model import Shape

    from service.settings import Settings

#: Outputs that are items (or nothing) and nothing botocore would convert.
RAW_OUTPUTS = frozenset({"GetItemOutput", "ScanOutput", "PutItemOutput"})


class _RawItemsJSONParser(AioJSONParser):
    # botocore's per-body hook of its JSON parser (not in its type stubs).
    def _handle_json_body(self, raw_body: bytes, shape: Shape | None) -> Any:
        if shape is not None and shape.name in RAW_OUTPUTS and raw_body:
            return json.loads(raw_body)
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


def dynamodb_client(settings: Settings) -> Any:
    """An async context manager: the client, open until it exits."""
    return session().client(
        "dynamodb",
        region_name=settings.region,
        endpoint_url=settings.endpoint_url,
        config=client_config(settings),
    )
