"""Reading claims and their decisions back as domain values (the book reads them here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Select, and_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import TextualSelect

from sibook.benefits.domain import (
    SETTLED,
    Benefit,
    Claim,
    Decision,
    Regime,
    pension_first_month,
)
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
                 infertility_treatment=bool(row.infertility_treatment),
                 occupational_kind=row.occupational_kind, disease_code=row.disease_code,
                 disease_form=row.disease_form,
                 exposure_ended=None if row.exposure_ended is None
                 else Period.from_index(row.exposure_ended))


def decision_of(row: BenefitDecision) -> Decision:
    return Decision(row.outcome, row.decided_on, row.decision_no, row.amount,
                    row.monthly_amount,
                    None if row.from_month is None else Period.from_index(row.from_month),
                    row.months, row.days, row.reason, row.months_settled,
                    average_salary=row.average_salary)


def _settled_averaging(*columns: Any) -> Select[Any]:
    """``columns`` of the settled pensions and one-time withdrawals (decision and claim)."""
    return (select(*columns)
            .join_from(BenefitDecision, BenefitClaim,
                       and_(BenefitClaim.person_id == BenefitDecision.person_id,
                            BenefitClaim.claim_no == BenefitDecision.claim_no))
            .where(BenefitDecision.outcome == SETTLED,
                   BenefitClaim.regime.in_([r.value for r in AVERAGING])))


def _last_averaged(regime: Regime, decided_on: date) -> Period:
    """The last month a settled pension or withdrawal averaged. A pension took its person's
    record as it stood at the decision, the months up to the decision's month (a pension decided
    ahead of its start, its worker still at work in that month until the period's decrease:
    the month is counted, ``book.pension_on_record``; no period runs into the pension's first
    month, ``left_work``). A one-time withdrawal
    is for someone who has stopped contributing (Law 41/2024 Art 70, FACTS §4.2) and is
    refused while a period covers its decision's month (``record_checks.still_contributing``):
    it paid out the months before that month at the latest, and a job from it on starts a new
    record, which the book counts apart (``book.assemble.totals``)."""
    decided = Period.of(decided_on)
    return decided - 1 if regime is Regime.LUMP_SUM else decided


@dataclass(frozen=True)
class Averaged:
    """Settled benefits whose average took months a unit paid: how many, and the latest."""

    benefits: int
    last: Period


def averaged_at(*, session: Session, employer_id: int, since: Period) -> Averaged | None:
    """The settled pensions and one-time withdrawals whose average took a month the unit
    ``employer_id`` paid from ``since`` on; None when none did."""
    paid = contributions.unit_periods(employer_id=employer_id, since=since).subquery()
    rows = session.execute(
        _settled_averaging(BenefitDecision.person_id, BenefitDecision.claim_no,
                           BenefitClaim.regime, BenefitDecision.decided_on, paid.c.from_month,
                           paid.c.to_month)
        .join(paid, paid.c.person_id == BenefitDecision.person_id)).all()
    last: dict[tuple[int, int], int] = {}
    for person_id, claim_no, regime, decided_on, first, to in rows:
        decided = _last_averaged(Regime(regime), decided_on).index
        month = decided if to is None else min(to, decided)
        if first <= decided and month >= since.index:
            key = (person_id, claim_no)
            last[key] = max(month, last.get(key, month))
    return Averaged(len(last), Period.from_index(max(last.values()))) if last else None


@dataclass(frozen=True)
class AveragedBy:
    """The settled pension or one-time withdrawal that averaged the latest of a person's
    months: its record up to ``last`` is settled on that average. A pension's
    ``pension_from``: the first month it pays (``pension_first_month``)."""

    regime: Regime
    dossier_no: str
    decision_no: str
    decided_on: date
    pension_from: Period | None = None

    @property
    def last(self) -> Period:
        return _last_averaged(self.regime, self.decided_on)


def averaged_of(*, session: Session | Connection,
                persons: Select[tuple[int]] | TextualSelect) -> dict[int, AveragedBy]:
    """Each of ``persons`` (a query of person ids) whose record a settled pension or one-time
    withdrawal averaged, with the one that averaged the latest month: one query however many
    persons (a declaration's 100,000 workers)."""
    rows = session.execute(
        _settled_averaging(BenefitDecision.person_id, BenefitClaim.regime,
                           BenefitClaim.dossier_no, BenefitDecision.decision_no,
                           BenefitDecision.decided_on, BenefitDecision.from_month,
                           BenefitClaim.event_from)
        .where(BenefitDecision.person_id.in_(persons))
        .order_by(BenefitDecision.person_id, BenefitDecision.decided_on,
                  BenefitDecision.claim_no))
    # In decision order: a person's latest decision is the one kept.
    return {person_id: AveragedBy(Regime(regime), dossier_no, decision_no, decided_on,
                                  _pension_from(Regime(regime), from_month, starts))
            for person_id, regime, dossier_no, decision_no, decided_on, from_month, starts
            in rows}


def _pension_from(regime: Regime, from_month: int | None, starts: date | None
                  ) -> Period | None:
    if regime is not Regime.PENSION:
        return None
    return pension_first_month(None if from_month is None else Period.from_index(from_month),
                               starts)


def settled_pension(*, session: Session, person_id: int) -> AveragedBy | None:
    """The person's settled pension, if any (a pension is settled once: ``settled_once``)."""
    found = averaged_of(session=session, persons=select(BenefitDecision.person_id).where(
        BenefitDecision.person_id == person_id))
    by = found.get(person_id)
    return by if by is not None and by.regime is Regime.PENSION else None
