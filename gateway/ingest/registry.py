"""The registry of inbound formats: the one place that decides which format a message is.

Built from the table of :class:`~gateway.ports.inbound.InboundFormat` entries in
``gateway/bootstrap/inbound.py``; sniffing (metrics), parsing (ingest, ``nordgate validate``),
detection (preview, playground) and the required maps ask it; tenancy and the trace ask the
format a message was read as (:class:`Parsed`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gateway.ports.inbound import InboundFormat
from gateway.primitives.errors import NordgateError, Unprocessable
from gateway.primitives.jsonsafe import decode_json, looks_like_json
from gateway.primitives.soap import message_root
from gateway.primitives.xmlsafe import XmlLimits, local_name, parse_xml

__all__ = ["UNKNOWN", "InboundRegistry", "Parsed"]

#: The format name of a message no entry takes.
UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Parsed:
    format: InboundFormat
    events: list[Any]


class InboundRegistry:
    def __init__(self, formats: Sequence[InboundFormat]) -> None:
        self.formats = tuple(formats)
        # Per syntax, in table order: asked on every push, so worked out once.
        self._by_syntax = {syntax: tuple(entry for entry in self.formats if entry.syntax == syntax)
                           for syntax in ("xml", "json")}
        # Asked on every POST /bookings (the media types) and at start-up: worked out once, in table
        # order, each named once.
        self.event_types: tuple[type, ...] = tuple(dict.fromkeys(
            kind for entry in self.formats for kind in entry.event_types))
        self.media_types: tuple[str, ...] = tuple(dict.fromkeys(
            media for entry in self.formats for media in entry.media_types))
        self.required_maps: tuple[str, ...] = tuple(dict.fromkeys(
            name for entry in self.formats for name in entry.required_maps))

    def _of_syntax(self, syntax: str) -> tuple[InboundFormat, ...]:
        return self._by_syntax[syntax]

    def read(self, body: bytes, *, source: str, limits: XmlLimits | None = None) -> Parsed:
        """The format of ``body`` and its canonical events; raises the adapter's 4xx when it refuses
        the message, ``FORMAT_UNKNOWN`` (422) when no format takes it."""
        limits = limits or XmlLimits()
        if looks_like_json(body):
            # JSON is decoded once behind jsonsafe's walls (the same byte limit as XML); then the
            # format the document claims to be judges it.
            document = decode_json(body, max_bytes=limits.max_bytes, prefix="EVENT", what="message")
            for entry in self._of_syntax("json"):
                if entry.recognises(document):
                    return Parsed(entry, entry.parse(document, source))
            raise Unprocessable("FORMAT_UNKNOWN", "no adapter takes this JSON message; supported: "
                                + ", ".join(entry.description for entry in self._of_syntax("json")), location="/")
        message = message_root(parse_xml(body, max_bytes=limits.max_bytes, max_depth=limits.max_depth))
        for entry in self._of_syntax("xml"):
            if entry.recognises(message):
                return Parsed(entry, entry.parse(message, source))
        name = local_name(message)
        raise Unprocessable("FORMAT_UNKNOWN", f"no adapter takes a <{name}> message; supported: "
                            + ", ".join(entry.description for entry in self._of_syntax("xml")), location=f"/{name}")

    def parse(self, body: bytes, *, source: str, limits: XmlLimits | None = None) -> list[Any]:
        """The canonical events of ``body`` (see :meth:`read`)."""
        return self.read(body, source=source, limits=limits).events

    def detect(self, body: bytes, limits: XmlLimits | None = None) -> str:
        """The name of the format ``body`` is, or ``unknown``; only its root (or its keys) is looked at."""
        limits = limits or XmlLimits()
        try:
            if looks_like_json(body):
                document = decode_json(body, max_bytes=limits.max_bytes, prefix="EVENT", what="message")
                found = [entry for entry in self._of_syntax("json") if entry.recognises(document)]
            else:
                message = message_root(parse_xml(body, max_bytes=limits.max_bytes, max_depth=limits.max_depth))
                found = [entry for entry in self._of_syntax("xml") if entry.recognises(message)]
        except NordgateError:
            return UNKNOWN
        return found[0].name if found else UNKNOWN

    def sniff(self, body: bytes | None) -> str:
        """The format as a metric label, from the bytes alone (no second parse on the hot path)."""
        if body:
            for entry in self.formats:
                if entry.sniff(body):
                    return entry.name
        return UNKNOWN
