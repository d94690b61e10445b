"""The port of the account store (SQLite and PostgreSQL in ``gateway/store/accounts.py``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from gateway.domain.accounts import AccountRecord

__all__ = ["AccountStore"]


class AccountStore(Protocol):
    def add(self, record: AccountRecord) -> None: ...

    def get(self, account_id: str) -> AccountRecord | None: ...

    def of_organisations(self, organisations: Iterable[str] | None) -> list[AccountRecord]:
        """Accounts of these organisation numbers (None: every account), by organisation and id."""
        ...

    def update(self, record: AccountRecord) -> None: ...

    def delete(self, account_id: str) -> bool: ...

    def close(self) -> None: ...
