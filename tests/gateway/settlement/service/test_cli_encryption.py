"""``nordgate settle --encrypt`` / ``--encrypt-for``: the acceptance command as it stands,
``openssl cms -decrypt -inkey receiver.key -recip receiver.pem -in out.p7m``, gives back the signed
MsgHead this run made, and xmlsec1 verifies it. (That the bytes are the signed bytes exactly is
shown where the signed copy is at hand too: tests/gateway/api/test_settlement_encryption.py compares the
delivered envelope's content with the stored message, tests/adapters/outbound/test_encryption.py with bytes
S/MIME canonicalisation would change.)"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.outbound.signing.verify import verify_msghead
from gateway.cli import build_app
from tests.gateway.settlement.service.helpers import (
    AR_DATA,
    CA_PEM,
    CERTS,
    ENTERPRISE_P12,
    PASSWORD_FILE,
    anchors,
    batch,
    msg_id_of,
    to_bytes,
)

SIGNER = ["--signer", "enterprise", "--p12", str(ENTERPRISE_P12), "--password-file", str(PASSWORD_FILE),
          "--trust", str(CA_PEM), "--ar-data", str(AR_DATA)]
RECEIVER_KEY = CERTS / "receiver-encryption.key.pem"
RECEIVER_PEM = CERTS / "receiver-encryption.pem"


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (apt-get install {name}; CI installs it)")
    return path


def settle(tmp_path: Path, *options: str) -> tuple[int, str]:
    source = tmp_path / "batch.json"
    source.write_bytes(to_bytes(batch()))
    result = CliRunner().invoke(build_app(), ["settle", str(source), *SIGNER, *options])
    return result.exit_code, result.stderr


def decrypt_and_verify(tmp_path: Path, encrypted: Path) -> bytes:
    openssl, xmlsec1 = tool("openssl"), tool("xmlsec1")
    opened = tmp_path / "opened.xml"
    done = subprocess.run([openssl, "cms", "-decrypt", "-inkey", str(RECEIVER_KEY), "-recip", str(RECEIVER_PEM),
                           "-in", str(encrypted), "-out", str(opened)], capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    verified = subprocess.run([xmlsec1, "--verify", "--trusted-pem", str(CA_PEM), str(opened)], capture_output=True,
                              check=False)
    assert verified.returncode == 0, verified.stderr.decode(errors="replace")
    return opened.read_bytes()


@pytest.mark.parametrize("how", [["--encrypt"], ["--encrypt-for", str(RECEIVER_PEM)]],
                         ids=["from-the-ar", "for-a-file"])
def test_the_encrypted_output_opens_to_a_signed_msghead_that_verifies(tmp_path: Path, how: list[str]) -> None:
    encrypted = tmp_path / "out.p7m"
    code, err = settle(tmp_path, "--out", str(encrypted), *how)
    assert code == 0, err
    assert b"MsgHead" not in encrypted.read_bytes() and "encrypted" in err
    opened = decrypt_and_verify(tmp_path, encrypted)
    assert verify_msghead(opened, trust_anchors=anchors()).valid
    assert f"MsgId {msg_id_of(opened)}" in err  # the message this run signed


def test_a_certificate_that_may_not_be_encrypted_for_exits_2(tmp_path: Path) -> None:
    out = tmp_path / "out.p7m"
    code, err = settle(tmp_path, "--out", str(out), "--encrypt-for", str(CERTS / "enterprise-a.pem"))
    assert code == 2 and "ENCRYPTION_CERTIFICATE_KEY_USAGE" in err and not out.exists()
    code, err = settle(tmp_path, "--out", str(out), "--encrypt-for", str(tmp_path / "absent.pem"))
    assert code == 2 and "ENCRYPTION_CERTIFICATE_UNREADABLE" in err and not out.exists()
