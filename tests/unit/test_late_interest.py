"""One month's late interest by the rule of each stretch of lateness (contributions.late_interest):
the day paid counts late, Law 58/2014's charge falls on the first of a month after 30 days'
grace, and money moved off a month paid makes it late again."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sibook.contributions.late_interest import accrued
from sibook.core.period import Period

K_2020 = Decimal(2) * Decimal("5.80") / 12 / 100  # Law 58/2014 Art 122(3), 2019's rate


def test_the_day_paid_counts_late() -> None:
    got = accrued(1_000_000, [(date(2026, 3, 10), 1_000_000)], date(2026, 2, 28),
                  date(2026, 6, 1))
    assert (got.interest, got.unpriced) == (Decimal(3_000), ())  # 10 days x 300


def test_the_old_law_charges_on_the_first_of_the_month_after_the_grace() -> None:
    deadline, as_of = date(2020, 1, 31), date(2020, 12, 31)
    in_grace = accrued(12_000_000, [(date(2020, 2, 29), 12_000_000)], deadline, as_of)
    assert (in_grace.interest, in_grace.unpriced) == (0, ())
    on_the_first = accrued(12_000_000, [(date(2020, 3, 1), 12_000_000)], deadline, as_of)
    assert on_the_first.interest == 12_000_000 * K_2020


def test_money_moved_off_a_paid_month_makes_it_late_again() -> None:
    # paid on time, 400,000 moved off it on 2026-03-20 (a correction), back on 03-25
    paid = [(date(2026, 2, 1), 1_000_000), (date(2026, 3, 20), -400_000),
            (date(2026, 3, 25), 400_000)]
    got = accrued(1_000_000, paid, date(2026, 2, 28), date(2026, 4, 30))
    assert got.interest == 400_000 * Decimal("0.0003") * 5  # 21st to 25th


def test_a_month_never_late_names_no_month() -> None:
    got = accrued(1_000_000, [(date(2021, 1, 5), 1_000_000)], date(2021, 1, 31),
                  date(2025, 6, 30))
    assert (got.interest, got.unpriced) == (0, ())


def test_a_month_late_unpriced_is_named() -> None:
    got = accrued(1_000_000, [], date(2022, 3, 31), date(2022, 6, 15))
    assert (got.interest, got.unpriced) == (0, (Period(2022, 5), Period(2022, 6)))
