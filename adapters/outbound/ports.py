"""The small ports of the outbound side; tests use hand-written fakes of these.

- :class:`AddressRegister`: the NHN address register (AR), looked up by HER-id.
- :class:`Signer`: turns an unsigned MsgHead into an enveloped-signed one.
- :class:`Transport`: delivers one signed message; raises
  :class:`~gateway.primitives.errors.ReceiverUnavailable` when the receiver should be tried again later.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from lxml import etree

__all__ = [
    "AddressRegister",
    "CertificateKind",
    "CommunicationParty",
    "ElectronicAddress",
    "PartyType",
    "PhysicalAddress",
    "Signer",
    "Transport",
]


class PartyType(StrEnum):
    PERSON = "Person"
    ORGANIZATION = "Organization"
    SERVICE = "Service"
    DEPARTMENT = "Department"


@dataclass(frozen=True, slots=True)
class ElectronicAddress:
    type_code: str
    address: str


@dataclass(frozen=True, slots=True)
class PhysicalAddress:
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None


@dataclass(frozen=True, slots=True)
class CommunicationParty:
    her_id: str
    name: str
    type: PartyType
    active: bool
    organization_number: str | None = None
    parent_her_id: str | None = None
    parent_name: str | None = None
    parent_organization_number: str | None = None
    electronic_addresses: tuple[ElectronicAddress, ...] = field(default_factory=tuple)
    physical_addresses: tuple[PhysicalAddress, ...] = field(default_factory=tuple)


class AddressRegister(Protocol):
    def communication_party(self, her_id: str) -> CommunicationParty:
        """Raise NotFound (code AR_NO_SUCH_HER_ID) or RegisterUnavailable; never return None."""
        ...

    def encryption_certificate(self, her_id: str) -> bytes:
        """DER certificate the receiver wants messages encrypted with."""
        ...

    def signature_certificate(self, her_id: str) -> bytes:
        """DER certificate that validates the party's signatures."""
        ...

    def ping(self) -> bool: ...


class CertificateKind(StrEnum):
    PERSONAL = "personal"      # Buypass smart card, SEID policy 2.16.578.1.26.1.3.1
    ENTERPRISE = "enterprise"  # virksomhetssertifikat, SEID policy 2.16.578.1.26.1.3.2


class Signer(Protocol):
    @property
    def kind(self) -> CertificateKind: ...

    @property
    def certificate_der(self) -> bytes: ...

    @property
    def holder_hpr(self) -> str | None:
        """HPR number of a personal card's holder, from the clinic's card holder record; None for an
        enterprise certificate (adapters/outbound/signing/binding.py)."""
        ...

    def check(self, *, at: dt.datetime, expected_kind: CertificateKind, organisation_number: str | None) -> None:
        """Raise SigningRefused with a distinct code when this certificate may not sign now."""
        ...

    def sign(self, msghead: etree._Element) -> etree._Element:
        """Append an enveloped ds:Signature as MsgHead's last child and return the root."""
        ...


class Transport(Protocol):
    def deliver(self, message_id: str, receiver_her_id: str, payload: bytes) -> None:
        """Deliver once; idempotent per message_id at the receiver side where possible."""
        ...
