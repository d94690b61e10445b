"""What ``POST /bookings`` stores and what the SOAP MakeBooking stores for the same message are the
same FHIR resources (issue 12's acceptance): the same envelope is pushed through each into its own
fresh gateway, and every stored resource is compared, meta (lastUpdated) aside."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.api import create_app
from gateway.config.settings import load_settings
from tests.auth_helpers import DEFAULT_CLIENT
from tests.database import database_url_for

SAMPLES = Path(__file__).resolve().parents[4] / "samples" / "crm-scheduling"
SOAP = {"Content-Type": "text/xml; charset=utf-8"}


def _app(tmp_path: Path, name: str) -> TestClient:
    folder = tmp_path / name
    folder.mkdir()
    settings = load_settings(database_url=database_url_for(folder), public_base_url="http://testserver/fhir")
    return TestClient(create_app(settings), headers=DEFAULT_CLIENT.headers)


def _enveloped(body: bytes) -> bytes:
    """A bare sample inside a SOAP 1.1 envelope with its unit's LogicalAddress (both routes take it)."""
    if b"schemas.xmlsoap.org/soap/envelope" in body:
        return body
    message = re.sub(rb"^<\?xml[^>]*\?>", b"", body.strip())
    unit = re.search(rb"<(?:\w+:)?healthcare_facility>([^<]+)<", message)
    assert unit is not None
    return (b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header><a:LogicalAddress '
            b'xmlns:a="urn:riv:itintegration:registry:1">' + unit[1] + b"</a:LogicalAddress></s:Header><s:Body>"
            + message + b"</s:Body></s:Envelope>")


def _stored(client: TestClient, resource_type: str) -> list[dict[str, Any]]:
    bundle = client.get(f"/fhir/{resource_type}", params={"_count": "100"}).json()
    resources = [entry["resource"] for entry in bundle.get("entry", [])]
    for resource in resources:
        resource["meta"].pop("lastUpdated", None)
    return sorted(resources, key=lambda resource: str(resource["id"]))


@pytest.mark.parametrize("messages", [
    ["01-make-booking-soap.xml"],
    ["09-open-invitation.xml", "10-open-invitation-answer-1177.xml"],  # an invitation, then the citizen's answer
])
def test_post_bookings_and_soap_make_booking_store_the_same_resources(tmp_path: Path, messages: list[str]) -> None:
    with _app(tmp_path, "fhir") as fhir, _app(tmp_path, "soap") as soap:
        for name in messages:
            body = _enveloped((SAMPLES / name).read_bytes())
            source = {"X-Nordgate-Source": "1177"} if "1177" in name else {}
            pushed = fhir.post("/bookings", content=body, headers={**SOAP, **source})
            assert pushed.status_code == 200, pushed.text
            answered = soap.post("/rivta/MakeBooking/1/rivtabp21", content=body, headers={**SOAP, **source})
            assert answered.status_code == 200, answered.text
            assert b"<ns:resultCode>OK</ns:resultCode>" in answered.content, answered.text
        for resource_type in ("Appointment", "AppointmentResponse", "Slot"):
            assert _stored(soap, resource_type) == _stored(fhir, resource_type), resource_type
        assert _stored(soap, "Appointment"), "nothing was stored"
