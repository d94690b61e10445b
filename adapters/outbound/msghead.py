"""MsgHead v1.2 (``http://www.kith.no/xmlstds/msghead/2006-05-24``) around a BehandlerKrav, and the schema check of
the result.

:func:`wrap` is pure: clock reading and message id are arguments, so the same inputs give
byte-identical output. The message is left unsigned; the signer appends ``ds:Signature`` as
MsgHead's last child. Sender and receiver come from the address register as
:class:`~gateway.domain.parties.CommunicationParty` objects, never from hard-coded values.

:func:`validate_msghead` checks the BehandlerKrav content against the project's BKM subset XSD
always, and the whole envelope against the official MsgHead XSD (with the BKM XSD beside it, since
``Content`` is a strict wildcard) when a folder of reference schemas is configured.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Final, cast

from lxml import etree

from adapters.outbound.bkm import BKM_NS, OID_HPR_FNR_DNR, build_behandlerkrav, norwegian_time
from gateway.domain.parties import CommunicationParty
from gateway.domain.settlement import Practitioner, SettlementPlan
from gateway.primitives.errors import ConfigurationError, Issue, Unprocessable
from gateway.primitives.resources import load_xsd, schemas_dir

__all__ = [
    "BKM_SUBSET_XSD",
    "MIG_VERSION",
    "MSGHEAD_NS",
    "MSGHEAD_XSD",
    "OID_HER_ENH",
    "build_settlement_msghead",
    "validate_msghead",
    "wrap",
]

MSGHEAD_NS: Final = "http://www.kith.no/xmlstds/msghead/2006-05-24"
MIG_VERSION: Final = "v1.2 2006-05-24"
#: Kodeverk 9051: identifier types of organisations (HER-id, Enhetsregisteret).
OID_HER_ENH: Final = "2.16.578.1.12.4.1.1.9051"
BKM_SUBSET_XSD: Final = "bkm-2006-12-20-subset.xsd"
MSGHEAD_XSD: Final = "MsgHead-v1_2.xsd"

#: Display names of the message types seen in real traffic; the full table is not public, so an
#: unknown type is sent without DN rather than refused.
_MESSAGE_TYPE_DN: Final = {"LOM": "Legeoppgjørsmelding", "POM": "Poliklinisk oppgjørsmelding"}
_PROCESSING_STATUS_DN: Final = {"P": "Produksjon", "D": "Debugging", "T": "Opplæring"}


def _q(name: str) -> str:
    return f"{{{MSGHEAD_NS}}}{name}"


def _text(parent: etree._Element, name: str, text: str) -> etree._Element:
    element = etree.SubElement(parent, _q(name))
    element.text = text
    return element


def _ident(parent: etree._Element, value: str, type_v: str, type_dn: str, system: str) -> None:
    ident = etree.SubElement(parent, _q("Ident"))
    _text(ident, "Id", value)
    etree.SubElement(ident, _q("TypeId"), DN=type_dn, S=system, V=type_v)


def _organisation(
    parent: etree._Element, party: CommunicationParty, professional: Practitioner | None, *, with_address: bool
) -> None:
    # A department in the AR has no organisation number of its own; its parent's is the one
    # Enhetsregisteret knows.
    orgnr = party.organization_number or party.parent_organization_number
    if not orgnr:
        raise Unprocessable(
            "PARTY_ORGNR_MISSING",
            f"communication party {party.her_id} ({party.name}) has no organisation number in the AR",
            her_id=party.her_id,
        )
    organisation = etree.SubElement(parent, _q("Organisation"))
    _text(organisation, "OrganisationName", party.name)
    _ident(organisation, party.her_id, "HER", "HER-id", OID_HER_ENH)
    _ident(organisation, orgnr, "ENH", "Organisasjonsnummeret i Enhetsregister", OID_HER_ENH)
    address = next(iter(party.physical_addresses), None) if with_address else None
    if address is not None and (address.street or address.postal_code or address.city):
        adr = etree.SubElement(organisation, _q("Address"))
        for name, value in (
            ("StreetAdr", address.street), ("PostalCode", address.postal_code), ("City", address.city)
        ):
            if value:
                _text(adr, name, value)
    if professional is not None:
        hcp = etree.SubElement(organisation, _q("HealthcareProfessional"))
        if professional.family_name is not None:
            _text(hcp, "FamilyName", professional.family_name)
        if professional.given_name is not None:
            _text(hcp, "GivenName", professional.given_name)
        _ident(hcp, professional.hpr, "HPR", "HPR-nummer", OID_HPR_FNR_DNR)


def wrap(
    content: etree._Element,
    *,
    sender: CommunicationParty,
    receiver: CommunicationParty,
    message_type: str,
    gen_date: dt.datetime,
    msg_id: uuid.UUID,
    signing_practitioner: Practitioner | None = None,
    processing_status: str = "P",
    description: str = "BehandlerKrav",
) -> etree._Element:
    """An unsigned MsgHead carrying ``content`` (moved, not copied) in ``Document/RefDoc/Content``.

    ``signing_practitioner`` is given for a personal-card signer and appears as the sender's
    ``HealthcareProfessional``. ``gen_date`` must carry its UTC offset.
    """
    # lxml-stubs type nsmap keys as str, but None is how lxml spells the default namespace.
    root = etree.Element(_q("MsgHead"), nsmap={None: MSGHEAD_NS})  # type: ignore[dict-item]
    info = etree.SubElement(root, _q("MsgInfo"))
    type_attributes = {"V": message_type}
    if message_type in _MESSAGE_TYPE_DN:
        type_attributes["DN"] = _MESSAGE_TYPE_DN[message_type]
    etree.SubElement(info, _q("Type"), type_attributes)
    _text(info, "MIGversion", MIG_VERSION)
    _text(info, "GenDate", norwegian_time(gen_date))
    _text(info, "MsgId", str(msg_id))
    status_attributes = {"V": processing_status}
    if processing_status in _PROCESSING_STATUS_DN:
        status_attributes["DN"] = _PROCESSING_STATUS_DN[processing_status]
    etree.SubElement(info, _q("ProcessingStatus"), status_attributes)
    # NAV's own message gives the sender's address and not HELFO's: the receiver is named by its
    # identifiers alone, whatever the address register holds for it.
    _organisation(etree.SubElement(info, _q("Sender")), sender, signing_practitioner, with_address=True)
    _organisation(etree.SubElement(info, _q("Receiver")), receiver, None, with_address=False)

    ref_doc = etree.SubElement(etree.SubElement(root, _q("Document")), _q("RefDoc"))
    etree.SubElement(ref_doc, _q("MsgType"), DN="XML-instans", V="XML")
    _text(ref_doc, "MimeType", "text/xml")
    _text(ref_doc, "Description", description)
    etree.SubElement(ref_doc, _q("Content")).append(content)
    return root


def build_settlement_msghead(
    plan: SettlementPlan,
    *,
    sender: CommunicationParty,
    receiver: CommunicationParty,
    gen_date: dt.datetime,
    msg_id: uuid.UUID,
    processing_status: str = "P",
    epj_version: str | None = None,
) -> etree._Element:
    """BehandlerKrav of ``plan`` wrapped in MsgHead, with the account's message type and, for a
    personal-card settlement, the signing practitioner as the sender's HealthcareProfessional."""
    return wrap(
        build_behandlerkrav(plan, epj_version=epj_version),
        sender=sender,
        receiver=receiver,
        message_type=plan.batch.account.message_type,
        gen_date=gen_date,
        msg_id=msg_id,
        signing_practitioner=plan.signing_practitioner,
        processing_status=processing_status,
    )


@functools.cache
def _combined_schema(reference_dir: Path) -> etree.XMLSchema:
    """A wrapper schema importing the official MsgHead XSD and the BKM subset XSD, compiled once
    per process in memory: MsgHead's ``Content`` is a strict wildcard, so both must be loaded
    together."""
    official = reference_dir / MSGHEAD_XSD
    if not official.is_file():
        raise ConfigurationError(
            "REFERENCE_SCHEMA_MISSING", f"{official} not found in the configured reference folder"
        )
    bkm = schemas_dir() / BKM_SUBSET_XSD
    wrapper = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        f'<xs:import namespace="{MSGHEAD_NS}" schemaLocation="{official.resolve().as_uri()}"/>'
        f'<xs:import namespace="{BKM_NS}" schemaLocation="{bkm.resolve().as_uri()}"/>'
        "</xs:schema>"
    )
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        return etree.XMLSchema(etree.fromstring(wrapper.encode(), parser))
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
        raise ConfigurationError("SCHEMA_UNREADABLE", f"cannot load the official MsgHead schema: {exc}") from None


def _assert_valid(schema: etree.XMLSchema, element: etree._Element, code: str, what: str) -> None:
    if schema.validate(element):
        return
    entries = list(cast(Iterable[etree._LogEntry], schema.error_log))[:20]
    issues = [Issue(code, e.message, f"line {e.line}") for e in entries]
    raise Unprocessable(
        code, f"the {what} breaks its schema: {issues[0].message if issues else 'unknown'}", issues=issues
    )


def validate_msghead(root: etree._Element, reference_dir: Path | None = None) -> None:
    """Raise :class:`Unprocessable` unless every BehandlerKrav in ``root`` validates against the
    BKM subset XSD and, with ``reference_dir`` (the folder holding ``MsgHead-v1_2.xsd``), the
    whole MsgHead against the official schema. A ``ds:Signature`` child is allowed."""
    contents = root.findall(f"{{{MSGHEAD_NS}}}Document/{{{MSGHEAD_NS}}}RefDoc/{{{MSGHEAD_NS}}}Content")
    claims = [child for content in contents for child in content if child.tag == f"{{{BKM_NS}}}BehandlerKrav"]
    if root.tag != _q("MsgHead") or not claims:
        raise Unprocessable("BKM_MISSING", "no MsgHead with a BehandlerKrav in Document/RefDoc/Content")
    if reference_dir is not None:
        # The combined schema validates Content strictly against the same BKM subset XSD: one pass
        # over a multi-megabyte message instead of two.
        _assert_valid(_combined_schema(reference_dir), root, "MSGHEAD_SCHEMA_INVALID", "MsgHead")
        return
    subset = load_xsd(schemas_dir() / BKM_SUBSET_XSD)
    for claim in claims:
        _assert_valid(subset, claim, "BKM_SCHEMA_INVALID", "BehandlerKrav")
