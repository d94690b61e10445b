"""Readers shared by the Elvis group-visit messages: unit, patient, people, times, numbers.

The element readers, HSA-id check, time stamps and personnummer check are crm:scheduling's own
(:mod:`adapters.inbound.crm_scheduling`): the Elvis format is written in the same spirit and the same
values must pass the same checks, whichever format carried them.
"""

from __future__ import annotations

import datetime as dt

from lxml import etree

from adapters.inbound.crm_scheduling.elements import children, required_text, text
from adapters.inbound.crm_scheduling.times import parse_ts
from adapters.inbound.crm_scheduling.timeslot import hsa_id
from gateway.domain.groups import GroupLeader
from gateway.primitives.errors import Unprocessable
from gateway.primitives.identifiers import Identifier, classify_swedish_person

__all__ = ["leaders", "patient", "positive_int", "required_times", "unique", "unit"]

_MAX_DIGITS = 9


def unit(parent: etree._Element, *, path: str) -> Identifier:
    value = required_text(parent, "healthcare_facility", path=path, why="the care unit owns every session")
    return hsa_id(value, location=f"{path}/healthcare_facility")


def patient(parent: etree._Element, *, path: str) -> Identifier:
    value = required_text(parent, "subject_of_care", path=path, why="it names the patient")
    return classify_swedish_person(value, location=f"{path}/subject_of_care")


def leaders(parent: etree._Element, name: str, *, path: str) -> tuple[GroupLeader, ...]:
    """Every ``name`` element (``groupLeader``, ``reportedBy``) as HSA-id + name; none twice."""
    found: list[GroupLeader] = []
    for index, element in enumerate(children(parent, name), start=1):
        where = f"{path}/{name}[{index}]"
        identifier = hsa_id(required_text(element, "performer", path=where, why="a group leader is named by HSA-id"),
                            location=f"{where}/performer")
        if any(leader.hsa_id == identifier for leader in found):
            raise Unprocessable("PERFORMER_REPEATED", f"{identifier.value} is named twice", location=where)
        found.append(GroupLeader(identifier, text(element, "performerName", path=where)))
    return tuple(found)


def required_times(parent: etree._Element, *, path: str, why: str) -> tuple[dt.datetime, dt.datetime]:
    start_text = required_text(parent, "startTimeInclusive", path=path, why=why)
    end_text = required_text(parent, "endTimeExclusive", path=path, why=why)
    start = parse_ts(start_text, location=f"{path}/startTimeInclusive")
    end = parse_ts(end_text, location=f"{path}/endTimeExclusive")
    if end <= start:
        raise Unprocessable("TIMESLOT_END_BEFORE_START", "endTimeExclusive must be after startTimeInclusive",
                            location=path)
    return start, end


def positive_int(parent: etree._Element, name: str, *, path: str, code: str) -> int | None:
    value = text(parent, name, path=path)
    if value is None:
        return None
    # ASCII digits only (str.isdigit also takes "²" and "٦", which int() refuses or reads), and few
    # enough of them for int() and for the store's 64-bit integers.
    if not (value.isascii() and value.isdigit()) or len(value) > _MAX_DIGITS or int(value) < 1:
        raise Unprocessable(code, f"{name} must be a whole number from 1 to {'9' * _MAX_DIGITS}, not {value!r}",
                            location=f"{path}/{name}")
    return int(value)


def unique(patients: list[tuple[Identifier, str]], *, what: str) -> None:
    """Refuse a message that names one patient twice (each (patient, location) in message order):
    two answers for one person in one message cannot both be applied."""
    seen: set[Identifier] = set()
    for identifier, location in patients:
        if identifier in seen:
            raise Unprocessable("PATIENT_REPEATED", f"patient {identifier.value} occurs twice in {what}",
                                location=location)
        seen.add(identifier)
