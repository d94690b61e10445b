"""The small ports of the outbound side; tests use hand-written fakes of these.

- :class:`AddressRegister`: the NHN address register (AR), looked up by HER-id.
- :class:`Signer`: turns an unsigned MsgHead into an enveloped-signed one.
- :class:`Transport`: delivers one signed message; raises
  :class:`~gateway.primitives.errors.ReceiverUnavailable` when the receiver should be tried again later.

Implemented in ``adapters/outbound`` and bound in ``gateway/bootstrap.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from lxml import etree

from gateway.domain.parties import CertificateKind, CommunicationParty

__all__ = ["AddressRegister", "Signer", "Transport"]


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
