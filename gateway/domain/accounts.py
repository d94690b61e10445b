"""An accounting setup (regnskap) as the gateway keeps it. It belongs to the organisation number on it
(the tenant); its accounting type decides who may make it (``gateway/accounts/service.py``)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from gateway.domain.settlement import AccountingType

__all__ = ["AccountRecord"]


@dataclass(frozen=True, slots=True)
class AccountRecord:
    id: str
    accounting_type: AccountingType
    organisation_number: str
    account_number: str
    sender_her_id: str
    owner: str
    message_type: str
    name: str | None
    created_by: str
    created: str
    updated: str

    def with_changes(self, **changes: Any) -> AccountRecord:
        return dataclasses.replace(self, **changes)

    def body(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> AccountRecord:
        return cls(**{**body, "accounting_type": AccountingType(body["accounting_type"])})
