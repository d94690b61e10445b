"""Two real processes push the same messages at the same moment to one PostgreSQL database: every
booking ends at version 1, and both processes answered each message with the same bytes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gateway.bootstrap.stores import open_store
from tests.conftest import REPO

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PUSHER = """
import hashlib, json, sys, time
from pathlib import Path
from gateway.bootstrap.inbound import booking_ingest
from gateway.bootstrap.stores import open_store
from gateway.fhir.mappings import load_mappings
from gateway.primitives.resources import mappings_dir
from tests.adapters.inbound.crm_scheduling.messages import make_booking, timeslot

url, folder, name = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
store = open_store(url, pool_size=2)
ingest = booking_ingest(store, load_mappings(mappings_dir()), base_url="http://x/fhir")
bodies = [make_booking(timeslot(f"B-{n}")) for n in range(25)]
(folder / f"{name}.ready").touch()
while not (folder / "go").exists():
    time.sleep(0.005)
answers = {n: hashlib.sha256(ingest.push(body, source="pas").body).hexdigest() for n, body in enumerate(bodies)}
store.close()
print(json.dumps(answers))
"""


def test_two_processes_pushing_the_same_bookings_at_once(postgres_url: str, tmp_path: Path) -> None:
    processes = [subprocess.Popen([sys.executable, "-c", PUSHER, postgres_url, str(tmp_path), name], cwd=REPO,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in ("a", "b")]
    try:
        deadline = time.monotonic() + 60
        while not all((tmp_path / f"{name}.ready").exists() for name in ("a", "b")):
            assert time.monotonic() < deadline, "the pushing processes did not start"
            assert all(process.poll() is None for process in processes), processes[0].stderr
            time.sleep(0.02)
        (tmp_path / "go").touch()
        outputs = [process.communicate(timeout=120) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    for process, (_, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
    first, second = (json.loads(stdout) for stdout, _ in outputs)
    assert first == second  # the same answer, byte for byte, whichever process stored it
    store = open_store(postgres_url, pool_size=1)
    try:
        page = store.search("Appointment", [], count=100, offset=0)
        assert page.total == 25 and {item.version_id for item in page.items} == {1}
        assert all(store.read_version("Appointment", item.id, 2) is None for item in page.items)
    finally:
        store.close()
