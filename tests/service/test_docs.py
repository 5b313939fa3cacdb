"""/docs: Swagger UI from the service's own files, and "Try it out" in a real browser against
the README's run command (the local origin, routed as by the load balancer)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from devkit.processes import local_origin
from service.docs import ASSETS, ASSETS_PATH, INIT_SCRIPT
from service.openapi import ITEMS_TAG

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = os.environ.get("PICUS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
#: Flags for a sandboxed machine with no network beyond loopback.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_the_page_loads_only_the_services_own_files(http: httpx.Client, api_url: str) -> None:
    page = http.get(f"{api_url}/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    loaded = re.findall(r"(?:src|href)='([^']+)'", page.text)
    assert f"{ASSETS_PATH}/swagger-ui-bundle.js" in loaded
    assert all(url.startswith("/") for url in loaded), f"a third-party file: {loaded}"
    for name in [*ASSETS, INIT_SCRIPT]:
        asset = http.get(f"{api_url}{ASSETS_PATH}/{name}")
        assert asset.status_code == 200 and asset.content, name
    bundle = http.get(f"{api_url}{ASSETS_PATH}/swagger-ui-bundle.js").text
    # Swagger UI 5 renders OpenAPI 3.1; version 4 shows only an "unsupported version" error.
    assert "OpenAPI31" in bundle
    init = http.get(f"{api_url}{ASSETS_PATH}/{INIT_SCRIPT}").text
    assert "url: '/openapi.json'" in init and "validatorUrl: null" in init


@pytest.mark.parametrize("name", ["swagger-editor-bundle.js", "..%2F__init__.py", "index.css"])
def test_nothing_else_of_the_package_is_served(http: httpx.Client, api_url: str, name: str) -> None:
    assert http.get(f"{api_url}{ASSETS_PATH}/{name}").status_code == 404


def test_without_javascript_the_page_still_lists_the_operations(
    http: httpx.Client, api_url: str
) -> None:
    text = http.get(f"{api_url}/docs").text
    noscript = text[text.index("<noscript>") : text.index("</noscript>")]
    for operation in ("POST /picus/put", "GET /picus/get/{key}", "DELETE /picus/{key}"):
        assert operation in noscript


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with local_origin(tmp_path_factory.mktemp("home")) as running:
        yield running.url


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless; the test skips without it, except in CI, where it fails."""
    if not Path(CHROMIUM).is_file():
        if os.environ.get("CI"):
            pytest.fail(f"CI runs the browser test and needs Chromium at {CHROMIUM}")
        pytest.skip("needs Chromium (Debian's chromium package, or PICUS_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def browser_page() -> Iterator[Page]:
    with chromium() as browser:
        yield browser.new_page(viewport={"width": 1280, "height": 900})


def _try_it_out(page: Page, operation_id: str) -> object:
    block = page.locator(f"#operations-{ITEMS_TAG}-{operation_id}")
    block.locator(".opblock-summary").click()
    block.get_by_role("button", name="Try it out").click()
    return block


def _execute(page: Page, operation_id: str) -> tuple[int, dict[str, object]]:
    block = page.locator(f"#operations-{ITEMS_TAG}-{operation_id}")
    block.get_by_role("button", name="Execute").click()
    status = block.locator(".live-responses-table tr.response .response-col_status").first
    status.wait_for(timeout=15_000)
    body = block.locator(".live-responses-table tr.response .response-col_description pre")
    text = body.first.inner_text()
    return int(status.inner_text().strip()), json.loads(text)


def test_try_it_out_puts_gets_and_deletes_from_the_page(
    served: str, browser_page: Page, tmp_path: Path
) -> None:
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{served}/docs")
    page.locator(".opblock").first.wait_for(timeout=20_000)
    listed = {
        f"{m.strip()} {p.strip()}"
        for m, p in zip(
            page.locator(".opblock-summary-method").all_inner_texts(),
            page.locator(".opblock-summary-path").all_inner_texts(),
            strict=True,
        )
    }
    assert {"POST /picus/put", "GET /picus/get/{key}", "DELETE /picus/{key}"} <= {
        re.sub(r"\u200b", "", entry) for entry in listed
    }, listed

    _try_it_out(page, "putItem")
    body = page.locator(f"#operations-{ITEMS_TAG}-putItem textarea.body-param__text")
    body.fill('{"from": "the docs page", "n": 1.5}')
    status, created = _execute(page, "putItem")
    assert status == 201, created
    key = str(created["object_id"])

    _try_it_out(page, "getItem")
    page.locator(f"#operations-{ITEMS_TAG}-getItem input[placeholder='key']").fill(key)
    status, item = _execute(page, "getItem")
    assert (status, item["payload"]) == (200, {"from": "the docs page", "n": 1.5})

    # Served by the DELETE function, routed there by the local origin as by the ALB.
    _try_it_out(page, "deleteItem")
    page.locator(f"#operations-{ITEMS_TAG}-deleteItem input[placeholder='key']").fill(key)
    status, deleted = _execute(page, "deleteItem")
    assert (status, deleted) == (200, {"deleted": key})

    page.screenshot(path=str(tmp_path / "docs.png"), full_page=False)
    assert errors == [], errors


def test_authorize_with_a_bearer_token_then_try_it_out(browser_page: Page, tmp_path: Path) -> None:
    from local.auth import LocalIssuer

    page = browser_page
    with local_origin(tmp_path, "--auth") as running:
        base = running.url
        page.goto(f"{base}/docs")
        page.locator(".opblock").first.wait_for(timeout=20_000)
        _try_it_out(page, "putItem")
        body = page.locator(f"#operations-{ITEMS_TAG}-putItem textarea.body-param__text")
        body.fill('{"who": "anyone"}')
        block = page.locator(f"#operations-{ITEMS_TAG}-putItem")
        block.get_by_role("button", name="Execute").click()
        status = block.locator(".live-responses-table tr.response .response-col_status").first
        status.wait_for(timeout=15_000)
        assert status.inner_text().strip() == "401", "the load balancer's refusal"

        token = LocalIssuer.load(tmp_path / "issuer.json").mint(["picus:write"])
        page.locator(".auth-wrapper .authorize").click()
        dialog = page.locator(".modal-ux")
        # The document offers the issuer's OpenID Connect flows and a pasted bearer token.
        pasted = dialog.locator(".auth-container").filter(has_text="http, Bearer")
        pasted.locator("input").fill(token)
        pasted.get_by_role("button", name="Apply credentials").click()
        dialog.locator("button.btn-done").first.click()
        block.get_by_role("button", name="Clear").click()
        code, created = _execute(page, "putItem")
        assert code == 201, created
