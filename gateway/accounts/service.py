"""The rules of accounts (the clinic system's guide to municipal settlements), for one authenticated caller.

- An account belongs to its organisation number: a caller makes, sees, changes and removes only
  accounts of its tenants; another tenant's account is 404, as if it did not exist.
- Only the clinic administrator (scope ``accounts:clinic-admin``) makes or changes a
  *fellesoppgjør* account, and becomes its owner: the owner is the caller's client id, never a
  name sent in the request (422 ``ACCOUNT_OWNER_FIXED``).
- A standard or *enkeltoppgjør* account is made with ``accounts:admin`` (or by the clinic
  administrator) and names its owner (422 ``ACCOUNT_OWNER_MISSING`` without one).
- Organisation and bank account numbers must pass their mod-11 checks, and the same account
  (organisation, type, bank account, sender HER-id) is not registered twice (409 ``ACCOUNT_EXISTS``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from gateway.accounts.model import AccountChange, AccountInput
from gateway.auth.tenancy import may_see, require_tenant, sees_all
from gateway.domain.access import Principal, Scope
from gateway.domain.accounts import AccountRecord
from gateway.domain.settlement import AccountingType, default_message_type
from gateway.ports.accounts import AccountStore
from gateway.primitives.errors import Conflict, Forbidden, NotFound, Unprocessable
from gateway.primitives.identifiers import is_valid_bank_account, is_valid_orgnr

__all__ = ["AccountService"]


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _may_manage(principal: Principal, accounting_type: AccountingType) -> None:
    if accounting_type.is_joint:
        if not principal.has_scope(Scope.CLINIC_ADMIN):
            raise Forbidden("ACCOUNT_CLINIC_ADMIN_ONLY", f"only the clinic administrator ({Scope.CLINIC_ADMIN}) may "
                            f"make or change a {accounting_type.value} account")
    elif not (principal.has_scope(Scope.ACCOUNTS_ADMIN) or principal.has_scope(Scope.CLINIC_ADMIN)):
        raise Forbidden("SCOPE_MISSING", f"this request needs the scope {Scope.ACCOUNTS_ADMIN} or {Scope.CLINIC_ADMIN}")


def _check_numbers(account_number: str | None, organisation_number: str | None = None) -> None:
    if organisation_number is not None and not is_valid_orgnr(organisation_number):
        raise Unprocessable("ORGNR_CHECK_DIGIT", f"{organisation_number!r} is not a valid organisation number "
                            "(mod 11)", location="/organisationNumber")
    if account_number is not None and not is_valid_bank_account(account_number):
        raise Unprocessable("ACCOUNT_NUMBER_CHECK_DIGIT", f"{account_number!r} is not a valid Norwegian bank "
                            "account number (mod 11)", location="/accountNumber")


class AccountService:
    def __init__(self, store: AccountStore, *, clock: Callable[[], str] = _now) -> None:
        self.store = store
        self._clock = clock

    def create(self, principal: Principal, wanted: AccountInput) -> AccountRecord:
        require_tenant(principal, wanted.organisationNumber, "organisation")
        _may_manage(principal, wanted.accountingType)
        _check_numbers(wanted.accountNumber, wanted.organisationNumber)
        if wanted.accountingType.is_joint:
            if wanted.owner is not None and wanted.owner != principal.client_id:
                raise Unprocessable("ACCOUNT_OWNER_FIXED", "a fellesoppgjør account is owned by the clinic "
                                    "administrator who makes it; leave owner out", location="/owner")
            owner = principal.client_id
        elif wanted.owner is None:
            raise Unprocessable("ACCOUNT_OWNER_MISSING", f"a {wanted.accountingType.value} account names its owner",
                                location="/owner")
        else:
            owner = wanted.owner
        for known in self.store.of_organisations([wanted.organisationNumber]):
            if (known.accounting_type, known.account_number, known.sender_her_id) == (
                    wanted.accountingType, wanted.accountNumber, wanted.senderHerId):
                raise Conflict("ACCOUNT_EXISTS", f"this account is registered already as {known.id}")
        now = self._clock()
        record = AccountRecord(str(uuid.uuid4()), wanted.accountingType, wanted.organisationNumber,
                               wanted.accountNumber, wanted.senderHerId, owner,
                               wanted.messageType or default_message_type(wanted.accountingType), wanted.name,
                               principal.client_id, now, now)
        self.store.add(record)
        return record

    def visible(self, principal: Principal) -> list[AccountRecord]:
        return self.store.of_organisations(None if sees_all(principal) else principal.tenants)

    def get(self, principal: Principal, account_id: str) -> AccountRecord:
        record = self.store.get(account_id)
        if record is None or not may_see(principal, record.organisation_number):
            raise NotFound("ACCOUNT_NOT_FOUND", f"no account {account_id}")
        return record

    def change(self, principal: Principal, account_id: str, change: AccountChange) -> AccountRecord:
        record = self.get(principal, account_id)
        _may_manage(principal, record.accounting_type)
        _check_numbers(change.accountNumber)
        if change.owner is not None and record.accounting_type.is_joint and change.owner != record.owner:
            raise Unprocessable("ACCOUNT_OWNER_FIXED", "a fellesoppgjør account's owner is the clinic administrator "
                                "who made it", location="/owner")
        updates = {"account_number": change.accountNumber, "sender_her_id": change.senderHerId,
                   "owner": change.owner, "message_type": change.messageType, "name": change.name}
        changed = record.with_changes(**{name: value for name, value in updates.items() if value is not None},
                                      updated=self._clock())
        self.store.update(changed)
        return changed

    def remove(self, principal: Principal, account_id: str) -> None:
        record = self.get(principal, account_id)
        _may_manage(principal, record.accounting_type)
        self.store.delete(account_id)
