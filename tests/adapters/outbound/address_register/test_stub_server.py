"""The stand-in register: its data, its control switch, the CLI command, and a real loopback run."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import typer
import uvicorn
from cryptography import x509
from typer.testing import CliRunner

from adapters.outbound.address_register import AddressRegisterClient, CachingAddressRegister, RetryPolicy
from adapters.outbound.address_register.stub_server import StubControl, create_stub_app, load_parties
from gateway.cli import ar as ar_cli
from gateway.primitives.errors import ConfigurationError, NotFound, RegisterUnavailable
from gateway.primitives.identifiers import is_valid_orgnr

from .conftest import CLINIC, DOCTORS, HELFO, INACTIVE, PERSON, PHYSIO, SAMPLES

# ------------------------------------------------------------------------------ sample data

def test_samples_hold_the_parties_the_settlement_flow_needs() -> None:
    parties = load_parties(SAMPLES)
    assert set(parties) == {int(h) for h in (HELFO, CLINIC, PHYSIO, DOCTORS, PERSON, INACTIVE)}
    helfo = parties[int(HELFO)]
    assert (helfo.party.name, helfo.party.organization_number, helfo.party.active) == ("Helfo", "889640782", True)
    assert parties[int(CLINIC)].party.name == "Eksempel legekontor"
    assert parties[int(INACTIVE)].party.active is False
    for record in parties.values():
        for number in (record.party.organization_number, record.party.parent_organization_number):
            assert number is None or is_valid_orgnr(number), number
        for der in (record.encryption_certificate, record.signature_certificate):
            if der is not None:
                x509.load_der_x509_certificate(der)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("[]", "JSON object"),
        ('{"herId": "79768", "name": "x", "type": "Organization"}', "herId"),
        ('{"herId": 1, "name": "x", "type": "Robot"}', "Robot"),
        ('{"herId": 1, "name": "x", "type": "Person", "encryptionCertificate": "***"}', "base64"),
        ("{not json", "bad.json"),
    ],
)
def test_bad_data_files_stop_the_start_with_the_file_name(tmp_path: Path, content: str, fragment: str) -> None:
    (tmp_path / "bad.json").write_text(content, encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        load_parties(tmp_path)
    assert caught.value.code == "AR_STUB_DATA_INVALID"
    assert "bad.json" in caught.value.message and fragment in caught.value.message


def test_duplicate_her_ids_and_empty_folders_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        load_parties(tmp_path)
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_text('{"herId": 5, "name": "x", "type": "Person"}', encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        load_parties(tmp_path)
    assert "twice" in caught.value.message


@pytest.mark.parametrize(
    "command",
    [{"mode": "sideways"}, {"mode": "slow", "delay_s": -1}, {"mode": "slow", "delay_s": "1"}, {"count": 0}],
)
def test_control_refuses_nonsense(command: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"mode|delay_s|count"):
        StubControl().set(command)


def test_control_count_returns_to_ok() -> None:
    control = StubControl()
    control.set({"mode": "fail", "count": 2})
    assert [control.next_mode()[0] for _ in range(3)] == ["fail", "fail", "ok"]
    assert control.state() == {"mode": "ok", "delay_s": 0.0, "count": None, "answered": 3}


# ------------------------------------------------------------------------------------- CLI

def test_cli_registers_ar_stub_with_its_options() -> None:
    app = typer.Typer()
    ar_cli.register(app)

    @app.command("other")
    def other() -> None:  # a second command, so typer keeps "ar-stub" as a subcommand name
        """placeholder"""

    result = CliRunner().invoke(app, ["ar-stub", "--help"])
    assert result.exit_code == 0, result.output
    for option in ("--data", "--host", "--port", "127.0.0.1", "8089"):
        assert option in result.output


def test_cli_refuses_a_missing_data_folder(tmp_path: Path) -> None:
    app = typer.Typer()
    ar_cli.register(app)
    app.command("other")(lambda: None)
    result = CliRunner().invoke(app, ["ar-stub", "--data", str(tmp_path / "nope")])
    assert result.exit_code != 0


# ---------------------------------------------------------------------------- real loopback

@pytest.fixture
def live_stub() -> Iterator[str]:
    """The stub app under a real uvicorn on 127.0.0.1, on a free port; stopped afterwards."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_stub_app(SAMPLES), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the stub server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _control(base: str, **command: object) -> None:
    response = httpx.post(f"{base}/_control", content=json.dumps(command), timeout=5)
    assert response.status_code == 200, response.text


def test_client_against_the_real_server_on_loopback(live_stub: str) -> None:
    fast = RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=0.05)
    with AddressRegisterClient.create(f"{live_stub}/v1/AR", timeout_s=2.0, retry=fast) as client:
        cache = CachingAddressRegister(client)
        assert client.ping() is True
        assert cache.communication_party(HELFO).organization_number == "889640782"
        x509.load_der_x509_certificate(cache.encryption_certificate(HELFO))
        with pytest.raises(NotFound) as caught:
            cache.communication_party("1234567")
        assert caught.value.code == "AR_NO_SUCH_HER_ID"

        _control(live_stub, mode="fail", count=2)  # two 500s, then the third try succeeds
        assert client.communication_party(CLINIC).name == "Eksempel legekontor"

        _control(live_stub, mode="down")
        with pytest.raises(RegisterUnavailable) as unavailable:
            client.communication_party(PHYSIO)
        assert unavailable.value.code == "AR_UNAVAILABLE"
        assert cache.communication_party(HELFO).name == "Helfo"  # still served from the cache

        _control(live_stub, mode="garbage", count=1)
        with pytest.raises(RegisterUnavailable) as garbage:
            client.communication_party(PHYSIO)
        assert garbage.value.code == "AR_BAD_RESPONSE"

        state = httpx.get(f"{live_stub}/_control", timeout=5).json()
        assert state["mode"] == "ok" and state["answered"] >= 10


def test_slow_register_times_out_on_loopback(live_stub: str) -> None:
    _control(live_stub, mode="slow", delay_s=0.6, count=2)
    once = RetryPolicy(attempts=2, base_delay_s=0.01, max_delay_s=0.01)
    with AddressRegisterClient.create(f"{live_stub}/v1/AR", timeout_s=0.2, retry=once) as client:
        started = time.monotonic()
        with pytest.raises(RegisterUnavailable) as caught:
            client.communication_party(HELFO)
        assert caught.value.code == "AR_TIMEOUT"
        assert time.monotonic() - started < 2.0
