from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
import hypothesis
import pytest

from devkit.asgi import serving
from picus.contract import IDEMPOTENCY_TABLE_NAME, TABLE_NAME
from tests.backends import BACKENDS, CREDENTIALS, REGION

if TYPE_CHECKING:
    from devkit.fault_proxy import FaultProxy
    from local.auth import LocalIssuer
    from service.settings import Settings

# The process's AWS clients talk to local servers only, with dummy credentials.
os.environ.update(CREDENTIALS)
os.environ["AWS_DEFAULT_REGION"] = REGION
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ.pop("AWS_PROFILE", None)

# Properties here are about answers, never speed (that is bench/'s), and CI machines are
# slower and busier than a laptop: no example fails for taking long.
hypothesis.settings.register_profile("suite", deadline=None)
hypothesis.settings.load_profile("suite")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--ddb",
        choices=sorted(BACKENDS),
        default=os.environ.get("PICUS_TEST_DDB", "moto"),
        help="the DynamoDB-compatible server to test against (env PICUS_TEST_DDB)",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "ddb_endpoint" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.ddb)


_REPORT: list[str] = []


@pytest.fixture(scope="session")
def soak_report() -> list[str]:
    """Figures a test reports at the end of the run."""
    return _REPORT


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in _REPORT:
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def ddb_endpoint(request: pytest.FixtureRequest) -> Iterator[str]:
    """A real DynamoDB-compatible server with the API's tables (the items', the Idempotency-Key
    records'); this process points at it."""
    from local.embedded import ensure_tables

    with BACKENDS[request.config.getoption("--ddb")]() as endpoint:
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
        ensure_tables(TABLE_NAME, IDEMPOTENCY_TABLE_NAME, region=REGION, endpoint_url=endpoint)
        yield endpoint


@pytest.fixture(scope="session")
def settings(ddb_endpoint: str) -> Settings:
    from service.settings import Settings

    # Local DynamoDB servers are far slower than DynamoDB: a deadline for them, so that a slow
    # full-page Scan is not a 503. The fault tests use the production defaults.
    return replace(
        Settings.from_env(), endpoint_url=ddb_endpoint, store_deadline=15.0, read_timeout=10.0
    )


@pytest.fixture(scope="session")
def service_url(settings: Settings) -> Iterator[str]:
    """The service alone, under uvicorn."""
    from service.app import create_app

    with serving(create_app(settings)) as url:
        yield url


@pytest.fixture(scope="session")
def api_url(settings: Settings) -> Iterator[str]:
    """The local origin: the service and the Lambda, routed as by the ALB."""
    from delete_fn.handler import handler
    from local.router import LocalAlb
    from service.app import create_app

    with serving(LocalAlb(create_app(settings), handler)) as url:
        yield url


@pytest.fixture(scope="session")
def issuer() -> LocalIssuer:
    """A token issuer of the tests' own, its key never written to disk."""
    from local.auth import LocalIssuer

    made = LocalIssuer("https://issuer.test")
    made.rotate(path=None)
    return made


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


@pytest.fixture
def new_table(ddb_endpoint: str) -> Callable[[], str]:
    """Creates an empty table shaped like the API's; returns its name."""
    from local.embedded import ensure_table

    def create() -> str:
        name = f"picus_test_{uuid.uuid4().hex[:12]}"
        ensure_table(name, region=REGION, endpoint_url=ddb_endpoint)
        return name

    return create


@pytest.fixture(scope="module")
def proxy(ddb_endpoint: str) -> Iterator[FaultProxy]:
    """A fault-injecting proxy in front of the test DynamoDB (a module's own)."""
    from devkit.fault_proxy import FaultProxy

    upstream = urlsplit(ddb_endpoint)
    with FaultProxy(upstream.hostname or "", upstream.port or 0).running() as running:
        yield running
