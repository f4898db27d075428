"""Late-payment interest on one ledger month, each stretch of lateness by the rule then in force.

Two rules are loaded (``sibook/law/data/parameters.csv``), each for its own months:

- from 2025-07 (Law 41/2024 Art 40): ``late_interest_daily_percent`` a day on what the month
  still owed that day, from the day after its deadline;
- 2016-01 to 2025-06 (Law 58/2014 Art 122(3); Official Letter 1379/BHXH-BT): on the first day
  of each month, ``k`` = ``late_interest_fund_rate_multiplier`` x the SI fund's average
  investment rate of the year before, per month, on what was late 30 days or more: the dues
  still owed at the end of the month before, from the second month after the deadline's
  (read alike for a unit paying every 3 or 6 months: the law's 30 days count from the
  cycle's deadline).

A month of the lateness that neither rule prices (before 2016, or a year whose investment rate
is not loaded: the rates of 2015, 2016 and 2018 to 2023 are, so 2018 and 2025-01 to 2025-06
are not priced) is charged nothing and named in ``unpriced``, for the statement to say so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache

from sibook.core.money import percent_of
from sibook.core.period import Period
from sibook.law import book

DAILY = "late_interest_daily_percent"
MULTIPLIER = "late_interest_fund_rate_multiplier"
INVESTMENT_RATE = "si_fund_investment_rate_percent"
MONTHS_A_YEAR = 12
# Law 58/2014 charged what was late 30 days or more: a month's dues from the first day of the
# second month after the one its deadline falls in (the month after is the 30 days' grace).
OLD_LAW_GRACE_MONTHS = 2
Owed = Callable[[date], int]  # what a month still owed at the start of a day


@dataclass(frozen=True)
class Accrued:
    interest: Decimal  # exact; the caller rounds once
    unpriced: tuple[Period, ...]  # months late that no rule in the law tables prices


def accrued(due: int, paid: list[tuple[date, int]], deadline: date, as_of: date) -> Accrued:
    """Interest on ``due`` paid as ``paid`` (day, amount), late after ``deadline``, to ``as_of``.

    A day is charged on what was owed before that day's payments (the day paid counts late)."""
    def owed_on(day: date) -> int:  # an Owed
        return due - sum(amount for paid_on, amount in paid if paid_on < day)

    interest, unpriced = Decimal(0), []
    first_late = deadline + timedelta(days=1)
    if first_late > as_of:
        return Accrued(interest, ())
    last_change = max((d + timedelta(days=1) for d, _ in paid), default=first_late)
    month = Period.of(first_late)
    while month.first_day <= as_of:
        if month.first_day >= last_change and owed_on(month.first_day) <= 0:
            break  # paid in full and no entry since: nothing more to charge
        start, end = max(month.first_day, first_late), min(month.last_day, as_of)
        if (daily := _daily_percent(month)) is not None:
            interest += _by_days(owed_on, paid, start, end, daily)
        elif _old_law_charges(month, deadline):
            owed = owed_on(month.first_day)
            if owed > 0:
                rate = _monthly_percent(month)
                if rate is None:
                    unpriced.append(month)
                else:
                    interest += percent_of(owed, rate)
        elif not _law_58_in_force(month) and _late_in(owed_on, paid, start, end):
            unpriced.append(month)
        month = month + 1
    return Accrued(interest, tuple(unpriced))


def _by_days(owed_on: Owed, paid: list[tuple[date, int]], start: date, end: date,
             daily: Decimal) -> Decimal:
    """Days ``start``..``end`` at ``daily`` percent of what was owed each day (runs of days
    at one balance, split at the payments made within)."""
    total, cursor = Decimal(0), start
    for change in sorted(_changes(paid, start, end) | {end + timedelta(days=1)}):
        owed = owed_on(cursor)
        if owed > 0:
            total += percent_of(owed, daily) * (change - cursor).days
        cursor = change
    return total


def _late_in(owed_on: Owed, paid: list[tuple[date, int]], start: date, end: date) -> bool:
    """Something was owed on some day ``start``..``end``."""
    return any(owed_on(d) > 0 for d in _changes(paid, start, end) | {start})


def _changes(paid: list[tuple[date, int]], start: date, end: date) -> set[date]:
    """The days after ``start`` to ``end`` whose balance differs from the day before's: each
    the day after a payment (the day paid is still late on what was owed before it)."""
    return {after for d, _ in paid if start < (after := d + timedelta(days=1)) <= end}


def _old_law_charges(month: Period, deadline: date) -> bool:
    """Law 58/2014 is in force in ``month`` and charges a month due on ``deadline`` in it."""
    return _law_58_in_force(month) and month >= Period.of(deadline) + OLD_LAW_GRACE_MONTHS


@cache
def _daily_percent(month: Period) -> Decimal | None:
    row = book().table("parameters").find(DAILY, month)
    return None if row is None else row.value("value")


@cache
def _law_58_in_force(month: Period) -> bool:
    return book().table("parameters").find(MULTIPLIER, month) is not None


@cache
def _monthly_percent(month: Period) -> Decimal | None:
    """``k`` of ``month``: the multiplier x the year before's investment rate / 12, or None
    when that year's rate is not loaded."""
    params = book().table("parameters")
    multiplier = params.find(MULTIPLIER, month)
    rate = params.find(INVESTMENT_RATE, Period(month.year - 1, MONTHS_A_YEAR))
    if multiplier is None or rate is None:
        return None
    return multiplier.value("value") * rate.value("value") / MONTHS_A_YEAR
