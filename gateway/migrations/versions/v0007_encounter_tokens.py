"""Encounter search by ``class``, ``type`` and ``service-provider``: tokens for Encounters stored before.

Search tokens are written with each version (gateway/fhir/tokens.py), so Encounters stored before
this revision have none of the three. They get here what can be read from the stored record without
the gateway's mappings folder:

- ``class`` (``v3-ActCode|AMB``) and ``class.value`` (``AMB``/``VR``): the contact mode;
- ``service-provider.value``: the unit's HSA-id or organisation number;
- ``type.value``: the source system's visit-type code.

The identifier systems of the unit and the mapped visit-type codings come from the mappings, which
a migration does not load: ``service-provider=system|value`` and ``type=system|code`` find such an
Encounter once a new version of it is stored (the next message about it); searches by value alone
find every Encounter at once.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
_NAMES = ("class", "class.value", "service-provider.value", "type.value")


def _tokens(encounter_id: str, record: dict[str, Any]) -> Iterator[dict[str, str]]:
    def token(name: str, value: object) -> dict[str, str]:
        return {"id": encounter_id, "name": name, "value": str(value)}

    if record.get("contact_mode"):
        yield token("class", f"{_ACT_CODE}|{record['contact_mode']}")
        yield token("class.value", record["contact_mode"])
    unit = record.get("unit") or {}
    if unit.get("value"):
        yield token("service-provider.value", unit["value"])
    if record.get("visit_type_code"):
        yield token("type.value", record["visit_type_code"])


def upgrade() -> None:
    bind = op.get_bind()
    missing = sa.text(
        "SELECT r.id, r.record FROM resource r WHERE r.resource_type = 'Encounter' AND NOT EXISTS ("
        "SELECT 1 FROM search_token t WHERE t.resource_type = 'Encounter' AND t.id = r.id AND t.name = 'class')")
    insert = sa.text("INSERT INTO search_token (resource_type, id, name, value) "
                     "VALUES ('Encounter', :id, :name, :value)")
    batch: list[dict[str, str]] = []
    for encounter_id, record in bind.execute(missing):
        batch += _tokens(encounter_id, orjson.loads(bytes(record)))
        if len(batch) >= 1000:
            bind.execute(insert, batch)
            batch = []
    if batch:
        bind.execute(insert, batch)


def downgrade() -> None:
    bind = op.get_bind()
    bind.execute(sa.text("DELETE FROM search_token WHERE resource_type = 'Encounter' AND name IN "
                         "('class', 'class.value', 'service-provider.value', 'type.value')"))
