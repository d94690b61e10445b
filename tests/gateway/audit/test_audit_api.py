"""The audit trail of the booking and FHIR side after real requests: each action's row, what must
never be in a row (bodies, personnummer), the audit:read scope, tenant limits, paging and export."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import orjson
import pytest
from fastapi.testclient import TestClient

from gateway.api import create_app
from gateway.config.settings import Settings, load_settings
from gateway.domain.audit import GENESIS, sha256_hex
from tests.adapters.inbound.crm_scheduling.messages import UNIT, make_booking
from tests.auth_helpers import DEFAULT_CLIENT, Scope, api_key_settings, test_client_spec
from tests.database import database_url_for
from tests.gateway.audit.helpers import rows, rows_of

XML = {"content-type": "application/xml"}
PERSONNUMMER = "191212121212"
SEARCH = f"/fhir/Appointment?patient:identifier=http://electronichealth.se/identifier/personnummer|{PERSONNUMMER}"
READER = test_client_spec("reader", scopes={Scope.FHIR_READ}, tenants={UNIT})
AUDITOR = test_client_spec("unit-auditor", scopes={Scope.AUDIT_READ}, tenants={UNIT})
OTHER_AUDITOR = test_client_spec("other-auditor", scopes={Scope.AUDIT_READ}, tenants={"SE2321000131-E000000000999"})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(database_url=database_url_for(tmp_path), public_base_url="http://testserver/fhir",
                         **api_key_settings(READER, AUDITOR, OTHER_AUDITOR))


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), headers=DEFAULT_CLIENT.headers) as test_client:
        yield test_client


def push(client: TestClient, body: bytes, **headers: str) -> str:
    response = client.post("/bookings", content=body, headers={**XML, **headers})
    assert response.status_code == 200, response.text
    return str(response.json()["entry"][0]["response"]["location"])


def test_a_push_is_audited_in_its_own_transaction(client: TestClient) -> None:
    body = make_booking()
    location = push(client, body, **{"x-request-id": "push-42"})
    # Not flushed: the row was committed with the push itself (acknowledged ⇒ audited).
    [row] = rows_of(client, "booking.push", flush=False)
    kind, ident = location.split("/")[:2]
    assert row["client"] == DEFAULT_CLIENT.client_id and row["tenants"] == ["*"]
    assert (row["resourceType"], row["resourceId"], row["status"]) == (kind, ident, 200)
    assert row["bodySha256"] == sha256_hex(body) and row["requestId"] == "push-42"
    assert row["detail"] == {"source": "pas", "replayed": False, "resources": [location]}
    assert row["seq"] == 1 and row["prevHash"] == GENESIS
    push(client, body)
    assert rows_of(client, "booking.push")[-1]["detail"]["replayed"] is True


def test_a_refused_push_is_audited_with_its_status(client: TestClient) -> None:
    response = client.post("/bookings", content=b"<not-xml", headers=XML)
    assert response.status_code == 400
    [row] = rows_of(client, "booking.push")
    assert row["status"] == 400 and row["bodySha256"] == sha256_hex(b"<not-xml") and row["resourceId"] is None


def test_reads_vreads_and_searches_are_audited_without_values(client: TestClient) -> None:
    location = push(client, make_booking())
    kind, ident = location.split("/")[:2]
    read = client.get(f"/fhir/{kind}/{ident}")
    assert client.get(f"/fhir/{kind}/{ident}/_history/1").status_code == 200
    assert client.get(SEARCH + "&_count=10").status_code == 200
    assert client.get(f"/fhir/{kind}/no-such-id").status_code == 404
    reads = rows_of(client, "fhir.read")
    assert [(r["resourceId"], r["status"]) for r in reads] == [(ident, 200), ("no-such-id", 404)]
    assert reads[0]["bodySha256"] == sha256_hex(read.content) and reads[1]["bodySha256"] is None
    [vread] = rows_of(client, "fhir.vread")
    assert vread["detail"] == {"version": "1"} and vread["resourceId"] == ident
    [search] = rows_of(client, "fhir.search")
    assert search["resourceType"] == "Appointment" and search["resourceId"] is None
    assert search["detail"] == {"params": ["_count", "patient:identifier"], "total": 1, "returned": 1}


def test_no_body_and_no_personnummer_in_any_row(client: TestClient) -> None:
    push(client, make_booking())
    client.get(SEARCH)
    client.get(f"/fhir/Appointment?{quote(PERSONNUMMER)}=x")  # a personnummer as a parameter *name*: 400
    client.post("/preview", content=make_booking(), headers=XML)
    client.get("/audit")
    rows(client)
    export = client.get("/audit/export")
    assert export.status_code == 200
    text = export.text
    assert PERSONNUMMER not in text and PERSONNUMMER[2:] not in text
    assert "Tolvan" not in text and "MakeBooking" not in text and "Bearer" not in text
    assert DEFAULT_CLIENT.key not in text
    actions = {orjson.loads(line)["action"] for line in text.splitlines()}
    assert {"booking.push", "fhir.search", "preview.run", "audit.read"} <= actions


def test_preview_is_audited_with_the_message_hash(client: TestClient) -> None:
    body = make_booking()
    assert client.post("/preview", content=body, headers=XML).status_code == 200
    [row] = rows_of(client, "preview.run")
    assert row["status"] == 200 and row["bodySha256"] == sha256_hex(body)


def test_audit_read_needs_the_scope(client: TestClient) -> None:
    for path in ("/audit", "/audit/export"):
        refused = client.get(path, headers=READER.headers)
        assert refused.status_code == 403, refused.text
        assert refused.json()["issue"][0]["details"]["coding"][0]["code"] == "SCOPE_MISSING"
    denied = rows_of(client, "audit.read")
    assert [(r["client"], r["status"]) for r in denied] == [("reader", 403)]


def test_audit_query_filters_pages_and_is_itself_audited(client: TestClient) -> None:
    for number in range(3):
        push(client, make_booking().replace(b"B-1", f"B-{number}".encode()))
    rows(client)
    first = client.get("/audit?action=booking.push&_count=2")
    assert first.status_code == 200
    page = first.json()
    assert page["total"] == 3 and page["count"] == 2 and page["next"].endswith("_offset=2")
    second = client.get(page["next"]).json()
    assert [e["seq"] for e in page["entries"] + second["entries"]] == [1, 2, 3]
    assert client.get("/audit?action=booking.*&client=nobody").json()["total"] == 0
    resource = page["entries"][0]["resourceType"] + "/" + page["entries"][0]["resourceId"]
    assert client.get(f"/audit?resource={resource}").json()["total"] == 1
    assert client.get("/audit?from=2000-01-01&to=2000-01-02").json()["total"] == 0
    assert client.get("/audit?frm=2000-01-01").status_code == 400
    assert client.get("/audit?from=yesterday").status_code == 400
    [audited] = [r for r in rows_of(client, "audit.read") if r["status"] == 200][:1]
    assert audited["detail"]["params"] == ["_count", "action"]


def test_tenant_limited_auditors_see_their_tenants_clients_only(client: TestClient) -> None:
    push(client, make_booking())
    assert client.get(f"/fhir/Appointment?patient:identifier={PERSONNUMMER}", headers=READER.headers).status_code \
        == 200
    rows(client)
    mine = client.get("/audit", headers=AUDITOR.headers).json()
    assert {e["client"] for e in mine["entries"]} == {"reader"}  # the all-tenant client's rows are not shown
    assert client.get("/audit", headers=OTHER_AUDITOR.headers).json()["total"] == 0
    lines = client.get("/audit/export", headers=AUDITOR.headers).text.splitlines()
    assert lines and all(orjson.loads(line)["client"] in {"reader", "unit-auditor"} for line in lines)


def test_export_streams_ndjson_in_chain_order(client: TestClient) -> None:
    for number in range(5):
        push(client, make_booking().replace(b"B-1", f"B-{number}".encode()))
    with client.stream("GET", "/audit/export?from=2000-01-01") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/x-ndjson")
        assert "content-length" not in response.headers  # streamed, not buffered whole
        entries = [orjson.loads(line) for line in response.iter_lines() if line]
    assert [e["seq"] for e in entries] == list(range(1, 6))
    assert all(later["prevHash"] == earlier["hash"] for earlier, later in itertools.pairwise(entries))
    assert client.get("/audit/export?to=2000-01-01").text == ""
