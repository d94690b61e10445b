"""Signing with the practitioner's personal smart card (Buypass SEID) through PKCS#11.

The private key never leaves the card: the token computes CKM_SHA256_RSA_PKCS over the canonical
SignedInfo. The module is loaded, the session opened and the user logged in once, at construction;
the session is then reused under a lock, since a PKCS#11 session runs one operation at a time.
In tests the card is SoftHSM2.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from pathlib import Path

import pkcs11
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11 import exceptions as p11
from pkcs11.types import SignMixin

from adapters.outbound.signing.base import CertificateSigner
from adapters.outbound.signing.binding import CardHolders
from adapters.outbound.signing.credentials import read_secret
from gateway.primitives.errors import ConfigurationError, SigningRefused

__all__ = ["SmartCardSigner"]


def _open_session(module_path: str, token_label: str, pin: str) -> pkcs11.Session:
    try:
        library = pkcs11.lib(module_path)
    except (RuntimeError, OSError) as exc:
        raise ConfigurationError(
            "SMARTCARD_MODULE_UNAVAILABLE", f"PKCS#11 module {module_path} cannot be loaded: {exc}"
        ) from None
    try:
        token = library.get_token(token_label=token_label)
    except p11.NoSuchToken:
        raise ConfigurationError(
            "SMARTCARD_TOKEN_NOT_FOUND", f"no token labelled {token_label!r} (is the card inserted?)"
        ) from None
    except p11.MultipleTokensReturned:
        raise ConfigurationError(
            "SMARTCARD_TOKEN_AMBIGUOUS", f"more than one token is labelled {token_label!r}"
        ) from None
    try:
        return token.open(user_pin=pin)
    except (p11.PinIncorrect, p11.PinInvalid, p11.PinLenRange):
        raise ConfigurationError(
            "SMARTCARD_PIN_REJECTED", f"token {token_label!r} refused the PIN"
        ) from None
    except p11.UserAlreadyLoggedIn:
        # PKCS#11 login state is per token and process: a second signer would share it, and closing
        # either would log both out.
        raise ConfigurationError(
            "SMARTCARD_IN_USE", f"token {token_label!r} is already in use by another signer in this process"
        ) from None
    except (p11.PinLocked, p11.PinExpired):
        raise ConfigurationError(
            "SMARTCARD_PIN_LOCKED", f"the PIN of token {token_label!r} is locked or expired"
        ) from None
    except p11.PKCS11Error as exc:
        raise ConfigurationError(
            "SMARTCARD_UNAVAILABLE", f"cannot log in to token {token_label!r}: {type(exc).__name__}"
        ) from None


def _find_key(session: pkcs11.Session, label: str | None, key_id: bytes | None) -> SignMixin:
    try:
        key = session.get_key(
            object_class=ObjectClass.PRIVATE_KEY, key_type=KeyType.RSA, label=label, id=key_id
        )
    except p11.NoSuchKey:
        raise ConfigurationError(
            "SMARTCARD_KEY_NOT_FOUND", f"no RSA private key with label {label!r} / id {key_id!r} on the token"
        ) from None
    except p11.MultipleObjectsReturned:
        raise ConfigurationError(
            "SMARTCARD_KEY_AMBIGUOUS", "more than one RSA private key matches; give a key label or id"
        ) from None
    # python-pkcs11 mixes the sign capability in only when the key's CKA_SIGN is set.
    if not isinstance(key, SignMixin):
        raise ConfigurationError("SMARTCARD_KEY_CANNOT_SIGN", "the private key on the token may not sign")
    return key


def _attribute(obj: pkcs11.Object, attribute: Attribute) -> object:
    try:
        return obj[attribute]
    except p11.PKCS11Error:  # absent or sensitive attributes read as "unknown"
        return None


def _find_certificate(session: pkcs11.Session, key: SignMixin) -> x509.Certificate:
    modulus = _attribute(key, Attribute.MODULUS)
    key_id = _attribute(key, Attribute.ID)
    key_label = _attribute(key, Attribute.LABEL)
    searches: list[dict[Attribute, object]] = []
    if isinstance(key_id, bytes) and key_id:
        searches.append({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.ID: key_id})
    if isinstance(key_label, str) and key_label:
        searches.append({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: key_label})
    searches.append({Attribute.CLASS: ObjectClass.CERTIFICATE})
    for attributes in searches:
        for obj in session.get_objects(attributes):
            value = _attribute(obj, Attribute.VALUE)
            if not isinstance(value, bytes):
                continue
            try:
                certificate = x509.load_der_x509_certificate(value)
            except ValueError:
                continue
            public = certificate.public_key()
            # The certificate is only taken when it belongs to the key; ids and labels are set by
            # whoever personalised the card and are not proof.
            if isinstance(public, rsa.RSAPublicKey) and (
                not isinstance(modulus, bytes) or public.public_numbers().n == int.from_bytes(modulus, "big")
            ):
                return certificate
    raise ConfigurationError("SMARTCARD_CERT_NOT_FOUND", "no certificate for the signing key on the token")


class SmartCardSigner(CertificateSigner):
    """A :class:`~gateway.ports.outbound.Signer` whose RSA key stays on a PKCS#11 token.

    ``key_label`` / ``key_id`` pick the key when the card holds more than one (a Buypass card holds
    an authentication and a signing key: pick the signing one). The certificate is read from the
    token and must belong to the key. ``card_holders`` binds it to its holder's HPR number
    (:mod:`~adapters.outbound.signing.binding`).
    """

    def __init__(
        self,
        module_path: Path | str,
        *,
        token_label: str,
        pin_env: str | None = None,
        pin_file: Path | str | None = None,
        key_label: str | None = None,
        key_id: bytes | None = None,
        trust_anchors: Sequence[x509.Certificate],
        intermediates: Sequence[x509.Certificate] = (),
        card_holders: CardHolders | None = None,
    ) -> None:
        pin = read_secret(what="smart-card PIN", env=pin_env, file=pin_file)
        self._token_label = token_label
        self._lock = threading.Lock()
        self._session: pkcs11.Session | None = _open_session(str(module_path), token_label, pin)
        del pin
        try:
            self._key = _find_key(self._session, key_label, key_id)
            certificate = _find_certificate(self._session, self._key)
            super().__init__(certificate, trust_anchors=trust_anchors, intermediates=intermediates,
                             card_holders=card_holders)
        except BaseException:
            self.close()
            raise

    def _raw_sign(self, data: bytes) -> bytes:
        with self._lock:
            if self._session is None:
                raise SigningRefused("SMARTCARD_CLOSED", "the smart-card signer has been closed")
            try:
                return self._key.sign(data, mechanism=Mechanism.SHA256_RSA_PKCS)
            except p11.PKCS11Error as exc:
                raise SigningRefused(
                    "SMARTCARD_SIGN_FAILED",
                    f"token {self._token_label!r} could not sign: {type(exc).__name__}",
                ) from None

    def close(self) -> None:
        with self._lock:
            session, self._session = self._session, None
        if session is not None:
            with contextlib.suppress(p11.PKCS11Error):  # a removed card has already closed it
                session.close()

    def __repr__(self) -> str:
        return f"SmartCardSigner(token={self._token_label!r})"
