"""Hypothesis strategies built from the real samples: XML trees mutated element by element (random
text in any field, elements deleted, repeated, renamed, moved to other namespaces, comments and
attributes added, prefixes renamed), JSON documents with random values at any position, and byte
flips, insertions and deletions on top."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from lxml import etree

from gateway.primitives.errors import NordgateError

__all__ = [
    "CALENDAR_EDGE", "SAMPLES", "json_documents", "json_values", "mutated_bytes", "mutated_json", "mutated_xml",
    "refused_or_ok", "xml_samples",
]

SAMPLES = Path(__file__).resolve().parents[2] / "samples"

#: Dates and times at (and just inside) the first and last day a datetime holds, in each spelling the
#: gateway reads, and spellings a strict reader refuses (other scripts' digits, ISO week and basic dates).
CALENDAR_EDGE = (
    "00010101000000", "00010101235959", "00010102000000", "99991231000000", "99991230235959",
    "0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00Z", "0001-01-02T00:00:00+14:00",
    "9999-12-31T22:00:00-14:00", "9999-12-31T23:59:59Z", "9999-12-30T23:59:59-14:00",
    "0001-01-01", "0001-01-02", "9999-12-31", "9999-12-30", "0001", "9999", "0000", "9999-12", "0001-01",
    "２０２６", "2026-W01", "2026-W53-7", "20260101", "2026-001", "+12026-01-01", "2026-01-01T10",
)

# Text lxml can hold (no C0 controls, no surrogates, no non-characters), plus the values the
# readers treat specially: times, digits of other scripts, huge numbers, identifiers, booleans.
_XML_TEXT = st.text(st.characters(exclude_categories=("Cs", "Cc", "Cn"), include_characters="\t\n\r"), max_size=30)
INTERESTING = (
    "", " ", "0", "-1", "1", "²", "٦", "1e999", "9" * 30, "9" * 5000, "true", "false", "X", "null",
    "20260329023000", "20261025023000", "20260616140000", "20260230120000", "99991231235959", "00000000000000",
    "191212121212", "201212121212", "19121212121X", "SE2321000131-E000000000001", "SE-", "12037512328",
    "2024-09-17T11:05:00+02:00", "2024-09-17T11:05:00", "2024-02-30T10:00:00Z", "2024-09-17T24:00:00+02:00",
    "2024-09-17T23:59:60+02:00", "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59",
    "telephone-contact", "booking", "answered", "patient", "Tele", "P0", "Gena", "LOM",
    # The edge of the calendar (issue 13): each once gave a 500 OverflowError somewhere.
    *CALENDAR_EDGE,
)
_TEXT = st.one_of(_XML_TEXT, st.sampled_from(INTERESTING))
_NAMESPACES = (
    None, "", "urn:evil", "urn:riv:crm:scheduling:1", "urn:riv:crm:scheduling:1.1",
    "urn:riv:crm:scheduling:MakeBookingResponder:1", "urn:riv:crm:scheduling:CancelBookingResponder:1",
    "urn:nordgate:elvis:groupvisit:1", "http://schemas.xmlsoap.org/soap/envelope/",
    "http://www.kith.no/xmlstds/apprec/2004-11-21",
)
_LOCAL_NAMES = (
    "Envelope", "Body", "MakeBooking", "UpdateBooking", "CancelBooking", "requestedTimeslot", "timeslotDetail",
    "bookingId", "healthcare_facility", "subject_of_care", "startTimeInclusive", "endTimeExclusive", "isInvitation",
    "GroupSessionBooking", "session", "patient", "capacity", "attended", "visit", "AppRec", "Status",
    "OriginalMsgId", "Id", "MsgHead", "MsgInfo", "MsgId",
)


def xml_samples(folder: str) -> list[bytes]:
    return [path.read_bytes() for path in sorted((SAMPLES / folder).glob("*.xml"))]


def _elements(root: etree._Element) -> list[etree._Element]:
    return [element for element in root.iter() if isinstance(element.tag, str)]


@st.composite
def _tree_mutation(draw: st.DrawFn) -> Callable[[etree._Element], None]:
    kind = draw(st.sampled_from(["text", "text", "delete", "repeat", "namespace", "rename", "comment", "attribute",
                                 "child", "move"]))
    pick = draw(st.integers(min_value=0, max_value=10_000))
    other = draw(st.integers(min_value=0, max_value=10_000))
    value = draw(_TEXT)
    namespace = draw(st.sampled_from(_NAMESPACES))
    name = draw(st.sampled_from(_LOCAL_NAMES))

    def apply(root: etree._Element) -> None:
        elements = _elements(root)
        element = elements[pick % len(elements)]
        parent = element.getparent()
        if kind == "text":
            element.text = value
        elif kind == "delete" and parent is not None:
            parent.remove(element)
        elif kind == "repeat" and parent is not None:
            element.addnext(copy.deepcopy(element))
        elif kind in ("namespace", "rename"):
            local = etree.QName(element).localname if kind == "namespace" else name
            ns = etree.QName(element).namespace if kind == "rename" or namespace is None else namespace
            element.tag = f"{{{ns}}}{local}" if ns else local
        elif kind == "comment":
            element.insert(0, etree.Comment(value.replace("-", "") or "c"))
        elif kind == "attribute":
            element.set(name, value)
        elif kind == "child":
            etree.SubElement(element, f"{{{namespace}}}{name}" if namespace else name).text = value
        elif kind == "move" and parent is not None:
            target = elements[other % len(elements)]
            if element not in target.iterancestors() and target is not element:
                target.append(element)

    return apply


_PREFIX = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,6}", fullmatch=True).filter(
    lambda prefix: not prefix.lower().startswith("xml"))


@st.composite
def _byte_mutations(draw: st.DrawFn, data: bytes) -> bytes:
    buffer = bytearray(data)
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        if not buffer:
            break
        at = draw(st.integers(min_value=0, max_value=len(buffer) - 1))
        kind = draw(st.sampled_from(["flip", "insert", "delete"]))
        if kind == "flip":
            buffer[at] ^= draw(st.integers(min_value=1, max_value=255))
        elif kind == "insert":
            buffer[at:at] = draw(st.binary(min_size=1, max_size=4) | st.sampled_from(
                [b"<", b">", b"&", b"]]>", b"<!--", b"\x00", b"\xc0\xaf", b"\xff\xfe", b"<!DOCTYPE a>", b"&#0;"]))
        else:
            del buffer[at:at + draw(st.integers(min_value=1, max_value=8))]
    return bytes(buffer)


def mutated_bytes(data: bytes) -> st.SearchStrategy[bytes]:
    return _byte_mutations(data)


@st.composite
def mutated_xml(draw: st.DrawFn, samples: list[bytes]) -> bytes:
    """A sample, mutated as a tree, its prefixes possibly renamed, then possibly mutated as bytes."""
    root = etree.fromstring(draw(st.sampled_from(samples)))
    for mutation in draw(st.lists(_tree_mutation(), min_size=0, max_size=3)):
        mutation(root)
    data = etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")
    prefixes: list[bytes] = sorted(set(re.findall(rb"xmlns:([A-Za-z_][\w.-]*)=", data)))
    rename: bool = draw(st.booleans())
    if prefixes and rename:
        old = draw(st.sampled_from(prefixes))
        new = draw(_PREFIX).encode()
        data = re.sub(rb"(?<=[<\s/:])" + re.escape(old) + rb"(?=[:=])", new, data)
    if draw(st.booleans()):
        data = draw(_byte_mutations(data))
    return data


def _strings() -> st.SearchStrategy[str]:
    return st.one_of(st.text(max_size=20), st.sampled_from(INTERESTING),
                     st.sampled_from(["\ud800", "x\udfffy", "\x00", "a\x1bb", "\ufffe", "\U0001f600"]))


json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True) | _strings(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_strings(), children, max_size=4),
    max_leaves=12,
)


def _same_type(value: Any) -> st.SearchStrategy[Any]:
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.sampled_from([0, -1, 1, 2, 999, 1000, 10**15 - 1]) | st.integers(min_value=-5, max_value=50)
    if isinstance(value, str):
        return st.sampled_from(INTERESTING) | _strings() | st.just(value[::-1]) | st.just(value + value)
    return st.just(value)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


@st.composite
def mutated_json(draw: st.DrawFn, documents: list[Any]) -> bytes:
    """A real document with random JSON values put at random positions (replacing a value,
    deleting or adding a key, appending to a list), serialised, then possibly mutated as bytes."""
    document = copy.deepcopy(draw(st.sampled_from(documents)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(document)
        path = draw(st.sampled_from(paths))
        value = draw(json_values | st.sampled_from(INTERESTING))
        if not path:
            document = value
            continue
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        kind = draw(st.sampled_from(["same-type", "same-type", "same-type", "replace", "delete", "add"]))
        if kind == "same-type":
            # A value of the type already there, so the schema lets it through to the readers.
            parent[path[-1]] = draw(_same_type(parent[path[-1]]))
        elif kind == "replace":
            parent[path[-1]] = value
        elif kind == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(_strings())] = value
        else:
            parent.append(value)
    data = json.dumps(document, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    return draw(_byte_mutations(data)) if draw(st.integers(min_value=0, max_value=3)) == 0 else data


def json_documents(folder: str, pattern: str = "*.json") -> list[Any]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted((SAMPLES / folder).glob(pattern))
            if not path.name.endswith((".expected.json", ".case.json"))]


def refused_or_ok(call: Callable[[], object]) -> str:
    """Run ``call``: a result, or a :class:`NordgateError` with a 4xx status and a code; anything else
    (another exception type, a 5xx) fails the property. Returns "ok" or the code."""
    try:
        call()
    except NordgateError as exc:
        assert 400 <= exc.http_status < 500, f"{type(exc).__name__} {exc.code} has status {exc.http_status}"
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", exc.code), exc.code
        return exc.code
    return "ok"
