"""Parties of the outbound side as the NHN address register describes them, and the kinds of
certificate a message is signed with."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["CertificateKind", "CommunicationParty", "ElectronicAddress", "PartyType", "PhysicalAddress"]


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


class CertificateKind(StrEnum):
    PERSONAL = "personal"      # Buypass smart card, SEID policy 2.16.578.1.26.1.3.1
    ENTERPRISE = "enterprise"  # virksomhetssertifikat, SEID policy 2.16.578.1.26.1.3.2
