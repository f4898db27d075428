"""A month's late interest, days late and evasion against a day-by-day count written from FACTS
§3.7 alone: 0.03% a day of what the month still owed that day, each day after the deadline up
to the day it was paid in full (the day paid counts late, as the README's example counts it)
or to ``as_of``; evasion from the 61st day after the deadline. Payments fall on any day, several
on one day, before or after the deadline, across month and year ends and February of leap
years (2028), so an off-by-one at the deadline, at a month's end or at a payment is caught."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from sibook.contributions.late_interest import accrued
from sibook.contributions.statement import _month
from sibook.core.period import Period

A_DAY = Decimal("0.0003")  # FACTS §3.7: 0.03% per day, Law 41/2024's (from 2025-07-01)
FIRST_DAY_OF_EVASION = 61  # FACTS §3.7: the 61st day after the deadline
# Deadlines under Law 41/2024 (the last day of the month after, from July 2025's: 2025-08-31):
# every day of lateness is priced by the daily rule, none by Law 58/2014's monthly one.
deadlines = st.builds(lambda month: (month + 1).last_day,
                      st.builds(Period.from_index, st.integers(Period(2025, 7).index,
                                                               Period(2029, 12).index)))
days = st.dates(min_value=date(2025, 6, 1), max_value=date(2031, 12, 31))
payments = st.lists(st.tuples(days, st.integers(1, 2_000_000_000)), max_size=6)


def owed_on(due: int, paid: list[tuple[date, int]], day: date) -> int:
    """What the month still owed during ``day``: the payments of that day not yet counted."""
    return due - sum(amount for paid_on, amount in paid if paid_on < day)


def late_days(deadline: date, as_of: date) -> list[date]:
    return [deadline + timedelta(days=n) for n in range(1, (as_of - deadline).days + 1)]


@settings(max_examples=400, deadline=None)
@given(st.integers(1, 2_000_000_000), deadlines, payments, st.integers(-40, 1_200))
# paid on the deadline, the day after it, in two pieces across a month's end
@example(1_000_000, date(2026, 2, 28), [(date(2026, 2, 28), 1_000_000)], 30)
@example(1_000_000, date(2026, 2, 28), [(date(2026, 3, 1), 1_000_000)], 30)
@example(1_000_000, date(2028, 2, 29), [(date(2028, 3, 31), 400_000),
                                        (date(2028, 4, 1), 600_000)], 60)
def test_interest_is_the_daily_rate_on_what_was_owed_each_day_after_the_deadline(
        due: int, deadline: date, paid: list[tuple[date, int]], span: int) -> None:
    as_of = deadline + timedelta(days=span)
    by_day = sum((A_DAY * owed for day in late_days(deadline, as_of)
                  if (owed := owed_on(due, paid, day)) > 0), Decimal(0))
    got = accrued(due, sorted(paid), deadline, as_of)
    assert got.unpriced == ()
    assert abs(got.interest - by_day) < Decimal("1e-12")


@settings(max_examples=400, deadline=None)
@given(st.integers(1, 2_000_000_000), deadlines, payments, st.integers(-40, 400))
# January 2028 falls due on 29 February (a leap year): paid on the 60th day after, on the 61st,
# or not at all as of those days
@example(3_200_000, date(2028, 2, 29), [(date(2028, 4, 29), 3_200_000)], 90)
@example(3_200_000, date(2028, 2, 29), [(date(2028, 4, 30), 3_200_000)], 90)
@example(3_200_000, date(2028, 2, 29), [], 60)
@example(3_200_000, date(2028, 2, 29), [], 61)
def test_days_late_run_to_the_day_paid_in_full_and_evasion_starts_on_day_61(
        due: int, deadline: date, paid: list[tuple[date, int]], span: int) -> None:
    as_of = deadline + timedelta(days=span)
    by_deadline = sum(amount for day, amount in paid if day <= deadline)
    full_on = next((day for day in late_days(deadline, as_of)
                    if sum(amount for d, amount in paid if d <= day) >= due), None)
    if by_deadline >= due:
        want = 0
    else:
        want = ((full_on or as_of) - deadline).days if as_of > deadline else 0
    month = _month(Period.of(deadline) - 1, due, sorted(paid), as_of, Period.of(as_of),
                   deadline)
    assert month.days_late == want
    assert month.evasion == (want >= FIRST_DAY_OF_EVASION)
    assert month.paid == sum(amount for day, amount in paid if day <= as_of)
