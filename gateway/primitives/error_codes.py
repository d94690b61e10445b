"""Every error code of nordgate, once: the HTTP status it is answered with and what it means.

A code is the stable part of an error (clients and tests match on it, never on the text). This table
is the one place that lists them; ``docs/reference/error-codes.md`` is generated from it::

    python -m gateway.primitives.error_codes --markdown > docs/reference/error-codes.md

Each row is ``(code, status, meaning)``, grouped by area. The status is the HTTP status of the error
class the code is raised with (``Unprocessable`` 422, ``Conflict`` 409, …), also when the code is
raised where no HTTP answer follows (the CLI, the delivery worker): one code, one status. Two kinds
of rows have no status of their own:

- ``FINDING``: the code never is an answer's own code; it names one finding inside another answer
  (a bill's verdict in a settlement, a check of ``nordgate verify``, a failing readiness check).
- ``FRAMEWORK``: the web framework's own refusal, with the framework's status.

A code ending in ``_{status}`` is a family: the receiver's HTTP status completes it
(``RECEIVER_HTTP_502``); the receiver chooses that number, so the members cannot be listed.

Raising checks the table (:class:`~gateway.primitives.errors.NordgateError` and
:class:`~gateway.primitives.errors.Issue` call :func:`check_raised` / :func:`check_finding` when they
are made): a code that is not here, or an error class whose status is not the code's, raises
:class:`ErrorCodeMisuse`. It raises always, in production too, rather than ``assert`` in tests only:

- it costs one dict lookup and an int comparison per error made (errors are the rare path; a booking
  push that succeeds makes none), which no benchmark can see;
- ``tests/gateway/primitives/test_error_codes.py`` proves every code *written* in the source is here,
  but not codes *forwarded* at run time (``Unprocessable(issue.code, …)``): only a check at the raise
  sees those, and an ``assert`` would vanish under ``python -O``, so tests and production would differ;
- a code outside the table is a programming error like a ``TypeError``: the request fails as a 500
  ``INTERNAL_ERROR`` with the code in the log, instead of handing a client an undocumented code or a
  4xx/5xx that contradicts the documentation.

To add a code: add its row here, raise it, regenerate the reference. A code is never renamed, and
never reused with another meaning or status: a new situation gets a new code.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

__all__ = [
    "CATALOGUE",
    "FINDING",
    "FRAMEWORK",
    "STATUS_OF",
    "ErrorCode",
    "ErrorCodeMisuse",
    "Status",
    "check_finding",
    "check_raised",
    "lookup",
    "markdown",
]

FINDING: Final = "finding"
FRAMEWORK: Final = "framework"
Status = int | Literal["finding", "framework"]

_FAMILY_TAIL: Final = "_{status}"


class ErrorCodeMisuse(AssertionError):
    """A code that is not in the catalogue, or raised with another status than the catalogue's."""


@dataclass(frozen=True, slots=True)
class ErrorCode:
    code: str
    status: Status
    meaning: str
    area: str

    @property
    def family(self) -> bool:
        return self.code.endswith(_FAMILY_TAIL)


_Row = tuple[str, Status, str]

#: Every JSON body is decoded by :func:`gateway.primitives.jsonsafe.decode_json` under a prefix of its own.
_JSON_BODIES: Final[Sequence[tuple[str, str]]] = (
    ("BATCH", "the settlement batch"),
    ("COMPARE", "the playground's comparison"),
    ("EVENT", "the Norwegian group-appointment event"),
    ("PREVIEW", "the preview session"),
    ("TRANSLATE", "the $translate Parameters"),
)
_JSON_FAULTS: Final[Sequence[tuple[str, str]]] = (
    ("JSON_NOT_BYTES", "{what} was handed over as text, not bytes (a programming error)"),
    ("JSON_NOT_UTF8", "{what} is not UTF-8"),
    ("JSON_MALFORMED", "{what} is not well-formed JSON (or holds NaN/Infinity)"),
    ("JSON_DUPLICATE_KEY", "{what} has an object with the same key twice"),
    ("JSON_NUMBER_TOO_LARGE", "{what} holds a number literal over the length limit"),
    ("JSON_TOO_DEEP", "{what} nests deeper than the decoder allows"),
    ("JSON_CHARACTER_INVALID", "{what} holds a character no XML message or FHIR string can carry"),
)

_AREAS: Final[Sequence[tuple[str, Sequence[_Row]]]] = (
    ("Requests", (
        ("REQUEST_INVALID", 400, "a parameter or the body breaks the types the endpoint declares"),
        ("ROUTE_NOT_FOUND", 404, "no endpoint at this path"),
        ("METHOD_NOT_ALLOWED", 405, "the endpoint exists but not for this HTTP method"),
        ("HTTP_ERROR", FRAMEWORK, "any other refusal of the web framework, with its status"),
        ("INTERNAL_ERROR", 500, "an unexpected error; the gateway log has the details, the answer none"),
        ("CONTENT_LENGTH_INVALID", 400, "the Content-Length header is not a number"),
        ("PAYLOAD_TOO_LARGE", 413, "the body is over the configured size limit"),
        ("MEDIA_TYPE_UNSUPPORTED", 415, "the Content-Type is not one this endpoint takes"),
        ("FHIR_VERSION_UNSUPPORTED", 400, "the fhirVersion asked for is neither 4.0 (R4) nor 5.0 (R5)"),
        ("SOURCE_UNKNOWN", 400, "the sending system named is not one of cancellation-origin.json"),
        ("STORE_CONTENDED", 503, "the same resources were written concurrently twice over; send it again"),
        ("NOT_READY", 503, "readiness: a dependency does not answer; the issues name each failing check"),
        ("AR_UNREACHABLE", FINDING, "readiness check: the address register did not answer a Ping (in NOT_READY)"),
        ("ACCOUNTS_NOT_CONFIGURED", 503, "this gateway runs without the account store"),
        ("AUDIT_NOT_CONFIGURED", 503, "this gateway runs without the audit trail"),
        ("SETTLEMENTS_NOT_CONFIGURED", 503, "this gateway runs without the settlement service"),
        # The request body as the server reads it (gateway/api/body_guard.py) and unknown query parameters.
        ("CLIENT_CLOSED_REQUEST", 499, "the client hung up before its body was read (nginx's 499); nothing stored"),
        ("BODY_READ_TIMEOUT", 408, "the body did not arrive whole within NORDGATE_BODY_READ_TIMEOUT_S"),
        ("CONTENT_ENCODING_UNSUPPORTED", 415, "the body is compressed (Content-Encoding); send it uncompressed"),
        ("MEDIA_TYPE_MISMATCH", 415, "the body's syntax (XML or JSON) is not the one its Content-Type names"),
        ("QUERY_PARAMETER_UNKNOWN", 400, "a query parameter the endpoint does not take (reports, accounts)"),
    )),
    ("Authentication and tenancy", (
        ("TOKEN_MISSING", 401, "no Authorization: Bearer header"),
        ("TOKEN_MALFORMED", 401, "the Authorization header or the token is not well-formed"),
        ("TOKEN_ALGORITHM_REFUSED", 401, "the token is signed with an algorithm the gateway does not accept"),
        ("TOKEN_ISSUER_UNKNOWN", 401, "the token's issuer is not trusted (or no issuer is configured)"),
        ("TOKEN_KEY_UNKNOWN", 401, "no configured key of the issuer fits the token's kid and alg"),
        ("TOKEN_SIGNATURE_INVALID", 401, "the token's signature does not verify"),
        ("TOKEN_EXPIRED", 401, "the token has expired"),
        ("TOKEN_NOT_YET_VALID", 401, "the token's nbf or iat lies in the future"),
        ("TOKEN_AUDIENCE_INVALID", 401, "the token is not for this gateway's audience"),
        ("TOKEN_CLAIMS_INVALID", 401, "a required claim is missing, no client is named, or the lifetime is too long"),
        ("TOKEN_INVALID", 401, "the token is refused for another reason"),
        ("API_KEY_INVALID", 401, "the API key is not known"),
        ("AUTH_DISABLED_REMOTE", 401, "authentication is switched off, which serves loopback peers only"),
        ("CLIENT_NOT_CONFIGURED", 403, "the token is valid but its client is not configured on the gateway"),
        ("SCOPE_MISSING", 403, "the client lacks the scope this request needs"),
        ("TENANT_FORBIDDEN", 403, "the client may not act for this unit, clinic or organisation"),
    )),
    ("XML bodies", (
        ("XML_NOT_BYTES", 400, "XML was handed over as text, not bytes (a programming error)"),
        ("XML_EMPTY", 400, "the body is empty"),
        ("XML_ENCODING_MISMATCH", 400, "the XML declaration names another encoding than the bytes are in"),
        ("XML_DTD_FORBIDDEN", 400, "the document has a DOCTYPE or ENTITY declaration, which is refused"),
        ("XML_MALFORMED", 400, "the body is not well-formed XML"),
        ("XML_TOO_DEEP", 400, "the XML nests deeper than the limit"),
    )),
    ("JSON bodies", (
        *((f"{prefix}_{fault}", 400, meaning.format(what=what))
          for prefix, what in _JSON_BODIES for fault, meaning in _JSON_FAULTS),
        ("BATCH_SHAPE_INVALID", 400, "the settlement batch breaks its JSON schema's shape (type, required, property)"),
        ("BATCH_VALUE_INVALID", 422, "a value of the settlement batch breaks its JSON schema (pattern, range, enum)"),
        ("EVENT_SHAPE_INVALID", 400, "the group-appointment event breaks its schema's shape (type, required, …)"),
        ("EVENT_VALUE_INVALID", 422, "a value of the group-appointment event breaks its schema (pattern, range, enum)"),
    )),
    ("Inbound messages", (
        ("FORMAT_UNKNOWN", 422, "no inbound format takes this message (namespace or root element unknown)"),
        ("MESSAGE_TYPE_UNSUPPORTED", 422, "the format is known but this message type of it is not taken"),
        ("SOAP_BODY_MISSING", 400, "a SOAP envelope without exactly one Body"),
        ("SOAP_BODY_NOT_ONE_MESSAGE", 400, "the SOAP Body does not hold exactly one message"),
        ("ELEMENT_MISSING", 422, "a required element is missing"),
        ("ELEMENT_REPEATED", 422, "an element that may occur once occurs more often"),
        ("ELEMENT_NOT_TEXT", 422, "an element that holds text holds elements"),
        ("BOOLEAN_MALFORMED", 422, "a boolean element is not true, false, 1 or 0"),
        ("HSA_ID_INVALID", 422, "a value is not an HSA-id (SE, the organisation number, a hyphen, a local part)"),
        ("TIME_MALFORMED", 422, "a time stamp is not YYYYMMDDhhmmss or not a real date and time"),
        ("TIME_NONEXISTENT", 422, "a local time that does not exist (skipped when clocks go forward)"),
        ("DATE_OUT_OF_RANGE", 422, "a date or time lies outside 0001-01-02..9999-12-30 (UTC), the calendar the "
         "gateway handles (any message, report, audit or search date)"),
        ("TIMESLOT_INCOMPLETE", 422, "a timeslot has a start without an end or an end without a start"),
        ("TIMESLOT_END_BEFORE_START", 422, "a timeslot ends before (or when) it starts"),
        ("TIMESLOT_TIME_MISSING", 422, "start and end are required here (a booking, an update, a free time)"),
    )),
    ("Bookings (crm:scheduling)", (
        ("BOOKING_ID_MISSING", 422, "the booking has no bookingId"),
        ("SUBJECT_OF_CARE_MISSING", 422, "the booking names no patient (subject_of_care)"),
        ("PATIENT_NAME_MISSING", 422, "subject_of_care_info lacks firstName or lastName"),
        ("INVITATION_HAS_TIME", 422, "an open invitation carries a start or end; the citizen chooses the time"),
        ("UPDATE_MARKED_AS_INVITATION", 422,
         "an UpdateBooking whose timeslot is marked isInvitation; an update is never an invitation"),
        ("AVAILABLE_TIME_HAS_PATIENT", 422, "a free time names a patient"),
        ("BOOKING_UNKNOWN", 422, "no stored booking to update or cancel; send its MakeBooking first"),
        ("BOOKING_PATIENT_MISMATCH", 409, "the stored booking belongs to another patient"),
        ("BOOKING_CANCELLED", 409, "the stored booking is cancelled; it cannot be rescheduled or given an outcome"),
        ("UPDATE_ON_INVITATION", 409,
         "UpdateBooking on a stored open invitation (the citizen books it with MakeBooking)"),
        ("INVITATION_ALREADY_BOOKED", 409, "the open invitation is booked already; it cannot be booked twice"),
        ("INVITATION_ON_EXISTING_BOOKING", 409, "a booking that exists already cannot become an open invitation"),
    )),
    ("RIVTA SOAP (crm:scheduling producer, /rivta)", (
        ("SOAP_ENVELOPE_MISSING", 400, "a RIVTA endpoint takes a SOAP 1.1 envelope; the body is none"),
        ("SOAP_VERSION_UNSUPPORTED", 400, "a SOAP 1.2 envelope at a RIVTA BP 2.1 (SOAP 1.1) endpoint"),
        ("SOAP_HEADER_REPEATED", 400, "a SOAP envelope with more than one Header"),
        ("SOAP_HEADER_NOT_UNDERSTOOD", 400,
         "a SOAP header block marked mustUnderstand that the gateway does not know (/rivta and POST /bookings)"),
        ("SOAP_ACTION_MISMATCH", 400, "the SOAPAction or the Body's element is not this endpoint's interaction"),
        ("LOGICAL_ADDRESS_MISSING", 400, "no (or an empty) itr:LogicalAddress SOAP header"),
        ("LOGICAL_ADDRESS_REPEATED", 400, "the LogicalAddress SOAP header occurs more than once"),
        ("LOGICAL_ADDRESS_MISMATCH", 422, "the LogicalAddress is not the unit the message is for"),
        ("SLOT_TAKEN", 409, "the published time (Slot) is booked already by another booking"),
        ("RIVTA_CONTRACT_NOT_CONFIGURED", 404,
         "?wsdl/?xsd: NORDGATE_RIVTA_CONTRACT_DIR names no folder with the crm:scheduling 1.1 contract"),
        ("BOOKING_UNCHANGED", FINDING, "RIVTA INFO remark: the booking was stored already as it is; nothing changed"),
        ("BOOKING_ALREADY_CANCELLED", FINDING, "RIVTA INFO remark: the booking was cancelled already"),
        ("TIME_AMBIGUOUS_FIRST", FINDING,
         "RIVTA INFO remark: a time in the autumn overlap hour was read as its first occurrence (summer time)"),
    )),
    ("Swedish group visits (Elvis)", (
        ("SECONDARY_MARK_INVALID", 422, "secondaryBooking is neither Elvis' mark nor absent"),
        ("CAPACITY_INVALID", 422, "capacity is not a whole number from 1 up"),
        ("SESSION_NUMBER_INVALID", 422, "sessionNumber is not a whole number from 1 up"),
        ("BOOKING_ID_REPEATED", 422, "one bookingId is given to two patients"),
        ("PATIENT_REPEATED", 422, "one patient occurs twice in one message"),
        ("PERFORMER_REPEATED", 422, "one group leader is named twice"),
        ("CANCELLED_BY_UNKNOWN", 422, "cancelledBy is not one of the known values"),
        ("CALL_KIND_UNKNOWN", 422, "callKind is not one of the known kinds of call"),
        ("NOT_A_TELEPHONE_CONTACT", 422, "this kind of call is not a telephone contact and is not registered"),
        ("TELEPHONE_FEE_INVALID", 422, "a telephone contact with a patient fee or payment method not the routine's"),
        ("SMS_REMINDER_NOT_ALLOWED", 422, "a booked telephone contact asks for an SMS reminder, which is switched off"),
        ("OUTCOME_UNKNOWN", 422, "a telephone contact's outcome is neither answered nor no-answer"),
        ("SESSION_UNKNOWN", 422, "no stored group session; send its GroupSessionBooking first"),
        ("PARTICIPANT_UNKNOWN", 422, "the patient is not booked in the group session"),
        ("SESSION_GROUP_MISMATCH", 409, "the session belongs to another group"),
        ("GROUP_CAPACITY_EXCEEDED", 409, "more patients than the group session or appointment has places"),
        ("SESSION_ALREADY_REPORTED", 409, "attendance of the session is reported; its bookings can no longer change"),
        ("PARTICIPANT_CANCELLED", 409, "the patient has cancelled their place in the session"),
        ("ATTENDANCE_ALREADY_REPORTED", 409, "the patient's attendance is reported already"),
        ("PARTICIPANT_ALREADY_REPORTED", 409, "the attendance is reported; the place can no longer be cancelled"),
        ("VISIT_CONTRADICTS_ATTENDANCE", 409, "a visit type contradicting the attendance the group leaders reported"),
        ("TELEPHONE_OUTCOME_CONFLICT", 409, "the telephone contact's outcome is recorded already, and differently"),
    )),
    ("Norwegian group appointments", (
        ("EVENT_TIME_INVALID", 422, "a time of the event is not a real time"),
        ("EVENT_PATIENT_TWICE", 422, "the event names one patient twice"),
        ("GROUP_TIME_INVALID", 422, "the appointment would end before it starts, or a check-out precedes the check-in"),
        ("GROUP_BILL_WITHOUT_ATTENDANCE", 422, "a bill card for a patient who did not attend"),
        ("GROUP_COPY_SAME_ID", 422, "a copy must have an id of its own"),
        ("GROUP_UNKNOWN", 422, "no stored group appointment; send its 'created' event first"),
        ("GROUP_PATIENT_UNKNOWN", 422, "the patient is not on the group appointment"),
        ("GROUP_EXTEND_NOT_LONGER", 422, "an 'extended' event must end later than the appointment does"),
        ("GROUP_EVENT_BEFORE_CREATION", 422, "the event is dated before the appointment was created"),
        ("GROUP_TARIFFS_MISSING", 422, "the appointment uses HELFO tariffs but a bill card has none"),
        ("GROUP_TARIFFS_WITHOUT_HELFO", 422, "tariffs on an appointment that does not use HELFO tariffs"),
        ("GROUP_SHARE_WITHOUT_HELFO", 422, "a patient's share on an appointment that does not use HELFO tariffs"),
        ("GROUP_EXEMPTION_WITHOUT_HELFO", 422, "an exemption code on an appointment that does not use HELFO tariffs"),
        ("GROUP_EXEMPTION_NOT_ALLOWED", 422, "an exemption code other than frikort (F) in municipal physiotherapy"),
        ("GROUP_DIAGNOSIS_MISSING", 422, "a HELFO bill card lacks the problemstilling (diagnosis) its practice needs"),
        ("GROUP_ID_TAKEN", 409, "the id names another kind of appointment"),
        ("GROUP_EXISTS", 409, "the group appointment exists already with other content (or a copy reuses an id)"),
        ("GROUP_CLOSED", 409, "the group appointment is finished or deleted; this event cannot change it"),
        ("GROUP_DELETE_TOO_LATE", 409, "a delete more than five minutes after the appointment was created"),
        ("GROUP_PATIENT_CANCELLED", 409, "the patient has cancelled their place"),
        ("GROUP_PATIENT_NOT_CHECKED_IN", 409, "a check-out of a patient who was never checked in"),
        ("GROUP_NOT_FINISHED", 409, "bill cards are made when the appointment is finished"),
        ("GROUP_NOT_HELFO", 409, "the appointment does not use HELFO tariffs; its bill cards are never settled"),
        ("GROUP_NO_BILLS", 409, "nobody on the appointment got a bill card"),
        ("GROUP_APPOINTMENT_NOT_FOUND", 404, "no such Norwegian group appointment (for this client)"),
    )),
    ("Identifiers", (
        ("SUBJECT_OF_CARE_INVALID", 422, "a Swedish personnummer is not 12 characters yyyymmddnnnc with a real date"),
        ("SUBJECT_OF_CARE_CHECK_DIGIT", 422, "a Swedish personnummer fails its Luhn check digit"),
        ("NATIONAL_ID_INVALID", 422, "a Norwegian fødselsnummer or D-nummer does not hold a valid date of birth"),
        ("NATIONAL_ID_CHECK_DIGIT", 422, "a Norwegian fødselsnummer or D-nummer fails its mod 11 check digits"),
        ("ORGNR_CHECK_DIGIT", 422, "an organisation number fails its mod 11 check digit"),
        ("ACCOUNT_NUMBER_CHECK_DIGIT", 422, "a Norwegian bank account number fails its mod 11 check digit"),
    )),
    ("FHIR API and terminology", (
        ("RESOURCE_TYPE_UNSUPPORTED", 404, "the FHIR resource type is not served here"),
        ("RESOURCE_NOT_FOUND", 404, "no such FHIR resource (for this client)"),
        ("RESOURCE_VERSION_NOT_FOUND", 404, "the resource exists but not in this version"),
        ("SEARCH_PARAMETER_INVALID", 400, "a search parameter is unknown, repeated or not of its type"),
        ("SEARCH_TOO_COMPLEX", 400, "a search repeats one parameter or names more values in all than a search may"),
        ("SEARCH_TIMED_OUT", 503, "a search ran past the store's statement timeout and was cancelled; narrow it"),
        ("FORMAT_NOT_ACCEPTABLE", 406, "Accept or _format asks for a format other than FHIR JSON (XML is not served)"),
        ("CONCEPT_MAP_NOT_FOUND", 404, "no ConceptMap with this url (or version) for $translate"),
        ("TRANSLATE_BODY_INVALID", 400, "the $translate body is not a FHIR Parameters resource of the expected shape"),
        ("TRANSLATE_PARAMETER_INVALID", 400, "a $translate parameter is missing, repeated or not of its type"),
    )),
    ("Playground, preview, reports and audit", (
        ("SAMPLE_UNKNOWN", 404, "no such sample; GET /playground/samples lists them"),
        ("STATIC_UNKNOWN", 404, "no such static file of the playground"),
        ("COMPARE_INVALID", 400, "the comparison names no sample, or its actual is no Bundle or OperationOutcome"),
        ("PREVIEW_SESSION_INVALID", 400, "the preview session is not an object of the expected members"),
        ("REPORT_PARAMETER_INVALID", 400, "a report parameter is missing, malformed or spans too long a period"),
        ("AUDIT_QUERY_INVALID", 400, "an audit query parameter is unknown or malformed"),
    )),
    ("Accounts", (
        ("ACCOUNT_NOT_FOUND", 404, "no such account"),
        ("ACCOUNT_EXISTS", 409, "the account is registered already"),
        ("ACCOUNT_CLINIC_ADMIN_ONLY", 403, "only the clinic administrator may make or change this kind of account"),
        ("ACCOUNT_OWNER_MISSING", 422, "this kind of account names its owner"),
        ("ACCOUNT_OWNER_FIXED", 422, "a fellesoppgjør account's owner is the clinic administrator who made it"),
        ("ACCOUNT_UNKNOWN", 422, "no registered account matches the batch's; register it and name it with accountId"),
        ("ACCOUNT_MISMATCH", 422, "the batch's account does not agree with the registered account"),
    )),
    ("Settlement batches", (
        ("BATCH_DUPLICATE_PRACTITIONER", 422, "a practitioner is chosen twice"),
        ("BATCH_DROPPED_BILL_UNKNOWN", 422, "a dropped bill is not a bill of this batch"),
        ("SIGNING_PRACTITIONER_UNKNOWN", 422, "the signing practitioner is not among the batch's practitioners"),
        ("BATCH_EMPTY", 422, "no bill of the batch can be claimed; the issues give each bill's refusal"),
        ("BATCH_REFUSED_ALL_OR_NOTHING", 422, "a bill is refused and the batch asks for all or nothing"),
        ("BATCH_REFUSED", 422, "the batch sent with this Idempotency-Key was refused as a whole earlier"),
        ("SETTLEMENT_STORED", FINDING, "the refused batch is stored with its verdicts at the location given"),
        ("IDEMPOTENCY_KEY_INVALID", 400, "the Idempotency-Key is not 1 to 200 printable ASCII characters"),
        ("IDEMPOTENCY_KEY_REUSED", 409, "the Idempotency-Key was used for another batch"),
        ("BILL_CLAIMS_CONTENDED", 503, "other settlements are claiming the same bills right now; send it again"),
        ("SETTLEMENT_NOT_FOUND", 404, "no such settlement (for this client)"),
        ("SETTLEMENT_NOT_SIGNED", 404, "the settlement has no signed message"),
    )),
    ("Settlement bills", (
        ("BILL_GUID_MISSING", 422, "the bill has no guid"),
        ("BILL_NUMBER_MISSING", 422, "the bill has no billNumber"),
        ("BILL_DATETIME_MISSING", 422, "the bill has no dateTime"),
        ("BILL_PATIENT_MISSING", 422, "the bill has no patient"),
        ("BILL_PRACTITIONER_MISSING", 422, "the bill has no practitionerHpr"),
        ("BILL_TARIFFS_MISSING", 422, "the bill has no tariffs"),
        ("BILL_SHARE_PAID_MISSING", 422, "the bill does not say whether the patient's share was paid"),
        ("BILL_SHAPE_INVALID", 422, "the bill breaks the batch schema's shape (type, property)"),
        ("BILL_VALUE_INVALID", 422, "a value of the bill breaks the batch schema (pattern, range, enum)"),
        ("BILL_DATETIME_INVALID", 422, "the bill's dateTime is no real time"),
        ("BILL_REFERRAL_DATE_INVALID", 422, "the referral's date is no real date"),
        ("BILL_EXEMPTION_CODE_UNKNOWN", 422, "the exemption code is not one of kodeverk 7461 that nordgate knows"),
        ("BILL_GUID_DUPLICATE", 422, "two bills of the batch have the same guid"),
        ("BILL_NUMBER_DUPLICATE", 422, "two bills of one practitioner have the same bill number"),
        ("BILL_NOT_SIGNERS", 422, "a personally signed settlement carries a bill of another practitioner"),
        ("BILL_PRACTITIONER_NOT_CHOSEN", 422, "the bill's practitioner is not chosen for this settlement"),
        ("BILL_SHARE_PAID_DESPITE_EXEMPTION", 422, "the patient paid a share although the exemption code means none"),
        ("BILL_PATIENT_SHARE_EXCEEDS_TARIFFS", 422, "the patient's share is more than the tariffs add up to"),
        ("BILL_EXEMPTION_NOT_ALLOWED_PHYSIO", 422, "an exemption code not valid in municipal physiotherapy"),
        ("BILL_EXEMPTION_CHILD_COVERED_BY_GRANT", 422, "municipal physiotherapy: a child under 16 is in the grant"),
        ("BILL_EXEMPTION_INJURY_COVERED_BY_GRANT", 422, "municipal physiotherapy: occupational injury is in the grant"),
        ("BILL_DIAGNOSIS_MISSING", 422, "the practice type needs a diagnosis and the bill has none"),
        ("BILL_DIAGNOSIS_SYSTEM_WRONG", 422, "the diagnosis is in a code system the practice type does not use"),
        ("BILL_ALREADY_CLAIMED", FINDING, "verdict: the bill is claimed by another settlement already"),
        ("BILL_DROPPED", FINDING, "verdict: the sender left the bill out of this settlement"),
        ("BILL_REFUSED", FINDING, "verdict: the bill is refused (when no more precise code is known)"),
        ("BILL_DIAGNOSIS_NOT_SENT", FINDING, "note on an included bill: the practice type takes no diagnosis"),
        ("BILL_FRIKORT_WITHOUT_PATIENT_SHARE", FINDING, "note on an included bill: frikort without a share claims 0"),
    )),
    ("NHN address register", (
        ("AR_NOT_CONFIGURED", 503, "no address register is configured"),
        ("AR_NO_SUCH_HER_ID", 404, "the HER-id does not exist in the address register"),
        ("AR_NO_CERTIFICATE", 404, "the HER-id has no certificate of this kind in the address register"),
        ("HER_ID_INVALID", 400, "a HER-id is not 1 to 9 digits"),
        ("SENDER_NOT_IN_AR", 422, "the settlement's sender HER-id is not in the address register"),
        ("RECEIVER_NOT_IN_AR", 422, "the receiver's (or the AppRec sender's) HER-id is not in the address register"),
        ("AR_PARTY_INACTIVE", 422, "the sender or receiver is inactive in the address register"),
        ("PARTY_ORGNR_MISSING", 422, "a communication party has no organisation number in the address register"),
        ("AR_TIMEOUT", 503, "the address register did not answer in time"),
        ("AR_UNAVAILABLE", 503, "the address register cannot be reached or answers HTTP 5xx"),
        ("AR_FAULT", 503, "the address register answered with a SOAP fault"),
        ("AR_UNAUTHORIZED", 503, "the address register refused the gateway's credentials"),
        ("AR_HTTP_ERROR", 503, "the address register answered an unexpected HTTP status"),
        ("AR_BAD_RESPONSE", 503, "the address register's answer cannot be read"),
        ("AR_HOSTILE_RESPONSE", 503, "the address register's answer was refused as hostile (DTD, size, depth)"),
        ("AR_CERTIFICATE_INVALID", 503, "a certificate in the address register is not a DER X.509 certificate"),
        ("AR_NOT_SOAP", 400, "SOAP reading: not a SOAP envelope, or an empty Body"),
        ("AR_RESPONSE_SHAPE", 400, "SOAP reading: the answer lacks the elements of its operation"),
        ("AR_CERTIFICATE_NOT_BASE64", 400, "SOAP reading: a Certificate element is not base64"),
        ("AR_UNKNOWN_OPERATION", 400, "address register stub: no such operation"),
        ("AR_SOAPACTION_MISMATCH", 400, "address register stub: SOAPAction does not name the operation in the body"),
        ("AR_HER_ID_MISSING", 400, "address register stub: herId is missing or not a number"),
        ("AR_ENDPOINT_INVALID", 500, "the address register endpoint is not an http(s) URL, or holds credentials"),
        ("AR_CREDENTIALS_INVALID", 500, "address register username without password, or an unreadable password file"),
        ("AR_RETRY_POLICY_INVALID", 500, "address register retry attempts below 1 or negative delays"),
        ("AR_CACHE_INVALID", 500, "address register cache TTLs below 0 or fewer than one entry"),
        ("AR_STUB_DATA_INVALID", 500, "the address register stub's data folder is missing, empty or repeats a HER-id"),
    )),
    ("Settlement messages and signing", (
        ("BKM_MISSING", 422, "no MsgHead with a BehandlerKrav in Document/RefDoc/Content"),
        ("BKM_SCHEMA_INVALID", 422, "the BehandlerKrav built breaks the official schema"),
        ("MSGHEAD_SCHEMA_INVALID", 422, "the MsgHead built breaks the official schema"),
        ("REFERENCE_SCHEMA_MISSING", 500, "an official schema is not in the configured reference folder"),
        ("SIGNER_NOT_CONFIGURED", 503, "the settlement needs a kind of signer this gateway has none of"),
        ("CERT_KIND_MISMATCH", 422, "the settlement needs the other kind of certificate (personal or enterprise)"),
        ("CERT_EXPIRED", 422, "the certificate has expired"),
        ("CERT_NOT_YET_VALID", 422, "the certificate is not valid yet"),
        ("CERT_WEAK_ALGORITHM", 422, "the certificate's signature hash or key size is not acceptable"),
        ("CERT_KEY_USAGE", 422, "the certificate's key usage allows neither nonRepudiation nor digitalSignature"),
        ("CERT_UNTRUSTED", 422, "the certificate does not chain to a configured trust anchor"),
        ("CERT_ORGNR_MISMATCH", 422, "the enterprise certificate is for another organisation than the sender"),
        ("SENDER_SIGNER_MISMATCH", 422, "the signer does not speak for the sender (organisation or card holder)"),
        ("SIGN_NOT_DOCUMENT_ROOT", 422, "only a document's root element can be signed"),
        ("SIGN_ALREADY_SIGNED", 422, "the message already carries a ds:Signature"),
        ("SMARTCARD_CLOSED", 422, "the smart-card signer has been closed"),
        ("SMARTCARD_SIGN_FAILED", 422, "the smart card could not sign"),
        ("CERT_KIND_UNKNOWN", 500, "the signing certificate is neither a SEID personal nor an enterprise certificate"),
        ("SIGNER_KIND_MISMATCH", 500, "a signer setting holds the other kind of certificate"),
        ("SIGNING_KEY_NOT_RSA", 500, "the signing certificate holds no RSA key"),
        ("SIGNING_SECRET_SOURCE", 500, "a secret is given neither or both as an environment variable and a file"),
        ("SIGNING_SECRET_MISSING", 500, "a secret's environment variable is unset, or its file unreadable or empty"),
        ("SIGNING_TRUST_MISSING", 500, "a signer or signed AppRecs without trust anchors"),
        ("SIGNING_TRUST_UNREADABLE", 500, "the trust anchor file cannot be read or holds no PEM certificate"),
        ("PKCS12_UNREADABLE", 500, "the signing PKCS#12 file cannot be read, or the password is wrong"),
        ("PKCS12_INCOMPLETE", 500, "the signing PKCS#12 file lacks a private key or its certificate"),
        ("PKCS12_KEY_MISMATCH", 500, "the signing PKCS#12 file's key does not belong to its certificate"),
        ("CARD_HOLDERS_UNREADABLE", 500, "the card holder file cannot be read or is not JSON"),
        ("CARD_HOLDERS_INVALID", 500, "the card holder file does not map personal serial numbers to HPR numbers"),
        ("CARD_HOLDER_UNKNOWN", 500, "the personal certificate is not in the card holder record"),
        ("SMARTCARD_MODULE_UNAVAILABLE", 500, "the PKCS#11 module cannot be loaded"),
        ("SMARTCARD_TOKEN_NOT_FOUND", 500, "no token with the label (is the card inserted?)"),
        ("SMARTCARD_TOKEN_AMBIGUOUS", 500, "more than one token has the label"),
        ("SMARTCARD_PIN_REJECTED", 500, "the token refused the PIN"),
        ("SMARTCARD_PIN_LOCKED", 500, "the token's PIN is locked or expired"),
        ("SMARTCARD_UNAVAILABLE", 500, "the gateway cannot log in to the token"),
        ("SMARTCARD_IN_USE", 500, "the token is in use by another signer of this process"),
        ("SMARTCARD_KEY_NOT_FOUND", 500, "no RSA private key with the label or id on the token"),
        ("SMARTCARD_KEY_AMBIGUOUS", 500, "more than one RSA private key matches; give a key label or id"),
        ("SMARTCARD_KEY_CANNOT_SIGN", 500, "the private key on the token may not sign"),
        ("SMARTCARD_CERT_NOT_FOUND", 500, "no certificate for the signing key on the token"),
    )),
    ("Signature checks", (
        ("SIGNED_MESSAGE_UNREADABLE", 400, "the body is not CMS signed data with attached content"),
        ("SIGNATURE_MALFORMED", 422, "the signature's structure is not the one allowed"),
        ("ALGORITHM_WEAK", 422, "the signature uses a digest or signature algorithm refused as weak"),
        ("ALGORITHM_UNSUPPORTED", 422, "the signature uses an algorithm that is not supported"),
        ("CERTIFICATE_MISSING", 422, "the signature does not carry the signer's certificate"),
        ("SIGNATURE_INVALID", 422, "the signature does not verify, or the content changed after signing"),
        ("ROOT_NOT_MSGHEAD", FINDING, "nordgate verify: the document element is not MsgHead"),
        ("SIGNATURE_MISSING", FINDING, "nordgate verify: the message carries no ds:Signature"),
        ("SIGNATURE_DUPLICATE", FINDING, "nordgate verify: the message carries more than one ds:Signature"),
        ("SIGNATURE_MISPLACED", FINDING, "nordgate verify: ds:Signature is not the last child of MsgHead"),
        ("C14N_UNSUPPORTED", FINDING, "nordgate verify: SignedInfo is not canonicalised with C14N 1.0"),
        ("REFERENCE_COUNT", FINDING, "nordgate verify: not exactly one Reference"),
        ("REFERENCE_NOT_WHOLE_DOCUMENT", FINDING, "nordgate verify: the Reference does not sign the whole MsgHead"),
        ("TRANSFORM_UNSUPPORTED", FINDING, "nordgate verify: transforms other than enveloped-signature and C14N 1.0"),
        ("CERTIFICATE_MALFORMED", FINDING, "nordgate verify: an X509Certificate cannot be read"),
        ("DIGEST_MISMATCH", FINDING, "nordgate verify: the signed content has been changed"),
        ("GEN_DATE_INVALID", FINDING, "nordgate verify: MsgInfo/GenDate is missing or not a date-time"),
    )),
    ("Encryption", (
        ("ENCRYPTED_MESSAGE_UNREADABLE", 400, "the body is not CMS enveloped data, or it is damaged"),
        ("ENCRYPTED_FOR_ANOTHER_CERTIFICATE", 422, "the message is not encrypted for this gateway's certificate"),
        ("DECRYPTION_FAILED", 422, "the message names this gateway's certificate but does not decrypt with its key"),
        ("ENCRYPTION_UNSUPPORTED", 422, "the message is encrypted with algorithms the gateway does not read"),
        ("ENCRYPTION_CERTIFICATE_NOT_RSA", 422, "the receiver's encryption certificate holds no RSA key"),
        ("ENCRYPTION_CERTIFICATE_NOT_YET_VALID", 422, "the receiver's encryption certificate is not valid yet"),
        ("ENCRYPTION_CERTIFICATE_EXPIRED", 422, "the receiver's encryption certificate has expired"),
        ("ENCRYPTION_CERTIFICATE_KEY_USAGE", 422, "the receiver's encryption certificate lacks keyEncipherment"),
        ("ENCRYPTION_CERTIFICATE_UNUSABLE", 500, "nordgate settle --encrypt-for: the certificate cannot be used"),
        ("ENCRYPTION_CERTIFICATE_UNREADABLE", 500, "the encryption certificate file is unreadable or holds none"),
        ("APPREC_DECRYPTION_NOT_CONFIGURED", 415, "an encrypted AppRec, and this gateway holds no decryption key"),
        ("DECRYPTION_P12_UNREADABLE", 500, "the decryption PKCS#12 file cannot be read, or the password is wrong"),
        ("DECRYPTION_P12_INCOMPLETE", 500, "the decryption PKCS#12 file lacks an RSA key or its certificate"),
        ("DECRYPTION_KEY_MISMATCH", 500, "the decryption key does not belong to its certificate"),
    )),
    ("Delivery and receipts", (
        ("RECEIVER_UNREACHABLE", 503, "the receiver cannot be reached"),
        ("RECEIVER_HTTP_{status}", 503, "the receiver answered this HTTP status (5xx, 408, 425, 429); retried later"),
        ("TRANSPORT_REFUSED_{status}", 422, "the receiver refused the message for good with this HTTP status (4xx)"),
        ("TRANSPORT_DIRECTORY_UNWRITABLE", 503, "the drop folder cannot be written"),
        ("TRANSPORT_NAME_UNSAFE", 422, "a message id or HER-id cannot name a file in the drop folder"),
        ("TRANSPORT_URL_INVALID", 500, "the delivery URL is not an http(s) URL"),
        ("RECEIVER_NO_ENCRYPTION_CERTIFICATE", 503, "the receiver has no encryption certificate in the register"),
        ("RECEIVER_ENCRYPTION_CERTIFICATE_UNUSABLE", 503,
         "the receiver's encryption certificate cannot be used (the message names the finding)"),
        ("APPREC_NOT_APPREC", 400, "the body is not an AppRec"),
        ("APPREC_ELEMENT_REPEATED", 422, "an AppRec element that occurs once occurs more often"),
        ("APPREC_ORIGINAL_MSG_ID_MISSING", 422, "the AppRec does not name the message it answers"),
        ("APPREC_STATUS_INVALID", 422, "the AppRec's status is not 1 (OK), 2 (rejected) or 3 (OK with errors)"),
        ("APPREC_SIGNATURE_MISSING", 422, "this gateway takes only signed AppRecs, and this one is not signed"),
        ("APPREC_UNKNOWN_MESSAGE", 422, "no settlement was sent with the MsgId the AppRec answers"),
        ("APPREC_SENDER_MISMATCH", 422, "the AppRec comes from another HER-id than the settlement went to"),
        ("APPREC_STATE_CONFLICT", 409, "the settlement is in a state that takes no AppRec"),
        ("APPREC_CONFLICT", 409, "an AppRec with another status is already recorded for the message"),
    )),
    ("Settings, storage and start-up", (
        ("SETTINGS_INVALID", 500, "a setting is invalid or contradicts another"),
        ("DATA_DIR_MISSING", 500, "a data folder is neither in the checkout nor installed"),
        ("SCHEMA_UNREADABLE", 500, "an XML or JSON schema cannot be loaded"),
        ("MAPPING_FOLDER_MISSING", 500, "the mappings folder does not exist"),
        ("MAPPING_MISSING", 500, "a required ConceptMap or the identifier table is missing"),
        ("MAPPING_INVALID", 500, "a mapping file is not valid JSON or breaks its rules"),
        ("KNOWN_CODES_UNREADABLE", 500, "the known-codes file of the mapping checks cannot be read"),
        ("JWT_KEYS_UNREADABLE", 500, "the JWT public keys (or JWKS) file cannot be read"),
        ("JWT_KEYS_INVALID", 500, "the JWT keys file holds no usable RSA or EC public key"),
        ("DATABASE_PATH_INVALID", 500, "the folder of the SQLite database does not exist"),
        ("DATABASE_UNREADABLE", 500, "the SQLite database cannot be opened"),
        ("DATABASE_UNREACHABLE", 500, "PostgreSQL does not answer (also a failing readiness check in NOT_READY)"),
        ("DATABASE_MIGRATIONS_MISSING", 500, "the build holds no schema revisions"),
        ("DATABASE_SCHEMA_BEHIND", 500, "the database schema is older than this build; run the upgrade first"),
        ("DATABASE_SCHEMA_AHEAD", 500, "the database schema is newer than this build knows; run a newer nordgate"),
        ("DATABASE_MIGRATION_FAILED", 500, "migrating the database failed"),
    )),
)

CATALOGUE: Final[tuple[ErrorCode, ...]] = tuple(
    ErrorCode(code, status, meaning, area) for area, rows in _AREAS for code, status, meaning in rows
)

#: Status by code, families left out: the one lookup every error makes.
STATUS_OF: Final[Mapping[str, Status]] = MappingProxyType(
    {entry.code: entry.status for entry in CATALOGUE if not entry.family}
)
_BY_CODE: Final[Mapping[str, ErrorCode]] = MappingProxyType({entry.code: entry for entry in CATALOGUE})


def lookup(code: str) -> ErrorCode | None:
    """The entry of ``code``; a family's for a member such as ``RECEIVER_HTTP_502``."""
    found = _BY_CODE.get(code)
    if found is not None and not found.family:
        return found
    head, _, tail = code.rpartition("_")
    if len(tail) == 3 and tail.isascii() and tail.isdigit():
        return _BY_CODE.get(head + _FAMILY_TAIL)
    return None


def check_raised(code: str, status: int) -> None:
    """Raise :class:`ErrorCodeMisuse` unless ``code`` is answered with ``status``: the slow path, taken
    only when :data:`STATUS_OF` alone does not say so (a family member, or a misused code)."""
    entry = lookup(code)
    if entry is None:
        raise ErrorCodeMisuse(f"error code {code!r} is not in gateway/primitives/error_codes.py")
    if entry.status != status:
        raise ErrorCodeMisuse(f"error code {code!r} is catalogued as {entry.status}, raised as {status}")


def check_finding(code: str) -> None:
    """Raise :class:`ErrorCodeMisuse` unless ``code`` is catalogued (with any status)."""
    if lookup(code) is None:
        raise ErrorCodeMisuse(f"error code {code!r} is not in gateway/primitives/error_codes.py")


def _status_text(status: Status) -> str:
    return str(status) if isinstance(status, int) else {FINDING: "finding", FRAMEWORK: "the framework's"}[status]


def markdown(entries: Iterable[ErrorCode] = CATALOGUE) -> str:
    """The reference page ``docs/reference/error-codes.md``: every code once, by area."""
    by_area: dict[str, list[ErrorCode]] = {}
    for entry in entries:
        by_area.setdefault(entry.area, []).append(entry)
    total = sum(len(rows) for rows in by_area.values())
    lines = [
        "# Error codes",
        "",
        "<!-- Generated by `python -m gateway.primitives.error_codes --markdown`; edit the table in",
        "     gateway/primitives/error_codes.py, not this page. -->",
        "",
        f"Every error of nordgate, and every finding inside one, carries one of these {total} stable codes (in",
        "an OperationOutcome as `issue[].details.coding[].code`, or on the command line). Match on the code,",
        "never on the text.",
        "",
        "- **Status** is the HTTP status the code is answered with. Codes raised outside a request (the",
        "  command line, the delivery worker) keep the status of their kind: 500 for settings and start-up,",
        "  503 for an outside party that is down, 4xx for what the sender must fix.",
        "- **finding**: never an answer's own code, but one finding inside another answer (a bill's verdict",
        "  in a settlement, a check of `nordgate verify`, a failing check of `/readyz`).",
        "- A code ending in `{status}` is completed by the receiver's HTTP status, e.g. `RECEIVER_HTTP_502`.",
        "",
        "Areas: " + ", ".join(f"[{area}](#{_anchor(area)})" for area in by_area) + ".",
    ]
    for area, rows in by_area.items():
        lines += ["", f"## {area}", "", "| Code | Status | Meaning |", "| --- | --- | --- |"]
        lines += [f"| `{row.code}` | {_status_text(row.status)} | {_cell(row.meaning)} |" for row in rows]
    return "\n".join(lines) + "\n"


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    kept = "".join(ch for ch in heading.lower() if ch.isalnum() or ch in " -_")
    return kept.replace(" ", "-")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;")


def main(argv: Sequence[str]) -> int:
    if list(argv) != ["--markdown"]:
        print("usage: python -m gateway.primitives.error_codes --markdown", file=sys.stderr)
        return 2
    sys.stdout.write(markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
