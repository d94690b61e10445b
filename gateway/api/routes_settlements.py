"""HELFO settlements over HTTP.

- ``POST /settlements`` (application/json batch): 202 ``{"id", "state", "status_url"}`` with a
  ``Location`` header once the signed message and its outbox row are on disk. 400/413/415 for an
  unreadable body, 422 for a batch or certificate the rules refuse (``CERT_KIND_MISMATCH`` when the
  gateway only signs with the other kind, ``SENDER_SIGNER_MISMATCH`` when the certificate is not the
  sender's), 503 when the address register is down or the gateway has no signer at all
  (``SIGNER_NOT_CONFIGURED``). A
  batch refused as a whole (``BATCH_EMPTY``, ``BATCH_REFUSED_ALL_OR_NOTHING``) is stored as
  ``refused``: the 422 OperationOutcome lists every finding and its ``Location`` header names the
  stored settlement, where each bill's verdict can be read. A bill an earlier settlement has sent
  (and HELFO has not rejected) is refused ``BILL_ALREADY_CLAIMED``; when that leaves no bill, the
  batch is ``BATCH_EMPTY`` and nothing is signed.
- ``GET /settlements/{id}``: state, timestamps, msg id, each bill's verdict, totals, delivery
  attempts and last error, AppRec outcome with every error's code, text and offending value; each
  sent bill's ``status`` (queued, sent, failed, accepted, rejected), HELFO's ``errors`` about it and
  its ``claim`` (held, released).
- ``GET /settlements/{id}/message``: the signed MsgHead exactly as stored and sent.
- ``POST /apprec`` (application/xml AppRec 1.0): the receiver's receipt, matched by OriginalMsgId.
  ``application/pkcs7-mime`` (DER, PEM or S/MIME) takes CMS signed data holding the AppRec, or
  enveloped data encrypted for this gateway, which is first decrypted with the gateway's own key
  (``decryption_p12``) and may hold either. Signed, the signature, the certificate and its
  organisation are checked (:meth:`~gateway.settlement.service.SettlementService.record_apprec`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from gateway.accounts.binding import batch_authoriser, settlement_organisation
from gateway.api.audit_middleware import note_resource
from gateway.api.guard import principal_of, require_scope
from gateway.api.media import XML_TYPES, require_media_type
from gateway.api.openapi_docs import ok_as, raw_body
from gateway.api.outcome import outcome_response
from gateway.api.routes_bookings import read_limited_body
from gateway.auth.tenancy import may_see
from gateway.bootstrap.runtime import Runtime
from gateway.domain.access import Scope
from gateway.primitives.errors import Issue, MalformedInput, NotFound, TransientError, UnsupportedMediaType
from gateway.settlement.service import BatchRefused, SettlementService, needs_decryption
from gateway.settlement.view import settlement_json

__all__ = ["router"]

router = APIRouter()
JSON_TYPES = ("application/json",)
ENCRYPTED_TYPES = ("application/pkcs7-mime",)


def _service(request: Request) -> tuple[Runtime, SettlementService]:
    runtime: Runtime = request.app.state.runtime
    if runtime.settlements is None:
        raise TransientError("SETTLEMENTS_NOT_CONFIGURED", "this gateway runs without the settlement service")
    return runtime, runtime.settlements


def _own_settlement(request: Request, service: SettlementService, settlement_id: str) -> None:
    """Another tenant's settlement is 404 SETTLEMENT_NOT_FOUND, exactly as an unknown one."""
    if not may_see(principal_of(request), settlement_organisation(service.store.batch(settlement_id))):
        raise NotFound("SETTLEMENT_NOT_FOUND", f"no settlement {settlement_id}")


def _idempotency_key(request: Request) -> str | None:
    """``Idempotency-Key``, scoped to the calling client: a retry of a submission whose answer was lost
    returns the settlement it made instead of signing the batch again."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    if not (0 < len(key) <= 200 and key.isascii() and key.isprintable()):
        raise MalformedInput("IDEMPOTENCY_KEY_INVALID", "Idempotency-Key must be 1 to 200 printable ASCII characters",
                             location="header Idempotency-Key")
    return f"{principal_of(request).client_id}\n{key}"


def _status_url(request: Request, settlement_id: str) -> str:
    return str(request.url_for("get_settlement", settlement_id=settlement_id))


@router.post("/settlements", status_code=202, summary="Submit a batch of bill cards for HELFO settlement",
             responses={202: {"description": "accepted: signed and queued for delivery"},
                        400: {"description": "unreadable"}, 413: {"description": "too large"},
                        415: {"description": "not JSON"}, 422: {"description": "refused"},
                        503: {"description": "AR down or signer not configured"}},
             openapi_extra=raw_body(JSON_TYPES, schema={"type": "object"},
                                    description="a settlement batch (schemas/settlement-batch.schema.json)"),
             dependencies=[require_scope(Scope.SETTLEMENTS_SUBMIT)])
async def submit_settlement(request: Request) -> Response:
    runtime, service = _service(request)
    require_media_type(request.headers.get("content-type"), JSON_TYPES)
    body = await read_limited_body(request, runtime.settings.max_settlement_bytes)
    # Tenant and account are checked on the parsed batch, before anything is stored or signed.
    authorise = batch_authoriser(runtime.accounts.store if runtime.accounts else None, principal_of(request),
                                 required=runtime.settings.accounts_required)
    key = _idempotency_key(request)
    try:
        record = await run_in_threadpool(service.submit, body, authorise=authorise, idempotency_key=key)
    except BatchRefused as refused:
        note_resource(request, "Settlement", refused.settlement_id, state="refused")
        location = _status_url(request, refused.settlement_id or "")
        note = Issue("SETTLEMENT_STORED", f"the refused batch is stored with its verdicts at {location}")
        response = outcome_response(refused.http_status, refused.code, refused.message,
                                    issues=[*refused.issues, note])
        response.headers["location"] = location
        return response
    status_url = _status_url(request, record.id)
    note_resource(request, "Settlement", record.id, message_id=record.msg_id, state=record.state.value)
    return JSONResponse({"id": record.id, "state": record.state.value, "status_url": status_url,
                         "msgId": record.msg_id}, status_code=202, headers={"location": status_url})


@router.get("/settlements/{settlement_id}", name="get_settlement", summary="A settlement's state and verdicts",
            dependencies=[require_scope(Scope.SETTLEMENTS_SUBMIT)])
def get_settlement(settlement_id: str, request: Request) -> JSONResponse:
    _, service = _service(request)
    _own_settlement(request, service, settlement_id)
    return JSONResponse(settlement_json(service.status(settlement_id)))


@router.get("/settlements/{settlement_id}/message", summary="The signed message exactly as sent",
            response_class=Response, responses=ok_as("application/xml", "the signed MsgHead"),
            dependencies=[require_scope(Scope.SETTLEMENTS_SUBMIT)])
def get_settlement_message(settlement_id: str, request: Request) -> Response:
    _, service = _service(request)
    _own_settlement(request, service, settlement_id)
    return Response(service.message(settlement_id), media_type="application/xml")


@router.post("/apprec", summary="Record the receiver's AppRec 1.0 for a sent settlement",
             responses={200: {"description": "recorded (or the same outcome again)"},
                        409: {"description": "a different outcome is already recorded"},
                        422: {"description": "unknown OriginalMsgId; bad signature or signer not the sender"}},
             openapi_extra=raw_body((*XML_TYPES, *ENCRYPTED_TYPES), description="an AppRec 1.0 message, signed "
                                    "(CMS signed data), encrypted for this gateway (CMS enveloped data), or both"),
             # HELFO's receipts come through the integration platform, not from a tenant.
             dependencies=[require_scope(Scope.APPREC_POST)])
async def post_apprec(request: Request) -> JSONResponse:
    runtime, service = _service(request)
    content_type = request.headers.get("content-type")
    require_media_type(content_type, (*XML_TYPES, *ENCRYPTED_TYPES))
    body = await read_limited_body(request, runtime.settings.max_body_bytes)
    cms = (content_type or "").split(";", 1)[0].strip().lower() in ENCRYPTED_TYPES
    if cms and await run_in_threadpool(needs_decryption, body):
        if runtime.apprec_decryptor is None:
            raise UnsupportedMediaType("APPREC_DECRYPTION_NOT_CONFIGURED", "this gateway holds no decryption key "
                                       "(NORDGATE_DECRYPTION_P12); send the AppRec unencrypted")
        body = await run_in_threadpool(runtime.apprec_decryptor.decrypt, body)
    record = await run_in_threadpool(service.record_apprec, body)
    note_resource(request, "Settlement", record.id, message_id=record.msg_id, state=record.state.value)
    return JSONResponse(settlement_json(record))
