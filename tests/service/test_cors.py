"""CORS from a real browser: a page on another origin puts, reads, replaces and deletes an item
through the local origin (the service and the function, routed as by the load balancer), and a
page on an origin the stack does not name can neither read an answer nor store anything."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from devkit.asgi import serving
from devkit.processes import local_origin
from local.router import LocalAlb
from picus import contract
from picus.cors import ALLOW_METHODS, ALLOW_ORIGIN, MAX_AGE, MAX_AGE_SECONDS, CorsPolicy
from picus.routing import allowed_methods
from service.app import create_app
from tests.service.test_docs import chromium

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from service.settings import Settings

#: The page's script: each step's status and the headers a page may read, or the error that
#: stopped it, as JSON in ``#out``.
PAGE = b"""<!doctype html>
<html><body><pre id="out"></pre><script>
const query = new URLSearchParams(location.search);
const api = query.get("api");
async function call(path, init) {
  const response = await fetch(api + path, init);
  const headers = {};
  for (const name of ["etag", "location", "x-request-id"]) {
    headers[name] = response.headers.get(name);
  }
  return {status: response.status, headers, body: await response.text()};
}
(async () => {
  const out = {steps: {}};
  try {
    const json = {"content-type": "application/json"};
    const put = await call("/picus/put", {
      method: "POST",
      headers: {...json, "idempotency-key": crypto.randomUUID()},
      body: JSON.stringify({marker: query.get("marker"), n: 1}),
    });
    out.steps.put = put;
    const key = JSON.parse(put.body).object_id;
    const item = "/picus/" + key;
    out.steps.get = await call(item, {});
    const etag = out.steps.get.headers.etag;
    out.steps.replace = await call(item, {
      method: "PUT",
      headers: {...json, "if-match": etag},
      body: JSON.stringify({marker: query.get("marker"), n: 2}),
    });
    out.steps.stale = await call(item, {method: "DELETE", headers: {"if-match": etag}});
    const current = out.steps.replace.headers.etag;
    out.steps.delete = await call(item, {method: "DELETE", headers: {"if-match": current}});
    out.steps.gone = await call(item, {});
  } catch (error) {
    out.error = error.name;
  }
  document.getElementById("out").textContent = JSON.stringify(out);
  document.getElementById("out").dataset.done = "1";
})();
</script></body></html>
"""


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass(frozen=True)
class Origins:
    #: The page's server under the name the API allows, and under one it does not.
    allowed: str
    other: str
    api: str


@pytest.fixture(scope="module")
def page_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def origins(page_port: int, settings: Settings, ddb_endpoint: str) -> Iterator[Origins]:
    # One server, two origins: a browser tells them apart by host name alone.
    allowed, other = f"http://127.0.0.1:{page_port}", f"http://localhost:{page_port}"
    policy = CorsPolicy(frozenset({allowed}))
    # Imported here, as tests/conftest.py does: the function makes its client at import, and
    # the suite's DynamoDB endpoint is only set once the session's backend runs.
    from delete_fn.handler import handle, make_client

    client = make_client(ddb_endpoint)

    def delete(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return handle(event, context, client, cors=policy)

    app = LocalAlb(create_app(replace(settings, cors_origins=allowed)), delete, cors=True)
    with serving(app) as api:
        yield Origins(allowed, other, api)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def _run_page(browser: Browser, page_origin: str, api: str, marker: str) -> dict[str, Any]:
    page = browser.new_page()
    try:
        page.goto(f"{page_origin}/?{httpx.QueryParams(api=api, marker=marker)}")
        page.wait_for_selector("#out[data-done]", state="attached", timeout=20_000)
        result: dict[str, Any] = json.loads(page.inner_text("#out"))
        return result
    finally:
        page.close()


def _stored(settings: Settings, ddb_endpoint: str, marker: str) -> bool:
    from delete_fn.handler import make_client

    pages = make_client(ddb_endpoint).get_paginator("scan").paginate(TableName=settings.table_name)
    return any(marker in json.dumps(item) for page in pages for item in page.get("Items", []))


def test_a_page_on_an_allowed_origin_puts_reads_replaces_and_deletes(
    browser: Browser, origins: Origins, settings: Settings, ddb_endpoint: str
) -> None:
    marker = str(uuid.uuid4())
    out = _run_page(browser, origins.allowed, origins.api, marker)
    assert "error" not in out, out
    steps = out["steps"]
    put, get, replace = steps["put"], steps["get"], steps["replace"]
    assert put["status"] == 201, put
    key = json.loads(put["body"])[contract.PARTITION_KEY]
    # Headers beyond the safelisted ones are readable only because the answer exposes them.
    assert put["headers"]["location"] == contract.item_url(key)
    assert put["headers"]["x-request-id"]
    assert get["status"] == 200 and json.loads(get["body"])["payload"]["marker"] == marker
    assert get["headers"]["etag"], "the page cannot read the ETag"
    assert replace["status"] == 200, replace
    assert replace["headers"]["etag"] not in (None, get["headers"]["etag"])
    # The function's answers, the refusal too: a 412 the page can read and act on (without
    # Access-Control-Allow-Origin the browser would have rejected the fetch).
    assert steps["stale"]["status"] == 412, steps["stale"]
    assert steps["delete"]["status"] == 200, steps["delete"]
    assert steps["gone"]["status"] == 404
    assert not _stored(settings, ddb_endpoint, marker)


def test_a_page_on_another_origin_reads_nothing_and_stores_nothing(
    browser: Browser, origins: Origins, settings: Settings, ddb_endpoint: str
) -> None:
    marker = str(uuid.uuid4())
    out = _run_page(browser, origins.other, origins.api, marker)
    # fetch() rejects with a TypeError and nothing more: the browser hides even the status.
    assert out == {"steps": {}, "error": "TypeError"}
    # The preflight was refused, so the browser never sent the put.
    assert not _stored(settings, ddb_endpoint, marker)


def test_the_preflight_names_the_paths_methods_and_refuses_other_origins_and_paths(
    origins: Origins, http: httpx.Client
) -> None:
    item = contract.item_url(str(uuid.uuid4()))

    def preflight(path: str, origin: str) -> httpx.Response:
        headers = {"origin": origin, "access-control-request-method": "DELETE"}
        return http.options(origins.api + path, headers=headers)

    allowed = preflight(item, origins.allowed)
    assert allowed.status_code == 204
    assert allowed.headers[ALLOW_ORIGIN] == origins.allowed
    assert allowed.headers[ALLOW_METHODS] == ", ".join(allowed_methods(contract.ITEM_PATH))
    assert allowed.headers[MAX_AGE] == str(MAX_AGE_SECONDS)
    # Another origin, or a path that is no route: an ordinary OPTIONS, no CORS header at all.
    for refused in (preflight(item, origins.other), preflight("/picus/a/b", origins.allowed)):
        assert refused.status_code in (404, 405)
        assert not any(name.startswith("access-control-") for name in refused.headers)
        assert refused.headers["vary"] == "origin"


def test_without_origins_the_service_sends_no_cors_header(api_url: str, http: httpx.Client) -> None:
    headers = {"origin": "https://app.example.com", "access-control-request-method": "GET"}
    for response in (
        http.options(f"{api_url}{contract.LIST_PATH}", headers=headers),
        http.get(f"{api_url}{contract.LIST_PATH}", headers=headers),
    ):
        assert not any(name.startswith("access-control-") for name in response.headers)
        assert "vary" not in response.headers


def test_serve_hands_its_cors_origins_to_the_function(tmp_path: Path) -> None:
    origin = "http://localhost:5173"
    with local_origin(tmp_path, "--cors-origin", origin) as served:
        url = served.url + contract.item_url(str(uuid.uuid4()))
        response = httpx.delete(url, headers={"origin": origin}, timeout=30)
    assert response.status_code == 404
    assert response.headers[ALLOW_ORIGIN] == origin


def test_serve_refuses_a_cors_origin_no_browser_sends() -> None:
    from local.__main__ import main

    with pytest.raises(SystemExit, match=r"--cors-origin '\*': no wildcard"):
        main(["--cors-origin", "*"])
