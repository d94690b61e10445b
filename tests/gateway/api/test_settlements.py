"""The settlement API end to end: the real PKCS#12 enterprise signer, the stand-in AR in-process
(SOAP over httpx.MockTransport), a directory drop in tmp_path or an HTTP receiver; and a crash test
of a real gateway process killed with SIGKILL while its messages are queued."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from adapters.outbound.transport import HttpTransport
from gateway.api import create_app
from gateway.bootstrap.runtime import build_runtime
from gateway.config.settings import Settings, load_settings
from gateway.outbox.worker import OutboxWorker, RetryPolicy
from tests.auth_helpers import DEFAULT_CLIENT
from tests.database import database_url_for
from tests.gateway.settlement.service.helpers import (
    AR_DATA,
    CA_PEM,
    ENTERPRISE_P12,
    PASSWORD_FILE,
    FixedClock,
    apprec,
    batch,
    bill,
    to_bytes,
)

JSON = {"content-type": "application/json"}
XML = {"content-type": "application/xml"}


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url_for(tmp_path), "ar_data_dir": AR_DATA,
        "signing_trust_anchors": CA_PEM, "enterprise_p12": ENTERPRISE_P12,
        "enterprise_password_file": PASSWORD_FILE, "drop_dir": tmp_path / "drop", "outbox_poll_s": 0.05,
    }
    values.update(overrides)
    return load_settings(**values)


def wait_for(condition: Callable[[], Any], timeout_s: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def authed_get(url: str) -> httpx.Response:
    """A GET to a gateway subprocess as the suite's default client."""
    return httpx.get(url, timeout=5.0, headers=DEFAULT_CLIENT.headers)


def code_of(response: httpx.Response) -> str:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    return str(body["issue"][0]["details"]["coding"][0]["code"])


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(tmp_path)), headers=DEFAULT_CLIENT.headers) as test_client:
        yield test_client


def test_post_deliver_and_acknowledge(client: TestClient, tmp_path: Path) -> None:
    response = client.post("/settlements", content=to_bytes(batch()), headers=JSON)
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["state"] == "queued" and response.headers["location"] == accepted["status_url"]
    status_path = httpx.URL(accepted["status_url"]).path
    sent = wait_for(lambda: (r := client.get(status_path).json())["state"] == "sent" and r, what="sent")
    assert sent["delivery"]["attempts"] == 1 and sent["delivery"]["deliveredAt"]
    assert sent["totals"] == {"billCount": 2, "sumClaimed": "40.00"}
    message = client.get(f"{status_path}/message")
    assert message.status_code == 200 and message.headers["content-type"].startswith("application/xml")
    dropped = tmp_path / "drop" / "79768" / f"{sent['msgId']}.xml"
    assert dropped.read_bytes() == message.content  # exactly the bytes that were stored and shown

    receipt = client.post("/apprec", content=apprec(sent["msgId"]), headers=XML)
    assert receipt.status_code == 200, receipt.text
    assert receipt.json()["state"] == "acknowledged" and receipt.json()["appRec"]["statusText"] == "ok"
    assert client.post("/apprec", content=apprec(sent["msgId"]), headers=XML).status_code == 200
    conflict = client.post("/apprec", content=apprec(sent["msgId"], 2, ("E1",)), headers=XML)
    assert conflict.status_code == 409 and code_of(conflict) == "APPREC_CONFLICT"
    assert client.get(status_path).json()["state"] == "acknowledged"


def test_rejected_apprec_keeps_its_error_codes(client: TestClient) -> None:
    accepted = client.post("/settlements", content=to_bytes(batch()), headers=JSON).json()
    receipt = client.post("/apprec", content=apprec(accepted["msgId"], 2, ("X12", "X13")), headers=XML)
    assert receipt.status_code == 200
    assert receipt.json()["state"] == "rejected" and receipt.json()["appRec"]["errorCodes"] == ["X12", "X13"]


def test_the_same_batch_posted_three_times_is_sent_once(client: TestClient, tmp_path: Path) -> None:
    body = to_bytes(batch())
    answers = [client.post("/settlements", content=body, headers=JSON) for _ in range(3)]
    assert [a.status_code for a in answers] == [202, 422, 422], answers[1].text
    first = answers[0].json()
    for again in answers[1:]:
        codes = [i["details"]["coding"][0]["code"] for i in again.json()["issue"]]
        assert codes == ["BATCH_EMPTY", "BILL_ALREADY_CLAIMED", "BILL_ALREADY_CLAIMED", "SETTLEMENT_STORED"]
        stored = client.get(httpx.URL(again.headers["location"]).path).json()
        assert stored["state"] == "refused" and stored["msgId"] is None
        assert [(b["code"], b["claimedBy"]) for b in stored["bills"]] == [("BILL_ALREADY_CLAIMED", first["id"])] * 2
    wait_for(lambda: client.get(f"/settlements/{first['id']}").json()["state"] == "sent", what="sent")
    time.sleep(0.3)  # several more polls of the outbox worker
    assert [p.name for p in (tmp_path / "drop" / "79768").iterdir()] == [f"{first['msgId']}.xml"]


def test_a_receipt_says_which_bill_failed_and_why(client: TestClient) -> None:
    accepted = client.post("/settlements", content=to_bytes(batch([bill(1), bill(2)])), headers=JSON).json()
    receipt = apprec(accepted["msgId"], 3, detailed=(("E17", "Ugyldig fødselsnummer", bill(2)["guid"]),))
    assert client.post("/apprec", content=receipt, headers=XML).status_code == 200
    state = client.get(f"/settlements/{accepted['id']}").json()
    assert state["appRec"]["errors"] == [{"code": "E17", "text": "Ugyldig fødselsnummer", "value": bill(2)["guid"],
                                          "system": "2.16.578.1.12.4.1.1.8221", "bills": ["/bills/1"]}]
    assert [b["status"] for b in state["bills"]] == ["accepted", "rejected"]
    assert state["bills"][1]["errors"][0]["text"] == "Ugyldig fødselsnummer"


def test_unknown_apprec_is_422(client: TestClient) -> None:
    response = client.post("/apprec", content=apprec("5f0c1c2e-7a7e-4a6e-9d8e-2b8f4c1d9a10"), headers=XML)
    assert response.status_code == 422 and code_of(response) == "APPREC_UNKNOWN_MESSAGE"
    assert client.post("/apprec", content=b"<x/>", headers=JSON).status_code == 415


def test_refused_batch_is_422_and_readable_afterwards(client: TestClient) -> None:
    bad = bill(2, patientSharePaid=True, exemptionCode="F")
    response = client.post("/settlements", content=to_bytes(batch([bill(1), bad], allOrNothing=True)),
                           headers=JSON)
    assert response.status_code == 422 and code_of(response) == "BATCH_REFUSED_ALL_OR_NOTHING"
    codes = [i["details"]["coding"][0]["code"] for i in response.json()["issue"]]
    assert "BILL_SHARE_PAID_DESPITE_EXEMPTION" in codes and "SETTLEMENT_STORED" in codes
    stored = client.get(httpx.URL(response.headers["location"]).path).json()
    assert stored["state"] == "refused" and stored["counts"] == {"included": 1, "refused": 1, "dropped": 0}
    assert client.get(f"/settlements/{stored['id']}/message").status_code == 404


def test_request_errors_are_operation_outcomes(tmp_path: Path) -> None:
    with TestClient(create_app(settings_for(tmp_path, max_settlement_bytes=2048)),
                    headers=DEFAULT_CLIENT.headers) as client:
        assert client.post("/settlements", content=b"{}", headers=XML).status_code == 415
        too_big = client.post("/settlements", content=b" " * 4096, headers=JSON)
        assert too_big.status_code == 413 and code_of(too_big) == "PAYLOAD_TOO_LARGE"
        unreadable = client.post("/settlements", content=b"{oops", headers=JSON)
        assert unreadable.status_code == 400
        missing = client.get("/settlements/nope")
        assert missing.status_code == 404 and code_of(missing) == "SETTLEMENT_NOT_FOUND"
        personal = client.post("/settlements", content=to_bytes(batch(accounting_type="standard")), headers=JSON)
        assert personal.status_code == 422 and code_of(personal) == "CERT_KIND_MISMATCH"  # only an enterprise one


def test_receiver_down_then_recovers(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, outbox_worker=False)
    up = threading.Event()
    posts: list[str] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        if not up.is_set():
            raise httpx.ConnectError("connection refused", request=request)
        posts.append(request.headers["x-message-id"])
        return httpx.Response(200)

    runtime = build_runtime(settings)
    clock = FixedClock(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))  # the service stamps real time
    assert runtime.settlements is not None
    transport = HttpTransport("http://receiver.test/", transport=httpx.MockTransport(receiver))
    worker = OutboxWorker(runtime.settlements.store, transport, policy=RetryPolicy(5, 4.0, 60.0), clock=clock,
                          jitter=lambda: 0.0)
    try:
        with TestClient(create_app(settings, runtime=runtime), headers=DEFAULT_CLIENT.headers) as client:
            accepted = client.post("/settlements", content=to_bytes(batch()), headers=JSON).json()
            assert worker.run_once() == 1
            state = client.get(f"/settlements/{accepted['id']}").json()
            assert state["state"] == "queued" and state["delivery"]["retrying"] is True
            assert state["delivery"]["attempts"] == 1
            assert state["delivery"]["lastError"].startswith("RECEIVER_UNREACHABLE")
            assert state["lastError"] == state["delivery"]["lastError"]
            clock.advance(2)
            assert worker.run_once() == 1
            assert client.get(f"/settlements/{accepted['id']}").json()["delivery"]["attempts"] == 2
            up.set()
            clock.advance(4)
            assert worker.run_once() == 1
            state = client.get(f"/settlements/{accepted['id']}").json()
            assert state["state"] == "sent" and state["delivery"]["attempts"] == 3
            assert posts == [accepted["msgId"]]
    finally:
        runtime.close()


# ------------------------------------------------------------------------ crash test

class _Receiver(BaseHTTPRequestHandler):
    counts: Counter[str]
    bodies: dict[str, bytes]
    lock: threading.Lock

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(length)
        msg_id = self.headers.get("x-message-id", "")
        with self.lock:
            self.counts[msg_id] += 1
            first = self.counts[msg_id] == 1
            if first:
                self.bodies[msg_id] = body
        self.send_response(200 if first else 409)  # 409: "already have it"
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Gateway:
    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        log = (tmp_path / f"gateway-{self.port}.log").open("wb")
        full_env = {**os.environ, **env, "NORDGATE_HOST": "127.0.0.1", "NORDGATE_PORT": str(self.port)}
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from gateway.cli import main; main()", "serve"],
            env=full_env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_for(self._healthy, 30.0, "the gateway to start")

    def _healthy(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the gateway exited with {self.process.returncode}")
        try:
            return httpx.get(f"{self.base}/healthz", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.mark.slow
def test_kill_9_while_queued_then_every_message_is_delivered_exactly_once(tmp_path: Path) -> None:
    counts: Counter[str] = Counter()
    bodies: dict[str, bytes] = {}
    handler = type("Receiver", (_Receiver,), {"counts": counts, "bodies": bodies, "lock": threading.Lock()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server_thread = threading.Thread(target=server.serve_forever, daemon=True)
    server_thread.start()
    receiver_url = f"http://127.0.0.1:{server.server_address[1]}/in"
    common = {
        "NORDGATE_DATABASE_URL": database_url_for(tmp_path), "NORDGATE_AR_DATA_DIR": str(AR_DATA),
        "NORDGATE_SIGNING_TRUST_ANCHORS": str(CA_PEM), "NORDGATE_ENTERPRISE_P12": str(ENTERPRISE_P12),
        "NORDGATE_ENTERPRISE_PASSWORD_FILE": str(PASSWORD_FILE), "NORDGATE_OUTBOX_POLL_S": "0.1",
        "NORDGATE_OUTBOX_BACKOFF_BASE_S": "0.2", "NORDGATE_OUTBOX_BACKOFF_MAX_S": "0.5",
        "NORDGATE_OUTBOX_LEASE_S": "2", "NORDGATE_OUTBOX_MAX_ATTEMPTS": "1000", "NORDGATE_TRANSPORT": "http",
        "NORDGATE_TRANSPORT_TIMEOUT_S": "2", "NORDGATE_DROP_DIR": str(tmp_path / "drop"),
    }
    gateways: list[_Gateway] = []
    try:
        # 1. The receiver is down (nothing listens on the port): messages are accepted and queued.
        down = _Gateway(tmp_path, {**common, "NORDGATE_TRANSPORT_URL": f"http://127.0.0.1:{_free_port()}/in"})
        gateways.append(down)
        ids: dict[str, str] = {}
        for n in range(5):
            response = httpx.post(f"{down.base}/settlements", content=to_bytes(batch([bill(n + 1)])),
                                  headers={**JSON, **DEFAULT_CLIENT.headers}, timeout=30.0)
            assert response.status_code == 202, response.text
            ids[response.json()["id"]] = response.json()["msgId"]

        def all_retrying() -> bool:
            states = [authed_get(f"{down.base}/settlements/{i}").json() for i in ids]
            return all(s["state"] == "queued" and s["delivery"]["attempts"] >= 1 for s in states)

        wait_for(all_retrying, 30.0, "every settlement to have failed a delivery attempt")
        down.kill()  # SIGKILL: no shutdown, leases held, nothing flushed by the app
        assert sum(counts.values()) == 0

        # 2. Restart with the receiver up: every queued message arrives, each exactly once.
        up = _Gateway(tmp_path, {**common, "NORDGATE_TRANSPORT_URL": receiver_url})
        gateways.append(up)

        def all_sent() -> bool:
            return all(authed_get(f"{up.base}/settlements/{i}").json()["state"] == "sent" for i in ids)

        wait_for(all_sent, 30.0, "every settlement to be sent after the restart")
        assert dict(counts) == {msg_id: 1 for msg_id in ids.values()}
        for settlement_id, msg_id in ids.items():
            assert bodies[msg_id] == authed_get(f"{up.base}/settlements/{settlement_id}/message").content
        up.kill()

        # 3. Killed and started again (directory drop now): nothing already sent is sent again.
        again = _Gateway(tmp_path, {**common, "NORDGATE_TRANSPORT": "directory"})
        gateways.append(again)
        time.sleep(1.0)  # ten poll rounds
        assert not (tmp_path / "drop").exists()
        assert dict(counts) == {msg_id: 1 for msg_id in ids.values()}
        assert all(authed_get(f"{again.base}/settlements/{i}").json()["state"] == "sent" for i in ids)
    finally:
        for gateway in gateways:
            gateway.kill()
        server.shutdown()
        server.server_close()
