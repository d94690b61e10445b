"""Builders of settlement batches and address-register parties for the settlement and outbound
tests. Every national id is made with the mod 11 function, so it is synthetic but valid."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from gateway.domain.parties import CommunicationParty, PartyType, PhysicalAddress
from gateway.domain.settlement import SettlementBatch
from gateway.primitives.identifiers import fnr_check_digits
from gateway.settlement.batch import parse_batch

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO / "samples" / "settlements"

ORGNR = "940000017"
ACCOUNT_NUMBER = "15031234562"
SIGNER = "1234567"
OTHER = "2345678"


def fnr(first_nine: str) -> str:
    digits = fnr_check_digits(first_nine)
    assert digits is not None, f"{first_nine} has no valid completion"
    return first_nine + digits


PATIENT = fnr("010180123")
PATIENT_DNR = fnr("410190444")


def bill(number: int, **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "guid": f"00000000-0000-4000-8000-{number:012d}",
        "billNumber": str(number),
        "dateTime": "2024-03-04T09:15:00+01:00",
        "patient": {"id": PATIENT},
        "practitionerHpr": SIGNER,
        "tariffs": [{"code": "2ad", "amount": "196.00", "count": 1}],
        "patientSharePaid": True,
        "patientShare": "176.00",
        "diagnoses": [{"system": "ICPC-2", "code": "R74", "display": "Akutt øvre luftveisinfeksjon"}],
    }
    base.update(overrides)
    return base


def batch_dict(accounting_type: str = "standard", bills: list[dict[str, Any]] | None = None,
               **overrides: Any) -> dict[str, Any]:
    joint = "fellesoppgjor" in accounting_type
    doc: dict[str, Any] = {
        "account": {
            "accountingType": accounting_type,
            "organisationNumber": ORGNR,
            "accountNumber": ACCOUNT_NUMBER,
            "senderHerId": "8100001",
            "owner": "Kari Lege",
        },
        "practitioners": [{"hpr": SIGNER, "givenName": "Kari", "familyName": "Lege"}],
        "bills": bills if bills is not None else [bill(1)],
    }
    if joint:
        doc["practitioners"].append({"hpr": OTHER, "givenName": "Per", "familyName": "Vikar"})
    else:
        doc["signingPractitionerHpr"] = SIGNER
    doc.update(overrides)
    return doc


def to_bytes(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def parse(doc: dict[str, Any]) -> SettlementBatch:
    return parse_batch(to_bytes(copy.deepcopy(doc)))


def sample_paths() -> list[Path]:
    return sorted(SAMPLES.glob("*.json"))


def sender_party(orgnr: str | None = ORGNR) -> CommunicationParty:
    return CommunicationParty(
        her_id="8100001",
        name="Legekontoret i Eksempel kommune",
        type=PartyType.ORGANIZATION,
        active=True,
        organization_number=orgnr,
        physical_addresses=(PhysicalAddress("Storgata 1", "0155", "Oslo"),),
    )


def helfo_party() -> CommunicationParty:
    return CommunicationParty(
        her_id="79768", name="Helfo", type=PartyType.ORGANIZATION, active=True,
        organization_number="889640782",
    )
