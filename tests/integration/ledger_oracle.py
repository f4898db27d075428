"""An employer's ledger worked out from FACTS.md alone (§3.1-3.3, 3.5, 3.7), not from sibook's
code or tables: a worker's dues per fund, the employer's months, the money paid oldest month
first, late days, interest and evasion, as of a day. test_ledger_oracle compares it with what
sibook answers. Where FACTS leaves a choice open, the project's documented reading (README) is
taken and named so."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

# FACTS §3.3, by the year the month is in
MINIMUM = {"2025": {"I": 4_960_000, "II": 4_410_000, "III": 3_860_000, "IV": 3_450_000},
           "2026": {"I": 5_310_000, "II": 4_730_000, "III": 4_140_000, "IV": 3_700_000}}
FUNDS = ("retirement_survivorship", "sickness_maternity", "occupational", "health",
         "unemployment")
# FACTS §3.1, percent: (employer, employee); UI's on its own basis (§3.2)
RATES = {fund: (Decimal(employer), Decimal(employee)) for fund, employer, employee in (
    ("retirement_survivorship", "14", "8"), ("sickness_maternity", "3", "0"),
    ("occupational", "0.5", "0"), ("health", "3", "1.5"), ("unemployment", "1", "1"))}
# FACTS §3.7: 0.03% a day, Law 41/2024's, in force from 2025-07-01 (FACTS §1: the Law's date);
# FACTS gives no earlier rate. Before it Law 58/2014 Art 122(3) charged only what was late 30
# days or more, monthly (the project's law tables cite it): the only month late before 2025-07
# here (A's 2025-05, due 05-31, paid 06-20) was late 20 days then, so those days cost nothing
# (``statement`` checks no month was late 30 days or more before 2025-07).
INTEREST_A_DAY = Decimal("0.0003")
LAW_41_FROM = date(2025, 7, 1)
FIRST_DAY_OF_EVASION = 61  # FACTS §3.7: the 61st day after the deadline


def reference(month: str) -> int:
    """FACTS §3.2: 2,340,000. From 2026-07 the project's documented departure, 2,530,000
    (Decree 161/2026; FACTS §9(5) leaves a 2026 change open), as test_rules_oracle takes it."""
    return 2_530_000 if month >= "2026-07" else 2_340_000


def minimum(month: str, region: str) -> int:
    return MINIMUM[month[:4]][region]


def next_month(month: str, n: int = 1) -> str:
    index = int(month[:4]) * 12 + int(month[5:]) - 1 + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def last_day(month: str) -> date:
    year, mon = int(month[:4]), int(month[5:])
    return date(year, mon, calendar.monthrange(year, mon)[1])


def deadline(month: str, cycle: tuple[str, int] | None = None) -> date:
    """The month's deadline; ``cycle`` (first month, 3 or 6) for a unit paying every 3 or 6
    months from then, whose cycle's months fall due together (FACTS §3.5). FACTS gives Decision
    595's last day of the month or of the cycle [C for the old rule] and leaves the 2024 Law's
    Art 34 open [U]. Ambiguous from 2025-07 (the Law's start): the project reads Art 34(4) as
    the last day of the month after the month or the cycle (README, "Late interest"), and so
    does this oracle."""
    end = month
    if cycle is not None and month >= cycle[0]:
        first, length = cycle
        end = next_month(first, (months_after(first, month) // length + 1) * length - 1)
    return last_day(next_month(end) if month >= "2025-07" else end)


def months_after(first: str, month: str) -> int:
    return (int(month[:4]) - int(first[:4])) * 12 + int(month[5:]) - int(first[5:])


def shares(month: str, basis: int, region: str) -> dict[str, dict[str, int]]:
    """Each side's dues per fund: SI and HI on the basis up to 20 x the reference level, UI on
    it up to 20 x the region's minimum (FACTS §3.2). Salaries are chosen so every line is whole
    dong: no rounding rule plays a part."""
    si, ui = min(basis, 20 * reference(month)), min(basis, 20 * minimum(month, region))
    sides = {}
    for index, side in enumerate(("employer", "employee")):
        lines = {}
        for fund in FUNDS:
            amount = RATES[fund][index] * (ui if fund == "unemployment" else si) / 100
            assert amount == int(amount), (fund, basis)
            lines[fund] = int(amount)
        sides[side] = lines | {"total": sum(lines.values())}
    return sides


@dataclass
class Line:
    """A D02-LT line: a worker's pay (salary + allowances) from a month, or a decrease (GH)."""

    personal_id: str
    case_code: str
    salary: int | None
    from_month: str
    allowances: int = 0


@dataclass
class Worker:
    pays: dict[str, int] = field(default_factory=dict)  # from month -> basis
    salaries: dict[str, int] = field(default_factory=dict)  # from month -> salary alone
    ends: str | None = None  # first month no longer covered

    def basis(self, month: str) -> int | None:
        if self.ends is not None and month >= self.ends:
            return None
        starts = [m for m in self.pays if m <= month]
        return self.pays[max(starts)] if starts else None

    def below_minimum(self, month: str, region: str) -> bool:
        """Paid (allowances aside) below the month's minimum, raised since (FACTS §3.2-3.3)."""
        if self.basis(month) is None:
            return False
        return self.salaries[max(m for m in self.salaries if m <= month)] < minimum(month, region)


def workers_of(lines: list[Line]) -> dict[str, Worker]:
    workers: dict[str, Worker] = {}
    for line in lines:
        worker = workers.setdefault(line.personal_id, Worker())
        if line.case_code == "GH":
            worker.ends = line.from_month
        else:
            assert line.salary is not None
            worker.pays[line.from_month] = line.salary + line.allowances
            worker.salaries[line.from_month] = line.salary
    return workers


@dataclass
class Month:
    month: str
    due: int
    below_minimum: int
    due_by: date
    allocations: list[tuple[date, int]] = field(default_factory=list)

    @property
    def paid(self) -> int:
        return sum(amount for _, amount in self.allocations)


def months_of(workers: dict[str, Worker], region: str, first: str, last: str,
              cycle: tuple[str, int] | None = None) -> list[Month]:
    """The employer's months from ``first`` to ``last``: every worker's dues, both sides;
    ``cycle`` as for :func:`deadline`."""
    out, month = [], first
    while month <= last:
        due = sum(shares(month, b, region)["employer"]["total"]
                  + shares(month, b, region)["employee"]["total"]
                  for w in workers.values() if (b := w.basis(month)) is not None)
        if due:
            out.append(Month(month, due, sum(w.below_minimum(month, region)
                                             for w in workers.values()),
                             deadline(month, cycle)))
        month = next_month(month)
    return out


def allocate(months: list[Month], payments: list[tuple[date, int]], as_of: date) -> int:
    """Pay the months up to as_of's month with the money paid by as_of, earliest money to the
    oldest month (README: the project's reading; FACTS names no order). The credit left."""
    shown = [m for m in months if m.month <= as_of.isoformat()[:7]]
    credit = 0
    for day, amount in sorted(p for p in payments if p[0] <= as_of):
        for m in shown:
            take = min(amount, m.due - m.paid)
            if take > 0:
                m.allocations.append((day, take))
                amount -= take
        credit += amount
    return credit


def statement(m: Month, as_of: date) -> dict[str, object]:
    """The month as of ``as_of``: late days run from the deadline to the day it was paid in
    full (that day counted, as FACTS' 'the 61st day' counts days after the deadline) or to
    as_of; interest is 0.03% a day of what was still owed each of those days."""
    due_by = m.due_by
    balance, at, interest = m.due, due_by, Decimal(0)
    full_on = None
    for day, amount in sorted(m.allocations):
        if day > at:
            interest += INTEREST_A_DAY * balance * _days_under_law_41(at, day)
            at = day
        balance -= amount
        if balance == 0:
            full_on = day
    end = full_on if full_on is not None else as_of
    if balance and as_of > at:
        interest += INTEREST_A_DAY * balance * _days_under_law_41(at, as_of)
    days_late = max((end - due_by).days, 0)
    assert (min(end, LAW_41_FROM) - due_by).days < 30, m.month  # see INTEREST_A_DAY
    status = "paid" if m.paid == m.due else "partly_paid" if m.paid else "unpaid"
    return {"month": m.month, "due": m.due, "paid": m.paid, "outstanding": m.due - m.paid,
            "deadline": due_by.isoformat(), "days_late": days_late,
            "interest": int(_rounded(interest)),
            # no day-61 rule before Law 41/2024 (FACTS §3.7 is its rule)
            "evasion": as_of >= LAW_41_FROM and days_late >= FIRST_DAY_OF_EVASION,
            "status": status,
            "below_minimum": m.below_minimum}


def _days_under_law_41(after: date, through: date) -> int:
    """The days after ``after`` up to ``through`` on which Law 41/2024 was in force."""
    return max((through - max(after, LAW_41_FROM - timedelta(days=1))).days, 0)


def _rounded(amount: Decimal) -> Decimal:
    """FACTS names no rounding of the interest; STYLE rounds once: the exact sum of the month's
    runs of days at one balance (deadline to a payment, payment to payment, to as_of), to the
    nearest dong, half up (2025-07 of region I's employer as of 2025-09-30: 128,333; rounding
    each run gave 128,332)."""
    return amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)
