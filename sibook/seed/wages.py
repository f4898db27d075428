"""Salary floors for the synthetic careers: the regional minimum wage in force each month.

Where the law tables know the month, their regional minimum is the floor (a worker's basis must
not be below it). Before the first table, the seeder extrapolates backwards from the earliest
known value at the average nominal wage growth below; those months are synthetic anyway.
"""

from __future__ import annotations

from functools import cache

from sibook.core.period import Period
from sibook.law import REGIONS, regional_minimum
from sibook.law.tables import NoRuleInForce

# Average yearly growth of nominal minimum wages 2012-2026 (about 7 %/year), used only to
# extrapolate synthetic floors to months before the earliest table.
BACKWARD_GROWTH = 1.07


@cache
def floor_table(first: Period, last: Period) -> dict[tuple[str, int], int]:
    """(region, Period.index) -> floor in VND, for every month first..last."""
    table: dict[tuple[str, int], int] = {}
    for region in REGIONS:
        earliest: tuple[int, int] | None = None
        month = last
        while month >= first:
            try:
                value = regional_minimum(region, month).value
                earliest = (month.index, value)
            except NoRuleInForce:
                if earliest is None:
                    raise
                years = (earliest[0] - month.index) / 12
                value = int(earliest[1] / BACKWARD_GROWTH**years) // 10_000 * 10_000
            table[(region, month.index)] = value
            month = month + -1
    return table
