"""Directory drop (atomic, idempotent per message id) and HTTP POST (status → outcome)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from adapters.outbound.transport import DirectoryTransport, HttpTransport
from gateway.errors import ConfigurationError, ReceiverUnavailable, Unprocessable

MSG = "6b0f3c7e-3f0c-4f6e-9f7a-0d1c2b3a4f5e"


def test_directory_drop_writes_once_per_message_id(tmp_path: Path) -> None:
    transport = DirectoryTransport(tmp_path / "drop")
    transport.deliver(MSG, "79768", b"<a/>")
    transport.deliver(MSG, "79768", b"<a/>")  # a re-delivery after a crash replaces the same file
    files = sorted(p.relative_to(tmp_path) for p in (tmp_path / "drop").rglob("*") if p.is_file())
    assert files == [Path("drop/79768") / f"{MSG}.xml"]
    assert (tmp_path / "drop" / "79768" / f"{MSG}.xml").read_bytes() == b"<a/>"


@pytest.mark.parametrize(("msg_id", "her_id"), [("../../etc/passwd", "79768"), (MSG, ".."), (MSG, "a/b")])
def test_directory_drop_refuses_names_that_could_leave_the_folder(tmp_path: Path, msg_id: str, her_id: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        DirectoryTransport(tmp_path).deliver(msg_id, her_id, b"x")
    assert caught.value.code == "TRANSPORT_NAME_UNSAFE"


def test_unwritable_drop_folder_is_transient(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ReceiverUnavailable) as caught:
        DirectoryTransport(blocker).deliver(MSG, "79768", b"x")
    assert caught.value.code == "TRANSPORT_DIRECTORY_UNWRITABLE"


def http(handler: httpx.MockTransport) -> HttpTransport:
    return HttpTransport("http://receiver.test/in/{her_id}", transport=handler)


def test_http_posts_with_the_message_id() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202)

    http(httpx.MockTransport(handle)).deliver(MSG, "79768", b"<a/>")
    assert seen[0].headers["x-message-id"] == MSG and seen[0].url.path == "/in/79768"
    assert seen[0].content == b"<a/>" and seen[0].headers["content-type"] == "application/xml"


@pytest.mark.parametrize("status", [200, 201, 204, 409])
def test_http_success_and_already_have_it_are_delivered(status: int) -> None:
    http(httpx.MockTransport(lambda _: httpx.Response(status))).deliver(MSG, "79768", b"x")


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
def test_http_server_errors_are_transient(status: int) -> None:
    with pytest.raises(ReceiverUnavailable) as caught:
        http(httpx.MockTransport(lambda _: httpx.Response(status))).deliver(MSG, "79768", b"x")
    assert caught.value.code == f"RECEIVER_HTTP_{status}"


def test_http_connection_errors_are_transient() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(ReceiverUnavailable) as caught:
        http(httpx.MockTransport(refuse)).deliver(MSG, "79768", b"x")
    assert caught.value.code == "RECEIVER_UNREACHABLE"


@pytest.mark.parametrize("status", [400, 403, 413])
def test_http_client_errors_fail_permanently(status: int) -> None:
    with pytest.raises(Unprocessable) as caught:
        http(httpx.MockTransport(lambda _: httpx.Response(status))).deliver(MSG, "79768", b"x")
    assert caught.value.code == f"TRANSPORT_REFUSED_{status}"


def test_http_url_must_be_http() -> None:
    with pytest.raises(ConfigurationError):
        HttpTransport("ftp://x/")
