"""A real gateway process against a receiver and an address register that are slow, failing and down.

- the receiver (:class:`tests.faults.receiver.FakeReceiver`) fails, drops the connection, answers
  too late: settlements stay ``queued`` with a visible state (retrying, attempts, last error, next
  attempt), are retried with a growing backoff, and once the receiver recovers each message is taken
  exactly once, with the stored bytes; the attempts the state shows are the attempts the receiver saw;
- the receiver refuses a message for good (400): ``failed`` at once, not retried;
- the address register (``nordgate ar-stub`` with ``/_control``) down, failing, timing out or
  answering garbage at submit time: ``POST /settlements`` answers 503 with the register's code as an
  OperationOutcome and ``Retry-After``, and nothing is stored; a single fault is absorbed by the
  client's retries; once the register is back the same batch is accepted and delivered once.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.database import database_url_for
from tests.faults.processes import AUTH, ArStub, Gateway, settlement_env, settlement_rows, wait_for
from tests.faults.receiver import FakeReceiver
from tests.gateway.settlement.service.helpers import HELFO, batch, bill, to_bytes

SUBMIT = {"content-type": "application/json", **AUTH}
BASE_S, MAX_S = 0.2, 1.6  # the gateway's backoff below: ceilings 0.2, 0.4, 0.8, 1.6, 1.6, …


def _state(client: httpx.Client, settlement_id: str) -> dict[str, Any]:
    response = client.get(f"/settlements/{settlement_id}", headers=AUTH)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _submit(client: httpx.Client, number: int) -> tuple[str, str]:
    response = client.post("/settlements", content=to_bytes(batch([bill(number)])), headers=SUBMIT)
    assert response.status_code == 202, response.text
    return response.json()["id"], response.json()["msgId"]


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _all_retrying_with(client: httpx.Client, ids: list[str], error: str, attempts: int) -> bool:
    """Every settlement still queued, shown as retrying with ``error`` after at least ``attempts``
    attempts, and a next attempt in its future."""
    for settlement_id in ids:
        state = _state(client, settlement_id)
        delivery = state["delivery"]
        if not (state["state"] == "queued" and delivery["retrying"] and delivery["attempts"] >= attempts
                and (delivery["lastError"] or "").startswith(error)):
            return False
        assert state["lastError"] == delivery["lastError"]
        assert delivery["deliveredAt"] is None
        assert _instant(delivery["nextAttemptAt"]) > _instant(state["updated"])
    return True


@pytest.mark.slow
def test_receiver_failing_down_and_slow_then_each_message_delivered_once(tmp_path: Path) -> None:
    receiver = FakeReceiver().start()
    receiver.set_mode("fail")
    env = settlement_env(tmp_path, database_url_for(tmp_path), NORDGATE_TRANSPORT="http",
                         NORDGATE_TRANSPORT_URL=receiver.url, NORDGATE_TRANSPORT_TIMEOUT_S="1",
                         NORDGATE_OUTBOX_LEASE_S="30", NORDGATE_OUTBOX_BACKOFF_BASE_S=str(BASE_S),
                         NORDGATE_OUTBOX_BACKOFF_MAX_S=str(MAX_S))
    gateway: Gateway | None = None
    try:
        gateway = Gateway(tmp_path, env)
        gateway.register_account(batch()["account"])
        with gateway.client() as client:
            submitted = [_submit(client, number) for number in (1, 2, 3)]
            ids = [settlement_id for settlement_id, _ in submitted]

            # 1. HTTP 500: queued, retrying, the error and the next attempt visible; backoff grows.
            wait_for(lambda: _all_retrying_with(client, ids, "RECEIVER_HTTP_500", 5), 20.0, "five failed attempts")
            for _, msg_id in submitted:
                arrivals = [attempt.at for attempt in receiver.attempts_of(msg_id)]
                for number, (earlier, later) in enumerate(itertools.pairwise(arrivals), start=1):
                    floor = min(MAX_S, BASE_S * 2 ** (number - 1)) / 2  # the jitter never goes below half
                    assert later - earlier >= floor * 0.95, (number, later - earlier, floor)

            # 2. The connection dropped without an answer.
            receiver.set_mode("down")
            wait_for(lambda: _all_retrying_with(client, ids, "RECEIVER_UNREACHABLE", 6), 20.0, "dropped attempts")

            # 3. Too slow: the receiver takes each message after the gateway has given up waiting.
            receiver.set_mode("slow", delay_s=1.5)
            wait_for(lambda: receiver.accepted.keys() == {m for _, m in submitted}, 30.0, "the slow receiver")
            wait_for(lambda: _all_retrying_with(client, ids, "RECEIVER_UNREACHABLE", 7)
                     and all("ReadTimeout" in _state(client, i)["lastError"] for i in ids), 15.0, "timed-out attempts")

            # 4. Recovered: the next attempt hears 409 "already have it", which counts as delivered.
            receiver.set_mode("ok")
            wait_for(lambda: all(_state(client, i)["state"] == "sent" for i in ids), 30.0, "every message sent")
            states = {msg_id: _state(client, settlement_id) for settlement_id, msg_id in submitted}
            stored = {msg_id: client.get(f"/settlements/{settlement_id}/message", headers=AUTH).content
                      for settlement_id, msg_id in submitted}
        assert receiver.accepted == stored  # each message taken once, exactly the signed bytes stored
        for msg_id, state in states.items():
            # The attempts the gateway shows are the attempts the receiver saw (slow ones included).
            wait_for(lambda m=msg_id, s=state: len(receiver.attempts_of(m)) == s["delivery"]["attempts"],  # type: ignore[misc]
                     5.0, "the receiver's count to match")
            seen = receiver.attempts_of(msg_id)
            assert [a.mode for a in seen if a.status in (200, 409)][-1] == "ok"
            assert sum(1 for a in seen if a.status == 200) == 1  # taken once; every later copy was a 409
            assert state["delivery"]["deliveredAt"] and state["delivery"]["retrying"] is False
    finally:
        if gateway is not None:
            gateway.kill()
        receiver.stop()


@pytest.mark.slow
def test_receiver_refusing_a_message_for_good_fails_it_without_retrying(tmp_path: Path) -> None:
    receiver = FakeReceiver().start()
    env = settlement_env(tmp_path, database_url_for(tmp_path), NORDGATE_TRANSPORT="http",
                         NORDGATE_TRANSPORT_URL=receiver.url)
    gateway: Gateway | None = None
    try:
        gateway = Gateway(tmp_path, env)
        gateway.register_account(batch()["account"])
        with gateway.client() as client:
            receiver.set_mode("reject", count=1)
            refused_id, refused_msg = _submit(client, 1)
            state = wait_for(lambda: (s := _state(client, refused_id))["state"] == "failed" and s, 15.0, "failed")
            assert state["delivery"]["attempts"] == 1 and state["delivery"]["retrying"] is False
            assert state["lastError"].startswith("TRANSPORT_REFUSED_400")
            # The receiver is fine again: the next message goes through, the refused one is not retried.
            accepted_id, accepted_msg = _submit(client, 2)
            wait_for(lambda: _state(client, accepted_id)["state"] == "sent", 15.0, "the next message sent")
            time.sleep(0.5)  # ten poll rounds more
        assert [a.status for a in receiver.attempts_of(refused_msg)] == [400]
        assert list(receiver.accepted) == [accepted_msg]
    finally:
        if gateway is not None:
            gateway.kill()
        receiver.stop()


def _code(response: httpx.Response) -> str:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    return str(body["issue"][0]["details"]["coding"][0]["code"])


@pytest.mark.slow
def test_register_unavailable_at_submit_is_503_with_retry_after_and_nothing_stored(tmp_path: Path) -> None:
    database_url = database_url_for(tmp_path)
    stub: ArStub | None = None
    gateway: Gateway | None = None
    try:
        stub = ArStub(tmp_path)
        env = settlement_env(tmp_path, database_url, NORDGATE_AR_ENDPOINT=stub.endpoint, NORDGATE_AR_TIMEOUT_S="1",
                             NORDGATE_AR_CACHE_TTL_S="0")
        del env["NORDGATE_AR_DATA_DIR"]  # the register over SOAP, not read in-process
        gateway = Gateway(tmp_path, env)
        gateway.register_account(batch()["account"])
        body = to_bytes(batch([bill(1)]))
        with gateway.client() as client:
            for mode, code in (("down", "AR_UNAVAILABLE"), ("fail", "AR_FAULT"), ("garbage", "AR_BAD_RESPONSE"),
                               ("slow", "AR_TIMEOUT")):
                stub.set_mode(mode, delay_s=2.0 if mode == "slow" else 0.0)
                response = client.post("/settlements", content=body, headers=SUBMIT)
                assert response.status_code == 503, (mode, response.text)
                assert _code(response) == code, mode
                assert int(response.headers["retry-after"]) > 0
                assert settlement_rows(database_url) == 0, f"{mode}: something was stored"
            # One fault is absorbed by the register client's own retries.
            stub.set_mode("fail", count=1)
            answered = stub.state()["answered"]
            response = client.post("/settlements", content=body, headers=SUBMIT)
            assert response.status_code == 202, response.text
            assert stub.state()["answered"] > answered + 1  # the failed call and the ones after it
            # And the register back for good: another batch is accepted too (the same one would be
            # refused now: its bill is claimed).
            again = client.post("/settlements", content=to_bytes(batch([bill(2)])), headers=SUBMIT)
            assert again.status_code == 202, again.text
            msg_ids = {response.json()["msgId"], again.json()["msgId"]}
            wait_for(lambda: all(_state(client, r.json()["id"])["state"] == "sent" for r in (response, again)),
                     15.0, "both delivered")
        assert settlement_rows(database_url) == 2
        assert {path.stem for path in (tmp_path / "drop" / HELFO).glob("*.xml")} == msg_ids
    finally:
        if gateway is not None:
            gateway.kill()
        if stub is not None:
            stub.kill()
