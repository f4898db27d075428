"""Reading claims and their decisions back as domain values (the book reads them here)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from sibook.benefits.domain import Benefit, Claim, Decision, Regime
from sibook.benefits.store import BenefitClaim, BenefitDecision
from sibook.core.period import Period


def benefits_of(*, session: Session, person_id: int) -> list[Benefit]:
    return benefits_of_many(session=session, person_ids=[person_id]).get(person_id, [])


def benefits_of_many(*, session: Session, person_ids: Sequence[int]
                     ) -> dict[int, list[Benefit]]:
    """Each person's claims in the order received, with their decisions (one query)."""
    rows = session.execute(
        select(BenefitClaim, BenefitDecision)
        .outerjoin(BenefitDecision, and_(BenefitDecision.person_id == BenefitClaim.person_id,
                                         BenefitDecision.claim_no == BenefitClaim.claim_no))
        .where(BenefitClaim.person_id.in_(list(person_ids)))
        .order_by(BenefitClaim.person_id, BenefitClaim.received_on, BenefitClaim.claim_no))
    out: dict[int, list[Benefit]] = {}
    for claim, decision in rows.tuples():
        out.setdefault(claim.person_id, []).append(
            Benefit(claim_of(claim), None if decision is None else decision_of(decision)))
    return out


# What allows a pension before the statutory age (Law 41/2024 Art 65) has no column of its own
# (one would need a migration): it is kept in the claim's ``ground``, which only a one-time
# withdrawal uses otherwise, as "loss:65" or "loss:65/hz:15" (the longest fits its 16).
_EARLY = re.compile(r"loss:([0-9]{1,3})(?:/hz:([0-9]{1,2}))?")


def stored_ground(c: Claim) -> str | None:
    """What the claim's ``ground`` column holds for ``c``."""
    if c.capacity_loss_percent is None:
        return c.ground
    return f"loss:{c.capacity_loss_percent}" + (
        "" if c.hazardous_years is None else f"/hz:{c.hazardous_years}")


def claim_of(row: BenefitClaim) -> Claim:
    early = (_EARLY.fullmatch(row.ground)
             if row.ground and row.regime == Regime.PENSION else None)
    return Claim(Regime(row.regime), row.dossier_no, row.received_on, row.event_from,
                 row.event_to, row.note, None if early else row.ground,
                 capacity_loss_percent=int(early[1]) if early else None,
                 hazardous_years=int(early[2]) if early and early[2] else None)


def decision_of(row: BenefitDecision) -> Decision:
    return Decision(row.outcome, row.decided_on, row.decision_no, row.amount,
                    row.monthly_amount,
                    None if row.from_month is None else Period.from_index(row.from_month),
                    row.months, row.days, row.reason, row.months_settled)
