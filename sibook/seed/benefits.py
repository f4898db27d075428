"""Seeded benefits: some employees took sick leave and claimed it, so books, the portal and the
benchmarks show benefits claimed and settled.

About one employee in twenty with a compulsory period since the Law 41/2024 tables begin
(2025-07) had 2 to 5 working days of sick leave in a covered month, claimed them 5 to 20 days
later and got a decision a week after the claim; one not yet decided by ``today`` stays
claimed. The amount is what the rules engine pays (``rules.sickness``: 75% of the SI salary of
the month before the leave / 24 per day, FACTS §4.3), so a seeded decision is one the law
gives; a leave is drawn in a month whose month before is on record.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Connection, select

from sibook.contributions.store import SIPeriod
from sibook.core.bulk import write
from sibook.core.period import Period
from sibook.law import LAW_41_2024_IN_FORCE
from sibook.rules.sickness import sickness_benefit

SHARE = 0.05
FIRST = LAW_41_2024_IN_FORCE  # the sickness tables of Law 41/2024 start here
CLAIMS = ("person_id", "claim_no", "regime", "dossier_no", "dossier_key", "received_on",
          "event_from", "event_to", "note", "recorded_by")
DECISIONS = ("person_id", "claim_no", "outcome", "decided_on", "decision_no", "amount", "days",
             "months_settled", "recorded_by")
BY = "seed"


def seed_benefits(conn: Connection, *, seed: int, today: date) -> int:
    """Write the seeded claims and decisions; rows written."""
    rng = random.Random(f"benefits-{seed}")
    last = Period.of(today) - 1  # a whole month before this one, so the leave has ended
    if last < FIRST:
        return 0
    t = SIPeriod.__table__.c
    rows = conn.execute(  # from the month before the first leave that may be drawn
        select(t.person_id, t.from_month, t.to_month, t.salary_basis, t.allowances)
        .where(t.kind == "compulsory", (t.to_month.is_(None)) | (t.to_month >= FIRST.index - 1))
        .order_by(t.person_id, t.seq)).all()
    salaries: dict[int, list[tuple[int, int | None, int]]] = {}
    for pid, start, end, basis, allowances in rows:
        salaries.setdefault(pid, []).append((start, end, basis + allowances))
    claims: list[tuple[object, ...]] = []
    decisions: list[tuple[object, ...]] = []
    drawn: set[int] = set()
    for pid, start, end, _, _ in rows:
        # One draw a person, on their first such period: a draw a period gave those with a
        # raise or a new job since 2025-07 more chances (one employee in twelve, not twenty).
        if pid in drawn or (end is not None and end < FIRST.index):
            continue
        drawn.add(pid)
        lo, hi = max(start, FIRST.index), min(last.index if end is None else end, last.index)
        if _salary_in(salaries[pid], lo - 1) is None:
            lo += 1  # the period's first month is the first of SI: no month before it
        if rng.random() >= SHARE or lo > hi:
            continue
        month = Period.from_index(rng.randint(lo, hi))
        days = rng.randint(2, 5)
        leave_from = month.first_day + timedelta(days=rng.randint(0, 20))
        leave_to = leave_from + timedelta(days=days - 1)
        received = min(leave_to + timedelta(days=rng.randint(5, 20)), today)
        dossier = f"SEEDB{pid:010d}01"
        claims.append((pid, 1, "sickness", dossier, dossier, received, leave_from, leave_to,
                       None, BY))
        decided = received + timedelta(days=7)
        if decided <= today:
            # Years of this stretch only: 5 days are below every band's yearly maximum.
            before = _salary_in(salaries[pid], month.index - 1)
            assert before is not None  # drawn so (``lo``)
            amount = sickness_benefit(salary=before, days=Decimal(days),
                                      years_contributed=(month.index - start) // 12,
                                      on=month).amount
            decisions.append((pid, 1, "settled", decided, f"{pid % 1000}/QĐ-BHXH", amount,
                              days, 0, BY))
    write(conn, "benefit_claims", CLAIMS, claims)
    write(conn, "benefit_decisions", DECISIONS, decisions)
    return len(claims) + len(decisions)


def _salary_in(periods: list[tuple[int, int | None, int]], month: int) -> int | None:
    """The SI salary (basis and allowances) of the compulsory period covering ``month``."""
    return next((salary for first, last, salary in periods
                 if first <= month and (last is None or month <= last)), None)
