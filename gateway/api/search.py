"""FHIR search parameters into store conditions: the parameters each resource type supports.

Unknown parameters are refused (400), never ignored: a mistyped patient parameter silently dropped
would return every patient's bookings.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from gateway.ports.store import Condition, SortKey
from gateway.primitives.errors import MalformedInput
from gateway.primitives.instants import is_fhir_date

__all__ = ["JSON_FORMATS", "MAX_COUNT", "MAX_REPEATS", "MAX_VALUES", "SEARCH_PARAMETERS", "SearchRequest",
           "parse_search"]

DEFAULT_COUNT = 50
MAX_COUNT = 500
#: Bounds of one search: each repeat of a parameter is one more sub-query, each value one more bound
#: parameter. A repeated identifier 200 times ran 34 s on PostgreSQL; no real client asks for more.
MAX_REPEATS = 10
MAX_VALUES = 100
#: ``_format`` values that mean FHIR JSON (HAPI takes the same); XML ones are refused with 406.
JSON_FORMATS = frozenset({"json", "application/json", "application/fhir+json", "application/json+fhir"})
#: Parameters of every search besides the resource type's own.
CONTROL_PARAMETERS = ("_count", "_offset", "_sort", "_summary", "_format", "_fhirVersion")

# parameter -> (kind, stored token name, description for the CapabilityStatement)
SEARCH_PARAMETERS: dict[str, dict[str, tuple[str, str, str]]] = {
    "Appointment": {
        "identifier": ("token", "identifier", "Booking id (system|value or value)"),
        "patient:identifier": ("token", "patient.identifier", "The patient's personnummer etc. (system|value)"),
        "date": ("date", "date", "Appointment start (eq, ge, gt, le, lt)"),
        "status": ("token", "status", "Appointment status; comma-separated for any of several"),
    },
    "AppointmentResponse": {
        "appointment": ("reference", "appointment", "The Appointment answered (Appointment/<id>)"),
        "patient:identifier": ("token", "patient.identifier", "The answering patient (system|value)"),
    },
    "Encounter": {
        "identifier": ("token", "identifier", "Encounter identifier (system|value or value)"),
        "patient:identifier": ("token", "patient.identifier", "The patient (system|value)"),
        "date": ("date", "date", "Encounter start (eq, ge, gt, le, lt)"),
        "status": ("token", "status", "Encounter status"),
        "appointment": ("reference", "appointment", "The Appointment it fulfils (Appointment/<id>)"),
        "class": ("token", "class", "Contact mode, v3-ActCode: AMB (visit) or VR (telephone/video) "
                  "(system|code or code)"),
        "type": ("token", "type", "Visit type: the source code or its mapped code (system|code or code)"),
        "service-provider": ("token", "service-provider",
                             "The unit's identifier: HSA-id or organisation number (system|value or value)"),
    },
    "Schedule": {
        "actor:identifier": ("token", "actor.identifier",
                             "HSA-id of the unit or the performer (system|value or value)"),
        "facility": ("token", "facility", "HSA-id of the care unit (system|value or value)"),
    },
    "Slot": {
        "schedule": ("reference", "schedule", "The Schedule (Schedule/<id>)"),
        "schedule.actor:identifier": ("token", "schedule.actor.identifier",
                                      "HSA-id of the schedule's unit or performer (system|value or value)"),
        "facility": ("token", "facility", "HSA-id of the care unit (system|value or value)"),
        "start": ("date", "start", "Slot start (eq, ge, gt, le, lt)"),
        "status": ("token", "status", "free or busy-unavailable (no longer offered); comma-separated for any"),
    },
}

_PREFIX = re.compile(r"^(eq|ne|gt|lt|ge|le|sa|eb|ap)?(.+)$")


@dataclass(frozen=True, slots=True)
class SearchRequest:
    conditions: list[Condition]
    count: int  # 0: the total only (``_count=0`` or ``_summary=count``)
    offset: int
    sort: tuple[SortKey, ...] = ()


def _bad(parameter: str, why: str) -> MalformedInput:
    return MalformedInput("SEARCH_PARAMETER_INVALID", f"{parameter}: {why}", location=parameter)


def _int(parameter: str, text: str, low: int, high: int) -> int:
    # isdigit() alone takes "²" (int() refuses it); a very long number is clamped, never parsed whole.
    if not (text.isascii() and text.isdigit()):
        raise _bad(parameter, "must be a whole number")
    return max(low, min(high, int(text) if len(text) <= 18 else high))


def _range(parameter: str, text: str, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The instant range a FHIR date value covers, at its own precision."""
    if not is_fhir_date(text):  # fromisoformat/int() alone take 20260101, 2026-W01, ２０２６
        raise _bad(parameter, f"{text[:40]!r} is not a FHIR date or dateTime")
    try:
        if len(text) == 4:
            start = dt.datetime(int(text), 1, 1, tzinfo=zone)
            return start, start.replace(year=start.year + 1)
        if len(text) == 7:
            start = dt.datetime.strptime(text, "%Y-%m").replace(tzinfo=zone)
            end_month = dt.datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=zone)
            return start, end_month
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
            return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _bad(parameter, f"{text!r} is not a FHIR date or dateTime") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment, moment + dt.timedelta(seconds=1)


def _instant(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _date_conditions(parameter: str, token: str, raw: str, zone: ZoneInfo) -> list[Condition]:
    match = _PREFIX.match(raw)
    if match is None:
        raise _bad(parameter, "needs a value")
    prefix, value = match[1] or "eq", match[2]
    if prefix not in {"eq", "gt", "lt", "ge", "le"}:
        raise _bad(parameter, f"prefix {prefix} is not supported; use eq, ge, gt, le or lt")
    try:
        low, high = _range(parameter, value, zone)
        if prefix == "eq":
            return [Condition(token, "ge", (_instant(low),)), Condition(token, "lt", (_instant(high),))]
        bound = {"ge": ("ge", low), "gt": ("ge", high), "lt": ("lt", low), "le": ("lt", high)}[prefix]
        return [Condition(token, bound[0], (_instant(bound[1]),))]
    except OverflowError:
        # Year 1 or 9999 at the edge: the range's other end (or UTC) falls outside what datetime holds.
        raise _bad(parameter, f"{value!r} is outside the dates that can be searched") from None


def _token_condition(parameter: str, token: str, raw: str) -> Condition:
    values = [value for value in raw.split(",") if value]
    if not values:
        raise _bad(parameter, "needs a value")
    with_system = [value for value in values if "|" in value]
    if with_system and len(with_system) != len(values):
        raise _bad(parameter, "mix of system|value and bare values is not supported")
    for value in with_system:
        system, _, code = value.partition("|")
        if not system or not code:
            raise _bad(parameter, "give both system and value (system|value), or the value alone")
    return Condition(token if with_system or token in {"status"} else f"{token}.value", "eq", tuple(values))


def _sort_keys(resource_type: str, raw: str) -> tuple[SortKey, ...]:
    """``_sort``: ``_lastUpdated`` or a date parameter of the type, ``-`` for descending."""
    dates = [name for name, (kind, _, _) in SEARCH_PARAMETERS[resource_type].items() if kind == "date"]
    keys = []
    for item in raw.split(","):
        descending = item.startswith("-")
        name = item.removeprefix("-")
        if name == "_lastUpdated":
            keys.append(SortKey("_lastUpdated", descending))
        elif name in dates:
            keys.append(SortKey(SEARCH_PARAMETERS[resource_type][name][1], descending))
        else:
            raise _bad("_sort", f"cannot sort {resource_type} by {name!r}; sort by "
                       + ", ".join([*dates, "_lastUpdated"]) + " (- before it for descending)")
    return tuple(keys)


def _check_bounds(query: list[tuple[str, str]]) -> None:
    """Refuse a search too big to run before it reaches the store (400 SEARCH_TOO_COMPLEX)."""
    seen: dict[str, int] = {}
    values = 0
    for parameter, raw in query:
        seen[parameter] = seen.get(parameter, 0) + 1
        if seen[parameter] > MAX_REPEATS:
            raise MalformedInput("SEARCH_TOO_COMPLEX", f"{parameter} is repeated more than {MAX_REPEATS} times",
                                 location=parameter)
        values += raw.count(",") + 1
        if values > MAX_VALUES:
            raise MalformedInput("SEARCH_TOO_COMPLEX", f"the search names more than {MAX_VALUES} values in all",
                                 location=parameter)


def parse_search(resource_type: str, query: Iterable[tuple[str, str]], zone: ZoneInfo) -> SearchRequest:
    supported = SEARCH_PARAMETERS[resource_type]
    query = list(query)
    _check_bounds(query)
    conditions: list[Condition] = []
    count, offset = DEFAULT_COUNT, 0
    sort: tuple[SortKey, ...] = ()
    summary_count = False
    for parameter, raw in query:
        if parameter == "_count":
            count = _int(parameter, raw, 0, MAX_COUNT)  # 0: the total only, as FHIR says
        elif parameter == "_offset":
            offset = _int(parameter, raw, 0, 10**9)
        elif parameter == "_sort":
            sort = _sort_keys(resource_type, raw)
        elif parameter == "_summary":
            if raw != "count":
                raise _bad(parameter, "only _summary=count is supported (the total, no entries)")
            summary_count = True
        elif parameter == "_format":
            if raw not in JSON_FORMATS:  # the route answers 406 first; kept for direct callers
                raise _bad(parameter, f"{raw!r} is not served; use json")
        elif parameter == "_fhirVersion":
            continue
        elif parameter in supported:
            kind, token, _ = supported[parameter]
            if kind == "date":
                conditions += _date_conditions(parameter, token, raw, zone)
            elif kind == "reference":
                conditions.append(Condition(token, "eq", (raw.rsplit("/", 1)[-1],)))
            else:
                conditions.append(_token_condition(parameter, token, raw))
        else:
            raise _bad(parameter, f"not a supported search parameter of {resource_type}; supported: "
                       + ", ".join(sorted([*supported, *CONTROL_PARAMETERS])))
    return SearchRequest(conditions, 0 if summary_count else count, offset, sort)
