"""The playground in a real browser: headless Chromium (Debian's) driven by Playwright for Python,
against the real app under uvicorn on a loopback port.

Needs ``/usr/bin/chromium`` (``apt-get install chromium``) and the ``playwright`` package; never
``playwright install`` (it downloads a browser of its own). Skips with the reason when either is
missing; CI installs both (.ci/run, the ``test`` extra). Leaves ``test-artifacts/playground.png``.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.auth_helpers import DEFAULT_CLIENT
from tests.conftest import REPO

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
# A quiet, offline browser: no GPU, no QUIC, no first-run, update, sync or background traffic.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.slow


def _expect() -> Any:
    return pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    if not CHROMIUM.is_file() or shutil.which(str(CHROMIUM)) is None:
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        # A persistent context is the way to hand Chromium a fresh user-data dir of our own.
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1366, "height": 900}, extra_http_headers=DEFAULT_CLIENT.headers)
        try:
            browser_page = context.new_page()
            browser_page.set_default_timeout(15_000)
            yield browser_page
        finally:
            context.close()


def test_pick_a_sample_run_it_see_fhir_trace_and_no_differences(page: Any, live_url: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    outside: list[str] = []
    page.on("request", lambda request: outside.append(request.url)
            if not request.url.startswith(live_url) else None)
    page.goto(f"{live_url}/playground")
    page.get_by_label("Sample").select_option("crm-scheduling/01-make-booking-soap.xml")
    # expect() polls in Playwright's own isolated world; wait_for_function would eval a string in the
    # page, which the playground's Content-Security-Policy rightly forbids.
    _expect()(page.locator("#message")).to_have_value(re.compile("MakeBooking"))
    page.get_by_role("button", name="Run preview").click()

    summary = page.locator("#comparison-summary")
    summary.wait_for()
    assert summary.inner_text().startswith("No differences")
    assert "status: booked" in page.locator("#summary").inner_text()
    assert page.locator("#format").inner_text() == "crm-scheduling"
    # The page lets long paths wrap after "/" and "." with zero-width spaces; read them without.
    rows = [text.replace("\u200b", "") for text in page.locator("#trace tbody tr").all_inner_texts()]
    [row] = [text for text in rows if "appointmentType.coding[0]" in text]
    assert "ConceptMap crm-time-type group[0].element[" in row
    assert "/MakeBooking/requestedTimeslot/timeTypeID" in row
    assert any("identifier system personnummer" in text and "subject_of_care" in text for text in rows)
    assert any("rule: status: MakeBooking with a time → booked" in text for text in rows)
    assert '"resourceType": "Bundle"' in page.locator("#fhir").inner_text()
    assert page.locator("#outcome").is_hidden()

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "playground.png"), full_page=False)
    assert errors == [] and outside == []


def test_given_messages_come_along_for_an_invitation_answer(page: Any, live_url: str) -> None:
    page.goto(f"{live_url}/playground")
    page.get_by_label("Sample").select_option("crm-scheduling/10-open-invitation-answer-1177.xml")
    page.locator("#given").wait_for()
    assert "09-open-invitation.xml" in page.locator("#given").inner_text()
    assert page.get_by_label("Source").input_value() == "1177"
    page.get_by_role("button", name="Run preview").click()
    page.locator("#comparison-summary").wait_for()
    assert page.locator("#comparison-summary").inner_text().startswith("No differences")
    assert "AppointmentResponse/" in page.locator("#summary").inner_text()


def test_a_broken_message_shows_its_operation_outcome(page: Any, live_url: str) -> None:
    page.goto(f"{live_url}/playground")
    hostile = '<MakeBooking xmlns="urn:riv:crm:scheduling:MakeBookingResponder:1"><img src=x onerror=alert(1)>'
    page.get_by_label("Message").fill(hostile)
    page.get_by_role("button", name="Run preview").click()
    outcome = page.locator("#outcome")
    outcome.wait_for()
    assert page.locator("#outcome-code").inner_text() == "XML_MALFORMED"
    assert page.locator("#outcome-status").inner_text().startswith("400")
    assert page.locator("img").count() == 0  # shown as text, never as markup
    assert page.locator("#comparison").is_hidden()

    page.get_by_label("Message").fill((REPO / "samples/crm-scheduling/16-dst-gap-nonexistent-time.xml").read_text())
    page.get_by_role("button", name="Run preview").click()
    _expect()(page.locator("#outcome-code")).to_have_text("TIME_NONEXISTENT")
    assert page.locator("#outcome-status").inner_text().startswith("422")
    assert "startTimeInclusive" in page.locator("#outcome-location").inner_text()
