"""An accounting setup (regnskap) as the gateway keeps it, and what a client sends to make or change one.

An account belongs to the organisation number on it (the tenant). Its accounting type decides who
may make it (the clinic system's guide to municipal settlements): only a clinic administrator makes a *fellesoppgjør*
account and is its
owner; a standard or *enkeltoppgjør* account names its owner (the practitioner who signs).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from gateway.domain.accounts import AccountRecord
from gateway.domain.settlement import AccountingType

__all__ = ["AccountChange", "AccountInput", "account_json"]

_ORGNR = r"^[0-9]{9}$"
_BANK_ACCOUNT = r"^[0-9]{11}$"
_HER_ID = r"^[0-9]{1,9}$"
_MESSAGE_TYPE = r"^[A-Z]{2,10}$"


class AccountInput(BaseModel):
    """``POST /accounts``: the account's fields as in a settlement batch's ``account``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    accountingType: AccountingType  # noqa: N815 - the JSON names of the batch format
    organisationNumber: str = Field(pattern=_ORGNR, description="the clinic's (doctors) or municipality's "  # noqa: N815
                                    "(physiotherapy) organisation number: the tenant")
    accountNumber: str = Field(pattern=_BANK_ACCOUNT, description="bank account paid into")  # noqa: N815
    senderHerId: str = Field(pattern=_HER_ID, description="HER-id the settlement is sent from")  # noqa: N815
    owner: str | None = Field(default=None, min_length=1, max_length=100,
                              description="standard/enkeltoppgjør: who owns it; fellesoppgjør: set by the gateway "
                                          "to the clinic administrator's client id")
    messageType: str | None = Field(default=None, pattern=_MESSAGE_TYPE, description="MsgInfo/Type; default by "  # noqa: N815
                                    "accounting type, as in a batch (LOM for doctors, POM for physiotherapy)")
    name: str | None = Field(default=None, min_length=1, max_length=100, description="a label for people")


class AccountChange(BaseModel):
    """``PATCH /accounts/{id}``: type and organisation number never change (make a new account)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    accountNumber: str | None = Field(default=None, pattern=_BANK_ACCOUNT)  # noqa: N815
    senderHerId: str | None = Field(default=None, pattern=_HER_ID)  # noqa: N815
    owner: str | None = Field(default=None, min_length=1, max_length=100)
    messageType: str | None = Field(default=None, pattern=_MESSAGE_TYPE)  # noqa: N815
    name: str | None = Field(default=None, min_length=1, max_length=100)


def account_json(record: AccountRecord) -> dict[str, Any]:
    """The API's view: the batch format's names plus id, owner and times."""
    return {"id": record.id, "accountingType": record.accounting_type.value,
            "organisationNumber": record.organisation_number, "accountNumber": record.account_number,
            "senderHerId": record.sender_her_id, "owner": record.owner, "messageType": record.message_type,
            "name": record.name, "createdBy": record.created_by, "created": record.created,
            "updated": record.updated}
