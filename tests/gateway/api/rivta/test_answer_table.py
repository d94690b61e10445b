"""The one table (gateway/api/rivta_answers.py) answers every code the crm:scheduling SOAP path can
meet: OK/INFO/ERROR on a write, a Fault otherwise, and every row names a catalogued code."""

from __future__ import annotations

from gateway.api.rivta_answers import ANSWER_OF, FAULTCODE, INFO_REMARKS
from gateway.primitives.error_codes import CATALOGUE, FINDING, FRAMEWORK, lookup

#: The catalogue's areas a request to /rivta can reach: the request, its caller, its XML, the
#: crm:scheduling reader, the booking rules, the identifiers it checks and the RIVTA rows themselves.
REACHED_AREAS = {"Requests", "Authentication and tenancy", "XML bodies", "Inbound messages",
                 "Bookings (crm:scheduling)", "Identifiers", "RIVTA SOAP (crm:scheduling producer, /rivta)"}
#: Codes of those areas that a SOAP request cannot meet, and why.
NOT_REACHED = {
    "FHIR_VERSION_UNSUPPORTED": "no FHIR answer on the SOAP path",
    "ACCOUNTS_NOT_CONFIGURED": "Norwegian accounts", "AUDIT_NOT_CONFIGURED": "the audit API",
    "SETTLEMENTS_NOT_CONFIGURED": "settlements", "AR_UNREACHABLE": "a readiness finding",
    "QUERY_PARAMETER_UNKNOWN": "reports and accounts only",
    "NATIONAL_ID_INVALID": "Norwegian ids", "NATIONAL_ID_CHECK_DIGIT": "Norwegian ids",
    "ORGNR_CHECK_DIGIT": "Norwegian orgnr", "ACCOUNT_NUMBER_CHECK_DIGIT": "Norwegian accounts",
}


def test_every_reached_code_has_one_row() -> None:
    assert {entry.area for entry in CATALOGUE} >= REACHED_AREAS - {"Identifiers"}
    reached = {entry.code for entry in CATALOGUE if entry.area in REACHED_AREAS
               and entry.status not in (FINDING, FRAMEWORK)} - set(NOT_REACHED)
    missing = reached - set(ANSWER_OF)
    assert not missing, sorted(missing)


def test_every_remark_is_a_catalogued_finding() -> None:
    for code in INFO_REMARKS:
        entry = lookup(code)
        assert entry is not None and entry.status == FINDING, code
        assert code not in ANSWER_OF, code  # a remark is never an error


def test_every_row_is_a_catalogued_code() -> None:
    for code in ANSWER_OF:
        assert lookup(code) is not None, code


def test_write_refusals_are_error_and_transport_is_a_fault() -> None:
    for code in ("BOOKING_UNKNOWN", "INVITATION_ALREADY_BOOKED", "TIME_NONEXISTENT", "SLOT_TAKEN",
                 "SUBJECT_OF_CARE_CHECK_DIGIT", "LOGICAL_ADDRESS_MISMATCH", "TENANT_FORBIDDEN"):
        assert ANSWER_OF[code].kind == "error", code
    for code in ("XML_MALFORMED", "SOAP_BODY_MISSING", "TOKEN_MISSING", "LOGICAL_ADDRESS_MISSING",
                 "SCOPE_MISSING", "SOAP_ACTION_MISMATCH"):
        assert ANSWER_OF[code].kind == "client", code
    assert FAULTCODE[ANSWER_OF["SOAP_HEADER_NOT_UNDERSTOOD"].kind] == "MustUnderstand"
    assert FAULTCODE[ANSWER_OF["SOAP_VERSION_UNSUPPORTED"].kind] == "VersionMismatch"
    assert ANSWER_OF["STORE_CONTENDED"].kind == ANSWER_OF["INTERNAL_ERROR"].kind == "server"


def test_error_rows_have_swedish_and_english() -> None:
    for code, row in ANSWER_OF.items():
        assert row.sv and row.en, code
