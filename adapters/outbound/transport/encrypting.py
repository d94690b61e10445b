"""A transport that encrypts each message for its receiver before handing it to another transport.

The signed MsgHead stays in the store exactly as signed; only what leaves the gateway is CMS
enveloped data (:mod:`adapters.outbound.encryption`) for the receiver's encryption certificate
from the NHN address register (``GetCertificateDetailsForEncryption``), looked up at delivery time
so a certificate the receiver renewed since the message was queued is the one used.

A receiver that cannot be encrypted for is not a lost message: the delivery is retried with the
outbox's backoff and its ``last_error`` shows why, until the register has a usable certificate
or the attempts run out (then ``failed``, the signed message still stored):

- ``RECEIVER_NO_ENCRYPTION_CERTIFICATE``: the register has no encryption certificate for the HER-id;
- ``RECEIVER_ENCRYPTION_CERTIFICATE_UNUSABLE``: it has one, but it is expired, not yet valid, not
  RSA or without ``keyEncipherment`` (the message names which);
- the register's own trouble (``AR_TIMEOUT``, ``AR_UNAVAILABLE``, …) as the client reports it.

Each attempt encrypts afresh (a new content key and IV), so a repeated delivery carries other bytes
than the first; what they decrypt to is the same signed message.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from cryptography import x509

from adapters.outbound.encryption import encrypt_for, encryption_certificate_issue
from gateway.ports.outbound import AddressRegister, Transport
from gateway.primitives.errors import NotFound, ReceiverUnavailable, RegisterUnavailable

__all__ = ["EncryptingTransport"]

_log = logging.getLogger("nordgate.outbox")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class EncryptingTransport:
    """Implements :class:`~gateway.ports.outbound.Transport` around ``inner``."""

    def __init__(self, inner: Transport, register: AddressRegister, *,
                 clock: Callable[[], dt.datetime] = _now) -> None:
        self._inner = inner
        self._register = register
        self._clock = clock

    def deliver(self, message_id: str, receiver_her_id: str, payload: bytes) -> None:
        certificate = self._certificate(message_id, receiver_her_id)
        self._inner.deliver(message_id, receiver_her_id, encrypt_for(payload, certificate))

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if callable(close):
            close()

    def _certificate(self, message_id: str, her_id: str) -> x509.Certificate:
        try:
            der = self._register.encryption_certificate(her_id)
        except NotFound as exc:
            if exc.code != "AR_NO_CERTIFICATE":
                raise  # AR_NO_SUCH_HER_ID: the receiver is gone; the worker fails the message at once
            raise ReceiverUnavailable("RECEIVER_NO_ENCRYPTION_CERTIFICATE", f"HER-id {her_id} has no encryption "
                                      "certificate in the address register; the message cannot be encrypted for it",
                                      message_id=message_id, her_id=her_id) from None
        try:
            certificate = x509.load_der_x509_certificate(der)
        except ValueError:
            raise RegisterUnavailable("AR_CERTIFICATE_INVALID", f"the encryption certificate of HER-id {her_id} is "
                                      "not a DER X.509 certificate", message_id=message_id, her_id=her_id) from None
        issue = encryption_certificate_issue(certificate, at=self._clock())
        if issue is not None:
            _log.warning("encryption certificate of HER-id %s refused: %s", her_id, issue.code,
                         extra={"msg_id": message_id, "her_id": her_id})
            raise ReceiverUnavailable("RECEIVER_ENCRYPTION_CERTIFICATE_UNUSABLE",
                                      f"{issue.code}: the address register's encryption certificate for HER-id "
                                      f"{her_id} cannot be used: {issue.message}",
                                      message_id=message_id, her_id=her_id)
        return certificate
