"""Seeded ledger history: dues assessed for recent months, paid on time by most employers.

A few employers (about 3 %) report but pay late, partly, or not at all for the latest months,
so arrears, late interest and evasion show up in the demo and the benchmarks. A unit paying
every 3 or 6 months (``seed.employers``) pays a cycle's months together before the cycle's
deadline, the running cycle not yet: its months are owed, not late.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import Connection

from sibook.contributions import ledger
from sibook.contributions.cycles import MONTHLY, cycles_of
from sibook.contributions.statement import deadline_of
from sibook.core.bulk import write
from sibook.core.period import Period
from sibook.law import LAW_41_2024_IN_FORCE

FIRST_LEDGER_MONTH = LAW_41_2024_IN_FORCE  # the e-ledger era of the demo
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
    methods = cycles_of(conn, codes)
    running: dict[int, list[tuple[Period, int]]] = {}  # an on-time payer's cycle so far: dues
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
            method = methods.get(employer_id, MONTHLY)
            if employer_id in late:
                paid_on, amount = _late_payment(rng, deadline_of(month, method), due, today)
                cycle = []
            else:  # in the days before the deadline; last month's (this month's end) by today
                days = rng.randint(0, 20)
                cycle = running.setdefault(employer_id, [])
                cycle.append((month, due))
                if method.cycle_end(month) != month:
                    continue  # paid with the cycle's last month, if that is not still to come
                del running[employer_id]
                paid_on = min(deadline_of(month, method) - timedelta(days=days), today)
                amount = sum(owed for _, owed in cycle)
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
            allocations += [(m.index, employer_id, 1, payment_id, owed, paid_on)  # in full
                            for m, owed in cycle if owed > 0]
        write(conn, "payments", PAYMENT_COLUMNS, payments)
        write(conn, "payment_allocations", ALLOCATION_COLUMNS, allocations)
        rows += len(entries) + len(payments) + len(allocations)
    # A late payer's money pays its oldest dues first, as the ledger allocates any payment: a
    # month's remittance may pay an earlier month still owed, and a later month's money paid
    # sooner pays before it. Allocated once all its months and payments are written.
    for employer_id in sorted(late):
        rows += len(ledger.allocate(conn, employer_id))
    return rows


def _late_payment(rng: random.Random, deadline: date, due: int, today: date) -> tuple[date, int]:
    paid_on = deadline + timedelta(days=rng.randint(20, 120))
    if paid_on > today:
        return paid_on, 0  # not paid yet: arrears
    share = rng.choice((1.0, 1.0, 0.5))
    return paid_on, int(due * share)
