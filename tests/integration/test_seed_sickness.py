"""The seeded sick leave is paid on the SI salary of the month before the leave (FACTS §4.3),
as the rules engine pays it, on SQLite and PostgreSQL: a raise in the leave's month is not
what the leave is paid on."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Engine, insert, select

from sibook.benefits.store import BenefitClaim, BenefitDecision
from sibook.core.period import Period
from sibook.core.schema import metadata
from sibook.rules.sickness import sickness_benefit
from sibook.seed.benefits import seed_benefits
from tests.integration.ledger_fixtures import EMPLOYER, setup_workers

BEFORE, RAISED = 6_000_000, 12_000_000
WORKERS = 80


def test_a_seeded_sick_leave_is_paid_on_the_salary_of_the_month_before(engine: Engine) -> None:
    pids = setup_workers(engine, WORKERS)
    with engine.begin() as conn:  # paid 6,000,000 in 2025-05 and 06, raised to 12,000,000 in 07
        eid = conn.scalar(select(metadata.tables["employers"].c.employer_id).where(
            metadata.tables["employers"].c.code == EMPLOYER))
        for pid in pids:
            person = conn.scalar(select(metadata.tables["persons"].c.person_id).where(
                metadata.tables["persons"].c.personal_id == pid))
            for seq, first, last, salary in ((1, Period(2025, 5), Period(2025, 6), BEFORE),
                                             (2, Period(2025, 7), Period(2025, 7), RAISED)):
                conn.execute(insert(metadata.tables["si_periods"]).values(
                    person_id=person, seq=seq, from_month=first.index, to_month=last.index,
                    kind="compulsory", employer_id=eid, salary_basis=salary, allowances=0,
                    occupational_rate_bp=50))
        seed_benefits(conn, seed=3, today=date(2025, 9, 1))  # leave drawn in 2025-07
        rows = conn.execute(select(BenefitClaim.event_from, BenefitDecision.days,
                                   BenefitDecision.amount).join(
            BenefitDecision, (BenefitDecision.person_id == BenefitClaim.person_id)
            & (BenefitDecision.claim_no == BenefitClaim.claim_no))).all()
    assert rows  # about one in twenty of them
    for leave_from, days, amount in rows:
        assert Period.of(leave_from) == Period(2025, 7)
        assert amount == sickness_benefit(salary=BEFORE, days=Decimal(days), years_contributed=0,
                                          on=Period(2025, 7)).amount
