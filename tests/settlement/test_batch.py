"""Reading settlement batches: decoding walls, schema findings with JSON pointers, domain checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gateway.errors import MalformedInput, PayloadTooLarge, Unprocessable
from gateway.identifiers import IdentifierKind
from gateway.settlement.batch import parse_batch
from gateway.settlement.model import AccountingType, DiagnosisSystem, ExemptionCode
from tests.settlement.factories import (
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


def test_defaults_message_type_lom_receiver_helfo_and_not_all_or_nothing() -> None:
    batch = parse(batch_dict())
    assert batch.account.message_type == "LOM"
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


def test_a_float_amount_is_a_shape_fault_located_by_pointer() -> None:
    data = to_bytes(batch_dict()).replace(b'"amount": "196.00"', b'"amount": 196.0')
    with pytest.raises(MalformedInput) as caught:
        parse_batch(data)
    assert caught.value.code == "BATCH_SHAPE_INVALID"
    assert caught.value.location == "/bills/0/tariffs/0/amount"


def test_missing_required_property_is_a_shape_fault() -> None:
    doc = batch_dict()
    del doc["bills"][0]["practitionerHpr"]
    with pytest.raises(MalformedInput) as caught:
        parse(doc)
    assert caught.value.code == "BATCH_SHAPE_INVALID"
    assert caught.value.location == "/bills/0"
    assert "practitionerHpr" in caught.value.issues[0].message


def test_value_faults_are_unprocessable_and_all_are_listed() -> None:
    doc = batch_dict(bills=[bill(1, exemptionCode="C"), bill(2, dateTime="2024-03-04T09:15:00")])
    with pytest.raises(Unprocessable) as caught:
        parse(doc)
    assert caught.value.code == "BATCH_VALUE_INVALID"
    locations = {i.location for i in caught.value.issues}
    assert locations == {"/bills/0/exemptionCode", "/bills/1/dateTime"}


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
        (lambda d: d["bills"].append(bill(1)), "BATCH_DUPLICATE_BILL_GUID", "/bills/1/guid"),
        (lambda d: d.update(droppedBills=["no-such-bill"]), "BATCH_DROPPED_BILL_UNKNOWN", "/droppedBills/0"),
        (lambda d: d.update(signingPractitionerHpr="7654321"), "SIGNING_PRACTITIONER_UNKNOWN",
         "/signingPractitionerHpr"),
        (lambda d: d["practitioners"].append({"hpr": SIGNER}), "BATCH_DUPLICATE_PRACTITIONER",
         "/practitioners/1/hpr"),
    ],
    ids=["orgnr", "account-number", "duplicate-guid", "unknown-dropped", "unknown-signer", "duplicate-hpr"],
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


def test_a_fractional_count_is_refused_rather_than_rounded() -> None:
    data = to_bytes(batch_dict()).replace(b'"count": 1', b'"count": 1.0')
    with pytest.raises(MalformedInput) as caught:
        parse_batch(data)
    assert caught.value.location == "/bills/0/tariffs/0/count"
