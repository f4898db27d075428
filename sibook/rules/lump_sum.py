"""One-time SI withdrawal (BHXH một lần): multiples of the average salary per year paid."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sibook.core.errors import ValidationError
from sibook.core.money import round_vnd
from sibook.core.period import Period
from sibook.law import book
from sibook.rules.explain import Explanation, Trail, pct, vnd
from sibook.rules.inputs import check_money, check_months
from sibook.rules.pension import benefit_years


@dataclass(frozen=True)
class LumpSumResult:
    amount: int
    explanation: Explanation

    def as_dict(self) -> dict[str, object]:
        return {"amount": self.amount}


def years_amount(*, months_before: int, months_from: int, average_salary: int, on: Period,
                 trail: Trail, prefix: str) -> Decimal:
    """Exact amount for whole periods: odd months before the split year move to the later part."""
    law = book()
    before = trail.fact(law.parameter(f"{prefix}_per_year_before_2014", on))
    after = trail.fact(law.parameter(f"{prefix}_per_year_from_2014", on))
    years_before, carried = divmod(months_before, 12)
    if carried:
        trail.step(f"{carried} odd months before 2014 move to the period from 2014")
    years_after = benefit_years(months_from + carried, on, trail)
    exact = average_salary * (before * years_before + after * years_after)
    trail.step(f"{vnd(average_salary)} x ({before} x {years_before} years before 2014 + "
               f"{after} x {years_after} years from 2014) = {vnd(exact)}")
    return exact


def one_time_withdrawal(*, months_before_2014: int, months_from_2014: int, average_salary: int,
                        on: Period) -> LumpSumResult:
    """Amount of a one-time withdrawal settled in month ``on``; rounded once, half up."""
    check_months(months_before_2014, "months_before_2014")
    check_months(months_from_2014, "months_from_2014")
    check_money(average_salary, "average_salary")
    total = months_before_2014 + months_from_2014
    if total == 0:
        raise ValidationError(field="months_from_2014",
                              reason="no months of contributions: at least 1 month is needed")
    trail = Trail({"months_before_2014": str(months_before_2014),
                   "months_from_2014": str(months_from_2014),
                   "average_salary": vnd(average_salary), "month": str(on)})
    if total < 12:
        return LumpSumResult(_refund(total, average_salary, on, trail), trail.done())
    exact = years_amount(months_before=months_before_2014, months_from=months_from_2014,
                         average_salary=average_salary, on=on, trail=trail, prefix="lump_sum")
    amount = round_vnd(exact)
    trail.step(f"amount = {vnd(amount)} (rounded once)")
    return LumpSumResult(amount, trail.done())


def _refund(months: int, average_salary: int, on: Period, trail: Trail) -> int:
    """Under one year: the retirement contributions paid back, capped at a multiple of salary."""
    law = book()
    cap_multiple = trail.fact(law.parameter("lump_sum_under_year_cap", on))
    fund = law.fund_rates("compulsory", on).of("retirement_survivorship")
    if fund is None:
        raise ValidationError(field="months_from_2014", reason=f"no retirement rate in {on}")
    trail.use(fund.row)
    rate = fund.employer + fund.employee
    paid = round_vnd(average_salary * rate / 100 * months)
    cap = round_vnd(average_salary * cap_multiple)
    trail.step(f"under one year: contributions {pct(rate)} x {vnd(average_salary)} x {months} "
               f"months = {vnd(paid)}, at most {cap_multiple} x average salary = {vnd(cap)}")
    return min(paid, cap)
