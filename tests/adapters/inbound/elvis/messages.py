"""Builders of Elvis group-visit test messages (samples/elvis holds the realistic ones)."""

from __future__ import annotations

NS = "urn:nordgate:elvis:groupvisit:1"
UNIT = "SE2321000131-E000000011111"
LEADER = "SE2321000131-P000000022221"
CALLER = "SE2321000131-P000000022224"
ELSA, LIAM, MAJA, NOAH = "201003121009", "200905211009", "201111021000", "200807141007"


def _wrap(root: str, body: str) -> bytes:
    return f'<{root} xmlns="{NS}">{body}</{root}>'.encode()


def _head(session: str) -> str:
    return f"<healthcare_facility>{UNIT}</healthcare_facility><sessionId>{session}</sessionId>"


def patient(subject: str, booking_id: str, *, secondary: str | None = "X", names: str = "") -> str:
    mark = f"<secondaryBooking>{secondary}</secondaryBooking>" if secondary is not None else ""
    return (f"<patient><subject_of_care>{subject}</subject_of_care>{names}<bookingId>{booking_id}</bookingId>"
            f"{mark}</patient>")


def session_booking(*patients: str, session: str = "S-1", capacity: int | str = 6, group: str = "ADHD-UNG",
                    start: str = "20260908140000", end: str = "20260908153000", extra: str = "") -> bytes:
    booked = "".join(patients) if patients else patient(ELSA, "B-1") + patient(LIAM, "B-2") + patient(
        MAJA, "B-3", secondary=None) + patient(NOAH, "B-4")
    return _wrap("GroupSessionBooking", (
        f"<group><groupId>{group}</groupId><groupName>ADHD Ung</groupName></group>"
        f"<session><sessionId>{session}</sessionId><sessionNumber>1</sessionNumber>"
        f"<healthcare_facility>{UNIT}</healthcare_facility>"
        f"<groupLeader><performer>{LEADER}</performer><performerName>Karin Sjöberg</performerName></groupLeader>"
        f"<startTimeInclusive>{start}</startTimeInclusive><endTimeExclusive>{end}</endTimeExclusive>"
        f"<capacity>{capacity}</capacity><visitTypeCode>Nybesök</visitTypeCode>{extra}{booked}</session>"))


def attendance(*entries: tuple[str, bool], session: str = "S-1") -> bytes:
    body = "".join(f"<patient><subject_of_care>{subject}</subject_of_care><attended>{str(came).lower()}</attended>"
                   "</patient>" for subject, came in entries)
    return _wrap("AttendanceReport", _head(session) + f"<reportedBy><performer>{LEADER}</performer></reportedBy>{body}")


def visit(subject: str, code: str, *, extra: str = "") -> str:
    return f"<visit><subject_of_care>{subject}</subject_of_care><visitTypeCode>{code}</visitTypeCode>{extra}</visit>"


def registration(*visits: str, session: str = "S-1") -> bytes:
    return _wrap("VisitRegistration", _head(session) + "".join(visits))


def cancellation(subject: str = LIAM, *, by: str = "guardian", deviation: str = "Sjuk", session: str = "S-1") -> bytes:
    return _wrap("Cancellation", _head(session) + f"<subject_of_care>{subject}</subject_of_care>"
                 f"<cancelledBy>{by}</cancelledBy><deviation>{deviation}</deviation>")


def telephone(outcome: str = "answered", *, booking_id: str = "TEL-1", subject: str = MAJA, kind: str | None = None,
              extra: str = "") -> bytes:
    call_kind = f"<callKind>{kind}</callKind>" if kind else ""
    return _wrap("TelephoneContact", (
        f"{call_kind}<healthcare_facility>{UNIT}</healthcare_facility><bookingId>{booking_id}</bookingId>"
        f"<subject_of_care>{subject}</subject_of_care><performer>{CALLER}</performer>"
        "<startTimeInclusive>20260914100000</startTimeInclusive><endTimeExclusive>20260914101500</endTimeExclusive>"
        f"{extra}<outcome>{outcome}</outcome>"))
