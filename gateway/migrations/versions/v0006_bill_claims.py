"""Bill claims: every bill a settlement sent, so that it is never claimed from HELFO twice.

One row per included bill of a signed settlement (``position`` is the bill's index in its batch),
written in the same transaction as the settlement and its outbox row. Two partial unique indexes
are the rule itself, decided by the database whichever process inserts:

- ``bill_claim_by_number``: one live claim per practitioner (HPR), RegningNr and kind;
- ``bill_claim_by_guid``: one live claim per bill GUID and kind.

``kind`` is ``debit`` (an ordinary bill) or ``credit`` (``Kreditering`` true), so a sent bill may be
credited once. A claim HELFO rejected gets ``released`` (when) and ``released_by`` (the AppRec id)
and no longer counts: the same RegningNr may be sent again, as NAV allows for a rejected bill.
Released rows stay as the history of what was sent.

Settlements signed before this revision are claimed here from their stored batch and verdicts (all
but rejected and refused ones), the oldest first; where the old code had already sent a bill twice,
the first settlement keeps the claim.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_SQLITE = (
    """CREATE TABLE IF NOT EXISTS bill_claim (
    settlement_id TEXT NOT NULL REFERENCES settlement (id), position INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('debit', 'credit')), guid TEXT NOT NULL, hpr TEXT NOT NULL,
    bill_number TEXT NOT NULL, released TEXT, released_by TEXT, PRIMARY KEY (settlement_id, position))""",
    "CREATE UNIQUE INDEX IF NOT EXISTS bill_claim_by_number ON bill_claim (hpr, bill_number, kind) "
    "WHERE released IS NULL",
    "CREATE UNIQUE INDEX IF NOT EXISTS bill_claim_by_guid ON bill_claim (guid, kind) WHERE released IS NULL",
)

_POSTGRES = (
    """CREATE TABLE IF NOT EXISTS bill_claim (
    settlement_id TEXT COLLATE "C" NOT NULL REFERENCES settlement (id), position INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('debit', 'credit')), guid TEXT COLLATE "C" NOT NULL,
    hpr TEXT COLLATE "C" NOT NULL, bill_number TEXT COLLATE "C" NOT NULL, released TEXT COLLATE "C",
    released_by TEXT, PRIMARY KEY (settlement_id, position))""",
    "CREATE UNIQUE INDEX IF NOT EXISTS bill_claim_by_number ON bill_claim (hpr, bill_number, kind) "
    "WHERE released IS NULL",
    "CREATE UNIQUE INDEX IF NOT EXISTS bill_claim_by_guid ON bill_claim (guid, kind) WHERE released IS NULL",
)

#: States whose bills HELFO has or may have: everything signed except what it rejected as a whole.
_CLAIMING_STATES = ("queued", "sent", "acknowledged", "acknowledged-with-errors", "failed")


def _guid_key(guid: str) -> str:
    # Same normalisation as gateway/settlement/claims.py: braces and letter case do not make another bill.
    return guid.strip().strip("{}").lower()


def _claims_of(settlement_id: str, batch: bytes, verdicts: bytes) -> Iterator[dict[str, Any]]:
    try:
        bills = orjson.loads(batch)["bills"]
        judged = orjson.loads(verdicts)
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return
    for position, (bill, verdict) in enumerate(zip(bills, judged, strict=False)):
        if verdict.get("verdict") != "included" or not isinstance(bill, dict):
            continue
        guid, number, hpr = bill.get("guid"), bill.get("billNumber"), bill.get("practitionerHpr")
        if isinstance(guid, str) and isinstance(number, str) and isinstance(hpr, str):
            yield {"sid": settlement_id, "pos": position, "kind": "credit" if bill.get("credit") is True else "debit",
                   "guid": _guid_key(guid), "hpr": hpr, "num": number}


def _claim_earlier_settlements() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT id, batch, verdicts FROM settlement WHERE state IN :states ORDER BY created, id"
    ).bindparams(sa.bindparam("states", expanding=True)), {"states": list(_CLAIMING_STATES)})
    insert = sa.text("INSERT INTO bill_claim (settlement_id, position, kind, guid, hpr, bill_number) "
                     "VALUES (:sid, :pos, :kind, :guid, :hpr, :num) ON CONFLICT DO NOTHING")
    for settlement_id, batch, verdicts in rows.fetchall():
        claims = list(_claims_of(settlement_id, bytes(batch), bytes(verdicts)))
        if claims:
            bind.execute(insert, claims)


def upgrade() -> None:
    statements = _POSTGRES if op.get_bind().dialect.name == "postgresql" else _SQLITE
    for statement in statements:
        op.execute(statement)
    _claim_earlier_settlements()


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS bill_claim_by_guid")
    op.execute("DROP INDEX IF EXISTS bill_claim_by_number")
    op.execute("DROP TABLE IF EXISTS bill_claim")
