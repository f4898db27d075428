"""The average salary by who set it (Law 41/2024 Art 72; Law 58/2014 Art 62): the employer's
pay over the whole period, the state's scale over the window for the year SI started, and both
kinds of time together by Circular 59/2015/TT-BLDTBXH Art 20(3)'s formula. Figures worked by
hand from the 2025 revaluation table (Circular 01/2025: 2019 x 1.16, 2020 x 1.12, 2021 x 1.10,
2022 x 1.07, 2023 x 1.04, 2024 and 2025 x 1.00)."""

from __future__ import annotations

import pytest

from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.rules import average_salary

AUG_2025 = Period(2025, 8)  # Law 41/2024 in force; SI begun before 1995: the last 5 years


def months(first: Period, last: Period, pay: int) -> list[tuple[Period, int]]:
    return [(Period.from_index(i), pay) for i in range(first.index, last.index + 1)]


# 72 months at 10,000,000 (2019-2024), then 6 at 20,000,000 (2025-01..06).
EARLIER = months(Period(2019, 1), Period(2024, 12), 10_000_000)
LATER = months(Period(2025, 1), Period(2025, 6), 20_000_000)


def test_salary_the_employer_set_is_averaged_over_the_whole_period() -> None:
    # (10,000,000 x 12 x (1.16 + 1.12 + 1.10 + 1.07 + 1.04 + 1.00) + 120,000,000) / 78
    # = (778,800,000 + 120,000,000) / 78 = 11,523,076.9
    result = average_salary(history=EARLIER + LATER, started=1990, settlement=AUG_2025)
    assert (result.average, result.months_used) == (11_523_077, 78)
    assert "Law 41/2024/QH15 Art 72(2)-(3)" in result.explanation.sources


def test_salary_on_the_state_scale_is_averaged_over_the_last_five_years() -> None:
    # 2020-07..2025-06: 6 x 1.12 x 10m + 12 x 10m x (1.10 + 1.07 + 1.04 + 1.00) + 120m
    # = 67,200,000 + 505,200,000 + 120,000,000 = 692,400,000 / 60
    result = average_salary(history=(), state_history=EARLIER + LATER, started=1990,
                            settlement=AUG_2025)
    assert (result.average, result.months_used) == (11_540_000, 60)


def test_both_kinds_average_every_month_the_state_ones_at_their_window_average() -> None:
    """State scale 2019-2024, then an enterprise: the state-scale months' last 5 years
    (2020-2024) average 12 x 10m x (1.12 + 1.10 + 1.07 + 1.04 + 1.00) / 60 = 10,660,000, which
    each of the 72 state-scale months counts at; with the enterprise's 6 months:
    (72 x 10,660,000 + 120,000,000) / 78 = 887,520,000 / 78 = 11,378,461.5."""
    result = average_salary(history=LATER, state_history=EARLIER, started=1990,
                            settlement=AUG_2025)
    assert result.average == 11_378_462
    assert any("72 months on the state's salary scale" in step and "10,660,000" in step
               for step in result.explanation.steps)


def test_the_state_window_is_the_last_years_of_state_scale_time_across_a_break() -> None:
    """Circular 59/2015 Art 20(3) example 37's career: state scale 2000-2002, an enterprise
    2003-2013, the state scale again 2014-2017; SI begun in 1996: the last 6 years of the state
    scale are 2001-2002 and 2014-2017. At 1,000,000 on the state scale (x 3.97, 3.82, 1.32,
    1.31, 1.28, 1.23) the window averages 12m x 12.93 / 72 = 2,155,000; at 2,000,000 at the
    enterprise (x 3.70 ... 1.37, summing to 26.59) its 132 months earn 638,160,000; so
    (84 x 2,155,000 + 638,160,000) / 216 = 3,792,500."""
    state = (months(Period(2000, 1), Period(2002, 12), 1_000_000)
             + months(Period(2014, 1), Period(2017, 12), 1_000_000))
    own = months(Period(2003, 1), Period(2013, 12), 2_000_000)
    result = average_salary(history=own, state_history=state, started=1996,
                            settlement=AUG_2025)
    assert (result.average, result.months_used) == (3_792_500, 72 + 132)


def test_state_scale_time_shorter_than_its_window_is_averaged_whole() -> None:
    """Two years on the state scale, then the enterprise: the window (5 years) holds every
    state-scale month, so the average is every month's (2023 x 1.04, 2024 x 1.00):
    (12 x 10m x 1.04 + 12 x 10m + 120m) / 30 = 364,800,000 / 30."""
    state = months(Period(2023, 1), Period(2024, 12), 10_000_000)
    result = average_salary(history=LATER, state_history=state, started=1990,
                            settlement=AUG_2025)
    assert result.average == 12_160_000


def test_no_month_at_all_is_refused() -> None:
    with pytest.raises(ValidationError, match="history: needs at least one month"):
        average_salary(history=(), state_history=(), started=2020, settlement=AUG_2025)


def test_an_average_of_employer_set_pay_says_it_took_the_whole_period() -> None:
    rule = average_salary(history=EARLIER + LATER, started=1990, settlement=AUG_2025).rule
    assert (rule.rule, rule.window_years, rule.source) == (
        "whole_period", None, "Law 41/2024/QH15 Art 72(2)-(3)")
    assert rule.text.startswith("the whole period")


def test_an_average_on_the_state_scale_says_its_window_and_the_year_si_started() -> None:
    rule = average_salary(history=(), state_history=EARLIER + LATER, started=1990,
                          settlement=AUG_2025).rule
    assert (rule.rule, rule.si_started, rule.window_years, rule.source) == (
        "state_scale_window", 1990, 5, "Law 41/2024/QH15 Art 72(1)")
    assert "the last 5 years on the state's salary scale (SI started in 1990)" in rule.text


def test_a_pension_before_july_2025_cites_law_58_for_its_window() -> None:
    """SI begun in 2005 and a pension from 2024-05: the last 8 years, Law 58/2014 Art 62(1)."""
    rule = average_salary(history=(), state_history=EARLIER, started=2005,
                          settlement=Period(2024, 5), revalued_for=2024).rule
    assert (rule.window_years, rule.source) == (8, "Law 58/2014/QH13 Art 62(1)")


def test_an_average_of_both_kinds_cites_both_articles_and_the_circulars_formula() -> None:
    rule = average_salary(history=LATER, state_history=EARLIER, started=1990,
                          settlement=AUG_2025).rule
    assert (rule.rule, rule.window_years) == ("both", 5)
    assert rule.source == ("Law 41/2024/QH15 Art 72(1); Law 41/2024/QH15 Art 72(2)-(3); "
                           "Circular 59/2015/TT-BLDTBXH Art 20(3)")
    assert rule.text.startswith("both kinds of time together") and rule.source in rule.text
