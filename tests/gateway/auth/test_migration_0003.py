"""Migration 0003: the account table, and facility tokens for AppointmentResponses stored before."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from gateway.primitives.database_url import parse_database_url
from gateway.store import migrate

UNIT = "SE2321000131-E000000000001"


def test_old_answers_get_their_appointments_unit(tmp_path: Path) -> None:
    url = parse_database_url(f"sqlite:///{tmp_path / 'old.db'}")
    migrate.upgrade(url, "0002")
    with sqlite3.connect(url.sqlite_path) as db:
        db.executemany("INSERT INTO search_token VALUES (?,?,?,?)", [
            ("Appointment", "a1", "facility", UNIT), ("AppointmentResponse", "r1", "appointment", "a1"),
            ("AppointmentResponse", "r2", "appointment", "gone")])
    migrate.upgrade(url, "0003")
    with sqlite3.connect(url.sqlite_path) as db:
        rows = db.execute("SELECT id, value FROM search_token WHERE resource_type = 'AppointmentResponse' "
                          "AND name = 'facility'").fetchall()
        assert rows == [("r1", UNIT)]
        assert db.execute("SELECT count(*) FROM account").fetchone() == (0,)
