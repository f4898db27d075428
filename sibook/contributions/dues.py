"""Dues of an employer's payroll for a month, per fund and payer (pure; law tables only).

The agency assesses an employer on its payroll (quỹ tiền lương): each worker's basis is capped
(20 x reference level for SI/HI, 20 x the regional minimum for UI), the capped bases are summed
per participant kind and OA/OD rate, and each fund's rate is applied to the sum, rounded half up
once per fund and payer. A worker's own share is derivable with ``sibook.rules.compulsory_dues``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from sibook import law
from sibook.contributions.ledger_store import FUNDS
from sibook.core.money import percent_of, round_vnd
from sibook.core.period import Period

OA_BY_BP = {50: "standard", 30: "reduced"}  # occupational_rate_bp -> law's OA rate name


@dataclass(frozen=True)
class PayrollGroup:
    """Workers of one kind and OA rate at one employer in one month, with capped basis sums."""

    kind: str  # compulsory | foreign
    occupational_rate_bp: int
    workers: int
    si_basis: int  # sum of bases capped for SI/HI
    ui_basis: int  # sum of bases capped for UI


@dataclass
class Dues:
    """Employer and employee amounts per fund (VND)."""

    workers: int = 0
    employer: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FUNDS, 0))
    employee: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FUNDS, 0))

    @property
    def total(self) -> int:
        return sum(self.employer.values()) + sum(self.employee.values())

    def minus(self, other: Dues) -> Dues:
        return Dues(
            workers=self.workers - other.workers,
            employer={f: self.employer[f] - other.employer[f] for f in FUNDS},
            employee={f: self.employee[f] - other.employee[f] for f in FUNDS},
        )

    def is_zero(self) -> bool:
        return (
            self.workers == 0
            and self.total == 0
            and not any(self.employer[f] or self.employee[f] for f in FUNDS)
        )


def caps(month: Period, region: str) -> tuple[int | None, int | None]:
    """(SI/HI cap, UI cap) on a worker's monthly basis in ``region``; None where the law set
    no cap (the payroll SQL then compares with NULL and keeps the basis)."""
    book = law.book()
    return book.si_hi_cap(month).amount, book.ui_cap(region, month).amount


@lru_cache(maxsize=4096)
def _fund_rates(kind: str, month: Period, oa: str) -> law.FundRates:
    """Law tables are immutable once loaded, so a month's rates are looked up once."""
    return law.fund_rates(kind, month, oa)  # type: ignore[arg-type]


def payroll_dues(month: Period, groups: list[PayrollGroup]) -> Dues:
    dues = Dues()
    for g in groups:
        dues.workers += g.workers
        oa = OA_BY_BP.get(g.occupational_rate_bp, "standard")
        rates = _fund_rates(g.kind, month, oa)
        for rate in rates.rates:
            basis = g.ui_basis if rate.fund == "unemployment" else g.si_basis
            dues.employer[rate.fund] += round_vnd(percent_of(basis, Decimal(rate.employer)))
            dues.employee[rate.fund] += round_vnd(percent_of(basis, Decimal(rate.employee)))
    return dues
