"""Input of ``bench_settlement.py``: a large, valid kommunalt fellesoppgjør for lege, the parties of
its MsgHead, and the XML-DSig template ``xmlsec1 --sign`` fills in.

Every bill is distinct (guid, bill number, patient, time) and passes every rule, so all of them
are included in the signed message. Patients get synthetic fødselsnumre completed with
:func:`gateway.primitives.identifiers.fnr_check_digits`, as ``tests/gateway/settlement/factories.py`` makes them.
"""

from __future__ import annotations

import json
from typing import Any, Final

from adapters.outbound.signing.example_certs import ORGNR_A
from adapters.outbound.signing.xmldsig import C14N_10, DSIG_NS, ENVELOPED_SIGNATURE, RSA_SHA256, SHA256
from gateway.domain.parties import CommunicationParty, PartyType, PhysicalAddress
from gateway.primitives.identifiers import fnr_check_digits, is_valid_bank_account

#: The municipality of ``certs-example/generated/enterprise-a`` (organizationIdentifier NTRNO-921000006):
#: the account's organisation number must be the signing certificate's.
ORGNR: Final = ORGNR_A
ACCOUNT_NUMBER: Final = "63451234562"
SENDER_HER_ID: Final = "8142540"  # made up; served by the benchmark's stand-in register
PRACTITIONERS: Final = (
    {"hpr": "2345678", "givenName": "Per", "familyName": "Kommunelege"},
    {"hpr": "3456789", "givenName": "Lise", "familyName": "Vikar"},
    {"hpr": "4567890", "givenName": "Ola", "familyName": "Turnuslege"},
)
_DIAGNOSES: Final = (
    {"system": "ICPC-2", "code": "K86", "display": "Hypertensjon ukomplisert"},
    {"system": "ICPC-2", "code": "R74", "display": "Akutt øvre luftveisinfeksjon"},
    {"system": "ICD-10", "code": "J069", "display": "Akutt øvre luftveisinfeksjon, uspesifisert"},
    {"system": "ICPC-2", "code": "L03", "display": "Korsryggsymptomer/plager"},
)
_GIVEN: Final = ("Nils", "Kari", "Åse", "Per", "Sigrid", "Ole", "Ingrid", "Bjørn")
_FAMILY: Final = ("Berg", "Hansen", "Nordmann", "Lie", "Dahl", "Strøm", "Haugen", "Bakke")


def patient_ids(count: int) -> list[str]:
    """``count`` distinct, check-digit-valid fødselsnumre (born 1940-2005)."""
    ids: list[str] = []
    n = 0
    while len(ids) < count:
        day, month, year = n % 28 + 1, n // 28 % 12 + 1, 40 + n // 336 % 66
        first_nine = f"{day:02d}{month:02d}{year % 100:02d}{n // 22176 % 500:03d}"
        n += 1
        digits = fnr_check_digits(first_nine)
        if digits is not None:
            ids.append(first_nine + digits)
    return ids


def _bill(index: int, patient: str) -> dict[str, Any]:
    day, minute = index % 28 + 1, index % 480
    bill: dict[str, Any] = {
        "guid": f"7c1d2e3f-4a5b-4c6d-8e9f-{index:012d}",
        "billNumber": str(500_000 + index),
        "dateTime": f"2024-05-{day:02d}T{8 + minute // 60:02d}:{minute % 60:02d}:00+02:00",
        "patient": {"id": patient, "givenName": _GIVEN[index % 8], "familyName": _FAMILY[index // 8 % 8]},
        "practitionerHpr": PRACTITIONERS[index % 3]["hpr"],
        "tariffs": [{"code": "2ad", "amount": "196.00", "count": 1}],
        "patientSharePaid": True,
        "patientShare": "176.00",
        "diagnoses": [_DIAGNOSES[index % 4]],
    }
    if index % 3 == 1:  # a second tariff on every third bill
        bill["tariffs"].append({"code": "701a", "amount": "60.00", "count": 1})
    if index % 10 == 7:  # frikort: the patient pays no share
        bill |= {"patientSharePaid": False, "exemptionCode": "F"}
        del bill["patientShare"]
    if index % 25 == 3:
        bill["referral"] = {"date": "2024-04-02", "id": f"HV-{index}", "diagnosis": _DIAGNOSES[(index + 1) % 4]}
    if index % 100 == 42:
        bill |= {"credit": True, "note": "Krediterer regning fra forrige oppgjør"}
    return bill


def batch_document(count: int) -> dict[str, Any]:
    assert is_valid_bank_account(ACCOUNT_NUMBER)
    return {
        "account": {
            "accountingType": "kommunalt-fellesoppgjor-lege",
            "organisationNumber": ORGNR,
            "accountNumber": ACCOUNT_NUMBER,
            "senderHerId": SENDER_HER_ID,
            "owner": "Klinikkadministrator Berit",
        },
        "practitioners": [dict(p) for p in PRACTITIONERS],
        "allOrNothing": False,
        "bills": [_bill(index, patient) for index, patient in enumerate(patient_ids(count))],
    }


def make_batch(count: int) -> bytes:
    """The batch as the gateway receives it: UTF-8 JSON."""
    return json.dumps(batch_document(count), ensure_ascii=False).encode("utf-8")


def sender_party() -> CommunicationParty:
    """The municipality's doctors' service as the address register would answer for it."""
    return CommunicationParty(
        her_id=SENDER_HER_ID,
        name="Legetjenesten i Eksempel kommune",
        type=PartyType.SERVICE,
        active=True,
        organization_number=ORGNR,
        physical_addresses=(PhysicalAddress("Rådhusplassen 1", "7010", "TRONDHEIM"),),
    )


#: The same ds:Signature the gateway appends (xmldsig.sign_enveloped), left empty for xmlsec1:
#: enveloped + C14N 1.0, rsa-sha256 over sha256, the certificate in X509Data.
SIGNATURE_TEMPLATE: Final = (
    f'<ds:Signature xmlns:ds="{DSIG_NS}"><ds:SignedInfo>'
    f'<ds:CanonicalizationMethod Algorithm="{C14N_10}"/>'
    f'<ds:SignatureMethod Algorithm="{RSA_SHA256}"/>'
    '<ds:Reference URI=""><ds:Transforms>'
    f'<ds:Transform Algorithm="{ENVELOPED_SIGNATURE}"/>'
    f'<ds:Transform Algorithm="{C14N_10}"/>'
    f'</ds:Transforms><ds:DigestMethod Algorithm="{SHA256}"/><ds:DigestValue></ds:DigestValue>'
    "</ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue>"
    "<ds:KeyInfo><ds:X509Data></ds:X509Data></ds:KeyInfo></ds:Signature>"
).encode("ascii")


def with_signature_template(unsigned: bytes) -> bytes:
    """``unsigned`` (a serialised MsgHead) with :data:`SIGNATURE_TEMPLATE` as MsgHead's last child."""
    end = unsigned.rindex(b"</MsgHead>")
    return unsigned[:end] + SIGNATURE_TEMPLATE + unsigned[end:]
