"""Seeded voluntary payments: voluntary participants pay for their months, as people do.

Most pay a year at a time, at the start of the year's months (Law 41/2024/QH15 Art 36(2) lets
them pay monthly, every 3, 6 or 12 months or years ahead); about one in ten has let their last
months lapse, so unpaid voluntary months show in the demo and the benchmarks. What a month costs
is what the book charges for it (``voluntary_charges.charges_of``: the declared income's rate
less the state's support), so the seeded payments pay exactly the months they are meant to.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from sibook.book.sheets import lines_of
from sibook.book.voluntary_charges import advance_price, charges_of
from sibook.contributions import service as contributions
from sibook.contributions.store import SIPeriod
from sibook.contributions.voluntary import Charge
from sibook.core.bulk import write
from sibook.core.period import Period

LAPSED_SHARE = 0.1
MONTHS_PER_PAYMENT = 12
COLUMNS = ("person_id", "payment_no", "amount", "reference", "idempotency_key", "paid_on")


def seed_voluntary_payments(conn: Connection, *, seed: int, today: date) -> int:
    """Post the seeded voluntary participants' payments; rows written."""
    rng = random.Random(f"voluntary-{seed}")
    last = Period.of(today)
    t = SIPeriod.__table__.c
    ids = list(conn.execute(select(t.person_id).where(t.kind == "voluntary").distinct()
                            .order_by(t.person_id)).scalars())
    written = 0
    with Session(bind=conn) as session:
        for start in range(0, len(ids), 1_000):
            chunk = ids[start:start + 1_000]
            periods = contributions.si_periods_of_many(session=session, person_ids=chunk)
            rows: list[tuple[object, ...]] = []
            for pid in chunk:
                voluntary = [p for p in periods.get(pid, []) if p.kind == "voluntary"]
                charges = [c for c in charges_of(lines_of(voluntary, {}, last)) if c.due]
                if rng.random() < LAPSED_SHARE:
                    charges = charges[: max(0, len(charges) - rng.randint(1, 6))]
                rows += _payments(rng, pid, charges, today)
            write(conn, "voluntary_payments", COLUMNS, rows)
            written += len(rows)
    return written


def _payments(rng: random.Random, pid: int, charges: list[Charge], today: date
              ) -> list[tuple[object, ...]]:
    """One payment a year's months (fewer at the end), of exactly what they cost."""
    out: list[tuple[object, ...]] = []
    for number, start in enumerate(range(0, len(charges), MONTHS_PER_PAYMENT), 1):
        block = charges[start:start + MONTHS_PER_PAYMENT]
        first = block[0].month
        paid_on = min(date(first.year, first.month, 1) + timedelta(days=rng.randint(0, 27)),
                      today)
        reference = f"SEEDV{pid:010d}{number:03d}"
        amount = sum(advance_price(c, first) or 0 for c in block)  # as the book will price it
        out.append((pid, number, amount, reference, reference, paid_on))
    return out
