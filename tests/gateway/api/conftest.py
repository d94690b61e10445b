"""An app on a fresh test database (SQLite file or PostgreSQL schema: tests/database.py), in-process
(TestClient) or on a real loopback port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from gateway.api import create_app
from gateway.config.settings import Settings, load_settings
from tests.auth_helpers import DEFAULT_CLIENT
from tests.database import database_url_for


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(database_url=database_url_for(tmp_path), public_base_url="http://testserver/fhir")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), headers=DEFAULT_CLIENT.headers) as test_client:
        yield test_client


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def live_url(settings: Settings) -> Iterator[str]:
    """The real app under uvicorn on 127.0.0.1, in a thread; stopped after the test."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start within 10 s")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
