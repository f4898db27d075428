"""Survivorship (chế độ tử tuất): funeral allowance, monthly and one-time survivor allowances."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sibook.core.money import round_vnd
from sibook.core.period import Period
from sibook.law import book
from sibook.rules.explain import Explanation, Trail, pct, vnd
from sibook.rules.inputs import check_money, check_months, check_range
from sibook.rules.lump_sum import years_amount


@dataclass(frozen=True)
class SurvivorResult:
    amount: int
    explanation: Explanation


def funeral_allowance(*, month: Period) -> SurvivorResult:
    law = book()
    trail = Trail({"month": str(month)})
    multiple = trail.fact(law.parameter("funeral_multiplier", month))
    reference = trail.fact(law.reference_level(month))
    amount = int(multiple * reference)
    trail.step(f"{multiple} x reference level {vnd(reference)} = {vnd(amount)}")
    return SurvivorResult(amount, trail.done())


def monthly_survivor_allowance(*, month: Period, relatives: int, without_carer: int = 0,
                               ) -> SurvivorResult:
    """Total monthly allowance for ``relatives`` (of whom ``without_carer`` have no carer)."""
    law = book()
    trail = Trail({"month": str(month), "relatives": str(relatives),
                   "without_carer": str(without_carer)})
    most = int(trail.fact(law.parameter("survivor_max_relatives", month)))
    check_range(relatives, "relatives", low=1, high=most)
    check_range(without_carer, "without_carer", low=0, high=relatives)
    reference = trail.fact(law.reference_level(month))
    normal = trail.fact(law.parameter("survivor_monthly_percent", month))
    higher = trail.fact(law.parameter("survivor_monthly_no_carer_percent", month))
    cared = relatives - without_carer
    exact = reference * (normal * cared + higher * without_carer) / 100
    amount = round_vnd(exact)
    trail.step(f"{cared} x {pct(normal)} + {without_carer} x {pct(higher)} of reference level "
               f"{vnd(reference)} = {vnd(amount)} a month")
    return SurvivorResult(amount, trail.done())


def one_time_survivor_allowance(*, month: Period, months_before_2014: int, months_from_2014: int,
                                average_salary: int) -> SurvivorResult:
    """For a participant who dies while contributing or with contributions reserved."""
    check_months(months_before_2014, "months_before_2014")
    check_months(months_from_2014, "months_from_2014")
    check_money(average_salary, "average_salary")
    law = book()
    trail = Trail({"month": str(month), "months_before_2014": str(months_before_2014),
                   "months_from_2014": str(months_from_2014),
                   "average_salary": vnd(average_salary)})
    exact = years_amount(months_before=months_before_2014, months_from=months_from_2014,
                         average_salary=average_salary, on=month, trail=trail, prefix="survivor")
    least = trail.fact(law.parameter("survivor_min_months", month)) * average_salary
    amount = round_vnd(max(exact, least))
    trail.step(f"at least {vnd(least)}: amount {vnd(amount)} (rounded once)")
    return SurvivorResult(amount, trail.done())


def pensioner_survivor_allowance(*, month: Period, pension: int, months_received: int,
                                 ) -> SurvivorResult:
    """One-time allowance when a pensioner dies after ``months_received`` months of pension."""
    check_money(pension, "pension")
    check_months(months_received, "months_received")
    law = book()
    trail = Trail({"month": str(month), "pension": vnd(pension),
                   "months_received": str(months_received)})
    full = trail.fact(law.parameter("survivor_pensioner_months", month))
    grace = int(trail.fact(law.parameter("survivor_pensioner_full_months", month)))
    step = trail.fact(law.parameter("survivor_pensioner_step", month))
    least = trail.fact(law.parameter("survivor_min_months", month))
    multiple = max(full - step * max(months_received - grace, 0), least)
    amount = round_vnd(Decimal(pension) * multiple)
    trail.step(f"{full} pensions - {step} x months beyond {grace} ({months_received} received), "
               f"at least {least}: {multiple} x {vnd(pension)} = {vnd(amount)}")
    return SurvivorResult(amount, trail.done())
