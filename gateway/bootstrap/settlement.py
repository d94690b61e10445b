"""Settings → the objects the settlement side runs with: address register, signers, transport, and
the decryptor and trust anchors of incoming AppRecs.

Called at start-up (:func:`gateway.bootstrap.runtime.build_runtime`) and by ``nordgate settle``; every
misconfiguration is a :class:`~gateway.primitives.errors.ConfigurationError` naming the setting, never a secret.
Signers are optional: a gateway may hold an enterprise certificate, a smart card, both or neither;
a batch needing a kind that is not configured gets 503 ``SIGNER_NOT_CONFIGURED`` when no signer is
configured, 422 ``CERT_KIND_MISMATCH`` when only the other kind is.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import httpx
from cryptography import x509

from adapters.outbound.address_register import AddressRegisterClient, CachingAddressRegister
from adapters.outbound.encryption import MEDIA_TYPE, Decryptor
from adapters.outbound.signing.binding import CardHolders
from adapters.outbound.signing.enterprise import EnterpriseCertificateSigner
from adapters.outbound.transport import DirectoryTransport, EncryptingTransport, HttpTransport
from gateway.config.settings import Settings
from gateway.domain.parties import CertificateKind
from gateway.ports.outbound import AddressRegister, Signer, Transport
from gateway.primitives.errors import ConfigurationError

__all__ = ["build_apprec_trust", "build_decryptor", "build_register", "build_signer", "build_signers",
           "build_transport", "card_signer", "enterprise_signer", "in_process_register", "load_trust_anchors",
           "register_client"]

_IN_PROCESS_ENDPOINT = "http://address-register.in-process/v1/AR"


def in_process_register(data_dir: Path) -> AddressRegisterClient:
    """The real AR client talking SOAP to the stand-in register's pure handler over an
    ``httpx.MockTransport``: the stub's JSON files, no server, no second JSON reader."""
    from adapters.outbound.address_register.stub_server import StubRegister  # noqa: PLC0415 - Starlette

    stub = StubRegister.from_dir(data_dir)

    def handle(request: httpx.Request) -> httpx.Response:
        reply = stub.handle(request.content, request.headers.get("soapaction"))
        return httpx.Response(reply.status, content=reply.body, headers={"content-type": reply.content_type})

    return AddressRegisterClient.create(_IN_PROCESS_ENDPOINT, transport=httpx.MockTransport(handle))


def build_register(settings: Settings) -> tuple[AddressRegister | None, AddressRegisterClient | None]:
    """The cached register and the client under it (which the caller closes at shutdown)."""
    if settings.ar_endpoint is not None and settings.ar_data_dir is not None:
        raise ConfigurationError("SETTINGS_INVALID", "set NORDGATE_AR_ENDPOINT or NORDGATE_AR_DATA_DIR, not both")
    if settings.ar_data_dir is not None:
        client = in_process_register(settings.ar_data_dir)
    elif settings.ar_endpoint is not None:
        client = AddressRegisterClient.create(settings.ar_endpoint, timeout_s=settings.ar_timeout_s,
                                              username=settings.ar_username, password_file=settings.ar_password_file)
    else:
        return None, None
    return CachingAddressRegister(client, ttl_s=settings.ar_cache_ttl_s), client


def load_trust_anchors(path: Path | None) -> list[x509.Certificate]:
    if path is None:
        raise ConfigurationError("SIGNING_TRUST_MISSING", "a signer is configured but no trust anchors "
                                 "(NORDGATE_SIGNING_TRUST_ANCHORS, a PEM file)", location="signing_trust_anchors")
    try:
        return x509.load_pem_x509_certificates(path.read_bytes())
    except OSError as exc:
        raise ConfigurationError("SIGNING_TRUST_UNREADABLE", f"trust anchor file {path}: {exc.strerror}") from None
    except ValueError:
        raise ConfigurationError("SIGNING_TRUST_UNREADABLE", f"trust anchor file {path} holds no PEM "
                                 "certificate") from None


def _expect(signer: Signer, kind: CertificateKind, setting: str) -> Signer:
    if signer.kind is not kind:
        raise ConfigurationError("SIGNER_KIND_MISMATCH", f"{setting} holds a {signer.kind.value} certificate, "
                                 f"expected {kind.value}", location=setting)
    return signer


def enterprise_signer(p12: Path, *, password_env: str | None, password_file: Path | None,
                      trust_anchors: Sequence[x509.Certificate]) -> Signer:
    """An enterprise certificate (virksomhetssertifikat) from a PKCS#12 file."""
    return EnterpriseCertificateSigner(p12, password_env=password_env, password_file=password_file,
                                       trust_anchors=list(trust_anchors))


def card_signer(pkcs11_module: Path, *, token_label: str, key_label: str | None, pin_env: str | None,
                pin_file: Path | None, card_holders: Path, trust_anchors: Sequence[x509.Certificate]) -> Signer:
    """A personal smart card through a PKCS#11 module, bound to its holder by the card holder record."""
    from adapters.outbound.signing.smartcard import SmartCardSigner  # noqa: PLC0415 - loads python-pkcs11

    return SmartCardSigner(pkcs11_module, token_label=token_label, pin_env=pin_env, pin_file=pin_file,
                           key_label=key_label, trust_anchors=list(trust_anchors),
                           card_holders=CardHolders.load(card_holders))


def build_signer(kind: str, *, p12: Path | None, password_env: str | None, password_file: Path | None,
                 pkcs11_module: Path | None, token_label: str | None, key_label: str | None, pin_env: str | None,
                 pin_file: Path | None, card_holders: Path | None, trust: Sequence[Path]) -> Signer:
    """The one signer ``nordgate settle --signer enterprise|card`` signs with, from its options."""
    if not trust:
        raise ConfigurationError("SIGNING_TRUST_MISSING", "give the trust anchors with --trust PEM")
    anchors = [cert for path in trust for cert in load_trust_anchors(path)]
    if kind == "enterprise":
        if p12 is None:
            raise ConfigurationError("SETTINGS_INVALID", "--signer enterprise needs --p12 FILE")
        return enterprise_signer(p12, password_env=password_env, password_file=password_file, trust_anchors=anchors)
    if pkcs11_module is None or not token_label:
        raise ConfigurationError("SETTINGS_INVALID", "--signer card needs --pkcs11-module PATH and --token-label")
    if card_holders is None:
        raise ConfigurationError("SETTINGS_INVALID", "--signer card needs --card-holders FILE: the record of "
                                 "which practitioner (HPR) holds which card")
    return card_signer(pkcs11_module, token_label=token_label, key_label=key_label, pin_env=pin_env,
                       pin_file=pin_file, card_holders=card_holders, trust_anchors=anchors)


def register_client(*, endpoint: str | None, data_dir: Path | None) -> AddressRegisterClient:
    """The address register ``nordgate settle`` looks parties up in: ``--ar URL`` or ``--ar-data DIR``."""
    if (endpoint is None) == (data_dir is None):
        raise ConfigurationError("SETTINGS_INVALID", "give exactly one of --ar URL or --ar-data DIR")
    if data_dir is not None:
        return in_process_register(data_dir)
    assert endpoint is not None
    return AddressRegisterClient.create(endpoint)


def build_signers(settings: Settings) -> dict[CertificateKind, Signer]:
    """The configured signers by kind; opening them here makes a wrong password or a missing card
    stop start-up instead of the first settlement."""
    signers: dict[CertificateKind, Signer] = {}
    if settings.enterprise_p12 is None and settings.card_pkcs11_module is None:
        return signers
    anchors = load_trust_anchors(settings.signing_trust_anchors)
    if settings.enterprise_p12 is not None:
        enterprise = enterprise_signer(settings.enterprise_p12, password_env=settings.enterprise_password_env,
                                       password_file=settings.enterprise_password_file, trust_anchors=anchors)
        signers[CertificateKind.ENTERPRISE] = _expect(enterprise, CertificateKind.ENTERPRISE, "enterprise_p12")
    if settings.card_pkcs11_module is not None:
        if not settings.card_token_label:
            raise ConfigurationError("SETTINGS_INVALID", "NORDGATE_CARD_TOKEN_LABEL is required with a PKCS#11 "
                                     "module", location="card_token_label")
        if settings.card_holders is None:
            # The certificate names no HPR number: without the record nobody could tell whose bills it may sign.
            raise ConfigurationError("SETTINGS_INVALID", "NORDGATE_CARD_HOLDERS (whose card is whose) is required "
                                     "with a smart card", location="card_holders")
        card = card_signer(settings.card_pkcs11_module, token_label=settings.card_token_label,
                           key_label=settings.card_key_label, pin_env=settings.card_pin_env,
                           pin_file=settings.card_pin_file, card_holders=settings.card_holders, trust_anchors=anchors)
        signers[CertificateKind.PERSONAL] = _expect(card, CertificateKind.PERSONAL, "card_pkcs11_module")
    return signers


def build_transport(settings: Settings, register: AddressRegister | None = None) -> Transport:
    """The delivery transport; with ``encrypt_delivery`` wrapped so each message leaves encrypted for
    its receiver's encryption certificate in ``register`` (files ``.p7m``, HTTP ``application/pkcs7-mime``)."""
    encrypt = settings.encrypt_delivery
    if encrypt and register is None:
        raise ConfigurationError("SETTINGS_INVALID", "NORDGATE_ENCRYPT_DELIVERY needs an address register "
                                 "(NORDGATE_AR_ENDPOINT or NORDGATE_AR_DATA_DIR) for the receivers' encryption "
                                 "certificates", location="encrypt_delivery")
    inner: Transport
    if settings.transport == "http":
        if settings.transport_url is None:
            raise ConfigurationError("SETTINGS_INVALID", "NORDGATE_TRANSPORT_URL is required with the http "
                                     "transport", location="transport_url")
        inner = HttpTransport(settings.transport_url, timeout_s=settings.transport_timeout_s,
                              content_type=MEDIA_TYPE if encrypt else "application/xml")
    else:
        inner = DirectoryTransport(settings.drop_dir, suffix=".p7m" if encrypt else ".xml")
    if encrypt and register is not None:
        return EncryptingTransport(inner, register)
    return inner


def build_apprec_trust(settings: Settings) -> list[x509.Certificate]:
    """The trust anchors a signed AppRec's certificate must chain to: the signing trust anchors
    (enterprise certificates of senders and receivers come from the same CAs). None configured
    means a signed AppRec is trusted by nothing (``CERT_UNTRUSTED``); requiring signed AppRecs
    without anchors would refuse every receipt, so it stops start-up instead."""
    if settings.signing_trust_anchors is not None:
        return load_trust_anchors(settings.signing_trust_anchors)
    if settings.apprec_require_signature:
        raise ConfigurationError("SIGNING_TRUST_MISSING", "NORDGATE_APPREC_REQUIRE_SIGNATURE needs trust anchors "
                                 "(NORDGATE_SIGNING_TRUST_ANCHORS, a PEM file)", location="signing_trust_anchors")
    return []


def build_decryptor(settings: Settings) -> Decryptor | None:
    """This gateway's own decryption key for encrypted AppRecs, opened now so a wrong password stops
    start-up; None when ``decryption_p12`` is not set (encrypted AppRecs are then refused)."""
    if settings.decryption_p12 is None:
        if settings.decryption_password_env is not None or settings.decryption_password_file is not None:
            raise ConfigurationError("SETTINGS_INVALID", "a decryption password is set but no NORDGATE_DECRYPTION_P12",
                                     location="decryption_p12")
        return None
    return Decryptor.from_pkcs12(settings.decryption_p12, password_env=settings.decryption_password_env,
                                 password_file=settings.decryption_password_file)
