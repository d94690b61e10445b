"""The claim rule: HELFO is asked to pay for a bill once.

Every bill a settlement sends is claimed under two keys, and no two live claims share either:

- the practitioner's HPR number, the RegningNr and the kind;
- the bill's GUID (braces and letter case do not make another bill) and the kind.

The kind is ``debit`` for an ordinary bill and ``credit`` for a bill with ``Kreditering`` true, so a
sent bill may be credited once and not twice. A claim lives from the moment its settlement is
stored (queued) until HELFO rejects the bill: AppRec status 2 rejects the whole message, status 3
the bills its errors point at (:mod:`gateway.settlement.receipts`). NAV's rule is that a rejected bill
"kan korrigeres og sendes inn med samme regningsnummer", so a released claim no longer counts.

A bill whose key is held is refused ``BILL_ALREADY_CLAIMED`` naming the settlement that holds it;
the rest of the batch goes on, under the batch's own rules (``allOrNothing``, ``BATCH_EMPTY``).
This module is pure: the store keeps the claims and the unique indexes decide between processes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from gateway.domain.settlement import BillVerdict, SettlementPlan, Verdict, canonical_guid
from gateway.domain.settlement_records import BillClaim, ClaimKind, HeldClaim
from gateway.primitives.errors import Issue
from gateway.settlement.rules import totals_of

__all__ = ["ALREADY_CLAIMED", "ClaimRefusal", "PlanRefused", "claims_of", "narrowed", "refusals"]

ALREADY_CLAIMED: Final = "BILL_ALREADY_CLAIMED"


def claims_of(plan: SettlementPlan) -> tuple[BillClaim, ...]:
    """The claims a settlement of ``plan`` makes: one per included bill, at the bill's position."""
    return tuple(
        BillClaim(p.bill.index, ClaimKind.CREDIT if p.bill.credit else ClaimKind.DEBIT, canonical_guid(p.bill.guid),
                  p.practitioner.hpr, p.bill.bill_number)
        for p in plan.included)


@dataclass(frozen=True, slots=True)
class ClaimRefusal:
    """Why the bill at ``position`` cannot be claimed; ``settlement_id`` holds the claim (None: an
    earlier bill of the same batch does)."""

    position: int
    reason: str
    settlement_id: str | None = None


def _what(claim: BillClaim) -> str:
    credit = "a credit of " if claim.kind is ClaimKind.CREDIT else ""
    return f"{credit}RegningNr {claim.bill_number} of practitioner {claim.hpr} (GUID {claim.guid})"


def _keys(claim: BillClaim) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return ("number", claim.kind.value, claim.hpr, claim.bill_number), ("guid", claim.kind.value, claim.guid)


def refusals(claims: Sequence[BillClaim], held: Sequence[HeldClaim], *,
             settlement_id: str) -> dict[int, ClaimRefusal]:
    """Each of ``claims`` that a holder in ``held``, or an earlier bill of the same batch, already
    holds; keyed by position. ``settlement_id`` is the batch's own (its rows are not a holder)."""
    holders: dict[tuple[str, ...], HeldClaim] = {}
    for other in held:
        if other.settlement_id != settlement_id:
            for key in _keys(other.claim):
                holders.setdefault(key, other)
    earlier: dict[tuple[str, ...], BillClaim] = {}
    found: dict[int, ClaimRefusal] = {}
    for claim in claims:
        keys = _keys(claim)
        holder: HeldClaim | None = next((holders[k] for k in keys if k in holders), None)
        twin: BillClaim | None = next((earlier[k] for k in keys if k in earlier), None)
        if holder is not None:
            message = f" (MsgId {holder.msg_id})" if holder.msg_id else ""
            found[claim.position] = ClaimRefusal(
                claim.position, f"{_what(claim)} is already claimed by settlement {holder.settlement_id}{message}; "
                "it may be sent again only after HELFO has rejected it", holder.settlement_id)
        elif twin is not None:
            found[claim.position] = ClaimRefusal(
                claim.position, f"{_what(claim)} is claimed by bill /bills/{twin.position} of this same batch")
        else:
            for key in keys:
                earlier[key] = claim
    return found


@dataclass(frozen=True, slots=True)
class PlanRefused:
    """What is left of a plan once claimed bills are taken out refuses the batch as a whole
    (``BATCH_EMPTY`` or ``BATCH_REFUSED_ALL_OR_NOTHING``), as :func:`~gateway.settlement.rules.check`
    would have; ``verdicts`` holds every bill's own verdict."""

    code: str
    message: str
    issues: tuple[Issue, ...]
    verdicts: tuple[BillVerdict, ...]


def _issue(verdict: BillVerdict) -> Issue:
    return Issue(verdict.code or "BILL_REFUSED", verdict.reason or "", verdict.location)


def narrowed(plan: SettlementPlan, refused: Mapping[int, ClaimRefusal]) -> SettlementPlan | PlanRefused:
    """``plan`` with the bills at the ``refused`` positions refused ``BILL_ALREADY_CLAIMED`` and the
    totals made again from the rest; or the refusal of the whole batch when nothing (or, with
    ``allOrNothing``, not everything) is left."""
    if not refused:
        return plan
    positions = {p.bill.index: p for p in plan.included}
    verdicts = list(plan.verdicts)
    for index, verdict in enumerate(plan.verdicts):
        refusal = refused.get(index)
        if refusal is not None and index in positions:
            verdicts[index] = dataclasses.replace(verdict, verdict=Verdict.REFUSED, code=ALREADY_CLAIMED,
                                                  reason=refusal.reason, refund=None,
                                                  location=positions[index].bill.location)
    included = tuple(p for p in plan.included if p.bill.index not in refused)
    if not included:
        return PlanRefused("BATCH_EMPTY", "no bill of the batch can be claimed",
                           tuple(_issue(v) for v in verdicts), tuple(verdicts))
    if plan.batch.all_or_nothing:
        claimed = [v for v in verdicts if v.verdict is Verdict.REFUSED]
        return PlanRefused("BATCH_REFUSED_ALL_OR_NOTHING",
                           f"{len(claimed)} bill(s) refused and the batch asks for all or nothing",
                           tuple(_issue(v) for v in claimed), tuple(verdicts))
    return dataclasses.replace(plan, verdicts=tuple(verdicts), included=included, totals=totals_of(included))
