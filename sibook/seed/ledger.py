"""Seeded ledger history: dues assessed for recent months, paid on time by most employers.

A few employers (about 3 %) report but pay late, partly, or not at all for the latest months,
so arrears, late interest and evasion show up in the demo and the benchmarks.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import Connection

from sibook.contributions import ledger
from sibook.contributions.statement import deadline_of
from sibook.core.bulk import write
from sibook.core.period import Period

FIRST_LEDGER_MONTH = Period(2025, 7)  # Law 41/2024 in force: the e-ledger era of the demo
LATE_PAYER_SHARE = 0.03
MONTHS_PER_SCAN = 4
PAYMENT_COLUMNS = (
    "payment_id",
    "employer_id",
    "amount",
    "bank_reference",
    "paid_on",
    "idempotency_key",
)
ALLOCATION_COLUMNS = ("period", "employer_id", "allocation_no", "payment_id", "amount", "paid_on")


def seed_ledger(conn: Connection, *, seed: int, codes: dict[int, str], today: date) -> int:
    """Assess every employer for each month up to last month, then post payments. Rows written."""
    rng = random.Random(f"ledger-{seed}")
    late = {e for e in sorted(codes) if rng.random() < LATE_PAYER_SHARE}
    last = Period.of(today) - 1
    months = list(ledger.months_to_assess(FIRST_LEDGER_MONTH, last))
    rows, payment_id = 0, 0
    # A few months per scan of the periods: fewer scans, and memory bounded by employers
    # times MONTHS_PER_SCAN rather than by the whole history.
    for first in range(0, len(months), MONTHS_PER_SCAN):
        entries = ledger.assess(conn, months[first : first + MONTHS_PER_SCAN])
        ledger.post(conn, entries, None)
        payments: list[tuple[object, ...]] = []
        allocations: list[tuple[object, ...]] = []
        for e in entries:  # months in order, so payment ids follow the calendar
            employer_id, due = e["employer_id"], e["total"]
            month = Period.from_index(e["period"])
            paid_on, amount = _payment(rng, month, due, employer_id in late, today)
            if amount <= 0:
                continue
            payment_id += 1
            reference = f"SEED{payment_id:010d}"
            payments.append(
                (
                    payment_id,
                    employer_id,
                    amount,
                    reference,
                    paid_on,
                    f"{codes[employer_id]}:{reference}",
                )
            )
            if employer_id not in late:  # paid in full before the deadline, month by month
                allocations.append((month.index, employer_id, 1, payment_id, amount, paid_on))
        write(conn, "payments", PAYMENT_COLUMNS, payments)
        write(conn, "payment_allocations", ALLOCATION_COLUMNS, allocations)
        rows += len(entries) + len(payments) + len(allocations)
    # A late payer's money pays its oldest dues first, as the ledger allocates any payment: a
    # month's remittance may pay an earlier month still owed, and a later month's money paid
    # sooner pays before it. Allocated once all its months and payments are written.
    for employer_id in sorted(late):
        rows += len(ledger.allocate(conn, employer_id))
    return rows


def _payment(
    rng: random.Random, month: Period, due: int, late: bool, today: date
) -> tuple[date, int]:
    deadline = deadline_of(month)
    if not late:  # in the days before the deadline; last month's (this month's end) by today
        return min(deadline - timedelta(days=rng.randint(0, 20)), today), due
    paid_on = deadline + timedelta(days=rng.randint(20, 120))
    if paid_on > today:
        return paid_on, 0  # not paid yet: arrears
    share = rng.choice((1.0, 1.0, 0.5))
    return paid_on, int(due * share)
