"""Reading crm:scheduling elements by local name, whatever prefixes or namespaces the sender used.

Senders (and SOAP stacks) differ in prefixes and sometimes in which of the contract's namespaces a
child is put; the contract is recognised by the message's root namespace, children by local name.
A :class:`Children` index is built once per parent, because looking each of twenty names up by
scanning all children was the adapter's main cost. Each reader takes the path so far, so every
error names the element it is about.
"""

from __future__ import annotations

from lxml import etree

from gateway.primitives.errors import Unprocessable

__all__ = ["Children", "Parent", "boolean", "child", "children", "required_text", "text"]


#: A parent with more children than this is not indexed in one Python pass (a proxy object per child:
#: a million empty children took seconds, with the GIL held): each name asked for is found by lxml's
#: own child scan in C instead, and cached. Contract parents have a few dozen children.
_EAGER_LIMIT = 256


class Children:
    """The element children of one parent, by local name (one pass over the parent), with the
    stripped text of every name that occurs once and holds only text. Linear in the children either
    way: one pass, or (a parent of more than ``_EAGER_LIMIT``) one C scan per name the reader asks."""

    __slots__ = ("_by_name", "_lazy", "element", "texts")

    def __init__(self, element: etree._Element) -> None:
        self.element = element
        by_name: dict[str, list[etree._Element]] = {}
        texts: dict[str, str | None] = {}
        self._by_name = by_name
        self.texts = texts
        self._lazy = len(element) > _EAGER_LIMIT
        if self._lazy:
            return
        for item in element:
            tag = item.tag
            if not isinstance(tag, str):  # comments and processing instructions have no name
                continue
            name = tag[tag.rfind("}") + 1:]
            if name in by_name:
                by_name[name].append(item)
                texts.pop(name, None)  # repeated: text() must see it and refuse
                continue
            by_name[name] = [item]
            if not len(item):
                value = item.text
                texts[name] = (value.strip() or None) if value else None

    def named(self, name: str) -> list[etree._Element]:
        if self._lazy and name not in self._by_name:
            # "{*}name": that local name in any namespace or none, matched in C without a proxy per child.
            found = list(self.element.iterchildren(f"{{*}}{name}"))
            self._by_name[name] = found
            if len(found) == 1 and not len(found[0]):
                value = found[0].text
                self.texts[name] = (value.strip() or None) if value else None
        return self._by_name.get(name, [])


Parent = Children | etree._Element


def children(parent: Parent, name: str) -> list[etree._Element]:
    index = parent if isinstance(parent, Children) else Children(parent)
    return index.named(name)


def child(parent: Parent, name: str, *, path: str) -> etree._Element | None:
    found = children(parent, name)
    if len(found) > 1:
        raise Unprocessable(
            "ELEMENT_REPEATED", f"{name} may occur only once", location=f"{path}/{name}"
        )
    return found[0] if found else None


_ABSENT = object()


def text(parent: Parent, name: str, *, path: str) -> str | None:
    # The hot path of the adapter (some 25 calls a message): one dict look-up when all is well.
    index = parent if isinstance(parent, Children) else Children(parent)
    if index._lazy:
        index.named(name)
    value = index.texts.get(name, _ABSENT)
    if value is not _ABSENT:
        return value  # type: ignore[return-value]
    found = index.named(name)
    if not found:
        return None
    if len(found) > 1:
        raise Unprocessable("ELEMENT_REPEATED", f"{name} may occur only once", location=f"{path}/{name}")
    raise Unprocessable("ELEMENT_NOT_TEXT", f"{name} must hold text, not elements", location=f"{path}/{name}")


def required_text(parent: Parent, name: str, *, path: str, why: str) -> str:
    value = text(parent, name, path=path)
    if value is None:
        raise Unprocessable("ELEMENT_MISSING", f"{name} is required: {why}", location=f"{path}/{name}")
    return value


_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


def boolean(parent: Parent, name: str, *, path: str) -> bool | None:
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
