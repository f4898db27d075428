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
from sibook.core.bulk import write
from sibook.core.period import Period

REGIONS = ("I", "II", "III", "IV")

# One scan of the periods for all the months asked: each period row joins the months it covers.
# Caps come in as a small derived table (month, region, SI/HI cap, UI cap).
_PAYROLL_SUMS = """count(*) AS workers,
       sum(CASE WHEN p.salary_basis + p.allowances > c.si_cap THEN c.si_cap
                ELSE p.salary_basis + p.allowances END) AS si_basis,
       sum(CASE WHEN p.salary_basis + p.allowances > c.ui_cap THEN c.ui_cap
                ELSE p.salary_basis + p.allowances END) AS ui_basis"""
_PAYROLL_COVERS = """p.kind IN ('compulsory', 'foreign') AND p.from_month <= c.month
  AND (p.to_month IS NULL OR p.to_month >= c.month)"""
_PAYROLL = f"""
SELECT c.month, p.employer_id, p.kind, p.occupational_rate_bp, {_PAYROLL_SUMS}
FROM si_periods p
JOIN employers e ON e.employer_id = p.employer_id
JOIN ({{caps}}) c ON c.region = e.region AND {_PAYROLL_COVERS}
WHERE p.from_month <= :last AND (p.to_month IS NULL OR p.to_month >= :first) {{only}}
GROUP BY c.month, p.employer_id, p.kind, p.occupational_rate_bp
"""
# PostgreSQL, for a few employers (a filing): each employer-month reads that employer's periods
# through its index (LATERAL fixes the join order). The plan above depends on fresh statistics
# of the periods table, which a filing has just changed: the planner then believed the employer
# had one period and looped over caps and employers per period row (0.14 s for 20,000 workers).
_PAYROLL_FOR_EMPLOYERS = f"""
SELECT c.month, e.employer_id, g.kind, g.occupational_rate_bp, g.workers, g.si_basis, g.ui_basis
FROM employers e JOIN ({{caps}}) c ON c.region = e.region
CROSS JOIN LATERAL (
    SELECT p.kind, p.occupational_rate_bp, {_PAYROLL_SUMS}
    FROM si_periods p WHERE p.employer_id = e.employer_id AND {_PAYROLL_COVERS}
    GROUP BY p.kind, p.occupational_rate_bp) g
WHERE e.employer_id IN :ids
"""


def _caps_table(months: list[Period]) -> tuple[str, dict[str, object]]:
    selects: list[str] = []
    params: dict[str, object] = {}
    for i, month in enumerate(months):
        for region in REGIONS:
            key = f"{i}_{region}"
            si, ui = caps(month, region)
            params |= {f"m{key}": month.index, f"r{key}": region, f"s{key}": si, f"u{key}": ui}
            selects.append(
                f"SELECT :m{key} AS month, :r{key} AS region, :s{key} AS si_cap, :u{key} AS ui_cap"
            )
    return " UNION ALL ".join(selects), params


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


def assess(
    conn: Connection, months: list[Period], employer_ids: list[int] | None = None
) -> list[Entry]:
    """Ledger entries, per employer and month, for the change between the dues the periods now
    imply and those already posted; nothing is written (see :func:`post`)."""
    if not months:
        return []
    caps_sql, params = _caps_table(months)
    params["first"], params["last"] = min(months).index, max(months).index
    only = ""
    sql = _PAYROLL
    if employer_ids is not None:
        only = "AND p.employer_id IN :ids"
        params["ids"] = employer_ids
        if conn.dialect.name == "postgresql":
            sql = _PAYROLL_FOR_EMPLOYERS
    stmt = text(sql.format(caps=caps_sql, only=only))
    if employer_ids is not None:
        stmt = stmt.bindparams(bindparam("ids", expanding=True))
    groups: dict[tuple[int, int], list[PayrollGroup]] = defaultdict(list)
    for r in conn.execute(stmt, params):
        groups[(int(r.month), r.employer_id)].append(
            PayrollGroup(
                r.kind, r.occupational_rate_bp, r.workers, int(r.si_basis), int(r.ui_basis)
            )
        )
    entries: list[Entry] = []
    for month in months:
        posted = _posted(conn, month, employer_ids)
        employers = {e for (m, e) in groups if m == month.index} | set(posted)
        for employer_id in sorted(employers):
            before, last_no = posted.get(employer_id, (Dues(), 0))
            delta = payroll_dues(month, groups.get((month.index, employer_id), [])).minus(before)
            if not delta.is_zero():
                entries.append(_entry(month, employer_id, last_no + 1, delta))
    return entries


Entry = dict[str, int]  # a ledger_entries row without declaration_id


def post(conn: Connection, entries: list[Entry], declaration_id: int | None) -> None:
    """Append the entries through the bulk path (COPY on PostgreSQL)."""
    if entries:
        columns = [*entries[0], "declaration_id"]
        write(conn, "ledger_entries", columns, [(*e.values(), declaration_id) for e in entries])


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


def allocated_by_payment(conn: Connection, payment_id: int) -> list[tuple[int, int]]:
    """(month, amount) of one payment's money as it stands allocated, oldest month first
    (corrections may have moved some of it since it was posted)."""
    rows = conn.execute(
        select(PaymentAllocation.period, func.sum(PaymentAllocation.amount))
        .where(PaymentAllocation.payment_id == payment_id)
        .group_by(PaymentAllocation.period).order_by(PaymentAllocation.period))
    return [(int(p), int(a)) for p, a in rows if int(a) != 0]


def credit(conn: Connection, employer_id: int, as_of: date | None = None) -> int:
    """Money the employer has paid (by ``as_of``) that no dues have used yet: an overpayment,
    or dues corrected below what was paid. It pays the next dues first."""
    return sum(c.amount for c in _unallocated_payments(conn, employer_id)
               if as_of is None or c.paid_on <= as_of)


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
