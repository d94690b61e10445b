"""The hardened XML reader refuses every hostile construct quickly and with a stable code."""

from __future__ import annotations

import time

import pytest

from gateway.primitives.errors import MalformedInput, PayloadTooLarge
from gateway.primitives.xmlsafe import parse_xml

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<lolz>&lol9;</lolz>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://example.invalid/evil.dtd"><r/>"""
UTF16_DOCTYPE = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>'.encode("utf-16")


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, UTF16_DOCTYPE],
                         ids=["billion-laughs", "external-entity", "external-dtd", "utf16-doctype"])
def test_dtds_and_entities_are_refused(data: bytes) -> None:
    with pytest.raises(MalformedInput) as caught:
        parse_xml(data)
    assert caught.value.code == "XML_DTD_FORBIDDEN"
    assert caught.value.http_status == 400


def test_oversize_is_refused_before_parsing() -> None:
    with pytest.raises(PayloadTooLarge) as caught:
        parse_xml(b"<a>" + b"x" * 2000 + b"</a>", max_bytes=1000)
    assert caught.value.code == "PAYLOAD_TOO_LARGE"
    assert caught.value.http_status == 413


def test_100000_deep_nesting_is_refused_fast() -> None:
    data = b"<a>" * 100_000 + b"</a>" * 100_000
    started = time.perf_counter()
    with pytest.raises(MalformedInput) as caught:
        parse_xml(data, max_bytes=10 * 1024 * 1024)
    assert caught.value.code == "XML_TOO_DEEP"
    assert time.perf_counter() - started < 1.0


def test_configured_depth_limit_is_enforced_below_libxml2s() -> None:
    data = b"<a>" * 20 + b"</a>" * 20
    with pytest.raises(MalformedInput) as caught:
        parse_xml(data, max_depth=10)
    assert caught.value.code == "XML_TOO_DEEP"
    assert parse_xml(data, max_depth=20).tag == "a"


@pytest.mark.parametrize("data,code", [
    (b"", "XML_EMPTY"),
    (b"<a><b></a>", "XML_MALFORMED"),
    (b"<a>\xff\xfe</a>", "XML_MALFORMED"),
    (b'<?xml version="1.0" encoding="no-such-encoding"?><a/>', "XML_MALFORMED"),
], ids=["empty", "unbalanced", "invalid-utf8", "unknown-encoding"])
def test_broken_documents_get_their_code(data: bytes, code: str) -> None:
    with pytest.raises(MalformedInput) as caught:
        parse_xml(data)
    assert caught.value.code == code


def test_a_plain_document_parses_with_comments_kept() -> None:
    root = parse_xml(b"<a xmlns='urn:x'><!-- kept for canonicalisation --><b>1</b></a>")
    assert root.tag == "{urn:x}a"
    assert len(root) == 2
