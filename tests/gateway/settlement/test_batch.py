"""Reading settlement batches: decoding walls, schema findings with JSON pointers, domain checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gateway.domain.settlement import AccountingType, DiagnosisSystem, ExemptionCode, PracticeType, Verdict
from gateway.primitives.errors import MalformedInput, PayloadTooLarge, Unprocessable
from gateway.primitives.identifiers import IdentifierKind
from gateway.settlement.batch import parse_batch
from gateway.settlement.rules import check
from tests.gateway.settlement.factories import (
    OTHER,
    PATIENT,
    PATIENT_DNR,
    SIGNER,
    batch_dict,
    bill,
    parse,
    sample_paths,
    to_bytes,
)


def test_there_is_a_sample_for_every_accounting_type() -> None:
    types = {parse_batch(p.read_bytes()).account.accounting_type for p in sample_paths()}
    assert types == set(AccountingType)


@pytest.mark.parametrize("path", sample_paths(), ids=lambda p: p.name)
def test_every_sample_parses_with_valid_identifiers(path) -> None:
    batch = parse_batch(path.read_bytes())
    assert batch.account.accounting_type.value == path.stem
    assert batch.bills
    assert all(not b.defects for b in batch.bills)
    assert all(b.patient.kind in (IdentifierKind.FNR, IdentifierKind.DNR) for b in batch.bills)


def test_a_parsed_bill_keeps_every_field_in_domain_types() -> None:
    doc = batch_dict(bills=[bill(
        7,
        patient={"id": PATIENT_DNR, "givenName": "Ola", "familyName": "Nordmann"},
        tariffs=[{"code": "2ad", "amount": "196.00", "count": 1}, {"code": "701a", "amount": "60.50", "count": 3}],
        exemptionCode="F", patientSharePaid=False, patientShare="0.00",
        referral={"date": "2024-02-20", "id": "R-1", "diagnosis": {"system": "ICD-10", "code": "M545"}},
        credit=True, note="kreditnota",
    )])
    batch = parse(doc)
    b = batch.bills[0]
    assert b.tariffs[1].amount == Decimal("60.50") and isinstance(b.tariffs[1].amount, Decimal)
    assert b.tariff_total == Decimal("377.50")
    assert b.patient.kind is IdentifierKind.DNR
    assert b.patient.given_name == "Ola"
    assert b.exemption_code is ExemptionCode.FRIKORT
    assert b.date_time == dt.datetime(2024, 3, 4, 8, 15, tzinfo=dt.UTC)
    assert b.referral is not None and b.referral.date == dt.date(2024, 2, 20)
    assert b.referral.diagnosis is not None and b.referral.diagnosis.system is DiagnosisSystem.ICD_10
    assert b.credit is True and b.note == "kreditnota"
    assert b.location == "/bills/0"


def test_defaults_receiver_helfo_and_not_all_or_nothing() -> None:
    batch = parse(batch_dict())
    assert batch.receiver_her_id == "79768"
    assert batch.all_or_nothing is False
    assert batch.dropped_bills == frozenset()


def test_message_type_of_the_account_is_kept() -> None:
    doc = batch_dict()
    doc["account"]["messageType"] = "POM"
    assert parse(doc).account.message_type == "POM"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b'{"account": "\xff\xfe"}', "BATCH_JSON_NOT_UTF8"),
        (b'{"account": {}, "account": {}}', "BATCH_JSON_DUPLICATE_KEY"),
        (b'{"n": 1234567890123456789012345}', "BATCH_JSON_NUMBER_TOO_LARGE"),
        (b'{"n": NaN}', "BATCH_JSON_MALFORMED"),
        (b'{"account": ', "BATCH_JSON_MALFORMED"),
        (b"[" * 100_000, "BATCH_JSON_TOO_DEEP"),
    ],
    ids=["not-utf8", "duplicate-key", "huge-int", "nan", "truncated", "deep"],
)
def test_decoding_faults_are_malformed_input(data: bytes, code: str) -> None:
    with pytest.raises(MalformedInput) as caught:
        parse_batch(data)
    assert caught.value.code == code


def test_body_over_the_limit_is_payload_too_large() -> None:
    with pytest.raises(PayloadTooLarge):
        parse_batch(to_bytes(batch_dict()), max_bytes=100)


def refused(doc_or_bytes: dict[str, object] | bytes, index: int) -> tuple[str, str | None]:
    """Parse, plan, and give the (code, location) of bill ``index``'s refusal; bill 0 stays good."""
    batch = parse_batch(doc_or_bytes) if isinstance(doc_or_bytes, bytes) else parse(doc_or_bytes)
    plan = check(batch)
    verdict = plan.verdicts[index]
    assert verdict.verdict is Verdict.REFUSED, verdict
    assert plan.verdicts[0].verdict is Verdict.INCLUDED
    return verdict.code or "", verdict.location


def test_a_float_amount_refuses_that_bill_located_by_pointer() -> None:
    data = to_bytes(batch_dict(bills=[bill(1), bill(2, tariffs=[{"code": "2ad", "amount": "X", "count": 1}])]))
    data = data.replace(b'"amount": "X"', b'"amount": 196.0')
    assert refused(data, 1) == ("BILL_SHAPE_INVALID", "/bills/1/tariffs/0/amount")


def test_a_bill_without_a_practitioner_is_refused_by_name_and_the_rest_goes_on() -> None:
    doc = batch_dict("kommunalt-fellesoppgjor-fysioterapi", bills=[bill(1), bill(2)])
    del doc["bills"][1]["practitionerHpr"]
    assert refused(doc, 1) == ("BILL_PRACTITIONER_MISSING", "/bills/1/practitionerHpr")


def test_value_faults_of_bills_are_per_bill_refusals_each_located() -> None:
    doc = batch_dict(bills=[bill(1), bill(2, exemptionCode="C", patientSharePaid=False),
                            bill(3, dateTime="2024-03-04T09:15:00")])
    plan = check(parse(doc))
    assert [(v.code, v.location) for v in plan.verdicts[1:]] == [
        ("BILL_EXEMPTION_CODE_UNKNOWN", "/bills/1/exemptionCode"),
        ("BILL_VALUE_INVALID", "/bills/2/dateTime"),
    ]
    assert "'C'" in (plan.verdicts[1].reason or "")
    assert plan.totals.bill_count == 1


@pytest.mark.parametrize(
    ("raw", "code", "location"),
    [(17, "BILL_SHAPE_INVALID", "/bills/1"), ("a bill", "BILL_SHAPE_INVALID", "/bills/1"),
     ([], "BILL_SHAPE_INVALID", "/bills/1"), ({"guid": "not a guid"}, "BILL_NUMBER_MISSING", "/bills/1/billNumber")],
    ids=["number", "string", "list", "junk"],
)
def test_a_bill_that_is_no_bill_at_all_is_refused_alone(raw: object, code: str, location: str) -> None:
    doc = batch_dict(bills=[bill(1), bill(2)])
    doc["bills"][1] = raw
    assert refused(doc, 1) == (code, location)


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda d: d["account"].pop("senderHerId"), "BATCH_SHAPE_INVALID"),
        (lambda d: d["account"].update(accountingType="privat"), "BATCH_VALUE_INVALID"),
        (lambda d: d.update(bills=[]), "BATCH_SHAPE_INVALID"),
        (lambda d: d.update(bills={"0": bill(1)}), "BATCH_SHAPE_INVALID"),
        (lambda d: d.update(droppedBills=["not-a-guid"]), "BATCH_VALUE_INVALID"),
        (lambda d: d.update(extra=True), "BATCH_SHAPE_INVALID"),
    ],
    ids=["account-field-missing", "unknown-accounting-type", "no-bills", "bills-not-a-list", "dropped-not-a-guid",
         "unknown-property"],
)
def test_envelope_faults_still_refuse_the_whole_batch(mutate, code: str) -> None:
    doc = batch_dict()
    mutate(doc)
    with pytest.raises((MalformedInput, Unprocessable)) as caught:
        parse(doc)
    assert caught.value.code == code


@pytest.mark.parametrize("code", [member.value for member in ExemptionCode])
def test_every_known_exemption_code_is_read(code: str) -> None:
    batch = parse(batch_dict(bills=[bill(1, exemptionCode=code, patientSharePaid=False)]))
    assert batch.bills[0].exemption_code is ExemptionCode(code)
    assert batch.bills[0].defects == ()


def test_yrkesskade_is_exemption_code_y() -> None:
    assert ExemptionCode("Y") is ExemptionCode.OCCUPATIONAL_INJURY


def test_a_repeated_guid_refuses_the_later_bill_whatever_its_spelling() -> None:
    first = bill(1)
    again = bill(2, guid="{" + first["guid"].upper() + "}")
    assert refused(batch_dict(bills=[first, again]), 1) == ("BILL_GUID_DUPLICATE", "/bills/1/guid")


def test_regningnr_is_unique_per_practitioner_within_the_batch() -> None:
    doc = batch_dict("kommunalt-fellesoppgjor-lege",
                     bills=[bill(1), bill(2, billNumber="1"), bill(3, billNumber="1", practitionerHpr=OTHER)])
    plan = check(parse(doc))
    assert [v.code for v in plan.verdicts] == [None, "BILL_NUMBER_DUPLICATE", None]
    assert plan.verdicts[1].location == "/bills/1/billNumber"


def test_guid_with_braces_is_kept_as_sent_and_read_as_one_value() -> None:
    batch = parse(batch_dict(bills=[bill(1, guid="{6F1C2A70-5D0E-4A8E-9B3C-1F2E3D4C5B01}")]))
    assert batch.bills[0].guid == "{6F1C2A70-5D0E-4A8E-9B3C-1F2E3D4C5B01}"
    assert batch.bills[0].canonical_guid == "6f1c2a70-5d0e-4a8e-9b3c-1f2e3d4c5b01"


@pytest.mark.parametrize(
    ("accounting_type", "practice_type", "message_type"),
    [("standard", PracticeType.FASTLEGE, "LOM"),
     ("kommunalt-enkeltoppgjor-lege", PracticeType.MUNICIPAL_SALARIED_DOCTOR, "LOM"),
     ("kommunalt-fellesoppgjor-lege", PracticeType.MUNICIPAL_SALARIED_DOCTOR, "LOM"),
     ("kommunalt-fellesoppgjor-fysioterapi", PracticeType.MUNICIPAL_PHYSIOTHERAPY, "POM")],
)
def test_practice_and_message_type_default_by_accounting_type(
    accounting_type: str, practice_type: PracticeType, message_type: str
) -> None:
    account = parse(batch_dict(accounting_type)).account
    assert (account.practice_type, account.message_type) == (practice_type, message_type)


def test_practice_type_of_the_account_is_kept() -> None:
    doc = batch_dict()
    doc["account"]["practiceType"] = "LEVA"
    assert parse(doc).account.practice_type is PracticeType.EMERGENCY


@pytest.mark.parametrize(
    ("accounting_type", "with_signer"),
    [("standard", False), ("kommunalt-enkeltoppgjor-lege", False),
     ("kommunalt-fellesoppgjor-lege", True), ("kommunalt-fellesoppgjor-fysioterapi", True)],
)
def test_signing_practitioner_is_required_for_personal_and_forbidden_for_enterprise(
    accounting_type: str, with_signer: bool
) -> None:
    doc = batch_dict(accounting_type)
    if with_signer:
        doc["signingPractitionerHpr"] = SIGNER
    else:
        del doc["signingPractitionerHpr"]
    with pytest.raises((MalformedInput, Unprocessable)) as caught:
        parse(doc)
    assert caught.value.code in ("BATCH_SHAPE_INVALID", "BATCH_VALUE_INVALID")


@pytest.mark.parametrize(
    ("mutate", "code", "location"),
    [
        (lambda d: d["account"].update(organisationNumber="940000018"), "ORGNR_CHECK_DIGIT",
         "/account/organisationNumber"),
        (lambda d: d["account"].update(accountNumber="15031234563"), "ACCOUNT_NUMBER_CHECK_DIGIT",
         "/account/accountNumber"),
        (lambda d: d.update(droppedBills=["00000000-0000-4000-8000-999999999999"]), "BATCH_DROPPED_BILL_UNKNOWN",
         "/droppedBills/0"),
        (lambda d: d.update(signingPractitionerHpr="7654321"), "SIGNING_PRACTITIONER_UNKNOWN",
         "/signingPractitionerHpr"),
        (lambda d: d["practitioners"].append({"hpr": SIGNER}), "BATCH_DUPLICATE_PRACTITIONER",
         "/practitioners/1/hpr"),
    ],
    ids=["orgnr", "account-number", "unknown-dropped", "unknown-signer", "duplicate-hpr"],
)
def test_batch_wide_domain_faults_refuse_the_batch(mutate, code: str, location: str) -> None:
    doc = batch_dict()
    mutate(doc)
    with pytest.raises(Unprocessable) as caught:
        parse(doc)
    assert caught.value.code == code
    assert caught.value.location == location


def test_bad_patient_check_digits_are_a_defect_of_that_bill_only() -> None:
    wrong = PATIENT[:-1] + str((int(PATIENT[-1]) + 1) % 10)
    batch = parse(batch_dict(bills=[bill(1), bill(2, patient={"id": wrong})]))
    assert batch.bills[0].defects == ()
    (defect,) = batch.bills[1].defects
    assert defect.code == "NATIONAL_ID_CHECK_DIGIT"
    assert defect.location == "/bills/1/patient/id"
    assert batch.bills[1].patient.kind is None


@pytest.mark.parametrize(
    ("overrides", "code", "location"),
    [
        ({"dateTime": "2024-02-30T09:00:00+01:00"}, "BILL_DATETIME_INVALID", "/bills/0/dateTime"),
        ({"referral": {"date": "2024-13-01"}}, "BILL_REFERRAL_DATE_INVALID", "/bills/0/referral/date"),
    ],
)
def test_impossible_dates_are_bill_defects(overrides: dict[str, object], code: str, location: str) -> None:
    batch = parse(batch_dict(bills=[bill(1, **overrides)]))
    assert [(d.code, d.location) for d in batch.bills[0].defects] == [(code, location)]


def test_a_bom_is_tolerated() -> None:
    assert parse_batch(b"\xef\xbb\xbf" + to_bytes(batch_dict())).bills[0].bill_number == "1"


def test_a_fractional_count_refuses_that_bill_rather_than_rounding() -> None:
    data = to_bytes(batch_dict(bills=[bill(1), bill(2)]))
    data = data.replace(b'"count": 1}], "patientSharePaid": true, "patientShare": "176.00", "diagnoses": '
                        b'[{"system": "ICPC-2", "code": "R74", "display": "Akutt \xc3\xb8vre luftveisinfeksjon"}]}]',
                        b'"count": 1.0}], "patientSharePaid": true, "patientShare": "176.00", "diagnoses": '
                        b'[{"system": "ICPC-2", "code": "R74", "display": "Akutt \xc3\xb8vre luftveisinfeksjon"}]}]', 1)
    assert refused(data, 1) == ("BILL_SHAPE_INVALID", "/bills/1/tariffs/0/count")
