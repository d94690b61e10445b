"""kill -9 of a real gateway in the middle of a stream of booking pushes and settlement submissions.

Each round starts ``nordgate serve`` on a fresh database (SQLite file, or a PostgreSQL schema with
``NORDGATE_TEST_DATABASE_URL``), lets client threads push distinct MakeBooking messages and submit
settlement batches without pause, SIGKILLs the server at a seeded random moment, starts it again on
the same database and drop folder, and proves:

- every booking answered 200 is stored: its Appointment version reads back, and the same message
  pushed again answers byte for byte what was acknowledged (the receipt was committed with it);
- the requests the kill cut off are sent again after the restart, as a client must (the booking as
  it was, the settlement with the same ``Idempotency-Key``): then the stored Appointments are exactly
  the distinct messages acknowledged, and the stored settlements exactly the ones acknowledged;
- every settlement answered 202 is delivered exactly once: the set of messages the receiver got is
  exactly the set of settlements in the database (none missing, none unknown), each with the stored
  signed bytes. Even rounds deliver over HTTP to a receiver that counts every copy per
  ``X-Message-Id`` (at most one repeat in all: the single message the killed worker may have been
  handing over); odd rounds through the directory drop (exactly one ``<msg-id>.xml`` per settlement).

Ten rounds with different kill moments make "the crash test passes ten times in a row".
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson
import pytest
from benchmarks._messages import make_booking

from tests.database import database_url_for
from tests.faults.processes import AUTH, Gateway, settlement_env, stored_msg_ids, wait_for
from tests.faults.receiver import FakeReceiver
from tests.gateway.settlement.service.helpers import HELFO, batch, bill, to_bytes

ROUNDS = 10
BOOKING_THREADS = 3
SETTLEMENT_THREADS = 2
PUSH = {"content-type": "application/xml", "x-nordgate-source": "pas", **AUTH}
SUBMIT = {"content-type": "application/json", **AUTH}


@dataclass
class Load:
    """What the clients saw; every list is appended to under ``lock``."""

    killed: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    bookings: list[tuple[bytes, bytes]] = field(default_factory=list)  # (message, acknowledged answer)
    settlements: dict[str, str] = field(default_factory=dict)  # settlement id → msg id (202)
    # Requests cut off by the kill: the client does not know whether they were stored.
    in_doubt_bookings: list[bytes] = field(default_factory=list)
    in_doubt_settlements: list[tuple[str, bytes]] = field(default_factory=list)  # (Idempotency-Key, batch)
    errors: list[str] = field(default_factory=list)  # anything wrong before the kill

    def cut_off(self, what: str, exc: Exception) -> bool:
        """Whether the failed request is in doubt because of the kill (else it is an error)."""
        with self.lock:
            if not self.killed.is_set():
                self.errors.append(f"{what}: {type(exc).__name__}: {exc}")
            return self.killed.is_set()


def _push_bookings(base: str, load: Load, worker: int, round_number: int) -> None:
    with httpx.Client(base_url=base, timeout=30.0) as client:
        index = worker
        while not load.stop.is_set():
            message = make_booking(index, prefix=f"CRASH{round_number}")
            index += BOOKING_THREADS
            try:
                response = client.post("/bookings", content=message, headers=PUSH)
            except httpx.HTTPError as exc:
                if load.cut_off("booking", exc):
                    with load.lock:
                        load.in_doubt_bookings.append(message)
                return
            with load.lock:
                if response.status_code == 200:
                    load.bookings.append((message, response.content))
                elif not load.killed.is_set():
                    load.errors.append(f"booking {response.status_code}: {response.text[:300]}")


def _submit_settlements(base: str, load: Load, worker: int, round_number: int) -> None:
    with httpx.Client(base_url=base, timeout=30.0) as client:
        number = 1 + worker * 100_000
        while not load.stop.is_set():
            body = to_bytes(batch([bill(number)]))
            key = f"crash-{round_number}-{number}"
            number += 1
            try:
                response = client.post("/settlements", content=body, headers={**SUBMIT, "idempotency-key": key})
            except httpx.HTTPError as exc:
                if load.cut_off("settlement", exc):
                    with load.lock:
                        load.in_doubt_settlements.append((key, body))
                return
            with load.lock:
                if response.status_code == 202:
                    accepted = response.json()
                    load.settlements[accepted["id"]] = accepted["msgId"]
                elif not load.killed.is_set():
                    load.errors.append(f"settlement {response.status_code}: {response.text[:300]}")


def _appointments(answer: bytes) -> list[tuple[str, str]]:
    bundle = orjson.loads(answer)
    return [(entry["resource"]["id"], entry["resource"]["meta"]["versionId"]) for entry in bundle["entry"]
            if entry["resource"]["resourceType"] == "Appointment"]


def _check_bookings(client: httpx.Client, load: Load) -> None:
    for message, answer in load.bookings:
        appointments = _appointments(answer)
        assert appointments, "an acknowledged MakeBooking answered no Appointment"
        for appointment_id, version in appointments:
            read = client.get(f"/fhir/Appointment/{appointment_id}/_history/{version}", headers=AUTH)
            assert read.status_code == 200, f"acknowledged Appointment/{appointment_id} v{version} lost: {read.text}"
        again = client.post("/bookings", content=message, headers=PUSH)
        assert again.status_code == 200 and again.content == answer, "an acknowledged push is not replayed as it was"


def _retry_in_doubt(client: httpx.Client, load: Load) -> None:
    """What a client does after the restart with the requests it got no answer to: send them again
    (the booking as it was, the settlement with the same Idempotency-Key)."""
    for message in load.in_doubt_bookings:
        response = client.post("/bookings", content=message, headers=PUSH)
        assert response.status_code == 200, response.text
        load.bookings.append((message, response.content))
    for key, body in load.in_doubt_settlements:
        response = client.post("/settlements", content=body, headers={**SUBMIT, "idempotency-key": key})
        assert response.status_code == 202, response.text
        load.settlements[response.json()["id"]] = response.json()["msgId"]


def _check_settlements(client: httpx.Client, load: Load, stored: dict[str, str]) -> None:
    acknowledged = set(load.settlements.values())
    assert acknowledged == stored.keys(), (f"acknowledged but not stored: {sorted(acknowledged - stored.keys())}; "
                                           f"stored but never acknowledged: {sorted(stored.keys() - acknowledged)}")
    for settlement_id in load.settlements:
        state = client.get(f"/settlements/{settlement_id}", headers=AUTH).json()
        assert state["state"] == "sent" and state["delivery"]["attempts"] >= 1, state


def _messages_of(client: httpx.Client, stored: dict[str, str]) -> dict[str, bytes]:
    messages = {}
    for msg_id, settlement_id in stored.items():
        response = client.get(f"/settlements/{settlement_id}/message", headers=AUTH)
        assert response.status_code == 200
        messages[msg_id] = response.content
    return messages


def _drop_files(drop: Path) -> dict[str, list[Path]]:
    """msg id → the delivered files named for it; temporary files of an interrupted write (dot files)
    are not deliveries and are left out."""
    files: dict[str, list[Path]] = {}
    if drop.exists():
        for path in sorted(drop.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                files.setdefault(path.stem, []).append(path)
    return files


@pytest.mark.slow
@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_kill_9_under_load_loses_and_duplicates_nothing(tmp_path: Path, round_number: int) -> None:
    rng = random.Random(6_0007 + round_number)
    over_http = round_number % 2 == 0
    database_url = database_url_for(tmp_path)
    receiver = FakeReceiver().start()
    transport = {"NORDGATE_TRANSPORT": "http", "NORDGATE_TRANSPORT_URL": receiver.url,
                 "NORDGATE_TRANSPORT_TIMEOUT_S": "5"} if over_http else {"NORDGATE_TRANSPORT": "directory"}
    env = settlement_env(tmp_path, database_url, **transport)
    load = Load()
    threads: list[threading.Thread] = []
    gateways: list[Gateway] = []
    began = time.monotonic()
    phases: dict[str, float] = {}
    try:
        first = Gateway(tmp_path, env)
        gateways.append(first)
        first.register_account(batch()["account"])
        threads = [threading.Thread(target=_push_bookings, args=(first.base, load, n, round_number), daemon=True)
                   for n in range(BOOKING_THREADS)]
        threads += [threading.Thread(target=_submit_settlements, args=(first.base, load, n, round_number), daemon=True)
                    for n in range(SETTLEMENT_THREADS)]
        phases["start"] = time.monotonic() - began
        for thread in threads:
            thread.start()
        # A random moment, but not before both streams have been acknowledged at least once.
        time.sleep(rng.uniform(0.2, 1.5))
        wait_for(lambda: load.bookings and load.settlements, 20.0, "the first acknowledgements")
        with load.lock:
            load.killed.set()
        first.kill()
        load.stop.set()
        for thread in threads:
            thread.join(timeout=35)
        assert not any(thread.is_alive() for thread in threads), "a client thread hung"
        assert load.errors == [], load.errors[:5]

        phases["load"] = time.monotonic() - began - sum(phases.values())
        second = Gateway(tmp_path, env)
        gateways.append(second)
        phases["restart"] = time.monotonic() - began - sum(phases.values())
        with second.client() as client:
            # Settlements the kill cut off after their commit: stored, but their sender never heard.
            committed_unanswered = len(stored_msg_ids(database_url).keys() - set(load.settlements.values()))
            assert committed_unanswered <= len(load.in_doubt_settlements)
            _retry_in_doubt(client, load)
            _check_bookings(client, load)
            total = client.get("/fhir/Appointment", params={"_count": "1"}, headers=AUTH).json()["total"]
            assert total == len(load.bookings), "stored Appointments differ from the distinct messages acknowledged"
            phases["bookings"] = time.monotonic() - began - sum(phases.values())
            stored = stored_msg_ids(database_url)
            if over_http:
                wait_for(lambda: receiver.accepted.keys() >= stored.keys(), 30.0, "every stored settlement delivered")
            else:
                wait_for(lambda: _drop_files(tmp_path / "drop").keys() >= stored.keys(), 30.0,
                         "every stored settlement dropped")
            wait_for(lambda: all(client.get(f"/settlements/{i}", headers=AUTH).json()["state"] == "sent"
                                 for i in stored.values()), 30.0, "every settlement marked sent")
            _check_settlements(client, load, stored)
            messages = _messages_of(client, stored)
        if over_http:
            assert receiver.accepted == messages, "the receiver did not get exactly the stored messages"
            # Only the one message the killed worker may have been handing over can come twice, and
            # the receiver recognised it by its message id.
            assert sum(receiver.duplicates.values()) <= 1, receiver.duplicates
        else:
            files = _drop_files(tmp_path / "drop")
            assert files.keys() == messages.keys(), "the drop holds other messages than the stored ones"
            for msg_id, paths in files.items():
                assert paths == [tmp_path / "drop" / HELFO / f"{msg_id}.xml"], paths
                assert paths[0].read_bytes() == messages[msg_id]
        print(f"round {round_number}: {len(load.bookings)} bookings and {len(load.settlements)} settlements "
              f"acknowledged; in flight at the kill: {len(load.in_doubt_bookings)} + {len(load.in_doubt_settlements)} "
              f"({committed_unanswered} settlements committed); {len(stored)} stored; receiver duplicates "
              f"{sum(receiver.duplicates.values())}; seconds: "
              + ", ".join(f"{name} {spent:.1f}" for name, spent in phases.items())
              + f", settlements {time.monotonic() - began - sum(phases.values()):.1f}")
    finally:
        load.stop.set()
        for gateway in gateways:
            gateway.kill()
        for thread in threads:
            thread.join(timeout=5)
        receiver.stop()
