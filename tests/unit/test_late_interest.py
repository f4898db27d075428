"""One month's late interest by the rule of each stretch of lateness (contributions.late_interest):
the day paid counts late, Law 58/2014's charge falls on the first of a month after 30 days'
grace, and money moved off a month paid makes it late again."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

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
    # 2018 needs 2017's investment rate, which no source found: not loaded
    got = accrued(1_000_000, [], date(2018, 3, 31), date(2018, 6, 15))
    assert (got.interest, got.unpriced) == (0, (Period(2018, 5), Period(2018, 6)))


@pytest.mark.parametrize(("year", "monthly_percent", "want"), [
    # 2016: the 1.065% a month Ho Chi Minh City Social Security published (Notice 619/TB-BHXH)
    (2016, Decimal("1.065"), 21_300),
    # 2017: twice 2016's 7.9% (Notice 425/TB-BHXH) a twelfth a month, 1.31666..%
    (2017, Decimal(2) * Decimal("7.9") / 12, 26_333),
    # 2022: twice 2021's 4.39% (Ho Chi Minh City's Notice 230/TB-BHXH: 0.7316% a month)
    (2022, Decimal(2) * Decimal("4.39") / 12, 14_633),
])
def test_a_year_whose_rate_is_loaded_is_charged_twice_the_rate_of_the_year_before(
        year: int, monthly_percent: Decimal, want: int) -> None:
    # January's 1,000,000 unpaid to mid-April: February is the grace, charged on 1 March and
    # 1 April (paid 10 April, so nothing is owed on 1 May)
    got = accrued(1_000_000, [(date(year, 4, 10), 1_000_000)], date(year, 1, 31),
                  date(year, 6, 30))
    by_hand = 2 * 1_000_000 * monthly_percent / 100
    assert int(by_hand.quantize(Decimal(1), rounding=ROUND_HALF_UP)) == want
    assert got.unpriced == ()
    assert int(got.interest.quantize(Decimal(1), rounding=ROUND_HALF_UP)) == want
