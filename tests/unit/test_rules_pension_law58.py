"""A pension is priced by the law in force in the month it starts (Law 41/2024 Art 5(7)): Law
58/2014's rules from 2016-01 to 2025-06 (Art 54: 20 years; Art 56: the rate; Art 58: the extra
lump sum; Art 56(6): the lowest pension), Law 41/2024's from 2025-07, none before 2016-01."""

from __future__ import annotations

import pytest

from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.law import NoRuleInForce
from sibook.rules import pension
from sibook.rules.pension import early_retirement


def rate(sex: str, years: int, on: Period, months_early: int = 0) -> object:
    return pension(sex=sex, contribution_months=years * 12, on=on,
                   months_early=months_early).rate_percent


def test_a_woman_with_20_years_in_2017_gets_60_percent() -> None:
    # Art 56(1), to 2017-12: 45% at 15 years + 3% x 5 years (women)
    assert rate("female", 20, Period(2017, 6)) == 60


def test_a_man_with_20_years_in_2017_gets_55_percent() -> None:
    # Art 56(1): 45% at 15 years + 2% x 5 years (men)
    assert rate("male", 20, Period(2017, 6)) == 55


def test_a_woman_reached_75_percent_at_25_years_in_2016_and_at_30_from_2018() -> None:
    assert rate("female", 25, Period(2016, 1)) == 75
    assert rate("female", 25, Period(2018, 1)) == 65
    assert rate("female", 30, Period(2018, 1)) == 75


@pytest.mark.parametrize(("year", "percent"), [
    (2018, 53),  # 45% at 16 years + 2% x 4 (Art 56(2)(a))
    (2019, 51),  # at 17 years
    (2020, 49),  # at 18 years
    (2021, 47),  # at 19 years
    (2022, 45),  # at 20 years, from 2022 on
    (2025, 45),
])
def test_a_man_with_20_years_gets_less_each_year_from_2018_to_2022(year: int,
                                                                   percent: int) -> None:
    assert rate("male", 20, Period(year, 6)) == percent


def test_a_man_with_18_years_got_no_pension_in_2020_or_2021() -> None:
    """Art 54(1) (as amended by Labour Code 2019 Art 219): 20 years; the 18 years at which Art
    56(2)(a) puts 45% in 2020 are the rate's anchor, not enough for a pension."""
    for on in (Period(2020, 6), Period(2021, 6), Period(2025, 6)):
        with pytest.raises(ValidationError, match=r"needs at least 20 years .*Law 58/2014"):
            pension(sex="male", contribution_months=18 * 12, on=on)


def test_a_man_with_18_years_gets_43_percent_from_july_2025() -> None:
    assert rate("male", 18, Period(2025, 7)) == 43


def test_a_woman_with_15_years_got_no_pension_before_july_2025() -> None:
    with pytest.raises(ValidationError, match="needs at least 20 years"):
        pension(sex="female", contribution_months=180, on=Period(2025, 6))
    assert rate("female", 15, Period(2025, 7)) == 45


def test_a_pension_before_2016_is_refused_naming_the_first_rules() -> None:
    with pytest.raises(NoRuleInForce) as refused:
        pension(sex="male", contribution_months=300, on=Period(2015, 12))
    problem = refused.value.problems[0]
    assert problem.field == "month"
    assert "a pension starting in 2015-12" in problem.reason
    assert "from 2016-01 (Law 58/2014/QH13 Art 56(1))" in problem.reason


def test_the_explanation_names_the_law_that_priced_it() -> None:
    steps = pension(sex="male", contribution_months=240, on=Period(2021, 3)).explanation.steps
    assert steps[0] == ("a pension starting in 2021-03 is priced by the law in force then: "
                        "Law 58/2014/QH13 Art 56(2)(a) (rows from 2021-01; Law 41/2024 Art "
                        "5(7))")


def test_early_retirement_cut_2_points_a_year_under_the_2014_law() -> None:
    # Art 56(3): 3 years 7 months early: -2% x 3 - 1% = -7%; 25 years of a man in 2023: 55%
    assert rate("male", 25, Period(2023, 1), months_early=43) == 48


def test_years_above_the_75_percent_rate_earned_half_an_average_salary_each() -> None:
    """Art 58(2): a woman with 27 years in 2017 reached 75% at 25 years: 2 years x 0.5; and
    Law 58/2014 paid no more for years paid past the retirement age."""
    result = pension(sex="female", contribution_months=27 * 12, on=Period(2017, 3),
                     average_salary=10_000_000, months_past_retirement_age=24)
    assert (result.monthly_pension, result.extra_lump_sum) == (7_500_000, 10_000_000)


def test_the_lowest_pension_was_the_base_salary_of_the_month_it_starts() -> None:
    """Art 56(6): 49% of 2,000,000 is 980,000, below the base salary 1,490,000 (2020-05)."""
    result = pension(sex="male", contribution_months=240, on=Period(2020, 5),
                     average_salary=2_000_000)
    assert result.monthly_pension == 1_490_000
    assert result.rate_percent == 49


def test_the_lowest_pension_from_july_2025_is_the_reference_level_for_20_years() -> None:
    """Law 41/2024 Art 141(11): 20 years or more (joined before 2025-07); 15 years get none."""
    twenty = pension(sex="female", contribution_months=240, on=Period(2026, 1),
                     average_salary=3_000_000)
    fifteen = pension(sex="female", contribution_months=180, on=Period(2026, 1),
                      average_salary=3_000_000)
    assert twenty.monthly_pension == 2_340_000  # 55% x 3,000,000 = 1,650,000 raised
    assert "lowest pension for 20 years of compulsory SI or more" in twenty.explanation.steps[-2]
    assert fifteen.monthly_pension == 1_350_000  # 45%: no lowest pension under 20 years


def test_an_early_pension_in_2017_could_start_8_years_early_at_a_61_percent_loss() -> None:
    """Art 55(1)(a) before the Labour Code 2019: men at 52 and women at 47 in 2017."""
    allowed = early_retirement(capacity_loss_percent=61, on=Period(2017, 6))
    assert (allowed.months, allowed.min_years) == (96, 20)
    assert "Law 58/2014/QH13 Art 55(1)(a)" in allowed.case


def test_voluntary_months_rate_the_pension_but_earn_no_lowest_pension_nor_an_early_one() -> None:
    """Law 41/2024 Art 141(11): 20 years of compulsory SI; 18 of them and 2 voluntary (240
    months) rate 55% for a woman (Arts 66(1), 99(1)) with no lowest pension; Art 65(1): an
    early pension needs the 20 compulsory years too."""
    mixed = pension(sex="female", contribution_months=240, on=Period(2026, 1),
                    average_salary=3_000_000, voluntary_months=24)
    assert (mixed.rate_percent, mixed.monthly_pension) == (55, 1_650_000)
    assert mixed.explanation.inputs["voluntary_months"] == "24"
    with pytest.raises(ValidationError) as early:
        pension(sex="female", contribution_months=250, on=Period(2026, 1), months_early=24,
                voluntary_months=24)
    assert early.value.problems[0].reason.endswith(
        "got 18 years 10 months of compulsory SI (the 24 voluntary months do not count)")
