"""Issue 13 point 8: ``/docs`` renders from files shipped with the gateway (no CDN), proved in headless
Chromium with every request off the loopback server aborted; and who may open it."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.api import create_app
from gateway.config.settings import Settings, load_settings
from tests.database import database_url_for
from tests.gateway.playground.test_playground_browser import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(database_url=database_url_for(tmp_path), public_base_url="http://testserver/fhir",
                         docs_public=True)


def test_docs_page_names_no_outside_url(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r"(?:src|href|url)\s*[:=]\s*['\"]([^'\"]+)['\"]", page.text)
    assert urls and all(url.startswith("/") for url in urls), urls
    for asset in ("/docs/static/swagger-ui-bundle.js", "/docs/static/swagger-ui.css"):
        answer = client.get(asset)
        assert answer.status_code == 200 and len(answer.content) > 10_000
    assert client.get("/docs/static/../../etc/passwd").status_code == 404
    assert client.get("/redoc").status_code in (401, 404)


def test_docs_need_a_token_unless_public(tmp_path: Path) -> None:
    closed = load_settings(database_url=database_url_for(tmp_path), public_base_url="http://testserver/fhir")
    with TestClient(create_app(closed)) as anonymous:
        assert anonymous.get("/docs").status_code == 401
        assert anonymous.get("/openapi.json").status_code == 401
    with TestClient(create_app(closed.model_copy(update={"docs_public": True}))) as anonymous:
        assert anonymous.get("/docs").status_code == 200
        assert anonymous.get("/openapi.json").status_code == 200
        assert anonymous.get("/fhir/Appointment").status_code == 401  # only the documentation opens


@pytest.fixture
def offline_page(tmp_path: Path) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    if not CHROMIUM.is_file() or shutil.which(str(CHROMIUM)) is None:
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = context.new_page()
            page.set_default_timeout(15_000)
            yield page
        finally:
            context.close()


@pytest.mark.slow
def test_docs_render_offline_in_chromium(offline_page: Any, live_url: str) -> None:
    outside: list[str] = []

    def only_loopback(route: Any) -> None:
        if route.request.url.startswith(live_url):
            route.continue_()
        else:  # no internet: what the page would fetch from elsewhere fails
            outside.append(route.request.url)
            route.abort()

    offline_page.route("**/*", only_loopback)
    errors: list[str] = []
    offline_page.on("pageerror", lambda error: errors.append(str(error)))
    offline_page.goto(f"{live_url}/docs")
    title = offline_page.locator(".swagger-ui .info .title")
    title.wait_for()
    assert title.inner_text().startswith("nordgate")
    offline_page.locator(".opblock-summary-path", has_text="/bookings").first.wait_for()
    assert offline_page.locator(".opblock").count() > 20
    assert outside == [] and errors == []
