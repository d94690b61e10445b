"""POST /bookings reads no SOAP header, so a header block for it marked ``mustUnderstand`` is refused
(400 ``SOAP_HEADER_NOT_UNDERSTOOD``, SOAP 1.1 §4.2.3 / 1.2 §5.2.3) and nothing is stored; a block
without it, or one for another actor, is ignored as before (issue 13, point 6)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "crm-scheduling" / "01-make-booking-soap.xml"
HEADER_END = b"</soapenv:Header>"


def _with_header(block: bytes) -> bytes:
    body = SAMPLE.read_bytes()
    assert body.count(HEADER_END) == 1
    return body.replace(HEADER_END, block + HEADER_END)


@pytest.mark.parametrize("flag", [b'soapenv:mustUnderstand="1"', b'soapenv:mustUnderstand="true"'])
def test_an_unknown_must_understand_header_is_refused(client: TestClient, flag: bytes) -> None:
    body = _with_header(b'<t:Transaction xmlns:t="urn:example:tx" ' + flag + b">42</t:Transaction>")
    reply = client.post("/bookings", content=body, headers={"Content-Type": "text/xml"})
    assert reply.status_code == 400
    assert reply.json()["issue"][0]["details"]["coding"][0]["code"] == "SOAP_HEADER_NOT_UNDERSTOOD"
    assert client.get("/fhir/Appointment").json().get("total") == 0


@pytest.mark.parametrize("block", [
    b'<t:Transaction xmlns:t="urn:example:tx">42</t:Transaction>',
    b'<t:Transaction xmlns:t="urn:example:tx" soapenv:mustUnderstand="0">42</t:Transaction>',
    b'<t:Transaction xmlns:t="urn:example:tx" soapenv:mustUnderstand="1" '
    b'soapenv:actor="urn:example:another-node">42</t:Transaction>',
])
def test_other_header_blocks_are_ignored(client: TestClient, block: bytes) -> None:
    reply = client.post("/bookings", content=_with_header(block), headers={"Content-Type": "text/xml"})
    assert reply.status_code == 200, reply.text
