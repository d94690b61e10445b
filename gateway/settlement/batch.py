"""Reading a settlement batch: JSON bytes in, a :class:`~gateway.domain.settlement.SettlementBatch`
out, or a 4xx error with a stable code and a JSON pointer when the batch as a whole cannot be read.

What concerns the whole batch refuses it; what concerns one bill refuses that bill alone, as a
``defect`` the rules turn into its verdict, and the rest of the batch goes on:

1. decoding: strict UTF-8, no duplicate keys (a second ``"amount"`` silently winning is how money
   goes missing), no NaN/Infinity, no integers longer than 15 digits and no floats at all (amounts
   are decimal strings); faults are :class:`MalformedInput` for the batch;
2. ``schemas/settlement-batch.schema.json``, in two parts. The envelope (account, practitioners,
   signer, dropped bills, a non-empty list of bills) refuses the batch: shape faults
   :class:`MalformedInput` ``BATCH_SHAPE_INVALID``, value faults :class:`Unprocessable`
   ``BATCH_VALUE_INVALID``. Each bill is held against ``$defs/bill`` on its own: its findings
   become its defects (``BILL_SHAPE_INVALID``, ``BILL_VALUE_INVALID``, a missing field by name such
   as ``BILL_PRACTITIONER_MISSING``, an exemption code outside kodeverk 7461 as
   ``BILL_EXEMPTION_CODE_UNKNOWN``). The whole document is asked first, in one fast pass, and only a
   document that fails it is taken apart, so a valid batch costs what it always did;
3. domain checks JSON Schema cannot make. Batch-wide (organisation number, bank account, a
   practitioner chosen twice, an unknown signer or dropped guid) refuse the batch with
   :class:`Unprocessable`; per bill (patient check digits, impossible dates, a GUID or a
   practitioner's RegningNr seen earlier in the batch) become that bill's defects.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Final

from jsonschema import ValidationError

from gateway.domain.settlement import (
    HELFO_HER_ID,
    Account,
    AccountingType,
    Bill,
    Diagnosis,
    DiagnosisSystem,
    ExemptionCode,
    Patient,
    PracticeType,
    Practitioner,
    Referral,
    SettlementBatch,
    Tariff,
    canonical_guid,
    default_message_type,
    default_practice_type,
)
from gateway.primitives.errors import Issue, Unprocessable
from gateway.primitives.identifiers import classify_norwegian_person, is_valid_bank_account, is_valid_orgnr
from gateway.primitives.instants import in_range
from gateway.primitives.jsonsafe import (
    SHAPE_VALIDATORS,
    SchemaValidator,
    check_schema,
    decode_json,
    pointer,
    validator_for,
)
from gateway.primitives.resources import load_json_schema

__all__ = ["DEFAULT_MAX_BATCH_BYTES", "SCHEMA_NAME", "parse_batch"]

SCHEMA_NAME: Final = "settlement-batch.schema.json"
DEFAULT_MAX_BATCH_BYTES: Final = 64 * 1024 * 1024
_MAX_BILL_ISSUES: Final = 10
#: A required field of a bill that is missing, by the code its refusal gets.
_MISSING_CODES: Final = {
    "guid": "BILL_GUID_MISSING",
    "billNumber": "BILL_NUMBER_MISSING",
    "dateTime": "BILL_DATETIME_MISSING",
    "patient": "BILL_PATIENT_MISSING",
    "practitionerHpr": "BILL_PRACTITIONER_MISSING",
    "tariffs": "BILL_TARIFFS_MISSING",
    "patientSharePaid": "BILL_SHARE_PAID_MISSING",
}


@dataclass(frozen=True, slots=True)
class _Validators:
    whole: SchemaValidator
    envelope: SchemaValidator
    bill: SchemaValidator


@functools.cache
def _validators() -> _Validators:
    schema: dict[str, Any] = load_json_schema(SCHEMA_NAME)
    # The envelope: the same schema with the bills' items left open; each bill is held against
    # $defs/bill on its own.
    envelope = copy.deepcopy(schema)
    del envelope["properties"]["bills"]["items"]
    bill = {"$schema": schema["$schema"], "$defs": schema["$defs"], **schema["$defs"]["bill"]}
    return _Validators(validator_for(schema), validator_for(envelope), validator_for(bill))


def parse_batch(data: bytes, *, max_bytes: int = DEFAULT_MAX_BATCH_BYTES) -> SettlementBatch:
    """Decode, validate and check one batch; raise a :class:`~gateway.primitives.errors.SenderError` if it
    cannot be settled at all. A bill that breaks the schema or a check comes back with defects."""
    document = decode_json(data, max_bytes=max_bytes, prefix="BATCH", what="batch")
    validators = _validators()
    findings: dict[int, list[Issue]] = {}
    if not validators.whole.is_valid(document):
        check_schema(validators.envelope, document, prefix="BATCH", what="batch")
        findings = _bill_findings(validators.bill, document["bills"])
    return _build(document, findings)


def _bill_findings(validator: SchemaValidator, bills: Sequence[Any]) -> dict[int, list[Issue]]:
    findings: dict[int, list[Issue]] = {}
    for index, raw in enumerate(bills):
        if validator.is_valid(raw):
            continue
        errors = sorted(validator.precise.iter_errors(raw), key=lambda e: (pointer(e.absolute_path), str(e.validator)))
        issues = [issue for error in errors for issue in _bill_issues(error, f"/bills/{index}")]
        if issues:
            findings[index] = issues[:_MAX_BILL_ISSUES]
    return findings


def _bill_issues(error: ValidationError, where: str) -> list[Issue]:
    path = list(error.absolute_path)
    if error.validator == "required" and not path and isinstance(error.instance, Mapping):
        required = error.validator_value if isinstance(error.validator_value, list) else []
        return [Issue(_MISSING_CODES.get(name, "BILL_SHAPE_INVALID"), f"the bill has no {name}", f"{where}/{name}")
                for name in required if name not in error.instance]
    if path == ["exemptionCode"] and error.validator in ("enum", "type"):
        known = ", ".join(code.value for code in ExemptionCode)
        return [Issue("BILL_EXEMPTION_CODE_UNKNOWN",
                      f"exemption code {error.instance!r} is not a code of kodeverk 7461 that nordgate knows "
                      f"({known})", f"{where}/exemptionCode")]
    code = "BILL_SHAPE_INVALID" if error.validator in SHAPE_VALIDATORS else "BILL_VALUE_INVALID"
    return [Issue(code, error.message, where + pointer(path))]


def _refuse(code: str, message: str, location: str) -> Unprocessable:
    return Unprocessable(code, message, location=location, issues=[Issue(code, message, location)])


def _build(doc: Mapping[str, Any], findings: Mapping[int, list[Issue]]) -> SettlementBatch:
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
    bills = _unique(tuple(
        _unreadable_bill(index, raw, findings[index]) if index in findings else _bill(index, raw)
        for index, raw in enumerate(doc["bills"])
    ))
    dropped = [canonical_guid(guid) for guid in doc.get("droppedBills", [])]
    guids = {bill.canonical_guid for bill in bills}
    for index, guid in enumerate(dropped):
        if guid not in guids:
            raise _refuse(
                "BATCH_DROPPED_BILL_UNKNOWN",
                f"dropped bill {doc['droppedBills'][index]} is not a bill of this batch",
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


def _unique(bills: tuple[Bill, ...]) -> tuple[Bill, ...]:
    """The batch's bills with a defect on each that repeats an earlier bill's GUID, or an earlier
    bill's RegningNr of the same practitioner (NAV: "Unikt nummer per regning for hver behandler")."""
    by_guid: dict[str, int] = {}
    by_number: dict[tuple[str, str], int] = {}
    out = list(bills)
    for bill in bills:
        if bill.defects and not bill.guid:  # unreadable: nothing to compare
            continue
        repeats: list[Issue] = []
        if (first := by_guid.setdefault(bill.canonical_guid, bill.index)) != bill.index:
            repeats.append(Issue("BILL_GUID_DUPLICATE", f"guid {bill.guid} is bill {first}'s guid too; every bill "
                                 "needs a GUID of its own", f"{bill.location}/guid"))
        if bill.bill_number and (first := by_number.setdefault((bill.practitioner_hpr, bill.bill_number),
                                                               bill.index)) != bill.index:
            repeats.append(Issue("BILL_NUMBER_DUPLICATE", f"RegningNr {bill.bill_number} of practitioner "
                                 f"{bill.practitioner_hpr} is bill {first}'s too; HELFO needs a number per bill "
                                 "for every practitioner", f"{bill.location}/billNumber"))
        if repeats:
            out[bill.index] = replace(bill, defects=(*bill.defects, *repeats))
    return tuple(out)


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
    accounting_type = AccountingType(raw["accountingType"])
    return Account(
        accounting_type=accounting_type,
        organisation_number=raw["organisationNumber"],
        account_number=raw["accountNumber"],
        sender_her_id=raw["senderHerId"],
        owner=raw["owner"],
        message_type=raw.get("messageType") or default_message_type(accounting_type),
        practice_type=(PracticeType(raw["practiceType"]) if "practiceType" in raw
                       else default_practice_type(accounting_type)),
    )


# Enum look-ups by value through EnumType.__call__ cost microseconds each; a 10,000-bill batch
# makes tens of thousands of them. The schema has already limited the values to these.
_DIAGNOSIS_SYSTEMS = {member.value: member for member in DiagnosisSystem}
_EXEMPTION_CODES = {member.value: member for member in ExemptionCode}


def _diagnosis(raw: Mapping[str, Any]) -> Diagnosis:
    return Diagnosis(_DIAGNOSIS_SYSTEMS[raw["system"]], raw["code"], raw.get("display"))


def _text(raw: Any, key: str) -> str:
    value = raw.get(key) if isinstance(raw, Mapping) else None
    return value if isinstance(value, str) else ""


def _unreadable_bill(index: int, raw: Any, issues: list[Issue]) -> Bill:
    """A bill that broke the schema: only what identifies it is kept, for its verdict."""
    patient = raw.get("patient") if isinstance(raw, Mapping) else None
    return Bill(
        index=index, guid=_text(raw, "guid"), bill_number=_text(raw, "billNumber"), date_time=None,
        patient=Patient(id=_text(patient, "id"), kind=None), practitioner_hpr=_text(raw, "practitionerHpr"),
        tariffs=(), patient_share_paid=False, patient_share=Decimal("0.00"), exemption_code=None, diagnoses=(),
        referral=None, credit=False, note=None, defects=tuple(issues),
    )


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
    if when is not None and not in_range(when):  # 0001-01-01T00:00:00+14:00 is before year 1 in UTC
        defects.append(Issue("DATE_OUT_OF_RANGE", f"{raw['dateTime']!r} is outside the dates the gateway handles",
                             f"{where}/dateTime"))
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
            if ref_date is not None and not in_range(ref_date):
                defects.append(Issue("DATE_OUT_OF_RANGE", f"{ref['date']!r} is outside the dates the gateway handles",
                                     f"{where}/referral/date"))
                ref_date = None
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
