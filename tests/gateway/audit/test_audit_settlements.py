"""The audit trail of the settlement side after real requests: submit and sign (certificate subject
and serial, never the key), delivery by ``system:outbox``, reads, AppRec and account routes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.api import create_app
from gateway.domain.audit import sha256_hex
from tests.auth_helpers import DEFAULT_CLIENT, api_key_settings
from tests.gateway.api.test_settlements import JSON, XML, settings_for, wait_for
from tests.gateway.audit.helpers import rows, rows_of
from tests.gateway.settlement.service.helpers import PATIENT, apprec, batch, to_bytes


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = settings_for(tmp_path, **api_key_settings())
    with TestClient(create_app(settings), headers=DEFAULT_CLIENT.headers) as test_client:
        yield test_client


def test_submit_sign_send_read_and_apprec_are_audited(client: TestClient) -> None:
    body = to_bytes(batch())
    response = client.post("/settlements", content=body, headers={**JSON, "x-request-id": "settle-1"})
    assert response.status_code == 202, response.text
    accepted = response.json()
    # Durable before the 202: on disk without a flush, the signature's row with it.
    [submit] = rows_of(client, "settlement.submit", flush=False)
    [sign] = rows_of(client, "settlement.sign", flush=False)
    assert (submit["resourceType"], submit["resourceId"], submit["messageId"]) == \
        ("Settlement", accepted["id"], accepted["msgId"])
    assert submit["status"] == 202 and submit["bodySha256"] == sha256_hex(body) and submit["requestId"] == "settle-1"
    assert sign["seq"] < submit["seq"] and sign["messageId"] == accepted["msgId"]
    assert sign["detail"]["certificateKind"] == "enterprise" and sign["detail"]["certificateSubject"]
    assert sign["detail"]["certificateSerial"] and "key" not in str(sign["detail"]).lower()

    status_path = httpx.URL(accepted["status_url"]).path
    wait_for(lambda: client.get(status_path).json()["state"] == "sent", what="sent")
    message = client.get(f"{status_path}/message")
    sends = wait_for(lambda: rows_of(client, "settlement.send"), what="the delivery's row")
    assert sends[0]["client"] == "system:outbox" and sends[0]["status"] == 200
    assert sends[0]["messageId"] == accepted["msgId"] and sends[0]["detail"]["outcome"] == "sent"
    assert sends[0]["bodySha256"] == sha256_hex(message.content) == sign["bodySha256"]
    assert sends[0]["requestId"] == "settle-1"  # the id of the submit that queued it

    receipt = apprec(accepted["msgId"])
    assert client.post("/apprec", content=receipt, headers=XML).status_code == 200
    [received] = rows_of(client, "apprec.receive", flush=False)
    assert received["messageId"] == accepted["msgId"] and received["bodySha256"] == sha256_hex(receipt)
    assert received["detail"]["state"] == "acknowledged"

    reads = rows_of(client, "settlement.read")
    assert reads and all(r["resourceId"] == accepted["id"] for r in reads)
    [message_read] = rows_of(client, "settlement.message.read")
    assert message_read["bodySha256"] == sha256_hex(message.content)
    exported = client.get("/audit/export").text
    assert PATIENT not in exported and "<" not in exported  # no FNR, no XML


def test_a_refused_batch_and_an_unknown_apprec_are_audited(client: TestClient) -> None:
    assert client.post("/settlements", content=b"{", headers=JSON).status_code == 400
    unknown = client.post("/apprec", content=apprec("5f0c1c2e-7a7e-4a6e-9d8e-2b8f4c1d9a10"), headers=XML)
    assert unknown.status_code == 422
    assert [r["status"] for r in rows_of(client, "settlement.submit")] == [400]
    assert [r["status"] for r in rows_of(client, "apprec.receive")] == [422]


def test_account_routes_are_audited(client: TestClient) -> None:
    listed = client.get("/accounts")
    created = client.post("/accounts", content=b"{}", headers=JSON)
    every = rows(client)
    assert [(r["action"], r["status"]) for r in every if r["action"].startswith("account.")] == \
        [("account.list", listed.status_code), ("account.create", created.status_code)]
