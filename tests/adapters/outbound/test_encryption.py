"""CMS enveloped data both ways, judged by OpenSSL: what we encrypt ``openssl cms -decrypt`` opens to
the same bytes, with the algorithms we claim; what ``openssl cms -encrypt`` makes (AES or 3DES) we
open; what we cannot open is refused with a stable code; which certificates may be encrypted for."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from adapters.outbound.encryption import (
    Decryptor,
    EncryptedForm,
    encrypt_for,
    encryption_certificate_issue,
    read_certificate,
)
from gateway.primitives.errors import ConfigurationError, MalformedInput, Unprocessable

NOW = dt.datetime(2025, 3, 4, 10, 0, tzinfo=dt.UTC)
PAST = (dt.datetime(2020, 1, 1, tzinfo=dt.UTC), dt.datetime(2023, 1, 1, tzinfo=dt.UTC))
FUTURE = (dt.datetime(2030, 1, 1, tzinfo=dt.UTC), dt.datetime(2040, 1, 1, tzinfo=dt.UTC))
# CRLF and bare LF, trailing whitespace, non-ASCII: S/MIME canonicalisation would change any of them.
PAYLOAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<MsgHead>\r\n  <Navn>Ærlig Øygard Åsen</Navn>  \n\n'
           "</MsgHead>\n").encode() * 3

ENCRYPTION = x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=True,
                           data_encipherment=True, key_agreement=False, key_cert_sign=False, crl_sign=False,
                           encipher_only=False, decipher_only=False)
SIGNING_ONLY = x509.KeyUsage(digital_signature=False, content_commitment=True, key_encipherment=False,
                             data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                             encipher_only=False, decipher_only=False)


def certificate(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, *, name: str = "mottaker",
                usage: x509.KeyUsage | None = ENCRYPTION, serial: int | None = None,
                valid: tuple[dt.datetime, dt.datetime] = (dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
                                                          dt.datetime(2040, 1, 1, tzinfo=dt.UTC))) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "NO"), x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
               .serial_number(serial or x509.random_serial_number()).not_valid_before(valid[0])
               .not_valid_after(valid[1]))
    if usage is not None:
        builder = builder.add_extension(usage, critical=True)
    return builder.sign(key, hashes.SHA256())


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Party:
    """A key pair with its certificate, also as PEM files for OpenSSL."""

    def __init__(self, folder: Path, name: str, *, key: rsa.RSAPrivateKey | None = None,
                 serial: int | None = None) -> None:
        self.key = key or rsa_key()
        self.cert = certificate(self.key, name=name, serial=serial)
        folder.mkdir(parents=True, exist_ok=True)
        self.key_pem = folder / f"{name}.key.pem"
        self.cert_pem = folder / f"{name}.pem"
        self.key_pem.write_bytes(self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))
        self.cert_pem.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def decryptor(self) -> Decryptor:
        return Decryptor(self.cert, self.key)


@pytest.fixture(scope="module")
def openssl() -> str:
    path = shutil.which("openssl")
    if path is None:
        pytest.skip("openssl is not installed")
    return path


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Party:
    return Party(tmp_path_factory.mktemp("keys"), "receiver")


@pytest.fixture(scope="module")
def other(tmp_path_factory: pytest.TempPathFactory) -> Party:
    return Party(tmp_path_factory.mktemp("other"), "other")


def run(*args: str | Path, stdin: bytes | None = None) -> bytes:
    done = subprocess.run([str(a) for a in args], input=stdin, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


# ------------------------------------------------------------------------ we encrypt, OpenSSL opens

def test_openssl_decrypts_our_der_to_the_same_bytes(openssl: str, receiver: Party, tmp_path: Path) -> None:
    enveloped = tmp_path / "out.p7m"
    enveloped.write_bytes(encrypt_for(PAYLOAD, receiver.cert))
    opened = run(openssl, "cms", "-decrypt", "-inform", "DER", "-inkey", receiver.key_pem, "-recip",
                 receiver.cert_pem, "-in", enveloped)
    assert opened == PAYLOAD


def test_openssl_reads_our_smime_form_without_being_told_the_format(openssl: str, receiver: Party,
                                                                      tmp_path: Path) -> None:
    enveloped = tmp_path / "out.p7m"
    enveloped.write_bytes(encrypt_for(PAYLOAD, receiver.cert, form=EncryptedForm.SMIME))
    # S/MIME is openssl cms's default input: the command of the acceptance criterion, as it is.
    assert run(openssl, "cms", "-decrypt", "-inkey", receiver.key_pem, "-recip", receiver.cert_pem,
               "-in", enveloped) == PAYLOAD


def test_the_envelope_is_aes_256_cbc_with_rsa_pkcs1_v15_for_issuer_and_serial(openssl: str, receiver: Party,
                                                                               tmp_path: Path) -> None:
    enveloped = tmp_path / "out.p7m"
    enveloped.write_bytes(encrypt_for(PAYLOAD, receiver.cert))
    printed = run(openssl, "cms", "-cmsout", "-print", "-inform", "DER", "-in", enveloped).decode()
    assert "contentType: pkcs7-envelopedData" in printed
    assert re.search(r"contentEncryptionAlgorithm:\s*\n\s*algorithm: aes-256-cbc \(2\.16\.840\.1\.101\.3\.4\.1\.42\)",
                     printed)
    assert re.search(r"keyEncryptionAlgorithm:\s*\n\s*algorithm: rsaEncryption \(1\.2\.840\.113549\.1\.1\.1\)", printed)
    serial = re.search(r"d\.issuerAndSerialNumber:.*?serialNumber: (?:0x)?([0-9A-F]+)", printed, re.S)
    assert serial is not None and int(serial[1], 16) == receiver.cert.serial_number
    assert printed.count("d.ktri:") == 1  # for the receiver only


def test_each_encryption_is_fresh_but_opens_to_the_same_message(receiver: Party) -> None:
    first, second = encrypt_for(PAYLOAD, receiver.cert), encrypt_for(PAYLOAD, receiver.cert)
    assert first != second
    assert receiver.decryptor().decrypt(first) == receiver.decryptor().decrypt(second) == PAYLOAD


def test_the_plaintext_is_not_in_the_envelope(receiver: Party) -> None:
    assert b"MsgHead" not in encrypt_for(PAYLOAD, receiver.cert)


# ------------------------------------------------------------------------ OpenSSL encrypts, we open

@pytest.mark.parametrize(("cipher", "form"), [("-aes256", "DER"), ("-aes128", "DER"), ("-aes256", "PEM"),
                                              ("-aes256", "SMIME"), ("-des3", "DER"), ("-des3", "SMIME")])
def test_we_decrypt_what_openssl_encrypts(openssl: str, receiver: Party, cipher: str, form: str) -> None:
    # -des3: DES-EDE3-CBC, what NAV's ebXML payload processor encrypts with.
    enveloped = run(openssl, "cms", "-encrypt", "-binary", cipher, "-outform", form, receiver.cert_pem, stdin=PAYLOAD)
    assert receiver.decryptor().decrypt(enveloped) == PAYLOAD


@pytest.mark.parametrize("cipher", ["-aes256", "-des3"])
def test_we_find_our_recipient_among_several(openssl: str, receiver: Party, other: Party, cipher: str) -> None:
    enveloped = run(openssl, "cms", "-encrypt", "-binary", cipher, "-outform", "DER", other.cert_pem,
                    receiver.cert_pem, stdin=PAYLOAD)
    assert receiver.decryptor().decrypt(enveloped) == PAYLOAD


def test_a_3des_recipient_with_our_issuer_but_another_serial_is_not_us(openssl: str, receiver: Party,
                                                                         tmp_path: Path) -> None:
    # Self-signed: same issuer name as ours, another serial number, another key.
    twin = Party(tmp_path, "receiver")
    enveloped = run(openssl, "cms", "-encrypt", "-binary", "-des3", "-outform", "DER", twin.cert_pem, stdin=PAYLOAD)
    with pytest.raises(Unprocessable) as caught:
        receiver.decryptor().decrypt(enveloped)
    assert caught.value.code == "ENCRYPTED_FOR_ANOTHER_CERTIFICATE"


# ------------------------------------------------------------------------------------ refusals

@pytest.mark.parametrize("options", [["-aes192"], ["-aes256", "-keyopt", "rsa_padding_mode:oaep"],
                                     ["-des3", "-keyopt", "rsa_padding_mode:oaep"]],
                         ids=["aes-192-content", "rsa-oaep-key-transport", "3des-with-rsa-oaep"])
def test_algorithms_we_cannot_read_are_refused_as_unsupported(openssl: str, receiver: Party,
                                                             options: list[str]) -> None:
    enveloped = run(openssl, "cms", "-encrypt", "-binary", "-outform", "DER", "-recip", receiver.cert_pem, *options,
                    stdin=PAYLOAD)
    with pytest.raises(Unprocessable) as caught:
        receiver.decryptor().decrypt(enveloped)
    assert caught.value.code == "ENCRYPTION_UNSUPPORTED" and caught.value.http_status == 422


@pytest.mark.parametrize("cipher", ["-aes256", "-des3"])
def test_a_message_for_another_certificate_is_refused(openssl: str, receiver: Party, other: Party,
                                                      cipher: str) -> None:
    enveloped = run(openssl, "cms", "-encrypt", "-binary", cipher, "-outform", "DER", other.cert_pem, stdin=PAYLOAD)
    with pytest.raises(Unprocessable) as caught:
        receiver.decryptor().decrypt(enveloped)
    assert caught.value.code == "ENCRYPTED_FOR_ANOTHER_CERTIFICATE"
    assert f"{receiver.cert.serial_number:X}" in caught.value.message


def test_a_damaged_ciphertext_fails_to_decrypt(openssl: str, receiver: Party) -> None:
    # The ciphertext ends the DER. Flipping the last byte of the second-to-last block flips the last
    # plaintext byte (CBC), which is padding: 1..16 (AES) or 1..8 (3DES) becomes > 0xEF, never valid.
    aes = bytearray(encrypt_for(PAYLOAD, receiver.cert))
    aes[-17] ^= 0xFF
    des3 = bytearray(run(openssl, "cms", "-encrypt", "-binary", "-des3", "-outform", "DER", receiver.cert_pem,
                         stdin=PAYLOAD))
    des3[-9] ^= 0xFF
    for damaged in (aes, des3):
        with pytest.raises(Unprocessable) as caught:
            receiver.decryptor().decrypt(bytes(damaged))
        assert caught.value.code == "DECRYPTION_FAILED"


@pytest.mark.parametrize("body", [b"", b"<AppRec/>", b"\x30\x03\x02\x01", b"-----BEGIN CMS-----\n!!\n-----END CMS-----",
                                  b"MIME-Version: 1.0\nContent-Type: text/plain\n\nhei"])
def test_what_is_not_enveloped_data_is_unreadable(receiver: Party, body: bytes) -> None:
    with pytest.raises(MalformedInput) as caught:
        receiver.decryptor().decrypt(body)
    assert caught.value.code == "ENCRYPTED_MESSAGE_UNREADABLE" and caught.value.http_status == 400


# --------------------------------------------------------------------------- certificates

@pytest.mark.parametrize(("make", "code"), [
    (lambda: certificate(rsa_key(), valid=PAST), "ENCRYPTION_CERTIFICATE_EXPIRED"),
    (lambda: certificate(rsa_key(), valid=FUTURE), "ENCRYPTION_CERTIFICATE_NOT_YET_VALID"),
    (lambda: certificate(rsa_key(), usage=SIGNING_ONLY), "ENCRYPTION_CERTIFICATE_KEY_USAGE"),
    (lambda: certificate(rsa_key(), usage=None), "ENCRYPTION_CERTIFICATE_KEY_USAGE"),
    (lambda: certificate(ec.generate_private_key(ec.SECP256R1())), "ENCRYPTION_CERTIFICATE_NOT_RSA"),
], ids=["expired", "not-yet-valid", "signing-only", "no-key-usage", "ec-key"])
def test_certificates_that_may_not_be_encrypted_for(make: object, code: str) -> None:
    issue = encryption_certificate_issue(make(), at=NOW)  # type: ignore[operator]
    assert issue is not None and issue.code == code


def test_an_rsa_encryption_certificate_valid_now_may_be_encrypted_for(receiver: Party) -> None:
    assert encryption_certificate_issue(receiver.cert, at=NOW) is None


def test_a_certificate_file_is_read_as_pem_or_der(receiver: Party, tmp_path: Path) -> None:
    der = tmp_path / "r.der"
    der.write_bytes(receiver.cert.public_bytes(serialization.Encoding.DER))
    assert read_certificate(receiver.cert_pem) == read_certificate(der) == receiver.cert
    (tmp_path / "junk.pem").write_bytes(b"junk")
    for missing in (tmp_path / "junk.pem", tmp_path / "absent.pem"):
        with pytest.raises(ConfigurationError) as caught:
            read_certificate(missing)
        assert caught.value.code == "ENCRYPTION_CERTIFICATE_UNREADABLE"


# ---------------------------------------------------------------------- the gateway's own key

def test_the_decryptor_opens_its_pkcs12_with_a_password_from_a_file(receiver: Party, tmp_path: Path) -> None:
    secret = "hemmelig-pass"
    p12 = tmp_path / "own.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(b"own", receiver.key, receiver.cert, None,
                                                          serialization.BestAvailableEncryption(secret.encode())))
    (tmp_path / "pw").write_text(secret + "\n")
    decryptor = Decryptor.from_pkcs12(p12, password_file=tmp_path / "pw")
    assert decryptor.decrypt(encrypt_for(PAYLOAD, receiver.cert)) == PAYLOAD
    (tmp_path / "wrong").write_text("feil-pass")
    with pytest.raises(ConfigurationError) as caught:
        Decryptor.from_pkcs12(p12, password_file=tmp_path / "wrong")
    assert caught.value.code == "DECRYPTION_P12_UNREADABLE" and "feil-pass" not in str(caught.value)
    assert secret not in repr(decryptor)


def test_a_key_that_is_not_the_certificates_is_refused(receiver: Party, other: Party) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Decryptor(receiver.cert, other.key)
    assert caught.value.code == "DECRYPTION_KEY_MISMATCH"
