"""``POST /settlements`` with ``Idempotency-Key``: a client that never got its 202 (the gateway died
after committing, the connection broke) sends the same request again and gets the settlement it
already made, instead of a second signed claim for the same bills."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.api import create_app
from gateway.config.settings import load_settings
from tests.auth_helpers import DEFAULT_CLIENT, api_key_settings
from tests.database import database_url_for
from tests.gateway.settlement.service.helpers import (
    AR_DATA,
    CA_PEM,
    ENTERPRISE_P12,
    PASSWORD_FILE,
    batch,
    bill,
    to_bytes,
)

JSON = {"content-type": "application/json"}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = load_settings(database_url=database_url_for(tmp_path), ar_data_dir=AR_DATA, signing_trust_anchors=CA_PEM,
                             enterprise_p12=ENTERPRISE_P12, enterprise_password_file=PASSWORD_FILE,
                             drop_dir=tmp_path / "drop", outbox_worker=False, **api_key_settings())
    with TestClient(create_app(settings), headers=DEFAULT_CLIENT.headers) as test_client:
        account: dict[str, Any] = batch()["account"]
        fields = {name: account[name] for name in ("accountingType", "organisationNumber", "accountNumber",
                                                   "senderHerId")}
        registered = test_client.post("/accounts", json=fields)
        assert registered.status_code in (201, 404), registered.text  # 404: a build without accounts
        yield test_client


def _code(body: dict[str, Any]) -> str:
    return str(body["issue"][0]["details"]["coding"][0]["code"])


def test_the_same_key_and_batch_again_answers_the_first_settlement(client: TestClient) -> None:
    body = to_bytes(batch([bill(1)]))
    first = client.post("/settlements", content=body, headers={**JSON, "idempotency-key": "batch-2024-06-a"})
    again = client.post("/settlements", content=body, headers={**JSON, "idempotency-key": "batch-2024-06-a"})
    assert first.status_code == again.status_code == 202, again.text
    assert again.json() == first.json() and again.headers["location"] == first.headers["location"]
    # Without a key (or with another one) the same batch is a new submission: of bills already
    # claimed, so it is refused bill by bill and nothing is signed.
    other = client.post("/settlements", content=body, headers={**JSON, "idempotency-key": "batch-2024-06-b"})
    plain = client.post("/settlements", content=body, headers=JSON)
    for refused in (other, plain):
        assert refused.status_code == 422 and _code(refused.json()) == "BATCH_EMPTY"
        assert refused.json()["issue"][1]["details"]["coding"][0]["code"] == "BILL_ALREADY_CLAIMED"
    assert len({first.json()["id"], other.headers["location"], plain.headers["location"]}) == 3


def test_the_same_key_with_another_batch_is_409_and_stores_nothing(client: TestClient) -> None:
    first = client.post("/settlements", content=to_bytes(batch([bill(1)])), headers={**JSON, "idempotency-key": "k1"})
    assert first.status_code == 202
    reused = client.post("/settlements", content=to_bytes(batch([bill(2)])), headers={**JSON, "idempotency-key": "k1"})
    assert reused.status_code == 409 and _code(reused.json()) == "IDEMPOTENCY_KEY_REUSED"
    assert client.get(f"/settlements/{first.json()['id']}").json()["totals"]["billCount"] == 1


def test_a_refused_batch_is_refused_again_under_its_key(client: TestClient) -> None:
    refused_batch = to_bytes(batch([bill(1), bill(2, patientSharePaid=True, exemptionCode="F")], allOrNothing=True))
    first = client.post("/settlements", content=refused_batch, headers={**JSON, "idempotency-key": "r1"})
    again = client.post("/settlements", content=refused_batch, headers={**JSON, "idempotency-key": "r1"})
    assert first.status_code == again.status_code == 422
    assert _code(again.json()) == _code(first.json()) == "BATCH_REFUSED_ALL_OR_NOTHING"
    assert again.headers["location"] == first.headers["location"]


@pytest.mark.parametrize("key", [b"", b"x" * 201, "bad\u00e9key".encode(), b"tab\tkey"])
def test_an_unusable_key_is_400(client: TestClient, key: bytes) -> None:
    response = client.post("/settlements", content=to_bytes(batch([bill(1)])),
                           headers={**JSON, "idempotency-key": key})  # type: ignore[dict-item]
    assert response.status_code == 400 and _code(response.json()) == "IDEMPOTENCY_KEY_INVALID"
