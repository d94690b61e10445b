"""The one hardened XML reader every adapter and every verifier goes through.

What it refuses, and why each refusal is cheap:
- any DOCTYPE (internal subset included): entity bombs and external entities need one, so no
  document with a DTD is ever looked at further; the check runs on the bytes before libxml2 sees them
  and again on the parsed tree;
- entity expansion, DTD loading and network access are switched off in the parser as a second wall;
- bodies over ``max_bytes`` (checked before parsing);
- an encoding declaration that contradicts the bytes (a BOM, or a first ``<`` in 16/32-bit code
  units): XML 1.0 makes this a fatal error, libxml2 quietly follows the bytes, and a reader that
  follows the declaration would see another message (appendix F of XML 1.0);
- nesting deeper than ``max_depth``: libxml2 itself stops at 256 levels without XML_PARSE_HUGE,
  which is never set, so a 100,000-deep document fails within microseconds; the configured limit
  (lower by default) is checked on the tree.

Every refusal is a :class:`~gateway.primitives.errors.MalformedInput` (400) or
:class:`~gateway.primitives.errors.PayloadTooLarge` (413) with a stable code.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Final

from lxml import etree

from gateway.primitives.errors import MalformedInput, PayloadTooLarge

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_DEPTH", "XmlLimits", "local_name", "parse_xml"]

DEFAULT_MAX_BYTES: Final = 5 * 1024 * 1024
DEFAULT_MAX_DEPTH: Final = 64


@dataclass(frozen=True, slots=True)
class XmlLimits:
    """How large and how deep an inbound message may be (NORDGATE_MAX_BODY_BYTES, NORDGATE_MAX_XML_DEPTH)."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_depth: int = DEFAULT_MAX_DEPTH

# A DOCTYPE can only stand in the prolog; in UTF-16 input the ASCII pattern is interleaved with one
# NUL per character, in UTF-32 with three, which the second pattern catches.
_DECLARATION_8BIT = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_DOCTYPE_WIDE = re.compile(rb"<\x00{0,3}!\x00{0,3}D\x00{0,3}O\x00{0,3}C\x00{0,3}T\x00{0,3}Y\x00{0,3}P\x00{0,3}E",
                           re.IGNORECASE)


# How the bytes themselves say they are encoded (XML 1.0 appendix F): a BOM, or the first "<?" in
# 16/32-bit code units; as (mark, length of the BOM to skip, codec, family). 32-bit marks go before
# the 16-bit ones they start like.
_ENCODING_MARKS: Final = (
    (b"\x00\x00\xfe\xff", 4, "utf-32-be", "utf32"), (b"\xff\xfe\x00\x00", 4, "utf-32-le", "utf32"),
    (b"\xef\xbb\xbf", 3, "utf-8", "utf8"),
    (b"\xfe\xff", 2, "utf-16-be", "utf16"), (b"\xff\xfe", 2, "utf-16-le", "utf16"),
    (b"\x00\x00\x00<", 0, "utf-32-be", "utf32"), (b"<\x00\x00\x00", 0, "utf-32-le", "utf32"),
    (b"\x00<\x00?", 0, "utf-16-be", "utf16"), (b"<\x00?\x00", 0, "utf-16-le", "utf16"),
)
_ENCODING_ALIASES: Final = {"ucs2": "utf16", "iso10646ucs2": "utf16", "unicode": "utf16", "ucs4": "utf32",
                            "iso10646ucs4": "utf32"}
_DECLARED_ENCODING = re.compile(r"<\?xml[^>]*?\sencoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


def _check_declared_encoding(raw: bytes) -> None:
    mark = next((entry for entry in _ENCODING_MARKS if raw.startswith(entry[0])), None)
    if mark is None:
        return  # an 8-bit encoding without a BOM: only the declaration can tell which
    _, skip, codec, family = mark
    found = _DECLARED_ENCODING.match(raw[skip:skip + 512].decode(codec, errors="replace"))
    if found is None:
        return
    declared = re.sub(r"[-_.]", "", found[1].lower())
    if _ENCODING_ALIASES.get(declared, declared).startswith(family):
        return
    raise MalformedInput("XML_ENCODING_MISMATCH", f"the document declares encoding {found[1]!r} but its bytes "
                         f"are {codec.upper()}")


def _parser() -> etree.XMLParser:
    # A new parser per call: lxml parsers keep per-document state and are not thread-safe.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        # Comments and PIs are kept: a verifier must canonicalise the document as it was signed.
        remove_comments=False,
        remove_pis=False,
        collect_ids=False,
    )


def parse_xml(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = DEFAULT_MAX_DEPTH
) -> etree._Element:
    """Parse ``data`` as one XML document and return its root element, or raise a 4xx error."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise MalformedInput("XML_NOT_BYTES", "XML input must be bytes")
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            "PAYLOAD_TOO_LARGE", f"XML body of {len(data)} bytes is over the limit of {max_bytes} bytes"
        )
    raw = bytes(data)
    if not raw.strip():
        raise MalformedInput("XML_EMPTY", "the body is empty")
    if _DECLARATION_8BIT.search(raw) or (b"\x00" in raw and _DOCTYPE_WIDE.search(raw)):
        raise MalformedInput(
            "XML_DTD_FORBIDDEN", "documents with a DOCTYPE or ENTITY declaration are refused"
        )
    _check_declared_encoding(raw)
    try:
        root = etree.fromstring(raw, parser=_parser())
    except etree.XMLSyntaxError as exc:
        text = str(exc)
        if "depth" in text.lower():
            raise MalformedInput(
                "XML_TOO_DEEP", f"XML nesting is deeper than the limit of {max_depth} levels"
            ) from None
        raise MalformedInput("XML_MALFORMED", f"not well-formed XML: {text}") from None
    except ValueError as exc:  # e.g. an encoding declaration lxml cannot honour
        raise MalformedInput("XML_MALFORMED", f"not well-formed XML: {exc}") from None
    docinfo: Any = root.getroottree().docinfo  # lxml-stubs lack DocInfo.doctype
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise MalformedInput("XML_DTD_FORBIDDEN", "documents with a DOCTYPE are refused")
    _check_depth(root, max_depth)
    return root


@functools.lru_cache(maxsize=8)
def _depth_probe(max_depth: int) -> etree.XPath:
    # One XPath existence test in libxml2 (no Python walk over a multi-megabyte tree): is there an
    # element at depth max_depth + 1? Compiled once per limit.
    return etree.XPath("boolean(" + "/*" * (max_depth + 1) + ")")


def _check_depth(root: etree._Element, max_depth: int) -> None:
    if _depth_probe(max_depth)(root.getroottree()):
        raise MalformedInput(
            "XML_TOO_DEEP", f"XML nesting is deeper than the limit of {max_depth} levels"
        )


def local_name(element: etree._Element) -> str:
    """The element's name without its namespace; comments and PIs have none."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]
