"""One table: every nordgate error code a crm:scheduling SOAP request (``/rivta/…``) can meet, and
how it is answered.

- ``error``: a write (MakeBooking, UpdateBooking, CancelBooking) refused for its content, its address
  or against stored state: ``resultCode`` ERROR, ``resultText`` "<CODE>: <svenska> / <English>", HTTP 200.
  The reads (GetBookingDetails, GetSubjectOfCareSchedule, GetAvailableTimeslots) have no resultCode in
  their responder schemas, so on a read every ``error`` row is a ``soap:Client`` Fault with the same code;
- ``client``: a ``soap:Client`` Fault (HTTP 500, as SOAP 1.1 over HTTP and WS-I BP R1126 say): not a
  usable SOAP request for this endpoint, or the caller is not authenticated / may not use it;
- ``must-understand`` / ``version-mismatch``: the SOAP 1.1 fault codes of their own;
- ``server``: a ``soap:Server`` Fault (HTTP 500): our side failed or is busy; send it again.

INFO (stored, or found stored, with a remark) is not an error: :data:`INFO_REMARKS`. Only the short
reason goes into ``resultText``/``faultstring`` (1177 may show it to a citizen); the detailed message
goes to the log. ``tests/gateway/api/rivta/test_answer_table.py`` proves the table covers every
catalogued code of the areas a SOAP request reaches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gateway.bookings.rivta_producer import REMARKS

__all__ = ["ANSWER_OF", "FAULTCODE", "INFO_REMARKS", "Answer", "answer_for", "result_text"]

Kind = Literal["error", "client", "server", "must-understand", "version-mismatch"]

#: The SOAP 1.1 faultcode (local name) of each Fault kind.
FAULTCODE: dict[str, str] = {"client": "Client", "server": "Server", "must-understand": "MustUnderstand",
                             "version-mismatch": "VersionMismatch", "error": "Client"}


@dataclass(frozen=True, slots=True)
class Answer:
    kind: Kind
    sv: str
    en: str


def _e(sv: str, en: str) -> Answer:
    return Answer("error", sv, en)


def _c(en: str) -> Answer:
    return Answer("client", "Felaktig SOAP-begäran", en)


def _s(en: str) -> Answer:
    return Answer("server", "Tjänsten kan inte svara just nu", en)


ANSWER_OF: dict[str, Answer] = {
    # --- Requests, transport, authentication: never a resultCode ---------------------------------
    "REQUEST_INVALID": _c("the request breaks the endpoint's types"),
    "ROUTE_NOT_FOUND": _c("no endpoint at this path"),
    "METHOD_NOT_ALLOWED": _c("a RIVTA endpoint takes POST (and GET ?wsdl)"),
    "CONTENT_LENGTH_INVALID": _c("Content-Length is not a number"),
    "PAYLOAD_TOO_LARGE": _c("the body is over the size limit"),
    "MEDIA_TYPE_UNSUPPORTED": _c("SOAP 1.1 is sent as text/xml"),
    "SOURCE_UNKNOWN": _c("the sending system named is not known"),
    "HTTP_ERROR": _c("refused by the web framework"),
    "CLIENT_CLOSED_REQUEST": _c("the client hung up before the body was read"),
    "BODY_READ_TIMEOUT": _c("the body did not arrive in time"),
    "CONTENT_ENCODING_UNSUPPORTED": _c("send the body uncompressed"),
    "MEDIA_TYPE_MISMATCH": _c("the body is not the XML its Content-Type names"),
    "RIVTA_CONTRACT_NOT_CONFIGURED": _c("the service contract is not configured on this gateway"),
    "SOAP_HEADER_NOT_UNDERSTOOD": Answer("must-understand", "Felaktig SOAP-begäran",
                                         "a mustUnderstand header is not understood"),
    "SOAP_VERSION_UNSUPPORTED": Answer("version-mismatch", "Felaktig SOAP-begäran",
                                       "SOAP 1.2 is not taken; RIVTA BP 2.1 is SOAP 1.1"),
    "INTERNAL_ERROR": _s("an unexpected error; the gateway log has the details"),
    "STORE_CONTENDED": _s("the same booking was written concurrently; send it again"),
    "NOT_READY": _s("a dependency does not answer"),
    **{code: _c("authentication failed: " + why) for code, why in (
        ("TOKEN_MISSING", "no credentials"), ("TOKEN_MALFORMED", "malformed token"),
        ("TOKEN_ALGORITHM_REFUSED", "algorithm refused"), ("TOKEN_ISSUER_UNKNOWN", "issuer not trusted"),
        ("TOKEN_KEY_UNKNOWN", "no key fits"), ("TOKEN_SIGNATURE_INVALID", "signature invalid"),
        ("TOKEN_EXPIRED", "token expired"), ("TOKEN_NOT_YET_VALID", "token not yet valid"),
        ("TOKEN_AUDIENCE_INVALID", "wrong audience"), ("TOKEN_CLAIMS_INVALID", "claims invalid"),
        ("TOKEN_INVALID", "token refused"), ("API_KEY_INVALID", "unknown API key"),
        ("AUTH_DISABLED_REMOTE", "authentication is off; loopback only"),
        ("CLIENT_NOT_CONFIGURED", "the client (certificate / token) is not configured"),
        ("SCOPE_MISSING", "the client lacks the bookings scope"),
    )},
    # --- XML and SOAP: not a usable SOAP message -> Fault ---------------------------------------
    **{code: _c(why) for code, why in (
        ("XML_NOT_BYTES", "XML given as text"), ("XML_EMPTY", "the body is empty"),
        ("XML_ENCODING_MISMATCH", "the XML declaration names another encoding"),
        ("XML_DTD_FORBIDDEN", "DOCTYPE/ENTITY refused"), ("XML_MALFORMED", "not well-formed XML"),
        ("XML_TOO_DEEP", "the XML nests too deep"),
        ("SOAP_BODY_MISSING", "the envelope needs exactly one Body"),
        ("SOAP_BODY_NOT_ONE_MESSAGE", "the Body must hold exactly one element"),
        ("SOAP_ENVELOPE_MISSING", "not a SOAP 1.1 envelope"),
        ("SOAP_HEADER_REPEATED", "more than one Header"),
        ("SOAP_ACTION_MISMATCH", "the SOAPAction/Body element is not this endpoint's"),
        ("FORMAT_UNKNOWN", "the Body's element is not crm:scheduling 1.1"),
        ("MESSAGE_TYPE_UNSUPPORTED", "this crm:scheduling message is not taken here"),
        ("LOGICAL_ADDRESS_MISSING", "the LogicalAddress header is required"),
        ("LOGICAL_ADDRESS_REPEATED", "the LogicalAddress header occurs twice"),
    )},
    # --- Message content (a valid SOAP message that breaks the contract) -> ERROR --------------
    "ELEMENT_MISSING": _e("Ett obligatoriskt element saknas", "a required element is missing"),
    "ELEMENT_REPEATED": _e("Ett element förekommer för många gånger", "an element occurs too often"),
    "ELEMENT_NOT_TEXT": _e("Ett element har fel innehåll", "an element holds elements, not text"),
    "BOOLEAN_MALFORMED": _e("Ett sant/falskt-värde är felaktigt", "a boolean is not true/false/1/0"),
    "HSA_ID_INVALID": _e("Ogiltigt HSA-id", "not an HSA-id"),
    "TIME_MALFORMED": _e("Felaktig tidpunkt", "a time is not YYYYMMDDhhmmss or not a real time"),
    "TIME_NONEXISTENT": _e("Tiden finns inte (sommartid börjar)",
                           "the local time does not exist (clocks go forward)"),
    "TIMESLOT_INCOMPLETE": _e("Start- eller sluttid saknas", "a start without an end or the reverse"),
    "TIMESLOT_END_BEFORE_START": _e("Sluttiden är före starttiden", "the time ends before it starts"),
    "DATE_OUT_OF_RANGE": _e("Datum utanför giltigt intervall", "a date lies outside the supported calendar"),
    "TIMESLOT_TIME_MISSING": _e("Start- och sluttid krävs", "start and end are required"),
    "BOOKING_ID_MISSING": _e("Boknings-id saknas", "no bookingId"),
    "SUBJECT_OF_CARE_MISSING": _e("Patient saknas", "no subject_of_care"),
    "PATIENT_NAME_MISSING": _e("Patientens för- eller efternamn saknas", "firstName or lastName missing"),
    "INVITATION_HAS_TIME": _e("En öppen kallelse har ingen tid", "an open invitation carries no time"),
    "UPDATE_MARKED_AS_INVITATION": _e("Ombokning kan inte vara en kallelse",
                                      "an UpdateBooking cannot be an open invitation"),
    "AVAILABLE_TIME_HAS_PATIENT": _e("En ledig tid har ingen patient", "a free time names no patient"),
    "SUBJECT_OF_CARE_INVALID": _e("Ogiltigt personnummer", "not a valid Swedish personal identity number"),
    "SUBJECT_OF_CARE_CHECK_DIGIT": _e("Personnumrets kontrollsiffra stämmer inte",
                                      "the personnummer's check digit is wrong"),
    "LOGICAL_ADDRESS_MISMATCH": _e("Logisk adress och vårdenhet stämmer inte överens",
                                   "the LogicalAddress is not the unit of the message"),
    "TENANT_FORBIDDEN": _e("Ni saknar behörighet för vårdenheten", "the client may not act for this unit"),
    # --- Stored state -> ERROR -------------------------------------------------------------------
    "BOOKING_UNKNOWN": _e("Bokningen finns inte", "no such booking at the unit"),
    "BOOKING_PATIENT_MISMATCH": _e("Bokningen tillhör en annan patient", "the booking belongs to another patient"),
    "BOOKING_CANCELLED": _e("Bokningen är avbokad", "the booking is cancelled"),
    "UPDATE_ON_INVITATION": _e("En öppen kallelse kan inte ombokas; boka den",
                               "an open invitation is booked with MakeBooking, not updated"),
    "INVITATION_ALREADY_BOOKED": _e("Kallelsen är redan bokad", "the open invitation is booked already"),
    "INVITATION_ON_EXISTING_BOOKING": _e("Bokningen finns redan", "the booking exists already"),
    "SLOT_TAKEN": _e("Tiden är redan bokad", "the time is booked already"),
}

#: INFO: accepted (stored, or found stored) with a remark the caller should see; the texts live with
#: the producer that picks the remark.
INFO_REMARKS = REMARKS



def result_text(code: str, sv: str, en: str) -> str:
    return f"{code}: {sv} / {en}"


def answer_for(code: str, status: int) -> Answer:
    """The row of ``code``; a code not in the table falls back by HTTP status (the table test keeps
    the table complete for the areas a SOAP request reaches, so this only guards future codes)."""
    found = ANSWER_OF.get(code)
    if found is not None:
        return found
    if status >= 500:
        return _s("the gateway failed")
    if status in (400, 401, 403, 404, 405, 413, 415):
        return _c("refused")
    return _e("Meddelandet avvisades", "the message is refused")
