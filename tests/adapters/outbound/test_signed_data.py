"""CMS signed data opened as NHN's sign-then-encrypt receipts carry it, held to OpenSSL: what
``openssl cms -sign`` signs opens to the content byte for byte and names its signer (and
``openssl cms -verify`` agrees), and every way a signature can be bad, weak, untrusted or
unreadable is refused with its own stable code."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509

from adapters.outbound.cms import content_type_of, looks_like_cms
from adapters.outbound.signed_data import open_signed_data
from gateway.primitives.errors import MalformedInput, NordgateError, Unprocessable
from tests.adapters.outbound.cms_signing import (
    AT,
    CA_PEM,
    encrypt,
    enterprise,
    example,
    new_ca,
    openssl,
    pem,
    run,
    sign,
)

#: CRLF, a lone CR and non-ASCII: binary mode must keep every byte.
CONTENT = '<?xml version="1.0" encoding="UTF-8"?>\r\n<AppRec>Tønsberg\r\r\n</AppRec>\n'.encode()
ANCHORS = x509.load_pem_x509_certificates(CA_PEM.read_bytes())
SIGNER = example("enterprise-a")
RECEIVER_PEM = CA_PEM.parent / "receiver-encryption.pem"


def opened_code(data: bytes, *, anchors: list[x509.Certificate] = ANCHORS, at: dt.datetime = AT) -> str:
    with pytest.raises(NordgateError) as caught:
        open_signed_data(data, trust_anchors=anchors, at=at)
    return caught.value.code


def tamper(data: bytes, old: bytes, new: bytes) -> bytes:
    assert data.count(old) == 1
    return data.replace(old, new)


@pytest.mark.parametrize(("md", "form", "options", "scheme"), [
    ("sha256", "DER", (), "pkcs1v15"),
    ("sha384", "DER", (), "pkcs1v15"),
    ("sha512", "DER", (), "pkcs1v15"),
    ("sha256", "DER", ("-keyopt", "rsa_padding_mode:pss"), "pss"),
    ("sha512", "DER", ("-keyopt", "rsa_padding_mode:pss", "-keyopt", "rsa_pss_saltlen:32"), "pss"),
    ("sha256", "PEM", (), "pkcs1v15"),
    ("sha256", "SMIME", (), "pkcs1v15"),
    ("sha256", "DER", ("-keyid",), "pkcs1v15"),  # signer named by subject key identifier
    ("sha256", "DER", ("-noattr",), "pkcs1v15"),  # no signed attributes: the signature is over the content
    ("sha256", "DER", ("-stream",), "pkcs1v15"),  # BER, indefinite lengths
], ids=["sha256", "sha384", "sha512", "pss", "pss-sha512-salt32", "pem", "smime", "keyid", "noattr", "stream"])
def test_what_openssl_signs_opens_to_the_content_and_its_signer(
    md: str, form: str, options: tuple[str, ...], scheme: str, tmp_path: Path
) -> None:
    signed = sign(CONTENT, SIGNER, md=md, form=form, options=options)
    opened = open_signed_data(signed, trust_anchors=ANCHORS, at=AT)
    assert opened.content == CONTENT
    assert opened.signer == SIGNER.certificate
    assert (opened.digest_algorithm, opened.signature_scheme) == (md, scheme)
    # The other side agrees: OpenSSL verifies the same bytes against the same anchor.
    (tmp_path / "signed").write_bytes(signed)
    assert run(openssl(), "cms", "-verify", "-binary", "-inform", form, "-in", tmp_path / "signed",
               "-CAfile", CA_PEM, "-purpose", "any") == CONTENT


def test_the_signing_time_is_the_signers_claim_when_signed_attributes_carry_it() -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with_time = open_signed_data(sign(CONTENT, SIGNER), trust_anchors=ANCHORS, at=AT)
    assert with_time.signing_time is not None and before <= with_time.signing_time <= dt.datetime.now(dt.UTC)
    assert open_signed_data(sign(CONTENT, SIGNER, options=("-noattr",)), trust_anchors=ANCHORS,
                            at=AT).signing_time is None


@pytest.mark.parametrize("options", [(), ("-noattr",)], ids=["signed-attributes", "no-attributes"])
def test_changed_content_is_signature_invalid(options: tuple[str, ...]) -> None:
    signed = sign(CONTENT, SIGNER, options=options)
    assert opened_code(tamper(signed, b"<AppRec>T", b"<AppRec>t")) == "SIGNATURE_INVALID"


def test_a_changed_signature_is_signature_invalid() -> None:
    signed = sign(CONTENT, SIGNER)
    # The signature is the last OCTET STRING: its final bytes are the DER's final bytes.
    changed = signed[:-1] + bytes([signed[-1] ^ 0x01])
    assert opened_code(changed) == "SIGNATURE_INVALID"


def test_sha1_is_refused_as_weak() -> None:
    with pytest.raises(Unprocessable) as caught:
        open_signed_data(sign(CONTENT, SIGNER, md="sha1"), trust_anchors=ANCHORS, at=AT)
    assert caught.value.code == "ALGORITHM_WEAK" and "SHA-1" in caught.value.message


def test_a_certificate_of_another_ca_is_untrusted() -> None:
    with pytest.raises(Unprocessable) as caught:
        open_signed_data(sign(CONTENT, example("untrusted")), trust_anchors=ANCHORS, at=AT)
    assert caught.value.code == "CERT_UNTRUSTED" and [i.code for i in caught.value.issues] == ["CERT_UNTRUSTED"]


def test_nothing_is_trusted_without_anchors() -> None:
    assert opened_code(sign(CONTENT, SIGNER), anchors=[]) == "CERT_UNTRUSTED"


def test_an_expired_certificate_is_refused_at_the_moment_of_reception() -> None:
    assert opened_code(sign(CONTENT, example("expired"))) == "CERT_EXPIRED"
    assert opened_code(sign(CONTENT, SIGNER), at=dt.datetime(2041, 1, 1, tzinfo=dt.UTC)) == "CERT_EXPIRED"


def test_a_certificate_without_signing_key_usage_is_refused() -> None:
    assert opened_code(sign(CONTENT, example("wrong-key-usage"))) == "CERT_KEY_USAGE"


def test_an_intermediate_carried_in_the_signed_data_leads_to_the_anchor(tmp_path: Path) -> None:
    root = new_ca("Test Root (TEST ONLY)")
    intermediate = new_ca("Test Intermediate (TEST ONLY)", root)
    leaf = enterprise(tmp_path, "964000018", intermediate)
    chained = sign(CONTENT, leaf, options=("-certfile", pem(intermediate[0], tmp_path / "intermediate.pem")))
    assert open_signed_data(chained, trust_anchors=[root[0]], at=AT).signer == leaf.certificate
    assert opened_code(sign(CONTENT, leaf), anchors=[root[0]]) == "CERT_UNTRUSTED"
    (tmp_path / "chained").write_bytes(chained)  # OpenSSL builds the same chain to the same root
    assert run(openssl(), "cms", "-verify", "-binary", "-inform", "DER", "-in", tmp_path / "chained",
               "-CAfile", pem(root[0], tmp_path / "root.pem"), "-purpose", "any") == CONTENT


def test_without_the_signers_certificate_it_is_missing() -> None:
    assert opened_code(sign(CONTENT, SIGNER, options=("-nocerts",))) == "CERTIFICATE_MISSING"


def test_two_signers_are_malformed() -> None:
    assert opened_code(sign(CONTENT, SIGNER, example("enterprise-b"))) == "SIGNATURE_MALFORMED"


@pytest.mark.parametrize("make", [
    lambda: sign(CONTENT, SIGNER, attached=False),  # a detached signature carries no content
    lambda: encrypt(CONTENT, RECEIVER_PEM),  # enveloped, not signed
    lambda: b"\x30\x82\x01\x00 not CMS at all",
    lambda: b"-----BEGIN PKCS7-----\n!!!\n-----END PKCS7-----\n",
], ids=["detached", "enveloped", "damaged-der", "bad-pem"])
def test_what_is_not_signed_data_with_its_content_is_unreadable(make: Callable[[], bytes]) -> None:
    with pytest.raises(MalformedInput) as caught:
        open_signed_data(make(), trust_anchors=ANCHORS, at=AT)
    assert caught.value.code == "SIGNED_MESSAGE_UNREADABLE" and caught.value.http_status == 400


@pytest.mark.parametrize("form", ["DER", "PEM", "SMIME"])
def test_cms_is_told_from_xml_in_every_form(form: str) -> None:
    signed = sign(CONTENT, SIGNER, form=form)
    assert looks_like_cms(signed) and content_type_of(signed) == "signed_data"
    enveloped = encrypt(CONTENT, RECEIVER_PEM, form=form)
    assert looks_like_cms(enveloped) and content_type_of(enveloped) == "enveloped_data"


@pytest.mark.parametrize("xml", [CONTENT, b"\xef\xbb\xbf" + CONTENT, b"\n  <AppRec/>", b"not xml, not cms"])
def test_xml_and_other_text_are_not_taken_for_cms(xml: bytes) -> None:
    assert not looks_like_cms(xml) and content_type_of(xml) is None

