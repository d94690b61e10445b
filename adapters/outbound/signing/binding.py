"""Who a signature speaks for, and the rule that it speaks only for the sender the message names.

A signed MsgHead says "this organisation (and, on a personal card, this practitioner) sent it". If the
signer is not compared with that sender, anyone holding a certificate from a trusted CA can send in
another's name, and the message still verifies: xmlsec1 checks the cryptography and the chain, not
whose certificate it is.

- **Enterprise certificate** (virksomhetssertifikat): it speaks for the organisation number in its
  subject (``organizationIdentifier=NTRNO-<orgnr>``). Before signing, the gateway holds that number
  against the account's organisation number and against the one the address register gives for the
  sender HER-id; a verifier holds it against the ENH of MsgHead's ``Sender/Organisation``.
- **Personal card**: it speaks for its holder. SEID personal certificates carry neither a
  fødselsnummer nor an HPR number: the subject's ``serialNumber`` (``UN:NO-9578-4050-…`` at Buypass) is
  the issuer's identifier for the person. The HPR register binds HPR numbers to fødselsnumre, and only
  the issuer binds its serialNumber to a fødselsnummer; neither is reachable offline, and a name match
  (GN/SN against the batch's practitioner names) proves nothing. So the binding is a record the clinic
  keeps, :class:`CardHolders` (serialNumber → HPR number), made when a practitioner starts using a card,
  as an EPJ registers a user's card. The chain proves the card is the issuer's; the record says whose
  it is. A card not in the record signs nothing.

Every mismatch has one code, ``SENDER_SIGNER_MISMATCH``, and a message naming every number compared.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Final

from cryptography import x509

from adapters.outbound.signing.certificates import personal_serial_number
from gateway.primitives.errors import ConfigurationError, Issue

__all__ = ["SENDER_SIGNER_MISMATCH", "CardHolders", "holder_issue", "organisation_issue"]

SENDER_SIGNER_MISMATCH: Final = "SENDER_SIGNER_MISMATCH"
_HPR: Final = re.compile(r"^[0-9]{4,9}$")  # as schemas/settlement-batch.schema.json
_SERIAL: Final = re.compile(r"^UN:NO-[0-9][0-9-]*$")


class CardHolders:
    """The clinic's record of whose personal card is whose: certificate serialNumber → HPR number.

    Read from a JSON object, e.g. ``{"UN:NO-9578-4050-100105515": "1234567"}``. One practitioner may
    hold several cards; a serialNumber named twice is refused, since ``json`` would silently keep
    the last.
    """

    def __init__(self, holders: Mapping[str, str], *, source: str = "card holders") -> None:
        for serial, hpr in holders.items():
            if not _SERIAL.match(serial):
                raise ConfigurationError("CARD_HOLDERS_INVALID", f"{source}: {serial!r} is not a personal "
                                         "certificate serialNumber (UN:NO-…)")
            if not isinstance(hpr, str) or not _HPR.match(hpr):
                raise ConfigurationError("CARD_HOLDERS_INVALID", f"{source}: the HPR number of {serial} must be "
                                         "a string of 4 to 9 digits")
        self._holders = dict(holders)

    @classmethod
    def load(cls, path: Path | str) -> CardHolders:
        where = Path(path)

        def unique(pairs: list[tuple[str, object]]) -> dict[str, object]:
            keys = [key for key, _ in pairs]
            if duplicates := sorted({key for key in keys if keys.count(key) > 1}):
                raise ConfigurationError("CARD_HOLDERS_INVALID", f"{where}: {', '.join(duplicates)} is named twice")
            return dict(pairs)

        try:
            document = json.loads(where.read_bytes(), object_pairs_hook=unique)
        except OSError as exc:
            raise ConfigurationError("CARD_HOLDERS_UNREADABLE", f"card holder file {where}: {exc.strerror}") from None
        except ValueError as exc:
            raise ConfigurationError("CARD_HOLDERS_UNREADABLE", f"card holder file {where} is not JSON: {exc}"
                                     ) from None
        if not isinstance(document, dict):
            raise ConfigurationError("CARD_HOLDERS_INVALID", f"{where}: expected an object of serialNumber → HPR")
        return cls(document, source=str(where))

    def hpr_of(self, certificate: x509.Certificate) -> str | None:
        """The HPR number of the certificate's holder, or None when the card is not in the record."""
        serial = personal_serial_number(certificate)
        return None if serial is None else self._holders.get(serial)

    def __len__(self) -> int:
        return len(self._holders)


def organisation_issue(certificate_orgnr: str | None, named: Mapping[str, str | None]) -> Issue | None:
    """None when every number in ``named`` (who names it → the number) is the certificate's own."""
    if certificate_orgnr is not None and all(number == certificate_orgnr for number in named.values()):
        return None
    others = "; ".join(f"{who}: {number or 'none'}" for who, number in named.items())
    return Issue(SENDER_SIGNER_MISMATCH, f"the enterprise certificate is for organisation "
                 f"{certificate_orgnr or 'none'}; {others}. A message is signed only by its sender's own organisation")


def holder_issue(holder_hpr: str | None, holder_serial: str | None,
                 named: Mapping[str, Collection[str]]) -> Issue | None:
    """None when the card holder is the one practitioner every entry of ``named`` names."""
    if holder_hpr is not None and all(hprs and set(hprs) == {holder_hpr} for hprs in named.values()):
        return None
    holder = (f"practitioner {holder_hpr}" if holder_hpr is not None
              else "nobody in the card holder record")
    others = "; ".join(f"{who}: {', '.join(sorted(set(hprs))) or 'none'}" for who, hprs in named.items())
    return Issue(SENDER_SIGNER_MISMATCH, f"the personal card {holder_serial or '(no serialNumber)'} belongs to "
                 f"{holder}; {others}. A personal card signs only its holder's own bills")
