"""Opening CMS enveloped data whose content is encrypted with 3DES (DES-EDE3-CBC).

``cryptography`` decrypts only AES-CBC content, but NAV's ebXML payload processor
(navikt/ebxml-processor, ``Kryptering.kt``: ``CMSAlgorithm.DES_EDE3_CBC``, AES-256 commented out)
encrypts the payloads it sends with DES-EDE3-CBC, and NHN's own library still offers 3DES for old
partners. So this one combination is read here by hand: a
key-transport recipient named by issuer and serial number, RSA PKCS#1 v1.5 key transport
(``rsaEncryption``), DES-EDE3-CBC content. Everything else stays unsupported. Only for reading: we
never encrypt with 3DES.

The RSA step goes through ``cryptography``, whose OpenSSL answers a wrong padding with a random key
(implicit rejection) rather than an error, so the key transport gives no padding oracle; a wrong
key then shows as bad content padding, like any damaged message.
"""

from __future__ import annotations

from typing import Final

from asn1crypto import cms as asn1_cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import padding as block_padding
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, modes

__all__ = ["decrypt_triple_des"]

DES_EDE3_CBC: Final = "1.2.840.113549.3.7"
RSA_ENCRYPTION: Final = "1.2.840.113549.1.1.1"
_KEY_BYTES: Final = 24
_BLOCK_BYTES: Final = 8


def decrypt_triple_des(der: bytes, certificate: x509.Certificate, key: rsa.RSAPrivateKey) -> bytes:
    """The content of DER enveloped data for ``certificate`` encrypted with DES-EDE3-CBC.

    Raises :class:`UnsupportedAlgorithm` for another content or key-transport algorithm, and
    ValueError with the same texts as ``cryptography``'s own decryption ("No recipient found…",
    "Invalid padding…") or a parse error otherwise."""
    try:
        info = asn1_cms.ContentInfo.load(der, strict=True)
        if info["content_type"].native != "enveloped_data":
            raise ValueError("The PKCS7 data is not an EnvelopedData structure.")
        enveloped = info["content"]
        content_info = enveloped["encrypted_content_info"]
        algorithm = content_info["content_encryption_algorithm"]
        if algorithm["algorithm"].dotted != DES_EDE3_CBC:
            raise UnsupportedAlgorithm(f"content encryption {algorithm['algorithm'].dotted} is not supported")
        iv = algorithm["parameters"].native
        ciphertext = content_info["encrypted_content"].native
        recipient = _recipient_for(enveloped["recipient_infos"], certificate)
        key_algorithm = recipient["key_encryption_algorithm"]["algorithm"].dotted
        encrypted_key = recipient["encrypted_key"].native
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"error parsing the enveloped data ({type(exc).__name__})") from None
    if key_algorithm != RSA_ENCRYPTION:
        raise UnsupportedAlgorithm(f"key transport {key_algorithm} is not supported with 3DES content")
    if not isinstance(iv, bytes) or len(iv) != _BLOCK_BYTES or not isinstance(ciphertext, bytes):
        raise ValueError("error parsing the enveloped data (3DES parameters)")
    content_key = key.decrypt(encrypted_key, padding.PKCS1v15())
    if len(content_key) != _KEY_BYTES or len(ciphertext) % _BLOCK_BYTES:
        raise ValueError("Invalid padding bytes.")  # a wrong key (implicit rejection) or a cut message
    decryptor = Cipher(TripleDES(content_key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = block_padding.PKCS7(_BLOCK_BYTES * 8).unpadder()
    return unpadder.update(padded) + unpadder.finalize()  # ValueError "Invalid padding bytes."


def _recipient_for(recipients: asn1_cms.RecipientInfos,
                   certificate: x509.Certificate) -> asn1_cms.KeyTransRecipientInfo:
    issuer = asn1_x509.Name.load(certificate.issuer.public_bytes())
    for recipient in recipients:
        if recipient.name != "ktri" or recipient.chosen["rid"].name != "issuer_and_serial_number":
            continue
        named = recipient.chosen["rid"].chosen
        if named["serial_number"].native == certificate.serial_number and named["issuer"] == issuer:
            return recipient.chosen
    raise ValueError("No recipient found that matches the given certificate.")
