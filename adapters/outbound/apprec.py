"""AppRec 1.0 (``http://www.kith.no/xmlstds/apprec/2004-11-21``) parser: HELFO's receipt for a
BehandlerKrav, bytes in, an :class:`AppRec` out.

The bytes go through :func:`gateway.primitives.xmlsafe.parse_xml` like every XML the gateway reads. What the
settlement status needs is checked here, with stable codes:

- not XML, hostile XML → the codes of ``parse_xml`` (:class:`MalformedInput`);
- another root or namespace → :class:`MalformedInput` ``APPREC_NOT_APPREC``;
- ``OriginalMsgId``, its ``Id`` or ``Status`` more than once (which message, which outcome?) →
  :class:`Unprocessable` ``APPREC_ELEMENT_REPEATED``;
- no ``OriginalMsgId/Id`` (the receipt answers nothing) → :class:`Unprocessable`
  ``APPREC_ORIGINAL_MSG_ID_MISSING``;
- ``Status`` missing or not 1, 2 or 3 → :class:`Unprocessable` ``APPREC_STATUS_INVALID``.

The official XSD is not applied here: receipts from real senders carry extra whitespace and
unrecorded extensions, and refusing a receipt would leave a settlement without a status.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from lxml import etree

from gateway.primitives.errors import MalformedInput, Unprocessable
from gateway.primitives.xmlsafe import DEFAULT_MAX_BYTES, parse_xml

__all__ = ["APPREC_NS", "AppRec", "AppRecError", "AppRecParty", "AppRecStatus", "parse_apprec"]

APPREC_NS: Final = "http://www.kith.no/xmlstds/apprec/2004-11-21"


_ONCE: Final = ("OriginalMsgId", "OriginalMsgId/Id", "Status")


def _q(path: str) -> str:
    return "/".join(f"{{{APPREC_NS}}}{step}" for step in path.split("/"))


class AppRecStatus(IntEnum):
    OK = 1
    REJECTED = 2
    OK_WITH_ERRORS = 3


@dataclass(frozen=True, slots=True)
class AppRecError:
    """One ``Error``: ``code`` (V), ``text`` (DN), ``original_text`` (OT: the offending value as
    sent), ``system`` (S: the code table)."""

    code: str | None
    text: str | None
    original_text: str | None
    system: str | None


@dataclass(frozen=True, slots=True)
class AppRecParty:
    """Sender or receiver of the receipt: the institution (or professional) and, when given, the
    department inside it."""

    name: str | None
    her_id: str | None
    department_name: str | None = None
    department_her_id: str | None = None

    @property
    def effective_her_id(self) -> str | None:
        """The most specific HER-id: the department's when there is one, as the AR addresses it."""
        return self.department_her_id or self.her_id


@dataclass(frozen=True, slots=True)
class AppRec:
    id: str | None
    gen_date: str | None
    status: AppRecStatus
    status_text: str | None
    original_msg_id: str
    original_msg_type: str | None
    original_issue_date: str | None
    sender: AppRecParty
    receiver: AppRecParty
    errors: tuple[AppRecError, ...]

    @property
    def accepted(self) -> bool:
        """HELFO took the message, wholly or in part."""
        return self.status is not AppRecStatus.REJECTED


def _text(parent: etree._Element, path: str) -> str | None:
    found = parent.find(_q(path))
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _her_id(unit: etree._Element) -> str | None:
    type_id = unit.find(_q("TypeId"))
    # An Id without TypeId is taken as HER: AppRec only ever addresses by HER-id in practice.
    if type_id is not None and type_id.get("V") not in (None, "HER"):
        return None
    return _text(unit, "Id")


def _party(root: etree._Element, role: str) -> AppRecParty:
    hcp = root.find(_q(f"{role}/HCP"))
    if hcp is None:
        return AppRecParty(None, None)
    unit = hcp.find(_q("Inst"))
    if unit is None:
        unit = hcp.find(_q("HCProf"))
    if unit is None:
        return AppRecParty(None, None)
    dept = unit.find(_q("Dept"))
    return AppRecParty(
        name=_text(unit, "Name"),
        her_id=_her_id(unit),
        department_name=_text(dept, "Name") if dept is not None else None,
        department_her_id=_her_id(dept) if dept is not None else None,
    )


def parse_apprec(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> AppRec:
    """Parse one AppRec 1.0 or raise a :class:`~gateway.primitives.errors.SenderError` with a stable code."""
    root = parse_xml(data, max_bytes=max_bytes)
    if root.tag != _q("AppRec"):
        raise MalformedInput(
            "APPREC_NOT_APPREC", f"expected AppRec in namespace {APPREC_NS}, got {root.tag}"
        )
    for path in _ONCE:
        if len(root.findall(_q(path))) > 1:
            # The XSD allows one; taking the first would settle whichever message the sender put first.
            raise Unprocessable("APPREC_ELEMENT_REPEATED", f"{path} occurs more than once: an AppRec answers "
                                "one message with one status", location=f"/AppRec/{path}")
    original_id = _text(root, "OriginalMsgId/Id")
    if original_id is None:
        raise Unprocessable(
            "APPREC_ORIGINAL_MSG_ID_MISSING",
            "the AppRec does not name the message it answers (OriginalMsgId/Id)",
            location="/AppRec/OriginalMsgId/Id",
        )
    status_element = root.find(_q("Status"))
    raw_status = status_element.get("V") if status_element is not None else None
    try:
        status = AppRecStatus(int(raw_status or ""))
    except ValueError:
        raise Unprocessable(
            "APPREC_STATUS_INVALID",
            f"AppRec Status V={raw_status!r} is not 1 (OK), 2 (rejected) or 3 (OK with errors)",
            message_id=original_id,
            location="/AppRec/Status",
        ) from None
    original_type = root.find(_q("OriginalMsgId/MsgType"))
    errors = tuple(
        AppRecError(e.get("V"), e.get("DN"), e.get("OT"), e.get("S")) for e in root.iterfind(_q("Error"))
    )
    return AppRec(
        id=_text(root, "Id"),
        gen_date=_text(root, "GenDate"),
        status=status,
        status_text=status_element.get("DN") if status_element is not None else None,
        original_msg_id=original_id,
        original_msg_type=original_type.get("V") if original_type is not None else None,
        original_issue_date=_text(root, "OriginalMsgId/IssueDate"),
        sender=_party(root, "Sender"),
        receiver=_party(root, "Receiver"),
        errors=errors,
    )
