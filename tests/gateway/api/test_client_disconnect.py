"""Issue 13 point 4 and the 431 of point 6, against a real server (uvicorn as ``nordgate serve`` runs
it, gateway/cli/serving.py) on a loopback port: clients that hang up mid-body are 499 "client closed",
never 500; a body that never finishes is dropped after NORDGATE_BODY_READ_TIMEOUT_S; a 1 MB header
is answered 431, not reset."""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import uvicorn

from gateway.api import create_app
from gateway.cli.serving import server_config
from gateway.config.settings import Settings, load_settings
from tests.auth_helpers import DEFAULT_CLIENT
from tests.database import database_url_for

HANG_UPS = 300
_AUTH = "".join(f"{name}: {value}\r\n" for name, value in DEFAULT_CLIENT.headers.items())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(database_url=database_url_for(tmp_path), public_base_url="http://testserver/fhir",
                         body_read_timeout_s=1.0)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(settings: Settings) -> Iterator[tuple[str, int]]:
    port = _free_port()
    server = uvicorn.Server(server_config(create_app(settings), settings, host="127.0.0.1", port=port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start within 10 s"
        time.sleep(0.02)
    try:
        yield "127.0.0.1", port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _head(length: int, path: str = "/bookings") -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/xml\r\n"
            f"Content-Length: {length}\r\n{_AUTH}\r\n").encode()


def _hang_up(address: tuple[str, int]) -> None:
    with socket.create_connection(address, timeout=5) as connection:
        connection.sendall(_head(100_000) + b"<Envelope>" + b" " * 2000)
        # An abortive close (RST), as a client killed mid-upload leaves it.
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def _metric_lines(base: str) -> list[str]:
    return httpx.get(f"{base}/metrics", headers=DEFAULT_CLIENT.headers).text.splitlines()


def test_hang_ups_mid_body_are_499_not_500(served: tuple[str, int], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    base = f"http://{served[0]}:{served[1]}"
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda _: _hang_up(served), range(HANG_UPS)))
    pattern = re.compile(r'nordgate_http_request_duration_seconds_count\{method="POST",route="/bookings",'
                         r'status="(\d+)"\} (\S+)')
    deadline = time.monotonic() + 20
    while True:
        counts = {m[1]: float(m[2]) for line in _metric_lines(base) if (m := pattern.match(line))}
        if sum(counts.values()) >= HANG_UPS or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert counts == {"499": HANG_UPS}
    pushes = [line for line in _metric_lines(base) if line.startswith("nordgate_pushes_total")]
    assert pushes and all('outcome="refused"' in line for line in pushes), pushes
    assert 'nordgate_mapping_errors_total{code="CLIENT_CLOSED_REQUEST"} 300.0' in _metric_lines(base)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "unexpected error" not in logged
    assert "Exception in ASGI application" not in logged
    assert not [record for record in caplog.records if record.exc_info]
    started = time.perf_counter()
    assert httpx.get(f"{base}/healthz").status_code == 200
    assert time.perf_counter() - started < 1.0


def test_body_that_never_finishes_is_408_and_closed(served: tuple[str, int]) -> None:
    with socket.create_connection(served, timeout=10) as connection:
        connection.sendall(_head(10_000) + b"<Envelope>")  # and then nothing
        started = time.monotonic()
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
        waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert b"\r\nconnection: close\r\n" in answer.lower()
    assert b"BODY_READ_TIMEOUT" in answer
    assert 0.9 < waited < 5.0


def test_megabyte_header_is_431_not_a_reset(served: tuple[str, int]) -> None:
    request = (b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 1024 * 1024 + b"\r\n\r\n")
    with socket.create_connection(served, timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    # The server is fine afterwards.
    assert httpx.get(f"http://{served[0]}:{served[1]}/healthz").status_code == 200


def test_header_under_the_limit_is_served(served: tuple[str, int]) -> None:
    answer = httpx.get(f"http://{served[0]}:{served[1]}/healthz", headers={"x-big": "a" * 32 * 1024})
    assert answer.status_code == 200
