"""The playground's own endpoints: the page, its static files, the samples (only discovered ones), compare."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from gateway.playground.page import render_page
from gateway.toolkit.golden import GoldenCase, discover
from gateway.toolkit.samples import Sample
from tests.conftest import SAMPLES

CASES = list(discover(SAMPLES))


def test_page_lists_every_sample_and_forbids_foreign_scripts(client: TestClient) -> None:
    page = client.get("/playground")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for case in CASES:
        assert f'value="{case.input.parent.name}/{case.input.name}"' in page.text
    for label in ('<label for="sample">', '<label for="message">', '<label for="source">',
                  '<label for="fhir-version">'):
        assert label in page.text
    assert "http://" not in page.text and "https://" not in page.text  # nothing loads from elsewhere


def test_page_escapes_what_it_shows(tmp_path: Path) -> None:
    hostile = tmp_path / '"><script>alert(1)</script>.xml'
    case = GoldenCase(input=hostile, expected=tmp_path / "x.expected.json")
    page = render_page([Sample('a/"><script>alert(1)</script>.xml', "<b>fmt</b>", case)],
                       ["pas", "<img src=x>"], "pas", "4.0")
    assert "<script>alert(1)" not in page and "<img src=x>" not in page and "<b>fmt" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_static_files_and_nothing_else(client: TestClient) -> None:
    script = client.get("/playground/static/playground.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "innerHTML" not in script.text  # every value goes in as text
    assert client.get("/playground/static/playground.css").status_code == 200
    for name in ("routes_playground.py", "..%2F..%2Fapi%2F__init__.py", "%2e%2e"):
        assert client.get(f"/playground/static/{name}").status_code == 404


def test_samples_list(client: TestClient) -> None:
    listed = client.get("/playground/samples").json()
    assert len(listed) == len(CASES)
    formats = {item["path"].split("/")[0]: item["format"] for item in listed}
    assert formats == {"crm-scheduling": "crm-scheduling", "elvis": "elvis-group-visit",
                       "group-appointments": "no-group-appointment"}
    answer = next(item for item in listed if item["name"] == "10-open-invitation-answer-1177.xml")
    assert answer["source"] == "1177" and answer["given"] == ["09-open-invitation.xml"]


def test_sample_details(client: TestClient) -> None:
    details = client.get("/playground/samples/crm-scheduling/10-open-invitation-answer-1177.xml").json()
    assert details["message"].startswith("<?xml")
    assert details["options"]["source"] == "1177"
    [given] = details["options"]["given"]
    assert given["name"] == "09-open-invitation.xml" and "isInvitation" in given["message"]
    assert details["expected"]["resourceType"] == "Bundle"


@pytest.mark.parametrize("path", [
    "../pyproject.toml", "%2e%2e/pyproject.toml", "crm-scheduling/..%2F..%2Fpyproject.toml", "/etc/passwd",
    "crm-scheduling/01-make-booking-soap.expected.json", "crm-scheduling/03-update-booking-reschedule-jaxb.case.json",
    "address-register/79768-helfo.json", "crm-scheduling/nope.xml",
])
def test_only_discovered_samples_are_served(client: TestClient, path: str) -> None:
    answer = client.get(f"/playground/samples/{path}")
    assert answer.status_code == 404
    assert answer.json()["resourceType"] == "OperationOutcome"


def test_compare_uses_the_golden_diff(client: TestClient) -> None:
    sample = "crm-scheduling/01-make-booking-soap.xml"
    message = (SAMPLES / sample).read_bytes()
    bundle = client.post("/preview", content=message, headers={"Content-Type": "application/xml"}).json()["bundle"]
    same = client.post("/playground/compare", json={"sample": sample, "actual": bundle}).json()
    assert same == {"sample": sample, "passed": True, "differences": []}
    bundle["entry"][0]["resource"]["status"] = "cancelled"
    changed = client.post("/playground/compare", json={"sample": sample, "actual": bundle}).json()
    assert changed["passed"] is False
    assert [item["path"] for item in changed["differences"]] == ["entry[0].resource.status"]
    assert 'expected "booked", got "cancelled"' in changed["differences"][0]["text"]


def test_compare_refusal_and_bad_requests(client: TestClient) -> None:
    sample = "crm-scheduling/13-cancel-booking-unknown.xml"
    refused = client.post("/preview/session", json={
        "message": (SAMPLES / sample).read_text(), "name": "13-cancel-booking-unknown.xml"})
    assert refused.status_code == 422
    result = client.post("/playground/compare", json={"sample": sample, "actual": refused.json()}).json()
    assert result["passed"] is True
    assert client.post("/playground/compare", json={"actual": {}}).status_code == 400
    assert client.post("/playground/compare", json={"sample": "../x", "actual": {}}).status_code == 404
    expected = orjson.loads((SAMPLES / "crm-scheduling/13-cancel-booking-unknown.expected.json").read_bytes())
    assert refused.json() == expected
