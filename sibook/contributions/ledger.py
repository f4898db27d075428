"""Posting to the ledger: assessing dues per employer-month and allocating payments.

Set-based: one aggregate query assesses every employer of a month at once, so the same code
serves a single declaration and the seeding of a whole country.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, bindparam, func, insert, select, text

from sibook.contributions.dues import Dues, PayrollGroup, caps, payroll_dues
from sibook.contributions.ledger_store import (
    FUNDS,
    LedgerEntry,
    Payment,
    PaymentAllocation,
)
from sibook.core.period import Period

REGIONS = ("I", "II", "III", "IV")

_PAYROLL = """
SELECT p.employer_id, p.kind, p.occupational_rate_bp, count(*) AS workers,
       sum(CASE WHEN p.salary_basis + p.allowances > :si_cap THEN :si_cap
                ELSE p.salary_basis + p.allowances END) AS si_basis,
       sum(CASE WHEN p.salary_basis + p.allowances > u.cap THEN u.cap
                ELSE p.salary_basis + p.allowances END) AS ui_basis
FROM si_periods p
JOIN employers e ON e.employer_id = p.employer_id
JOIN (SELECT 'I' AS region, :ui_I AS cap UNION ALL SELECT 'II', :ui_II
      UNION ALL SELECT 'III', :ui_III UNION ALL SELECT 'IV', :ui_IV) u ON u.region = e.region
WHERE p.kind IN ('compulsory', 'foreign') AND p.from_month <= :m
  AND (p.to_month IS NULL OR p.to_month >= :m) {only}
GROUP BY p.employer_id, p.kind, p.occupational_rate_bp
"""


def _posted(
    conn: Connection, month: Period, employer_ids: list[int] | None
) -> dict[int, tuple[Dues, int]]:
    """What is already posted per employer for ``month``: summed dues and the last entry_no."""
    cols = [func.sum(getattr(LedgerEntry, f"{p}_{f}")) for p in ("er", "ee") for f in FUNDS]
    query = select(
        LedgerEntry.employer_id,
        func.sum(LedgerEntry.workers),
        func.max(LedgerEntry.entry_no),
        *cols,
    ).where(LedgerEntry.period == month.index)
    if employer_ids is not None:
        query = query.where(LedgerEntry.employer_id.in_(employer_ids))
    out: dict[int, tuple[Dues, int]] = {}
    for row in conn.execute(query.group_by(LedgerEntry.employer_id)):
        values = [int(v or 0) for v in row[3:]]
        n = len(FUNDS)
        dues = Dues(
            workers=int(row[1] or 0),
            employer=dict(zip(FUNDS, values[:n], strict=True)),
            employee=dict(zip(FUNDS, values[n:], strict=True)),
        )
        out[row[0]] = (dues, int(row[2]))
    return out


def assess(conn: Connection, month: Period, employer_ids: list[int] | None = None) -> list[Entry]:
    """Ledger entries, per employer, for the change between the dues the periods now imply and
    those already posted for ``month``; nothing is written (see :func:`post`)."""
    si_cap = caps(month, "I")[0]
    params: dict[str, object] = {"m": month.index, "si_cap": si_cap}
    for region in REGIONS:
        params[f"ui_{region}"] = caps(month, region)[1]
    only = ""
    stmt = text(_PAYROLL.format(only=only))
    if employer_ids is not None:
        stmt = text(_PAYROLL.format(only="AND p.employer_id IN :ids")).bindparams(
            bindparam("ids", expanding=True)
        )
        params["ids"] = employer_ids
    groups: dict[int, list[PayrollGroup]] = defaultdict(list)
    for r in conn.execute(stmt, params):
        groups[r.employer_id].append(
            PayrollGroup(
                r.kind, r.occupational_rate_bp, r.workers, int(r.si_basis), int(r.ui_basis)
            )
        )
    posted = _posted(conn, month, employer_ids)
    entries: list[Entry] = []
    for employer_id in sorted(set(groups) | set(posted)):
        before, last_no = posted.get(employer_id, (Dues(), 0))
        delta = payroll_dues(month, groups.get(employer_id, [])).minus(before)
        if not delta.is_zero():
            entries.append(_entry(month, employer_id, last_no + 1, delta))
    return entries


Entry = dict[str, int]  # a ledger_entries row without declaration_id


def post(conn: Connection, entries: list[Entry], declaration_id: int | None) -> None:
    if entries:
        conn.execute(
            insert(LedgerEntry), [{**e, "declaration_id": declaration_id} for e in entries]
        )


def _entry(month: Period, employer_id: int, entry_no: int, d: Dues) -> Entry:
    row: Entry = {
        "period": month.index,
        "employer_id": employer_id,
        "entry_no": entry_no,
        "workers": d.workers,
        "total": d.total,
    }
    for f in FUNDS:
        row[f"er_{f}"] = d.employer[f]
        row[f"ee_{f}"] = d.employee[f]
    return row


def dues_by_month(conn: Connection, employer_id: int) -> dict[int, int]:
    rows = conn.execute(
        select(LedgerEntry.period, func.sum(LedgerEntry.total))
        .where(LedgerEntry.employer_id == employer_id)
        .group_by(LedgerEntry.period)
    )
    return {r[0]: int(r[1]) for r in rows}


def allocated_by_month(conn: Connection, employer_id: int) -> dict[int, int]:
    rows = conn.execute(
        select(PaymentAllocation.period, func.sum(PaymentAllocation.amount))
        .where(PaymentAllocation.employer_id == employer_id)
        .group_by(PaymentAllocation.period)
    )
    return {r[0]: int(r[1]) for r in rows}


@dataclass(frozen=True)
class Allocation:
    period: int
    payment_id: int
    amount: int
    paid_on: date


@dataclass
class _Credit:
    payment_id: int
    amount: int
    paid_on: date


def allocate(conn: Connection, employer_id: int) -> list[Allocation]:
    """Apply unallocated money to the oldest outstanding months; free over-allocations first."""
    due = dues_by_month(conn, employer_id)
    paid = allocated_by_month(conn, employer_id)
    credits = _unallocated_payments(conn, employer_id)
    next_no = _next_allocation_numbers(conn, employer_id)
    new: list[Allocation] = []

    def add(period: int, credit: _Credit, amount: int) -> None:
        new.append(Allocation(period, credit.payment_id, amount, credit.paid_on))
        paid[period] = paid.get(period, 0) + amount

    # Dues corrected below what was paid: give the excess back as credit (a negative row).
    latest = _latest_payment(conn, employer_id)
    for period in sorted(paid):
        excess = paid[period] - max(due.get(period, 0), 0)
        if excess > 0 and latest is not None:
            add(period, latest, -excess)
            credits.append(_Credit(latest.payment_id, excess, latest.paid_on))
    credits.sort(key=lambda c: (c.paid_on, c.payment_id))
    for period in sorted(due):
        outstanding = due[period] - paid.get(period, 0)
        while outstanding > 0 and credits:
            take = min(outstanding, credits[0].amount)
            add(period, credits[0], take)
            outstanding -= take
            credits[0].amount -= take
            if credits[0].amount == 0:
                credits.pop(0)
    if new:
        rows = []
        for a in new:
            rows.append(
                {
                    "period": a.period,
                    "employer_id": employer_id,
                    "allocation_no": next_no[a.period],
                    "payment_id": a.payment_id,
                    "amount": a.amount,
                    "paid_on": a.paid_on,
                }
            )
            next_no[a.period] += 1
        conn.execute(insert(PaymentAllocation), rows)
    return new


def _unallocated_payments(conn: Connection, employer_id: int) -> list[_Credit]:
    used = (
        select(PaymentAllocation.payment_id, func.sum(PaymentAllocation.amount).label("used"))
        .where(PaymentAllocation.employer_id == employer_id)
        .group_by(PaymentAllocation.payment_id)
        .subquery()
    )
    rows = conn.execute(
        select(Payment.payment_id, Payment.amount - func.coalesce(used.c.used, 0), Payment.paid_on)
        .outerjoin(used, used.c.payment_id == Payment.payment_id)
        .where(Payment.employer_id == employer_id)
        .order_by(Payment.paid_on, Payment.payment_id)
    )
    return [_Credit(int(r[0]), int(r[1]), r[2]) for r in rows if int(r[1]) > 0]


def _latest_payment(conn: Connection, employer_id: int) -> _Credit | None:
    row = conn.execute(
        select(Payment.payment_id, Payment.paid_on)
        .where(Payment.employer_id == employer_id)
        .order_by(Payment.paid_on.desc(), Payment.payment_id.desc())
        .limit(1)
    ).first()
    return _Credit(int(row[0]), 0, row[1]) if row else None


def _next_allocation_numbers(conn: Connection, employer_id: int) -> defaultdict[int, int]:
    rows = conn.execute(
        select(PaymentAllocation.period, func.max(PaymentAllocation.allocation_no))
        .where(PaymentAllocation.employer_id == employer_id)
        .group_by(PaymentAllocation.period)
    )
    numbers: defaultdict[int, int] = defaultdict(lambda: 1)
    for period, last in rows:
        numbers[period] = int(last) + 1
    return numbers


def months_to_assess(first: Period, last: Period) -> Iterable[Period]:
    month = first
    while month <= last:
        yield month
        month = month + 1
