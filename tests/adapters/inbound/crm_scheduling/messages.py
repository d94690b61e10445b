"""Builders of crm:scheduling test messages (the samples/ folder holds the realistic ones)."""

from __future__ import annotations

CORE = "urn:riv:crm:scheduling:1"
EXT = "urn:riv:crm:scheduling:1.1"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
UNIT = "SE2321000131-E000000000001"


def timeslot(booking_id: str = "B-1", start: str | None = "20261201093000", end: str | None = "20261201100000",
             subject: str | None = "191212121212", extra: str = "", invitation: bool = False,
             prefix: str = "core") -> str:
    p = f"{prefix}:" if prefix else ""
    parts = []
    if start:
        parts.append(f"<{p}startTimeInclusive>{start}</{p}startTimeInclusive>")
    if end:
        parts.append(f"<{p}endTimeExclusive>{end}</{p}endTimeExclusive>")
    parts.append(f"<{p}healthcare_facility>{UNIT}</{p}healthcare_facility>")
    if booking_id:
        parts.append(f"<{p}bookingId>{booking_id}</{p}bookingId>")
    if subject:
        parts.append(f"<{p}subject_of_care>{subject}</{p}subject_of_care>")
    parts.append(extra)
    if invitation:
        parts.append(f'<ext:isInvitation xmlns:ext="{EXT}">true</ext:isInvitation>')
    return "".join(parts)


def make_booking(slot: str | None = None, *, prefix: str = "core", names: bool = True) -> bytes:
    slot = slot if slot is not None else timeslot(prefix=prefix)
    info = (f'<mb:subject_of_care_info><ext:firstName xmlns:ext="{EXT}">Tolvan</ext:firstName>'
            f'<ext:lastName xmlns:ext="{EXT}">Tolvansson</ext:lastName></mb:subject_of_care_info>') if names else ""
    return (f'<mb:MakeBooking xmlns:mb="urn:riv:crm:scheduling:MakeBookingResponder:1" xmlns:{prefix}="{CORE}">'
            f"<mb:healthcare_facility_med>{UNIT}</mb:healthcare_facility_med>"
            f"<mb:requestedTimeslot>{slot}</mb:requestedTimeslot>{info}</mb:MakeBooking>").encode()


def update_booking(slot: str) -> bytes:
    return (f'<ub:UpdateBooking xmlns:ub="urn:riv:crm:scheduling:UpdateBookingResponder:1" xmlns:core="{CORE}">'
            f"<ub:requestedTimeslot>{slot}</ub:requestedTimeslot></ub:UpdateBooking>").encode()


def cancel_booking(booking_id: str = "B-1", message: str = "Kan inte komma") -> bytes:
    return (f'<CancelBooking xmlns="urn:riv:crm:scheduling:CancelBookingResponder:1">'
            f"<healthcare_facility>{UNIT}</healthcare_facility><bookingId>{booking_id}</bookingId>"
            f"<message>{message}</message></CancelBooking>").encode()


def schedule_response(*slots: str) -> bytes:
    details = "".join(f"<r:timeslotDetail>{slot}</r:timeslotDetail>" for slot in slots)
    return (f'<r:GetSubjectOfCareScheduleResponse xmlns:r="urn:riv:crm:scheduling:GetSubjectOfCareScheduleResponder:1"'
            f' xmlns:core="{CORE}">{details}</r:GetSubjectOfCareScheduleResponse>').encode()


def soap(body: bytes, namespace: str = SOAP11) -> bytes:
    return (f'<s:Envelope xmlns:s="{namespace}"><s:Header/><s:Body>'.encode() + body + b"</s:Body></s:Envelope>")
