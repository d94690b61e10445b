"""Reading crm:scheduling elements by local name, whatever prefixes or namespaces the sender used.

Senders (and SOAP stacks) differ in prefixes and sometimes in which of the contract's namespaces a
child is put; the contract is recognised by the message's root namespace, children by local name.
Each reader takes the path so far, so every error names the element it is about.
"""

from __future__ import annotations

from lxml import etree

from gateway.errors import Unprocessable
from gateway.xmlsafe import local_name

__all__ = ["boolean", "child", "children", "required_text", "text"]


def children(parent: etree._Element, name: str) -> list[etree._Element]:
    return [element for element in parent if local_name(element) == name]


def child(parent: etree._Element, name: str, *, path: str) -> etree._Element | None:
    found = children(parent, name)
    if len(found) > 1:
        raise Unprocessable(
            "ELEMENT_REPEATED", f"{name} may occur only once", location=f"{path}/{name}"
        )
    return found[0] if found else None


def text(parent: etree._Element, name: str, *, path: str) -> str | None:
    element = child(parent, name, path=path)
    if element is None:
        return None
    if len(element):
        raise Unprocessable(
            "ELEMENT_NOT_TEXT", f"{name} must hold text, not elements", location=f"{path}/{name}"
        )
    value = (element.text or "").strip()
    return value or None


def required_text(parent: etree._Element, name: str, *, path: str, why: str) -> str:
    value = text(parent, name, path=path)
    if value is None:
        raise Unprocessable("ELEMENT_MISSING", f"{name} is required: {why}", location=f"{path}/{name}")
    return value


_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


def boolean(parent: etree._Element, name: str, *, path: str) -> bool | None:
    value = text(parent, name, path=path)
    if value is None:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise Unprocessable(
        "BOOLEAN_MALFORMED", f"{name} must be true, false, 1 or 0, not {value!r}", location=f"{path}/{name}"
    )
