"""Reading claims and their decisions back as domain values (the book reads them here)."""

from __future__ import annotations

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


def claim_of(row: BenefitClaim) -> Claim:
    return Claim(Regime(row.regime), row.dossier_no, row.received_on, row.event_from,
                 row.event_to, row.note, row.ground,
                 capacity_loss_percent=row.capacity_loss_percent,
                 hazardous_years=row.hazardous_years)


def decision_of(row: BenefitDecision) -> Decision:
    return Decision(row.outcome, row.decided_on, row.decision_no, row.amount,
                    row.monthly_amount,
                    None if row.from_month is None else Period.from_index(row.from_month),
                    row.months, row.days, row.reason, row.months_settled,
                    average_salary=row.average_salary)
