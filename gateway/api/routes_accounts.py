"""Accounting setups over HTTP (rules in :mod:`gateway.accounts.service`).

- ``POST /accounts``: make one; 201 with the account. A fellesoppgjør account needs
  ``accounts:clinic-admin`` and is owned by the caller; standard/enkeltoppgjør need
  ``accounts:admin`` (or the clinic administrator's scope) and name their owner.
- ``GET /accounts``: the accounts of the caller's tenants; ``GET /accounts/{id}``: one (404 for
  another tenant's). Settlement senders (``settlements:submit``) may read them to find their id.
- ``PATCH /accounts/{id}``: change bank account, sender HER-id, message type, owner (not of a
  fellesoppgjør account) or name; ``DELETE /accounts/{id}``: 204. Settlements already sent keep
  their own copy of the account.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from gateway.accounts.model import AccountChange, AccountInput, account_json
from gateway.accounts.service import AccountService
from gateway.api.guard import require_scope
from gateway.api.query_parameters import only_parameters
from gateway.domain.access import Principal, Scope
from gateway.primitives.errors import TransientError

__all__ = ["router"]

router = APIRouter(prefix="/accounts", tags=["accounts"], dependencies=[only_parameters()])

_ADMIN = require_scope(Scope.ACCOUNTS_ADMIN, Scope.CLINIC_ADMIN)
_READ = require_scope(Scope.ACCOUNTS_ADMIN, Scope.CLINIC_ADMIN, Scope.SETTLEMENTS_SUBMIT)
Admin = Annotated[Principal, _ADMIN]
Reader = Annotated[Principal, _READ]


def _service(request: Request) -> AccountService:
    service: AccountService | None = request.app.state.runtime.accounts
    if service is None:
        raise TransientError("ACCOUNTS_NOT_CONFIGURED", "this gateway runs without the account store")
    return service


@router.post("", status_code=201, summary="Register an accounting setup (regnskap)",
             responses={201: {"description": "the account"}})
async def create_account(account: AccountInput, request: Request, principal: Admin) -> JSONResponse:
    record = await run_in_threadpool(_service(request).create, principal, account)
    location = str(request.url_for("get_account", account_id=record.id))
    return JSONResponse(account_json(record), status_code=201, headers={"location": location})


@router.get("", summary="The accounts of the caller's tenants")
def list_accounts(request: Request, principal: Reader) -> JSONResponse:
    return JSONResponse({"accounts": [account_json(record) for record in _service(request).visible(principal)]})


@router.get("/{account_id}", name="get_account", summary="One account")
def get_account(account_id: str, request: Request, principal: Reader) -> JSONResponse:
    return JSONResponse(account_json(_service(request).get(principal, account_id)))


@router.patch("/{account_id}", summary="Change an account (not its type or organisation)")
def change_account(account_id: str, change: AccountChange, request: Request, principal: Admin) -> JSONResponse:
    return JSONResponse(account_json(_service(request).change(principal, account_id, change)))


@router.delete("/{account_id}", status_code=204, summary="Remove an account", response_class=Response,
               responses={204: {"description": "removed"}})
def delete_account(account_id: str, request: Request, principal: Admin) -> Response:
    _service(request).remove(principal, account_id)
    return Response(status_code=204)

