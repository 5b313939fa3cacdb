"""The plugin, running as the engine runs it for a consumer's program, and what it answers.

Package-scoped: one provider process serves every test here, and is reaped after the last.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime.proto import provider_pb2

from tests.plugin.engine import Engine, engine_service
from tests.plugin.provider import Provider, running

#: The component's type token, as the consumer's SDK names it.
TOKEN = "picus:index:ApiCluster"


@dataclass
class Host:
    engine: Engine
    provider: Provider
    #: The consumer's project folder: the provider's working directory.
    consumer: Path


@pytest.fixture(scope="package")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    engine = Engine()
    consumer = tmp_path_factory.mktemp("consumer")
    with engine_service(engine) as address, running(address, consumer) as provider:
        yield Host(engine, provider, consumer)


@pytest.fixture(scope="package")
def schema(host: Host) -> dict[str, Any]:
    """The package's schema, as ``pulumi package add`` and ``pulumi package get-schema`` get it."""
    request = provider_pb2.GetSchemaRequest(version=0)
    response = host.provider.stub.GetSchema(request, timeout=30)
    document: dict[str, Any] = json.loads(response.schema)
    return document
