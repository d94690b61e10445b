"""Accounts (the clinic system's guide to municipal settlements) and how settlements are bound to them and to
tenants."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.adapters.inbound.no_group.events import P1, added, body, created, finished
from tests.auth_helpers import DEFAULT_CLIENT, Scope, test_client_spec
from tests.gateway.auth.conftest import ORG, AppFactory, code_of
from tests.gateway.settlement.service.helpers import (
    AR_DATA,
    CA_PEM,
    ENTERPRISE_P12,
    PASSWORD_FILE,
    SENDER_HER_ID,
    batch,
    bill,
    to_bytes,
)

OTHER_ORG = "974600951"
CLINIC_ADMIN = test_client_spec("clinic-admin-berit", scopes={Scope.CLINIC_ADMIN, Scope.SETTLEMENTS_SUBMIT},
                                tenants={ORG, SENDER_HER_ID})
ACCOUNTS_ADMIN = test_client_spec("accounts-admin", scopes={Scope.ACCOUNTS_ADMIN, Scope.SETTLEMENTS_SUBMIT},
                                  tenants={ORG})
OTHER_TENANT = test_client_spec("other-clinic", scopes={Scope.CLINIC_ADMIN, Scope.ACCOUNTS_ADMIN,
                                                        Scope.SETTLEMENTS_SUBMIT}, tenants={OTHER_ORG})
JOINT = {"accountingType": "kommunalt-fellesoppgjor-lege", "organisationNumber": ORG,
         "accountNumber": "63451234562", "senderHerId": SENDER_HER_ID}
SINGLE = {"accountingType": "kommunalt-enkeltoppgjor-lege", "organisationNumber": ORG,
          "accountNumber": "63451234562", "senderHerId": SENDER_HER_ID, "owner": "Dr. Per Kommunelege"}
JSON = {"content-type": "application/json"}


@pytest.fixture
def client(make_client: AppFactory, tmp_path: Any) -> Iterator[TestClient]:
    with make_client(CLINIC_ADMIN, ACCOUNTS_ADMIN, OTHER_TENANT, accounts_required=True, ar_data_dir=AR_DATA,
                     signing_trust_anchors=CA_PEM, enterprise_p12=ENTERPRISE_P12,
                     enterprise_password_file=PASSWORD_FILE, drop_dir=tmp_path / "drop") as test_client:
        yield test_client


def create(client: TestClient, account: dict[str, Any], who: Any) -> Any:
    return client.post("/accounts", json=account, headers=who.headers)


def test_only_the_clinic_administrator_makes_a_fellesoppgjor_account_and_owns_it(client: TestClient) -> None:
    refused = create(client, JOINT, ACCOUNTS_ADMIN)
    assert refused.status_code == 403 and code_of(refused) == "ACCOUNT_CLINIC_ADMIN_ONLY"
    made = create(client, JOINT, CLINIC_ADMIN)
    assert made.status_code == 201, made.text
    account = made.json()
    assert account["owner"] == "clinic-admin-berit" and account["createdBy"] == "clinic-admin-berit"
    assert made.headers["location"].endswith(f"/accounts/{account['id']}")
    named = create(client, {**JOINT, "accountNumber": "15031234562", "owner": "Someone Else"}, CLINIC_ADMIN)
    assert named.status_code == 422 and code_of(named) == "ACCOUNT_OWNER_FIXED"
    again = create(client, JOINT, CLINIC_ADMIN)
    assert again.status_code == 409 and code_of(again) == "ACCOUNT_EXISTS"
    physio = create(client, {**JOINT, "accountingType": "kommunalt-fellesoppgjor-fysioterapi"}, ACCOUNTS_ADMIN)
    assert physio.status_code == 403


def test_enkeltoppgjor_and_standard_name_their_owner(client: TestClient) -> None:
    made = create(client, SINGLE, ACCOUNTS_ADMIN)
    assert made.status_code == 201 and made.json()["owner"] == "Dr. Per Kommunelege"
    assert made.json()["createdBy"] == "accounts-admin" and made.json()["messageType"] == "LOM"
    no_owner = create(client, {**SINGLE, "accountingType": "standard", "owner": None}, ACCOUNTS_ADMIN)
    assert no_owner.status_code == 422 and code_of(no_owner) == "ACCOUNT_OWNER_MISSING"
    by_admin = create(client, {**SINGLE, "accountingType": "standard"}, CLINIC_ADMIN)
    assert by_admin.status_code == 201


@pytest.mark.parametrize(("change", "status", "code"), [
    ({"organisationNumber": "921000007"}, 422, "ORGNR_CHECK_DIGIT"),
    ({"accountNumber": "63451234563"}, 422, "ACCOUNT_NUMBER_CHECK_DIGIT"),
    ({"accountNumber": "123"}, 400, "REQUEST_INVALID"),
    ({"surprise": 1}, 400, "REQUEST_INVALID"),
])
def test_numbers_are_checked(client: TestClient, change: dict[str, Any], status: int, code: str) -> None:
    response = create(client, {**SINGLE, **change}, DEFAULT_CLIENT)
    assert response.status_code == status and code_of(response) == code


def test_accounts_are_per_tenant(client: TestClient) -> None:
    mine = create(client, SINGLE, ACCOUNTS_ADMIN).json()
    refused = create(client, {**SINGLE, "organisationNumber": OTHER_ORG}, ACCOUNTS_ADMIN)
    assert refused.status_code == 403 and code_of(refused) == "TENANT_FORBIDDEN"
    theirs = create(client, {**SINGLE, "organisationNumber": OTHER_ORG}, OTHER_TENANT).json()
    assert [a["id"] for a in client.get("/accounts", headers=ACCOUNTS_ADMIN.headers).json()["accounts"]] \
        == [mine["id"]]
    assert client.get(f"/accounts/{mine['id']}", headers=ACCOUNTS_ADMIN.headers).status_code == 200
    hidden = client.get(f"/accounts/{theirs['id']}", headers=ACCOUNTS_ADMIN.headers)
    assert hidden.status_code == 404 and code_of(hidden) == "ACCOUNT_NOT_FOUND"
    assert client.patch(f"/accounts/{theirs['id']}", json={"name": "x"}, headers=ACCOUNTS_ADMIN.headers) \
        .status_code == 404
    assert client.delete(f"/accounts/{theirs['id']}", headers=ACCOUNTS_ADMIN.headers).status_code == 404
    assert len(client.get("/accounts", headers=DEFAULT_CLIENT.headers).json()["accounts"]) == 2


def test_change_and_remove(client: TestClient) -> None:
    joint = create(client, JOINT, CLINIC_ADMIN).json()
    changed = client.patch(f"/accounts/{joint['id']}", json={"messageType": "POM", "name": "Legevakt"},
                           headers=CLINIC_ADMIN.headers)
    assert changed.status_code == 200 and changed.json()["messageType"] == "POM"
    assert changed.json()["owner"] == joint["owner"]
    assert client.patch(f"/accounts/{joint['id']}", json={"name": "x"}, headers=ACCOUNTS_ADMIN.headers) \
        .status_code == 403
    fixed = client.patch(f"/accounts/{joint['id']}", json={"owner": "x"}, headers=CLINIC_ADMIN.headers)
    assert fixed.status_code == 422 and code_of(fixed) == "ACCOUNT_OWNER_FIXED"
    immutable = client.patch(f"/accounts/{joint['id']}", json={"accountingType": "standard"},
                             headers=CLINIC_ADMIN.headers)
    assert immutable.status_code == 400
    assert client.delete(f"/accounts/{joint['id']}", headers=ACCOUNTS_ADMIN.headers).status_code == 403
    assert client.delete(f"/accounts/{joint['id']}", headers=CLINIC_ADMIN.headers).status_code == 204
    assert client.get(f"/accounts/{joint['id']}", headers=CLINIC_ADMIN.headers).status_code == 404


def submit(client: TestClient, doc: dict[str, Any], who: Any = CLINIC_ADMIN) -> Any:
    return client.post("/settlements", content=to_bytes(doc), headers={**JSON, **who.headers})


def test_a_settlement_names_an_account_of_the_callers_tenant(client: TestClient) -> None:
    unregistered = submit(client, batch())
    assert unregistered.status_code == 422 and code_of(unregistered) == "ACCOUNT_UNKNOWN"
    account = create(client, JOINT, CLINIC_ADMIN).json()
    accepted = submit(client, batch(accountId=account["id"]))
    assert accepted.status_code == 202, accepted.text
    # Without accountId the inline account must match a registered one exactly (other bills: those
    # of the first batch are claimed).
    assert submit(client, batch([bill(3)])).status_code == 202
    unknown = submit(client, batch(accountId="no-such-account"))
    assert unknown.status_code == 422 and code_of(unknown) == "ACCOUNT_UNKNOWN"
    mismatch = submit(client, {**batch(accountId=account["id"]),
                               "account": {**batch()["account"], "accountNumber": "15031234562"}})
    assert mismatch.status_code == 422 and code_of(mismatch) == "ACCOUNT_MISMATCH"
    assert mismatch.json()["issue"][0]["location"] == ["/account/accountNumber"]


def test_another_tenants_account_or_organisation_is_refused(client: TestClient) -> None:
    account = create(client, JOINT, CLINIC_ADMIN).json()
    foreign = submit(client, batch(accountId=account["id"]), OTHER_TENANT)
    assert foreign.status_code == 403 and code_of(foreign) == "TENANT_FORBIDDEN"  # the inline orgnr is not theirs
    theirs = create(client, {**JOINT, "organisationNumber": OTHER_ORG}, OTHER_TENANT).json()
    borrowed = submit(client, batch(accountId=theirs["id"]))
    assert borrowed.status_code == 422 and code_of(borrowed) == "ACCOUNT_UNKNOWN"


def test_another_tenants_settlement_is_404(client: TestClient) -> None:
    account = create(client, JOINT, CLINIC_ADMIN).json()
    settlement = submit(client, batch(accountId=account["id"])).json()["id"]
    assert client.get(f"/settlements/{settlement}", headers=CLINIC_ADMIN.headers).status_code == 200
    for path in (f"/settlements/{settlement}", f"/settlements/{settlement}/message"):
        hidden = client.get(path, headers=OTHER_TENANT.headers)
        assert hidden.status_code == 404 and code_of(hidden) == "SETTLEMENT_NOT_FOUND", path


def test_apprec_needs_its_own_scope(client: TestClient) -> None:
    refused = client.post("/apprec", content=b"<AppRec/>", headers={"content-type": "application/xml",
                                                                      **CLINIC_ADMIN.headers})
    assert refused.status_code == 403 and code_of(refused) == "SCOPE_MISSING"


def test_the_draft_bills_of_a_finished_group_stay_postable(client: TestClient) -> None:
    physio = {**JOINT, "accountingType": "kommunalt-fellesoppgjor-fysioterapi"}
    assert create(client, physio, CLINIC_ADMIN).status_code == 201
    for doc in (created(), added(P1), finished()):
        pushed = client.post("/bookings", content=body(doc), headers={**JSON, **DEFAULT_CLIENT.headers})
        assert pushed.status_code == 200, pushed.text
    bills = client.get("/group-appointments/GT-TEST-1/bills", params={"herId": SENDER_HER_ID},
                       headers=CLINIC_ADMIN.headers)
    assert bills.status_code == 200, bills.text
    assert client.get("/group-appointments/GT-TEST-1/bills", params={"herId": SENDER_HER_ID},
                      headers=OTHER_TENANT.headers).status_code == 404
    settled = client.post("/settlements", content=bills.content, headers={**JSON, **CLINIC_ADMIN.headers})
    assert settled.status_code == 202, settled.text
