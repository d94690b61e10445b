"""Which account a settlement batch is sent from, and whose a stored settlement is.

A batch names its account with ``accountId`` and still carries the account's fields inline (the
message is built from them). Before anything is stored or signed:

- the inline organisation number must be one of the caller's tenants (403 ``TENANT_FORBIDDEN``);
- ``accountId``, when given, must be a registered account of the caller's tenants (422
  ``ACCOUNT_UNKNOWN``: another tenant's account is not told apart from none) and the inline fields
  that reach the message must agree with it (422 ``ACCOUNT_MISMATCH``, one issue per field);
- without ``accountId`` and with ``accounts_required`` (the default) the inline account must match
  a registered one exactly, so a draft from ``GET /group-appointments/{id}/bills`` stays postable
  as it is; no match is 422 ``ACCOUNT_UNKNOWN``.

The owner is not compared: in a batch it is a display name, on a fellesoppgjør account the clinic
administrator's client id, and it does not reach the message.
"""

from __future__ import annotations

from collections.abc import Callable

import orjson

from gateway.auth.tenancy import may_see
from gateway.domain.access import Principal
from gateway.domain.accounts import AccountRecord
from gateway.domain.settlement import Account, SettlementBatch
from gateway.ports.accounts import AccountStore
from gateway.primitives.errors import Forbidden, Issue, Unprocessable

__all__ = ["batch_authoriser", "settlement_organisation"]

# (batch field, JSON name, account field): what reaches the BehandlerKrav / MsgHead.
_COMPARED = (("accounting_type", "accountingType", "accounting_type"),
             ("organisation_number", "organisationNumber", "organisation_number"),
             ("account_number", "accountNumber", "account_number"),
             ("sender_her_id", "senderHerId", "sender_her_id"),
             ("message_type", "messageType", "message_type"))


def _differences(inline: Account, registered: AccountRecord) -> list[Issue]:
    issues = []
    for batch_field, json_name, account_field in _COMPARED:
        sent, kept = getattr(inline, batch_field), getattr(registered, account_field)
        if str(sent) != str(kept):
            issues.append(Issue("ACCOUNT_MISMATCH", f"{json_name} is {sent!s} here but {kept!s} on account "
                                f"{registered.id}", f"/account/{json_name}"))
    return issues


def batch_authoriser(store: AccountStore | None, principal: Principal, *,
                     required: bool) -> Callable[[SettlementBatch], None]:
    def authorise(batch: SettlementBatch) -> None:
        organisation = batch.account.organisation_number
        if not may_see(principal, organisation):
            raise Forbidden("TENANT_FORBIDDEN", f"this client may not settle for organisation {organisation}",
                            location="/account/organisationNumber")
        if batch.account_id is not None:
            registered = store.get(batch.account_id) if store is not None else None
            if registered is None or not may_see(principal, registered.organisation_number):
                raise Unprocessable("ACCOUNT_UNKNOWN", f"no account {batch.account_id}", location="/accountId")
            issues = _differences(batch.account, registered)
            if issues:
                raise Unprocessable("ACCOUNT_MISMATCH", f"the batch's account does not agree with account "
                                    f"{registered.id}", location=issues[0].location, issues=issues)
            return
        if not required:
            return
        candidates = store.of_organisations([organisation]) if store is not None else []
        if not any(not _differences(batch.account, known) for known in candidates):
            raise Unprocessable("ACCOUNT_UNKNOWN", f"no registered account of organisation {organisation} matches "
                                "this batch's account; register it (POST /accounts) and name it with accountId",
                                location="/accountId")

    return authorise


def settlement_organisation(batch: bytes | None) -> str | None:
    """The organisation number a stored settlement was sent for (its tenant), from its batch."""
    if batch is None:
        return None
    try:
        document = orjson.loads(batch)
        value = document["account"]["organisationNumber"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return None
    return value if isinstance(value, str) else None
