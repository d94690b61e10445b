"""The settlement service: a batch in, a durable queued settlement out; AppRecs in, outcomes recorded.

:meth:`SettlementService.submit` parses the batch, runs the rules, looks sender and receiver up in
the address register, checks the signer's certificate, builds, validates and signs the MsgHead
(:func:`~gateway.settlement.compose.compose_signed`) and stores the settlement together with its
outbox row in one transaction: when it returns, the settlement is on disk and will be delivered.

What is stored when:

- unreadable or invalid batch (4xx from :func:`~gateway.settlement.batch.parse_batch`): nothing;
- a readable batch the rules refuse as a whole (``BATCH_EMPTY``, ``BATCH_REFUSED_ALL_OR_NOTHING``),
  also when that is because its bills are already claimed: stored in state ``refused`` with every
  bill's verdict, and :class:`BatchRefused` (422) names its id, so the sender can read the verdicts
  again later; nothing is signed;
- AR, signer or certificate problems (422/503): nothing; the same batch can be sent again;
- otherwise: state ``queued`` with the signed message, the outbox row, verdicts, totals and a claim
  on every bill it carries (:mod:`gateway.settlement.claims`), all in one transaction.

Claims are made after signing, in the transaction that stores the settlement, and not reserved
before signing: a crash can then never leave a claim without its settlement (the bills blocked for
good) nor a settlement without its claims (the bills free to be sent twice), and no reservation
needs expiring. The price is a signature thrown away when two submissions of the same bills race;
to keep that to real races, the claims already held are read first and those bills refused
before anything is signed. That read decides nothing: the unique indexes do. When the store finds
some claims held after all (:class:`~gateway.domain.settlement_records.ClaimsHeld`), those bills are
refused ``BILL_ALREADY_CLAIMED``, the plan is made again from the rest and signed again. Every such
round refuses at least one more bill, so the loop ends; a round that met a claim released in the
meantime stores again as it was, a bounded number of times.

An AppRec is recorded with every error whole and the bills each one names
(:mod:`gateway.settlement.receipts`); the claims of the bills HELFO rejected are released in the
same transaction. A signed AppRec (CMS signed data) is recorded only when its signature verifies
and its signer is the organisation it came from (:meth:`SettlementService.record_apprec`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from cryptography import x509

from adapters.outbound.apprec import AppRec, AppRecStatus, parse_apprec
from adapters.outbound.cms import content_type_of, looks_like_cms
from adapters.outbound.signed_data import SignedMessage, open_signed_data
from adapters.outbound.signing.binding import SENDER_SIGNER_MISMATCH, organisation_issue
from adapters.outbound.signing.certificates import classify, describe, organisation_number
from gateway.audit.events import record_signed
from gateway.audit.recorder import AuditRecorder
from gateway.domain.parties import CertificateKind
from gateway.domain.settlement import BillVerdict, SettlementBatch, SettlementPlan
from gateway.domain.settlement_records import ClaimsHeld, NewSettlement, SettlementRecord, SettlementState
from gateway.ports.outbound import AddressRegister, Signer
from gateway.ports.settlement import SettlementStore
from gateway.primitives.clock import instant
from gateway.primitives.errors import Conflict, Issue, NotFound, TransientError, Unprocessable
from gateway.primitives.request_id import current_request_id
from gateway.settlement.batch import DEFAULT_MAX_BATCH_BYTES, parse_batch
from gateway.settlement.claims import PlanRefused, claims_of, narrowed, refusals
from gateway.settlement.compose import REFUSAL_CODES, compose_signed, verdicts_of_refusal
from gateway.settlement.receipts import outcome_of, rejected_positions, sent_bills
from gateway.settlement.rules import check
from gateway.settlement.view import totals_bytes, verdicts_bytes

__all__ = ["APPREC_STATES", "BatchRefused", "SettlementService", "needs_decryption"]

APPREC_STATES = {
    AppRecStatus.OK: SettlementState.ACKNOWLEDGED,
    AppRecStatus.REJECTED: SettlementState.REJECTED,
    AppRecStatus.OK_WITH_ERRORS: SettlementState.ACKNOWLEDGED_WITH_ERRORS,
}


class BatchRefused(Unprocessable):
    """The rules refused the whole batch; it is stored (state ``refused``) as ``settlement_id``."""

    settlement_id: str | None = None


#: Rounds that met a claim released before its holder could be named, before giving up (503).
_MAX_STALLS = 3

#: Settlement ids of requests with an ``Idempotency-Key`` are uuid5 of the (client-scoped) key in this namespace.
_IDEMPOTENCY_NAMESPACE = uuid.UUID("6b1f1d1e-5f0e-4c38-9a57-2f3c0e7d9a41")


def needs_decryption(body: bytes) -> bool:
    """Whether a body sent as ``application/pkcs7-mime`` must be decrypted before
    :meth:`SettlementService.record_apprec`: everything but CMS signed data, which also travels
    unencrypted (damaged CMS too, so that the decryption names what is wrong with it)."""
    return content_type_of(body) != "signed_data"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SettlementService:
    def __init__(self, store: SettlementStore, *, register: AddressRegister | None,
                 signers: Mapping[CertificateKind, Signer], reference_dir: Path | None = None,
                 processing_status: str = "P", max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES,
                 max_apprec_bytes: int = 5 * 1024 * 1024, clock: Callable[[], dt.datetime] = _now,
                 on_queued: Callable[[], None] | None = None, audit: AuditRecorder | None = None,
                 apprec_trust_anchors: Sequence[x509.Certificate] = (), require_signed_apprec: bool = False) -> None:
        self.store = store
        self._audit = audit  # settlement.sign rows (certificate subject and serial, never the key)
        self._register = register
        self._signers = dict(signers)
        self._reference_dir = reference_dir
        self._processing_status = processing_status
        self._max_batch_bytes = max_batch_bytes
        self._max_apprec_bytes = max_apprec_bytes
        self._clock = clock
        self._on_queued = on_queued
        # A signed AppRec's certificate must chain to these; none means it is trusted by nothing.
        self._apprec_trust_anchors = list(apprec_trust_anchors)
        self._require_signed_apprec = require_signed_apprec

    def submit(self, body: bytes, *, authorise: Callable[[SettlementBatch], None] | None = None,
               idempotency_key: str | None = None) -> SettlementRecord:
        """Accept a batch (module docstring); returns the stored settlement (state ``queued``).
        ``authorise`` may refuse the parsed batch (tenant, account) before anything is stored.
        With ``idempotency_key`` the settlement's id is derived from the key: the same key and batch
        again (a client retrying an answer it never got) returns that settlement, nothing new is
        signed or stored; the same key with another batch is 409 ``IDEMPOTENCY_KEY_REUSED``."""
        batch = parse_batch(body, max_bytes=self._max_batch_bytes)
        if authorise is not None:
            authorise(batch)
        if idempotency_key is None:
            settlement_id = str(uuid.uuid4())
        else:
            settlement_id = str(uuid.uuid5(_IDEMPOTENCY_NAMESPACE, idempotency_key))
            if (earlier := self._earlier(settlement_id, body)) is not None:
                return earlier
        try:
            plan = check(batch)
        except Unprocessable as refusal:
            if refusal.code not in REFUSAL_CODES:
                raise
            return self._refuse(settlement_id, body, refusal, verdicts_of_refusal(batch, refusal),
                                idempotency_key=idempotency_key)
        if self._register is None:
            raise TransientError("AR_NOT_CONFIGURED", "no address register is configured (NORDGATE_AR_ENDPOINT "
                                 "or NORDGATE_AR_DATA_DIR)")
        return self._claim_and_store(settlement_id, body, plan, self._register, idempotency_key)

    def _claim_and_store(self, settlement_id: str, body: bytes, plan: SettlementPlan, register: AddressRegister,
                         idempotency_key: str | None) -> SettlementRecord:
        """Sign and store ``plan`` with its claims, refusing the bills already claimed (module docstring)."""
        claims = claims_of(plan)
        held = self.store.held_claims(claims)
        # With an idempotency key, claims under our own id mean the key's other request stored them.
        if (idempotency_key is not None and any(h.settlement_id == settlement_id for h in held)
                and (earlier := self._earlier(settlement_id, body)) is not None):
            return earlier
        claimed_by: dict[int, str] = {}
        refused = refusals(claims, held, settlement_id=settlement_id)
        stalls = 0
        while True:
            claimed_by.update({p: r.settlement_id for p, r in refused.items() if r.settlement_id is not None})
            narrow = narrowed(plan, refused)
            if isinstance(narrow, PlanRefused):
                refusal = Unprocessable(narrow.code, narrow.message, issues=list(narrow.issues))
                return self._refuse(settlement_id, body, refusal, narrow.verdicts, claimed_by=claimed_by,
                                    idempotency_key=idempotency_key)
            if narrow is not plan:
                plan, claims = narrow, claims_of(narrow)
            signed = compose_signed(plan, register=register, signers=self._signers, at=self._clock(),
                                    reference_dir=self._reference_dir, processing_status=self._processing_status)
            if self._audit is not None:
                record_signed(self._audit, settlement_id, signed, self._signers[plan.signer_kind])
            try:
                self.store.add(NewSettlement(settlement_id, SettlementState.QUEUED, body,
                                             verdicts_bytes(plan.verdicts, claimed_by=claimed_by),
                                             totals=totals_bytes(plan.totals), msg_id=signed.msg_id,
                                             message=signed.xml, receiver_her_id=signed.receiver_her_id,
                                             request_id=current_request_id()),
                               now=instant(signed.signed_at), claims=claims)
            except ClaimsHeld as conflict:
                refused = refusals(claims, conflict.held, settlement_id=settlement_id)
                stalls = stalls if refused else stalls + 1
                if stalls >= _MAX_STALLS:
                    raise TransientError("BILL_CLAIMS_CONTENDED", "the bills of this batch are being claimed and "
                                         "released by other settlements at this moment; send it again") from None
                continue
            except Exception:
                # The same idempotency key in two requests at once: the other one stored it first.
                if idempotency_key is None or (earlier := self._earlier(settlement_id, body)) is None:
                    raise
                return earlier
            break
        if self._on_queued is not None:
            self._on_queued()
        return self.status(settlement_id)

    def _refuse(self, settlement_id: str, body: bytes, refusal: Unprocessable, verdicts: tuple[BillVerdict, ...], *,
                claimed_by: dict[int, str] | None = None, idempotency_key: str | None) -> SettlementRecord:
        """Store a batch refused as a whole and raise :class:`BatchRefused` naming it; or, when the
        same idempotency key's other request stored it first, answer as :meth:`_earlier` does."""
        try:
            self.store.add(NewSettlement(settlement_id, SettlementState.REFUSED, body,
                                         verdicts_bytes(verdicts, claimed_by=claimed_by), error_code=refusal.code,
                                         request_id=current_request_id()),
                           now=instant(self._clock()))
        except Exception:
            if idempotency_key is None or (earlier := self._earlier(settlement_id, body)) is None:
                raise
            return earlier
        refused = BatchRefused(refusal.code, refusal.message, issues=refusal.issues)
        refused.settlement_id = settlement_id
        raise refused from None

    def _earlier(self, settlement_id: str, body: bytes) -> SettlementRecord | None:
        """The settlement an earlier request with the same idempotency key stored, or None."""
        record = self.store.get(settlement_id)
        if record is None:
            return None
        if self.store.batch(settlement_id) != body:
            raise Conflict("IDEMPOTENCY_KEY_REUSED", f"this Idempotency-Key was used for another batch (settlement "
                           f"{settlement_id})", location="header Idempotency-Key")
        if record.state is SettlementState.REFUSED:
            refused = BatchRefused(record.error_code or "BATCH_REFUSED", "the batch sent with this Idempotency-Key "
                                   "was refused as a whole; its verdicts are stored")
            refused.settlement_id = settlement_id
            raise refused
        return record

    def status(self, settlement_id: str) -> SettlementRecord:
        record = self.store.get(settlement_id)
        if record is None:
            raise NotFound("SETTLEMENT_NOT_FOUND", f"no settlement {settlement_id}")
        return record

    def message(self, settlement_id: str) -> bytes:
        message = self.store.message(settlement_id)
        if message is None:
            self.status(settlement_id)  # 404 for an unknown id first
            raise NotFound("SETTLEMENT_NOT_SIGNED", f"settlement {settlement_id} has no signed message")
        return message

    def record_apprec(self, body: bytes) -> SettlementRecord:
        """Match an AppRec to its settlement by OriginalMsgId and record the outcome, with every
        error's code, text and offending value and the bills it names; release the claims of the
        bills HELFO rejected. The same outcome again is accepted (idempotent); a different one for
        the same message is 409 (compared on status and error codes).

        ``body`` is the AppRec XML or CMS signed data holding it (what is left of a sign-then-encrypt
        receipt once decrypted). Signed, the signature and certificate are checked
        (:func:`~adapters.outbound.signed_data.open_signed_data`) and the certificate must be an
        enterprise certificate of the organisation the address register gives for the party the
        settlement went to, else 422 ``SENDER_SIGNER_MISMATCH``. Plain XML is taken unless signed
        AppRecs are required (422 ``APPREC_SIGNATURE_MISSING``)."""
        signed = self._open_signed(body)
        apprec = parse_apprec(body if signed is None else signed.content, max_bytes=self._max_apprec_bytes)
        msg_id = apprec.original_msg_id
        known = self.store.by_msg_id(msg_id)
        if known is None:
            raise Unprocessable("APPREC_UNKNOWN_MESSAGE", f"no settlement was sent with MsgId {msg_id}",
                                message_id=msg_id, location="/AppRec/OriginalMsgId/Id")
        _check_sender(apprec, known)
        if signed is not None:
            self._check_signer(signed, apprec, known)
        bills = sent_bills(known.verdicts)
        outcome = outcome_of(apprec, bills)
        record, changed = self.store.record_apprec(msg_id, outcome, APPREC_STATES[apprec.status],
                                                   now=instant(self._clock()),
                                                   release=rejected_positions(outcome, bills))
        if record is None:  # pragma: no cover - the row was there a moment ago; rows are never deleted
            raise Unprocessable("APPREC_UNKNOWN_MESSAGE", f"no settlement was sent with MsgId {msg_id}",
                                message_id=msg_id)
        if changed:
            return record
        recorded = record.apprec
        if recorded is None:
            raise Conflict("APPREC_STATE_CONFLICT", f"settlement {record.id} is {record.state.value} and takes no "
                           "AppRec", message_id=msg_id)
        if (recorded.status, recorded.error_codes) != (outcome.status, outcome.error_codes):
            raise Conflict("APPREC_CONFLICT", f"an AppRec with status {recorded.status} is already recorded for "
                           f"MsgId {msg_id}; this one says {outcome.status}", message_id=msg_id)
        return record


    def _open_signed(self, body: bytes) -> SignedMessage | None:
        """The verified signed data ``body`` is, or None for a plain AppRec (when one is taken)."""
        if looks_like_cms(body):
            return open_signed_data(body, trust_anchors=self._apprec_trust_anchors, at=self._clock())
        if self._require_signed_apprec:
            raise Unprocessable("APPREC_SIGNATURE_MISSING", "this gateway takes only signed AppRecs (CMS signed data, "
                                "NORDGATE_APPREC_REQUIRE_SIGNATURE); this one is not signed")
        return None

    def _check_signer(self, signed: SignedMessage, apprec: AppRec, record: SettlementRecord) -> None:
        """The signer must speak for the party the settlement went to: an enterprise certificate whose
        organisation number is the one the address register gives for that HER-id (its parent's when
        it has none of its own, as for a sender's ENH in :mod:`~gateway.settlement.compose`)."""
        her_id = record.receiver_her_id or apprec.sender.effective_her_id
        if her_id is None:
            raise Unprocessable(SENDER_SIGNER_MISMATCH, "neither the settlement nor the AppRec names the AppRec's "
                                "sender, so its signer cannot be bound to it", message_id=apprec.original_msg_id)
        if self._register is None:
            raise TransientError("AR_NOT_CONFIGURED", "no address register is configured (NORDGATE_AR_ENDPOINT or "
                                 "NORDGATE_AR_DATA_DIR) to tell the signed AppRec's sender organisation")
        try:
            party = self._register.communication_party(her_id)
        except NotFound:
            raise Unprocessable("RECEIVER_NOT_IN_AR", f"the AppRec's sender HER-id {her_id} is not in the address "
                                "register, so its signer cannot be bound to it", her_id=her_id,
                                message_id=apprec.original_msg_id) from None
        registered = party.organization_number or party.parent_organization_number
        where = f"the address register for the AppRec's sender HER-id {her_id} ({party.name})"
        kind = classify(signed.signer)
        if kind is CertificateKind.ENTERPRISE:
            issue = organisation_issue(organisation_number(signed.signer), {where: registered})
        else:
            issue = Issue(SENDER_SIGNER_MISMATCH, f"the AppRec is signed with a {kind.value if kind else 'unknown'} "
                          f"certificate ({describe(signed.signer).subject}), which speaks for no organisation; "
                          f"{where}: {registered or 'none'}. A receipt is signed with its sender's enterprise "
                          "certificate")
        if issue is not None:
            raise Unprocessable(issue.code, issue.message, message_id=apprec.original_msg_id, her_id=her_id,
                                issues=[issue])


def _check_sender(apprec: AppRec, record: SettlementRecord) -> None:
    """A receipt must come from the party the message went to, when it names itself."""
    named = sorted(h for h in (apprec.sender.her_id, apprec.sender.department_her_id) if h)
    if named and record.receiver_her_id is not None and record.receiver_her_id not in named:
        raise Unprocessable("APPREC_SENDER_MISMATCH", f"the AppRec comes from HER-id {', '.join(named)} but "
                            f"MsgId {apprec.original_msg_id} went to {record.receiver_her_id}",
                            message_id=apprec.original_msg_id, her_id=record.receiver_her_id)
