"""One version everywhere: picus/version.py's VERSION is the package's, the served API
document's, the client's User-Agent's, the changelog's latest release's and the Pulumi plugin's;
and the licence those name is the Apache License 2.0, word for word."""

from __future__ import annotations

import asyncio
import hashlib
import re
import tomllib

import httpx
import pytest
import yaml

from client import AsyncPicusClient, PicusClient
from devkit import ROOT
from picus.contract import OPENAPI_PATH
from picus.version import LICENSE, VERSION
from service.app import create_app
from service.settings import Settings

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
#: https://www.apache.org/licenses/LICENSE-2.0.txt, byte for byte (11358 bytes, LF endings).
APACHE_2_0_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"
PLUGIN_MANIFEST = ROOT / "plugin" / "PulumiPlugin.yaml"


def test_the_version_is_semver() -> None:
    # A Pulumi package's version must be semver; the others take it as it is.
    assert re.fullmatch(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)", VERSION), VERSION


def test_the_package_has_the_version() -> None:
    assert "version" not in PYPROJECT.get("dynamic", []), "pyproject.toml's version is static"
    assert PYPROJECT["version"] == VERSION, "pyproject.toml [project] version"


def test_the_served_api_document_has_the_version() -> None:
    # Served in process without the lifespan, so no DynamoDB: the app builds the document.
    async def fetch() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(Settings()))
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as http:
            return await http.get(OPENAPI_PATH)

    answer = asyncio.run(fetch())
    assert answer.status_code == 200
    info = answer.json()["info"]
    assert info["version"] == VERSION
    assert info["license"] == {"name": LICENSE, "identifier": LICENSE}


def test_the_client_sends_the_version_in_its_user_agent() -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"status": "ok"})

    with PicusClient("http://api.test", transport=httpx.MockTransport(answer)) as api:
        api.request("GET", "/health")

    async def call() -> None:
        transport = httpx.MockTransport(answer)
        async with AsyncPicusClient("http://api.test", transport=transport) as api:
            await api.request("GET", "/health")

    asyncio.run(call())
    assert [request.headers["user-agent"] for request in sent] == [f"picus-client/{VERSION}"] * 2


def test_the_changelogs_latest_release_is_the_version() -> None:
    releases = re.findall(
        r"^## \[([^\]]+)\] - (\d{4}-\d{2}-\d{2})$", (ROOT / "CHANGELOG.md").read_text(), re.M
    )
    assert releases, "CHANGELOG.md has a '## [x.y.z] - YYYY-MM-DD' heading"
    assert releases[0][0] == VERSION, "CHANGELOG.md's first release heading"


def test_the_plugin_manifest_declares_no_other_version() -> None:
    if not PLUGIN_MANIFEST.exists():
        pytest.skip("plugin/PulumiPlugin.yaml does not exist yet")
    manifest = yaml.safe_load(PLUGIN_MANIFEST.read_text())
    assert manifest.get("version", VERSION) == VERSION, "plugin/PulumiPlugin.yaml version"


def test_the_licence_is_apache_2_0_word_for_word() -> None:
    licence = (ROOT / "LICENSE").read_bytes()
    lines = licence.decode().splitlines()
    assert [line.strip() for line in lines[1:4]] == [
        "Apache License",
        "Version 2.0, January 2004",
        "http://www.apache.org/licenses/",
    ]
    assert "APPENDIX: How to apply the Apache License to your work." in licence.decode()
    assert hashlib.sha256(licence).hexdigest() == APACHE_2_0_SHA256, "LICENSE was edited"
    assert PYPROJECT["license"] == LICENSE == "Apache-2.0"
    assert PYPROJECT["license-files"] == ["LICENSE"]
