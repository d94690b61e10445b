"""Reading a settlement batch: JSON bytes in, a :class:`~gateway.settlement.model.SettlementBatch`
out, or a 4xx error with a stable code and a JSON pointer.

Three walls, in order:
1. decoding: strict UTF-8, no duplicate keys (a second ``"amount"`` silently winning is how money
   goes missing), no NaN/Infinity, no integers longer than 15 digits and no floats at all (amounts
   are decimal strings); faults are :class:`MalformedInput`;
2. ``schemas/settlement-batch.schema.json``: shape faults (wrong type, missing or unknown
   property) are :class:`MalformedInput` ``BATCH_SHAPE_INVALID``, value faults (pattern, enum, the
   signer rule) :class:`Unprocessable` ``BATCH_VALUE_INVALID``; every finding is an
   :class:`~gateway.errors.Issue` located by JSON pointer;
3. domain checks JSON Schema cannot make. Batch-wide faults (organisation number, bank account,
   duplicate guids, unknown signer or dropped guid) refuse the batch with :class:`Unprocessable`.
   Faults of one bill (patient check digits, impossible dates) become that bill's ``defects``, so
   the rules refuse that bill alone and one bad bill does not sink the batch.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from gateway.errors import Issue, Unprocessable
from gateway.identifiers import classify_norwegian_person, is_valid_bank_account, is_valid_orgnr
from gateway.jsonsafe import SchemaValidator, check_schema, decode_json, validator_for
from gateway.resources import load_json_schema
from gateway.settlement.model import (
    HELFO_HER_ID,
    Account,
    AccountingType,
    Bill,
    Diagnosis,
    DiagnosisSystem,
    ExemptionCode,
    Patient,
    Practitioner,
    Referral,
    SettlementBatch,
    Tariff,
)

__all__ = ["DEFAULT_MAX_BATCH_BYTES", "DEFAULT_MESSAGE_TYPE", "SCHEMA_NAME", "parse_batch"]

SCHEMA_NAME: Final = "settlement-batch.schema.json"
DEFAULT_MAX_BATCH_BYTES: Final = 64 * 1024 * 1024
#: MsgInfo/Type when the account names none. LOM (Legeoppgjørsmelding) is what doctors' offices
#: send in real traffic, and three of the four accounting types are doctors' settlements; POM
#: (Poliklinisk oppgjørsmelding, as in NAV's sample) is for outpatient clinics and must be chosen
#: on the account explicitly.
DEFAULT_MESSAGE_TYPE: Final = "LOM"


@functools.cache
def _validator() -> SchemaValidator:
    return validator_for(load_json_schema(SCHEMA_NAME))


def parse_batch(data: bytes, *, max_bytes: int = DEFAULT_MAX_BATCH_BYTES) -> SettlementBatch:
    """Decode, validate and check one batch; raise a :class:`~gateway.errors.SenderError` if it
    cannot be settled at all."""
    document = decode_json(data, max_bytes=max_bytes, prefix="BATCH", what="batch")
    check_schema(_validator(), document, prefix="BATCH", what="batch")
    return _build(document)


def _refuse(code: str, message: str, location: str) -> Unprocessable:
    return Unprocessable(code, message, location=location, issues=[Issue(code, message, location)])


def _build(doc: Mapping[str, Any]) -> SettlementBatch:
    account = _account(doc["account"])
    practitioners = tuple(
        Practitioner(p["hpr"], p.get("givenName"), p.get("familyName")) for p in doc["practitioners"]
    )
    seen_hpr: set[str] = set()
    for index, practitioner in enumerate(practitioners):
        if practitioner.hpr in seen_hpr:
            raise _refuse(
                "BATCH_DUPLICATE_PRACTITIONER",
                f"practitioner {practitioner.hpr} is chosen twice",
                f"/practitioners/{index}/hpr",
            )
        seen_hpr.add(practitioner.hpr)
    signer: str | None = doc.get("signingPractitionerHpr")
    if signer is not None and signer not in seen_hpr:
        raise _refuse(
            "SIGNING_PRACTITIONER_UNKNOWN",
            f"the signing practitioner {signer} is not among the practitioners of this settlement",
            "/signingPractitionerHpr",
        )
    bills = tuple(_bill(index, raw) for index, raw in enumerate(doc["bills"]))
    guids: set[str] = set()
    for bill in bills:
        if bill.guid in guids:
            raise _refuse(
                "BATCH_DUPLICATE_BILL_GUID", f"bill guid {bill.guid} occurs twice", f"{bill.location}/guid"
            )
        guids.add(bill.guid)
    dropped = doc.get("droppedBills", [])
    for index, guid in enumerate(dropped):
        if guid not in guids:
            raise _refuse(
                "BATCH_DROPPED_BILL_UNKNOWN",
                f"dropped bill {guid} is not a bill of this batch",
                f"/droppedBills/{index}",
            )
    return SettlementBatch(
        account=account,
        practitioners=practitioners,
        signing_practitioner_hpr=signer,
        bills=bills,
        dropped_bills=frozenset(dropped),
        all_or_nothing=bool(doc.get("allOrNothing", False)),
        receiver_her_id=doc.get("receiverHerId", HELFO_HER_ID),
        account_id=doc.get("accountId"),
    )


def _account(raw: Mapping[str, Any]) -> Account:
    if not is_valid_orgnr(raw["organisationNumber"]):
        raise _refuse(
            "ORGNR_CHECK_DIGIT",
            f"{raw['organisationNumber']!r} is not a valid organisation number (mod 11)",
            "/account/organisationNumber",
        )
    if not is_valid_bank_account(raw["accountNumber"]):
        raise _refuse(
            "ACCOUNT_NUMBER_CHECK_DIGIT",
            f"{raw['accountNumber']!r} is not a valid Norwegian bank account number (mod 11)",
            "/account/accountNumber",
        )
    return Account(
        accounting_type=AccountingType(raw["accountingType"]),
        organisation_number=raw["organisationNumber"],
        account_number=raw["accountNumber"],
        sender_her_id=raw["senderHerId"],
        owner=raw["owner"],
        message_type=raw.get("messageType", DEFAULT_MESSAGE_TYPE),
    )


# Enum look-ups by value through EnumType.__call__ cost microseconds each; a 10,000-bill batch
# makes tens of thousands of them. The schema has already limited the values to these.
_DIAGNOSIS_SYSTEMS = {member.value: member for member in DiagnosisSystem}
_EXEMPTION_CODES = {member.value: member for member in ExemptionCode}


def _diagnosis(raw: Mapping[str, Any]) -> Diagnosis:
    return Diagnosis(_DIAGNOSIS_SYSTEMS[raw["system"]], raw["code"], raw.get("display"))


def _bill(index: int, raw: Mapping[str, Any]) -> Bill:
    where = f"/bills/{index}"
    defects: list[Issue] = []
    patient_raw = raw["patient"]
    try:
        kind = classify_norwegian_person(patient_raw["id"], location=f"{where}/patient/id").kind
    except Unprocessable as exc:
        defects.append(Issue(exc.code, exc.message, exc.location))
        kind = None
    try:
        when: dt.datetime | None = dt.datetime.fromisoformat(raw["dateTime"])
    except ValueError:
        defects.append(Issue("BILL_DATETIME_INVALID", f"{raw['dateTime']!r} is no real time", f"{where}/dateTime"))
        when = None
    referral = None
    if (ref := raw.get("referral")) is not None:
        ref_date = None
        if "date" in ref:
            try:
                ref_date = dt.date.fromisoformat(ref["date"])
            except ValueError:
                defects.append(
                    Issue("BILL_REFERRAL_DATE_INVALID", f"{ref['date']!r} is no real date", f"{where}/referral/date")
                )
        diagnosis = _diagnosis(ref["diagnosis"]) if "diagnosis" in ref else None
        referral = Referral(ref_date, ref.get("id"), diagnosis)
    exemption = raw.get("exemptionCode")
    return Bill(
        index=index,
        guid=raw["guid"],
        bill_number=raw["billNumber"],
        date_time=when,
        patient=Patient(
            id=patient_raw["id"],
            kind=kind,
            given_name=patient_raw.get("givenName"),
            middle_name=patient_raw.get("middleName"),
            family_name=patient_raw.get("familyName"),
        ),
        practitioner_hpr=raw["practitionerHpr"],
        tariffs=tuple(Tariff(t["code"], Decimal(t["amount"]), t["count"]) for t in raw["tariffs"]),
        patient_share_paid=raw["patientSharePaid"],
        patient_share=Decimal(raw.get("patientShare", "0.00")),
        exemption_code=_EXEMPTION_CODES[exemption] if exemption is not None else None,
        diagnoses=tuple(_diagnosis(d) for d in raw.get("diagnoses", ())),
        referral=referral,
        credit=bool(raw.get("credit", False)),
        note=raw.get("note"),
        defects=tuple(defects),
    )
