"""Contributions before 2020 (FACTS only covers today): one worked example per regime, from
Decree 12/CP (1995) through the Law on SI 2006, the HI Law 2008 and the Law on Employment 2013,
computed by the rules in force in the month asked."""

from __future__ import annotations

import pytest

from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.law import LawDataError, book, parse_table
from sibook.rules import compulsory_dues


def dues(year: int, month: int, salary: int, region: str = "I") -> tuple[dict, dict]:
    result = compulsory_dues(month=Period(year, month), salary=salary, region=region)
    return result.employer.as_dict(), result.employee.as_dict()


def test_1997_decree_12_employer_15_employee_5_hi_2_and_1_no_ui() -> None:
    employer, employee = dues(1997, 6, 1_000_000)
    assert employer == {"retirement_survivorship": 100_000, "sickness_maternity": 50_000,
                        "occupational": 0, "health": 20_000, "unemployment": 0,
                        "total": 170_000}
    assert employee == {"retirement_survivorship": 50_000, "sickness_maternity": 0,
                        "occupational": 0, "health": 10_000, "unemployment": 0, "total": 60_000}


def test_2005_salary_is_not_capped_before_the_law_on_si_2006() -> None:
    # 20 x the 290,000 minimum common wage would be 5,800,000
    employer, employee = dues(2005, 6, 10_000_000)
    assert employer["retirement_survivorship"] == 1_000_000 and employer["health"] == 200_000
    assert employee["retirement_survivorship"] == 500_000 and employee["total"] == 600_000


def test_2008_law_on_si_2006_pension_11_and_5_oa_od_1_no_ui_yet() -> None:
    employer, employee = dues(2008, 6, 2_000_000)
    assert employer == {"retirement_survivorship": 220_000, "sickness_maternity": 60_000,
                        "occupational": 20_000, "health": 40_000, "unemployment": 0,
                        "total": 340_000}
    assert employee["retirement_survivorship"] == 100_000 and employee["total"] == 120_000


def test_2010_pension_12_and_6_hi_4_5_percent_ui_1_and_1() -> None:
    employer, employee = dues(2010, 6, 2_000_000)
    assert employer == {"retirement_survivorship": 240_000, "sickness_maternity": 60_000,
                        "occupational": 20_000, "health": 60_000, "unemployment": 20_000,
                        "total": 400_000}
    assert employee == {"retirement_survivorship": 120_000, "sickness_maternity": 0,
                        "occupational": 0, "health": 30_000, "unemployment": 20_000,
                        "total": 170_000}


def test_2012_salary_above_20_minimum_common_wages_is_capped_for_si_hi_and_ui() -> None:
    employer, employee = dues(2012, 6, 30_000_000)  # cap 20 x 1,050,000 = 21,000,000
    assert employer["retirement_survivorship"] == 2_730_000  # 13%
    assert employer["unemployment"] == employee["unemployment"] == 210_000
    assert employee["retirement_survivorship"] == 1_470_000  # 7%
    assert employee["health"] == 315_000


def test_2013_pension_13_and_7() -> None:
    employer, employee = dues(2013, 6, 2_000_000)
    assert employer["retirement_survivorship"] == 260_000
    assert employee["retirement_survivorship"] == 140_000


def test_2015_ui_is_capped_on_the_regional_minimum_and_si_on_the_base_salary() -> None:
    employer, employee = dues(2015, 6, 70_000_000, region="IV")
    assert employer["unemployment"] == employee["unemployment"] == 430_000  # 20 x 2,150,000
    assert employer["retirement_survivorship"] == 3_220_000  # 14% of 20 x 1,150,000
    assert employee["retirement_survivorship"] == 1_840_000


def test_oa_od_is_1_percent_until_decree_44_2017_made_it_half_a_percent_from_june() -> None:
    assert dues(2017, 3, 5_000_000)[0]["occupational"] == 50_000
    assert dues(2017, 6, 5_000_000)[0]["occupational"] == 25_000


def test_before_regional_minimums_are_loaded_the_floor_is_the_minimum_common_wage() -> None:
    with pytest.raises(ValidationError, match="minimum common wage 730,000"):
        dues(2010, 6, 500_000)


def test_explanation_says_when_no_cap_was_in_force() -> None:
    result = compulsory_dues(month=Period(2005, 6), salary=10_000_000, region="I")
    assert any("no cap in force" in step for step in result.explanation.steps)
    assert result.explanation.provisional


def test_a_none_cell_means_the_law_set_no_value_and_is_not_a_number() -> None:
    table = parse_table("parameters", "key,value,valid_from,valid_to,source,provisional,note\n"
                                      "cap,none,1995-01,2006-12,Decree 12/CP,true,\n")
    row = table.at("cap", Period(2000, 1))
    assert row.optional("value") is None
    with pytest.raises(LawDataError, match="none in this window"):
        row.value("value")


def test_the_two_ui_cap_bases_never_overlap_and_one_is_in_force_every_month() -> None:
    params = book().table("parameters")
    month = Period(1995, 1)
    while month <= Period(2026, 12):
        found = [params.find(k, month) for k in ("ui_cap_multiplier",
                                                   "ui_cap_reference_multiplier")]
        assert sum(r is not None for r in found) == 1, month
        month = month + 1


def test_every_compulsory_fund_has_a_rate_every_month_since_1995() -> None:
    month = Period(1995, 1)
    while month <= Period(2026, 12):
        for oa in ("standard", "reduced"):
            assert len(book().fund_rates("compulsory", month, oa).rates) == 5, month
        book().si_hi_cap(month)
        book().reference_level(month)
        month = month + 1
