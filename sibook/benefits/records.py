"""Reading claims and their decisions back as domain values (the book reads them here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from sibook.benefits.domain import SETTLED, Benefit, Claim, Decision, Regime
from sibook.benefits.store import BenefitClaim, BenefitDecision
from sibook.contributions import service as contributions
from sibook.core.period import Period

# The benefits paid on an average of the record's salaries, which a unit's salary regime
# decides (Law 41/2024 Art 72): a pension and a one-time withdrawal.
AVERAGING = (Regime.PENSION, Regime.LUMP_SUM)


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
                 hazardous_years=row.hazardous_years,
                 infertility_treatment=bool(row.infertility_treatment))


def decision_of(row: BenefitDecision) -> Decision:
    return Decision(row.outcome, row.decided_on, row.decision_no, row.amount,
                    row.monthly_amount,
                    None if row.from_month is None else Period.from_index(row.from_month),
                    row.months, row.days, row.reason, row.months_settled,
                    average_salary=row.average_salary)


@dataclass(frozen=True)
class Averaged:
    """Settled benefits whose average took months a unit paid: how many, and the latest."""

    benefits: int
    last: Period


def averaged_at(*, session: Session, employer_id: int, since: Period) -> Averaged | None:
    """The settled pensions and one-time withdrawals whose average took a month the unit
    ``employer_id`` paid from ``since`` on; None when none did. Each averaged its person's
    record as it stood at the decision: the months up to the decision's month."""
    paid = contributions.unit_periods(employer_id=employer_id, since=since).subquery()
    rows = session.execute(
        select(BenefitDecision.person_id, BenefitDecision.claim_no, BenefitDecision.decided_on,
               paid.c.from_month, paid.c.to_month)
        .join(BenefitClaim, and_(BenefitClaim.person_id == BenefitDecision.person_id,
                                 BenefitClaim.claim_no == BenefitDecision.claim_no))
        .join(paid, paid.c.person_id == BenefitDecision.person_id)
        .where(BenefitDecision.outcome == SETTLED,
               BenefitClaim.regime.in_([r.value for r in AVERAGING]))).all()
    last: dict[tuple[int, int], int] = {}
    for person_id, claim_no, decided_on, first, to in rows:
        decided = Period.of(decided_on).index
        month = decided if to is None else min(to, decided)
        if first <= decided and month >= since.index:
            key = (person_id, claim_no)
            last[key] = max(month, last.get(key, month))
    return Averaged(len(last), Period.from_index(max(last.values()))) if last else None
