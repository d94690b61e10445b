"""Where in the message each record field came from, and the rule behind values no message carries.

Each inbound format keeps its own table (``trace_sources`` of its
:class:`~gateway.ports.inbound.InboundFormat`, in ``adapters/inbound/<format>/trace_sources.py``); the
preview asks the registry for the event's table and passes it here. A field the event does not carry
was kept from stored state (an earlier message, e.g. a ``given`` one); the trace says so rather than
point at an element that is not there.
"""

from __future__ import annotations

from typing import Any

from gateway.ports.inbound import TraceSource
from gateway.trace.collector import TraceEntry
from gateway.trace.rules import rule_for

__all__ = ["annotate"]


def annotate(entries: list[TraceEntry], event: Any, record: Any, source_of: TraceSource | None) -> None:
    """Fill in the source of each entry (from the format's table ``source_of``) and name the rule of
    each value a rule decided."""
    for entry in entries:
        entry.source = source_of(event, entry.field, record) if source_of is not None else None
        rule = rule_for(event, record, entry.field)
        if rule is not None:
            entry.by = {**entry.by, "rule": rule} if entry.by is not None else {"rule": rule}
