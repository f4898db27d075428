"""Sickness benefit (chế độ ốm đau): 75% of the last month's SI salary per working day off."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sibook.core.money import round_vnd
from sibook.core.period import Period
from sibook.law import book
from sibook.rules.contribution import si_hi_cap
from sibook.rules.explain import Explanation, Trail, pct, vnd
from sibook.rules.inputs import PLAUSIBLE_MAX_DAYS, check_money, check_range

HALF = Decimal("0.5")


@dataclass(frozen=True)
class SicknessResult:
    amount: int
    max_days_per_year: int
    days_counted: Decimal
    days_paid: Decimal
    explanation: Explanation

    def as_dict(self) -> dict[str, object]:
        return {"amount": self.amount, "max_days_per_year": self.max_days_per_year,
                "days_paid": float(self.days_paid)}


def counted_days(days: Decimal) -> Decimal:
    """Art 45(5): a part day under half counts as half a day, half or more as a whole day."""
    whole = Decimal(int(days))
    part = days - whole
    return whole if part == 0 else whole + (HALF if part < HALF else 1)


def sickness_benefit(*, salary: int, days: Decimal, years_contributed: int, on: Period,
                     heavy: bool = False) -> SicknessResult:
    """Benefit for ``days`` working days off this year; days above the yearly maximum are unpaid
    here (long-term illnesses continue at a lower rate under Art 45(3))."""
    check_money(salary, "salary")
    check_range(days, "days", low=0, high=PLAUSIBLE_MAX_DAYS, unit="days")
    check_range(years_contributed, "years_contributed", low=0, high=80, unit="years")
    law = book()
    trail = Trail({"salary": vnd(salary), "days": str(days), "month": str(on),
                   "years_contributed": str(years_contributed), "heavy": str(heavy)})
    band = trail.use(law.sickness_band(years_contributed, on))
    max_days = int(band.value("heavy_days" if heavy else "normal_days"))
    trail.step(f"{years_contributed} years contributed, {'heavy' if heavy else 'normal'} work: "
               f"at most {max_days} days a year")
    counted = counted_days(days)
    paid = min(counted, Decimal(max_days))
    trail.step(f"{days} days count as {counted}; {paid} paid")
    _, cap = si_hi_cap(on, trail)
    basis = min(salary, cap)
    if basis < salary:
        trail.step(f"SI basis = min(salary {vnd(salary)}, cap {vnd(cap)}) = {vnd(basis)}: no "
                   "contribution was paid above the cap, so no benefit is either")
    rate = trail.fact(law.parameter("sickness_percent", on))
    divisor = trail.fact(law.parameter("sickness_day_divisor", on))
    amount = round_vnd(basis * rate / 100 / divisor * paid)
    trail.step(f"amount = {vnd(basis)} x {pct(rate)} / {divisor} days x {paid} days "
               f"= {vnd(amount)} (rounded once)")
    return SicknessResult(amount=amount, max_days_per_year=max_days, days_counted=counted,
                          days_paid=paid, explanation=trail.done())
