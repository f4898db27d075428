"""Workers paid below the regional minimum of a month (FACTS §3.2-3.3, §3.7).

A filing refuses pay below the minimum of every month a line covers; but a period stays open
for years, and the Government raises the minimum (Decree 293/2025: from 1 January 2026). A
worker declared at 5,000,000 VND in Region I in 2025 is below the 5,310,000 of January 2026
until the employer files an adjustment (DC). Such months are what the law calls declaring a
salary lower than it requires: evasion from the last day of the month after (FACTS §3.7, the
second case). The dues stay those of the pay declared (the ledger posts what was declared, never a
guess); this lists the workers for the employer to adjust and for the inspector, and counts
them per month on the employer's ledger.

The comparison is of the salary alone, as the filing's check: allowances do not make up a
salary below the minimum.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, bindparam, text

from sibook import law
from sibook.contributions.cycles import MONTHLY, PaymentCycles
from sibook.core.period import Period

_PAID_BY_EMPLOYER = ("compulsory", "foreign")  # a voluntary participant chooses their income


@dataclass(frozen=True)
class Underpaid:
    """One worker's open period in the month, and how far its salary falls short."""

    person_id: int
    personal_id: str
    full_name: str
    salary: int
    minimum: int

    @property
    def shortfall(self) -> int:
        return self.minimum - self.salary

    def as_dict(self) -> dict[str, object]:
        return {"personal_id": self.personal_id, "full_name": self.full_name,
                "salary": self.salary, "minimum": self.minimum, "shortfall": self.shortfall}


def minimum_of(region: str, month: Period) -> int | None:
    """The regional minimum in force in ``month``, or None before the law tables begin."""
    try:
        return law.regional_minimum(region, month).value
    except law.NoRuleInForce:
        return None


def evasion_from(month: Period, cycles: PaymentCycles = MONTHLY) -> date:
    """The day a month declared below the minimum counts as evasion from: the last day of the
    month after it, or after its cycle for a 3- or 6-monthly payer (FACTS §3.7), the day the
    month falls due from 2025-07 (``statement.deadline_of``, Law 41/2024 Art 34(4))."""
    return (cycles.cycle_end(month) + 1).last_day


def underpaid(conn: Connection, employer_id: int, region: str, month: Period,
              realm: str) -> list[Underpaid]:
    """The employer's workers whose open period in ``month`` pays a salary below that month's
    regional minimum, by personal ID: those of the unit's ``realm`` only (a ministry's person
    on a civil unit's record from before units had realms stays absent outside their realm)."""
    minimum = minimum_of(region, month)
    if minimum is None:
        return []
    rows = conn.execute(text("""
        SELECT s.person_id, p.personal_id, p.full_name, s.salary_basis
        FROM si_periods s JOIN persons p ON p.person_id = s.person_id
        WHERE s.employer_id = :e AND s.kind IN :kinds AND s.salary_basis < :minimum
          AND s.from_month <= :m AND (s.to_month IS NULL OR s.to_month >= :m)
          AND p.realm = :realm
        ORDER BY p.personal_id""").bindparams(bindparam("kinds", expanding=True)),
        {"e": employer_id, "kinds": list(_PAID_BY_EMPLOYER), "minimum": minimum,
         "m": month.index, "realm": realm})
    return [Underpaid(int(r[0]), r[1], r[2], int(r[3]), minimum) for r in rows]


def counts_by_month(conn: Connection, employer_id: int, region: str,
                    months: list[Period], realm: str) -> dict[Period, int]:
    """How many of the employer's workers (of its ``realm``, as ``underpaid`` lists them) are
    paid below the minimum in each of ``months``: one read of the periods below the highest of
    those months' minimums (few rows)."""
    minimums = {m: minimum_of(region, m) for m in months}
    known = [v for v in minimums.values() if v is not None]
    counts = dict.fromkeys(months, 0)
    if not known:
        return counts
    first, last = min(months), max(months)
    periods = conn.execute(text("""
        SELECT s.from_month, s.to_month, s.salary_basis
        FROM si_periods s JOIN persons p ON p.person_id = s.person_id
        WHERE s.employer_id = :e AND s.kind IN :kinds AND s.salary_basis < :highest
          AND s.from_month <= :last AND (s.to_month IS NULL OR s.to_month >= :first)
          AND p.realm = :realm
        """).bindparams(bindparam("kinds", expanding=True)),
        {"e": employer_id, "kinds": list(_PAID_BY_EMPLOYER), "highest": max(known),
         "first": first.index, "last": last.index, "realm": realm}).all()
    for month, minimum in minimums.items():
        if minimum is None:
            continue
        counts[month] = sum(1 for start, end, salary in periods
                            if start <= month.index and (end is None or end >= month.index)
                            and salary < minimum)
    return counts
