"""Reading ``from``/``to`` and the other filters of an audit query (HTTP and CLI alike).

``from`` and ``to`` take a date (``2026-11-20``) or an instant with an offset
(``2026-11-20T10:00:00+01:00``, ``…Z``). ``from`` is inclusive, ``to`` exclusive, and a *date* as
``to`` means the end of that day, so ``from=2026-11-01&to=2026-11-30`` is all of November. Dates
and instants without an offset are UTC, the zone the rows are stored in.
"""

from __future__ import annotations

import datetime as dt

from gateway.ports.audit import AuditQuery
from gateway.primitives.errors import MalformedInput
from gateway.primitives.instants import require_day_in_range, require_in_range

__all__ = ["MAX_COUNT", "parse_bound", "parse_query"]

MAX_COUNT = 1000
_DEFAULT_COUNT = 100


def _instant(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_bound(value: str | None, *, name: str, end: bool = False) -> str | None:
    """The stored-instant text of a ``from`` (``end=False``) or ``to`` (``end=True``) bound."""
    if value is None or value == "":
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            day = require_day_in_range(dt.date.fromisoformat(text), location=name)  # to=9999-12-31 has no next day
            start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
            return _instant(start + dt.timedelta(days=1) if end else start)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise MalformedInput("AUDIT_QUERY_INVALID", f"{name} must be a date (YYYY-MM-DD) or an instant "
                             f"(YYYY-MM-DDThh:mm:ss+01:00), not {value[:40]!r}", location=name) from None
    # 0001-01-01T00:00:00+14:00 is a real instant before year 1 in UTC, the zone rows are kept in.
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return _instant(require_in_range(moment, location=name))


def _int(value: str | None, name: str, default: int, high: int) -> int:
    if value is None:
        return default
    if not (value.isascii() and value.isdigit() and len(value) <= 9):
        raise MalformedInput("AUDIT_QUERY_INVALID", f"{name} must be a whole number", location=name)
    return min(int(value), high)


def parse_query(params: dict[str, str], *, tenants: frozenset[str] | None,
                allowed: frozenset[str] = frozenset({"client", "action", "from", "to", "resource", "_count",
                                                     "_offset"})) -> AuditQuery:
    """An :class:`AuditQuery` from request parameters; an unknown name is refused (a mistyped
    ``client`` silently ignored would answer everybody's rows)."""
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise MalformedInput("AUDIT_QUERY_INVALID", f"unknown parameter {unknown[0][:40]!r}; known: "
                             f"{', '.join(sorted(allowed))}", location=unknown[0][:40])
    since = parse_bound(params.get("from"), name="from")
    until = parse_bound(params.get("to"), name="to", end=True)
    return AuditQuery(client=params.get("client") or None, action=params.get("action") or None, since=since,
                      until=until, resource=params.get("resource") or None, tenants=tenants,
                      count=max(1, _int(params.get("_count"), "_count", _DEFAULT_COUNT, MAX_COUNT)),
                      offset=_int(params.get("_offset"), "_offset", 0, 10**9))
