"""Reading the ledger: an employer's months (due, paid, late interest, evasion) and a person's.

Late interest is computed when read, from the allocation history, each stretch of lateness by
the rule in force then (``late_interest``): 0.03% a day from 2025-07 (Law 41/2024 Art 40 [S];
FACTS §3.7), Law 58/2014 Art 122(3)'s monthly charge before, where the law tables price it; a
month late that no rule prices is charged nothing and the statement names it. The deadline is
the last day of the month ``payment_deadline_months_after`` months after the last month of the
cycle the month is paid in (the month itself for a monthly payer; ``cycles``), the rule in
force for that month (law data): the month itself to 2025-06 (Decision 595/QD-BHXH Art 7), the
month after from 2025-07 (Law 41/2024 Art 34(4)): January 2026 falls due on 28 February, and
January to March 2026 of a unit paying every 3 months from January on 30 April.

The interest is shown, not collected: no payment is allocated to it (see ``ledger.allocate``).
The agency determines it monthly and notifies the employer (Decree 274/2025/ND-CP Art 7), and
collects it with each fund's dues (Decree 233/2025/ND-CP Art 7(4)); the README states the gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import Connection, func, select

from sibook import law
from sibook.contributions import late_interest
from sibook.contributions.cycles import MONTHLY, PaymentCycles, cycles_for
from sibook.contributions.ledger import dues_by_month
from sibook.contributions.ledger_store import PaymentAllocation
from sibook.core.money import round_vnd
from sibook.core.period import Period

Status = Literal["paid", "partly_paid", "unpaid", "reported"]
DEADLINE_RULE = "payment_deadline_months_after"  # its rows begin in 2020-01


@dataclass(frozen=True)
class EmployerMonth:
    month: Period
    due: int
    paid: int
    deadline: date
    days_late: int  # days the month is (or was, until fully paid) past its deadline
    interest: int
    evasion: bool  # it was (or is) still not fully paid on the first day of evasion
    unpriced: tuple[Period, ...]  # months it was late that no interest rule prices

    @property
    def in_evasion(self) -> bool:
        """In evasion now: evasion not yet remedied."""
        return self.evasion and self.outstanding > 0

    @property
    def outstanding(self) -> int:
        return max(self.due - self.paid, 0)

    @property
    def status(self) -> Status:
        if self.due <= 0 or self.paid >= self.due:
            return "paid"
        return "partly_paid" if self.paid > 0 else "unpaid"


def deadline_of(month: Period, cycles: PaymentCycles = MONTHLY) -> date:
    """The day ``month``'s dues are due by, for an employer paying by ``cycles``."""
    end = cycles.cycle_end(month)
    months_after = int(law.parameter(DEADLINE_RULE, end).value)
    return (end + months_after).last_day


def employer_months(conn: Connection, employer_id: int, as_of: date) -> list[EmployerMonth]:
    """The employer's months as the ledger stood on ``as_of``, both sides cut at that day: the
    dues of the months up to ``as_of``'s (a later month was not yet owed: filed ahead or
    assessed since, it is not on the statement) and the money paid by then."""
    last = Period.of(as_of).index
    due = {p: amount for p, amount in dues_by_month(conn, employer_id).items() if p <= last}
    allocations: dict[int, list[tuple[date, int]]] = {}
    # Net per day: a correction's rows (money moved off a month and back, at its payment's
    # date) must not read as a payment made that day.
    for period, paid_on, amount in conn.execute(
        select(PaymentAllocation.period, PaymentAllocation.paid_on,
               func.sum(PaymentAllocation.amount))
        .where(PaymentAllocation.employer_id == employer_id)
        .group_by(PaymentAllocation.period, PaymentAllocation.paid_on)
        .order_by(PaymentAllocation.paid_on)
    ):
        if int(amount) != 0:
            allocations.setdefault(period, []).append((paid_on, int(amount)))
    rules_month = Period.of(as_of)
    cycles = cycles_for(conn, employer_id)
    return [
        _month(Period.from_index(p), amount, allocations.get(p, []), as_of, rules_month,
               deadline_of(Period.from_index(p), cycles))
        for p, amount in sorted(due.items())
    ]


def _month(
    month: Period, due: int, paid: list[tuple[date, int]], as_of: date, rules_month: Period,
    deadline: date,
) -> EmployerMonth:
    # Summed exact and rounded once (STYLE; FACTS §3.7 names the rate, no rounding per run).
    accrued = late_interest.accrued(due, paid, deadline, as_of)
    outstanding, settled_on = due - sum(a for d, a in paid if d <= deadline), None
    for paid_on, amount in paid:
        if paid_on <= deadline or paid_on > as_of:
            continue
        owed, outstanding = outstanding > 0, outstanding - amount
        if owed and outstanding <= 0 and settled_on is None:
            settled_on = paid_on
    total_paid = sum(a for d, a in paid if d <= as_of)
    end = settled_on or (as_of if outstanding > 0 else deadline)
    days_late = max((end - deadline).days, 0)
    # Evasion is a fact of the month's history (FACTS §3.7: not remedied 60 days after the
    # deadline): a month paid after it became evasion stays marked, its status then "paid".
    # A month never late needs no evasion rule, and before the law tables have one (2025-07,
    # Law 41/2024 Art 39) none is judged: the statement says so (``statement_notes``).
    first_evasion_day = evasion_from_day(rules_month)
    evasion = days_late > 0 and first_evasion_day is not None and days_late >= first_evasion_day
    return EmployerMonth(month, due, total_paid, deadline, days_late,
                         round_vnd(accrued.interest), evasion, accrued.unpriced)


def evasion_from_day(on: Period) -> int | None:
    """The first day of evasion counted from the deadline by the rule in force ``on``; None
    where the law tables have none."""
    row = law.book().table("parameters").find("evasion_from_day", on)
    return None if row is None else int(row.value("value"))


def statement_notes(months: list[EmployerMonth], as_of: date) -> list[str]:
    """What the statement could not work out by the law tables, in words: the months late that
    no interest rule prices, and evasion where no rule judges it."""
    notes = []
    unpriced = sorted({p for m in months for p in m.unpriced})
    if unpriced:
        notes.append(f"interest for days late in {_spans(unpriced)} not computed: no late-interest "
                     "rate in the law tables for those months")
    if any(m.days_late > 0 for m in months) and evasion_from_day(Period.of(as_of)) is None:
        notes.append(f"evasion not judged: no evasion rule in the law tables for "
                     f"{Period.of(as_of)}")
    return notes


def _spans(months: list[Period]) -> str:
    """Sorted months as runs: ``2016-01..2019-12, 2021-01``."""
    runs: list[list[Period]] = []
    for p in months:
        if runs and runs[-1][-1] + 1 == p:
            runs[-1].append(p)
        else:
            runs.append([p])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}..{r[-1]}" for r in runs)
