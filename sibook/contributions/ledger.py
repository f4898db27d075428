"""Posting to the ledger: assessing dues per employer-month and allocating payments.

Set-based: one aggregate query assesses every employer of a month at once, so the same code
serves a single declaration and the seeding of a whole country.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, bindparam, func, insert, select, text

from sibook.contributions.dues import Dues, PayrollGroup, caps, payroll_dues
from sibook.contributions.ledger_store import (
    FUNDS,
    LedgerEntry,
    LedgerStart,
    Payment,
    PaymentAllocation,
)
from sibook.core.bulk import write
from sibook.core.period import Period
from sibook.law import REGIONS

# An employer never assessed owes from its first period, but not from before the national
# database's ledger began (Decree 164/2025 takes effect on 1 January 2026): earlier months are
# the records carried over as they were, their dues settled outside it, unless the employer's
# ledger holds them whole (``began``: the seed's history). A filing that changes one posts the
# change alone (``assess``'s ``before``), never the month's whole payroll again.
LEDGER_BEGINS = Period(2026, 1)

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
    """The caps of ``months`` as one VALUES list, whatever their number: a UNION ALL of one
    SELECT per row failed on SQLite past 500 terms (SQLITE_MAX_COMPOUND_SELECT), an assessment
    of ~125 months, where a VALUES list has no limit but that on bound parameters (SQLite's
    32,766: 2,000 months). Both stores name a VALUES list's columns column1, column2, ..."""
    rows: list[str] = []
    params: dict[str, object] = {}
    for i, month in enumerate(months):
        for region in REGIONS:
            key = f"{i}_{region}"
            si, ui = caps(month, region)
            params |= {f"m{key}": month.index, f"r{key}": region, f"s{key}": si, f"u{key}": ui}
            rows.append(f"(:m{key}, :r{key}, :s{key}, :u{key})")
    return ("SELECT v.column1 AS month, v.column2 AS region, v.column3 AS si_cap, "
            f"v.column4 AS ui_cap FROM (VALUES {', '.join(rows)}) AS v"), params


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


def payroll(conn: Connection, months: list[Period], employer_ids: list[int] | None = None
            ) -> dict[int, dict[int, Dues]]:
    """The dues the periods imply now: month index (each of ``months``) -> employer id (those
    owing any) -> dues."""
    out: dict[int, dict[int, Dues]] = {m.index: {} for m in months}
    if not months:
        return out
    for (month, employer_id), found in _payroll_groups(conn, months, employer_ids).items():
        out[month][employer_id] = payroll_dues(Period.from_index(month), found)
    return out


def assess(
    conn: Connection, months: list[Period], employer_ids: list[int] | None = None, *,
    before: Mapping[int, Mapping[int, Dues]] | None = None,
) -> list[Entry]:
    """Ledger entries, per employer and month, for the change between the dues the periods now
    imply and those already posted; nothing is written (see :func:`post`). ``before``
    (``payroll``, read before the change): the months whose change is counted from the dues
    the periods implied then instead of from what is posted, the months carried over from
    before the ledger began, whose dues were settled outside it (a month without an entry is
    not one nothing was due for)."""
    if not months:
        return []
    groups = _payroll_groups(conn, months, employer_ids)
    carried = before or {}
    entries: list[Entry] = []
    for month in months:
        posted = _posted(conn, month, employer_ids)
        was_due = carried.get(month.index)
        employers = {e for (m, e) in groups if m == month.index} | set(posted) | set(
            was_due or ())
        for employer_id in sorted(employers):
            was, last_no = posted.get(employer_id, (Dues(), 0))
            if was_due is not None:
                was = was_due.get(employer_id, Dues())
            delta = payroll_dues(month, groups.get((month.index, employer_id), [])).minus(was)
            if not delta.is_zero():
                entries.append(_entry(month, employer_id, last_no + 1, delta))
    return entries


def _payroll_groups(conn: Connection, months: list[Period], employer_ids: list[int] | None
                    ) -> dict[tuple[int, int], list[PayrollGroup]]:
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
    return groups


Entry = dict[str, int]  # a ledger_entries row without declaration_id


def post(conn: Connection, entries: list[Entry], declaration_id: int | None, *,
         began: Period | None = None) -> None:
    """Append the entries through the bulk path (COPY on PostgreSQL). An employer's first
    entries also write where its ledger begins (``began``): the month ``began`` gives (a
    filing, which posts one employer's), else the first month posted."""
    if not entries:
        return
    columns = [*entries[0], "declaration_id"]
    write(conn, "ledger_entries", columns, [(*e.values(), declaration_id) for e in entries])
    first: dict[int, int] = {}
    for e in entries:
        first[e["employer_id"]] = min(first.get(e["employer_id"], e["period"]), e["period"])
    ids = sorted(first)
    for at in range(0, len(ids), _IDS_A_QUERY):
        for known in conn.execute(select(LedgerStart.employer_id).where(
                LedgerStart.employer_id.in_(ids[at:at + _IDS_A_QUERY]))).scalars():
            del first[known]
    write(conn, "ledger_starts", ("employer_id", "period"),
          [(e, p if began is None else began.index) for e, p in sorted(first.items())])


_IDS_A_QUERY = 10_000  # well under SQLite's 32,766 bound parameters


def began(conn: Connection, employer_id: int) -> Period | None:
    """The first month the employer's ledger holds whole, written with its first entries
    (``post``); None before any."""
    found = conn.execute(select(LedgerStart.period).where(
        LedgerStart.employer_id == employer_id)).scalar()
    return None if found is None else Period.from_index(int(found))


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


@dataclass(frozen=True)
class Allocation:
    period: int
    payment_id: int
    amount: int
    paid_on: date


@dataclass
class _Money:
    payment_id: int
    amount: int
    paid_on: date


def allocate(conn: Connection, employer_id: int) -> list[Allocation]:
    """Allocate the employer's money, the earliest money to the oldest dues, whatever order the
    payments were posted in and however the dues were corrected since. The month order is the
    project's reading: the law splits a remittance by fund (health, unemployment, then the SI
    funds), each fund's late charges with its dues, and says nothing of months (Decree
    233/2025/ND-CP Art 7(4); README). Late interest is not allocated: no payment pays it yet.
    Allocations are append-only: what this appends is the difference between that allocation
    and the one on record, each row at its own payment's date. So a payment
    posted late for money paid early takes the older months from later money, and money a
    correction freed keeps the payment and the date it came with."""
    due = dues_by_month(conn, employer_id)
    money = _payments(conn, employer_id)
    target: dict[tuple[int, int], int] = defaultdict(int)  # (payment, month): amount
    left = [_Money(m.payment_id, m.amount, m.paid_on) for m in money]
    for period in sorted(due):
        outstanding = due[period]
        while outstanding > 0 and left:
            take = min(outstanding, left[0].amount)
            target[(left[0].payment_id, period)] += take
            outstanding -= take
            left[0].amount -= take
            if left[0].amount == 0:
                left.pop(0)
    held = _allocated(conn, employer_id)
    paid_on = {m.payment_id: m.paid_on for m in money}
    new = [Allocation(period, payment_id, amount, paid_on[payment_id])
           for (payment_id, period) in sorted(target.keys() | held.keys(),
                                              key=lambda k: (k[1], paid_on[k[0]], k[0]))
           if (amount := target.get((payment_id, period), 0)
               - held.get((payment_id, period), 0)) != 0]
    if new:
        next_no = _next_allocation_numbers(conn, employer_id)
        rows = []
        for a in new:
            rows.append({"period": a.period, "employer_id": employer_id,
                         "allocation_no": next_no[a.period], "payment_id": a.payment_id,
                         "amount": a.amount, "paid_on": a.paid_on})
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
    or dues corrected below what was paid. It pays the next dues first. As of a day, the dues
    of months after it had not used it yet: it was credit then."""
    last = None if as_of is None else Period.of(as_of).index
    used: dict[int, int] = defaultdict(int)
    for (payment_id, period), amount in _allocated(conn, employer_id).items():
        if last is None or period <= last:
            used[payment_id] += amount
    return sum(m.amount - used[m.payment_id] for m in _payments(conn, employer_id)
               if as_of is None or m.paid_on <= as_of)


def _payments(conn: Connection, employer_id: int) -> list[_Money]:
    """The employer's payments, earliest money first (the order it pays the dues in)."""
    rows = conn.execute(
        select(Payment.payment_id, Payment.amount, Payment.paid_on)
        .where(Payment.employer_id == employer_id)
        .order_by(Payment.paid_on, Payment.payment_id))
    return [_Money(int(r[0]), int(r[1]), r[2]) for r in rows]


def _allocated(conn: Connection, employer_id: int) -> dict[tuple[int, int], int]:
    """(payment, month): the amount allocated on record, all rows of it summed."""
    rows = conn.execute(
        select(PaymentAllocation.payment_id, PaymentAllocation.period,
               func.sum(PaymentAllocation.amount))
        .where(PaymentAllocation.employer_id == employer_id)
        .group_by(PaymentAllocation.payment_id, PaymentAllocation.period))
    return {(int(r[0]), int(r[1])): int(r[2]) for r in rows if int(r[2]) != 0}


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
