"""Voluntary SI before 2018, by the rows of the months each law was in force: Law 71/2006 Art 100
(18% 2010-2011, 20% 2012-2013, floor 1 x the minimum common wage / base salary), Law 58/2014
Art 87(1) (22% from 2016-01, floor the rural poverty line 700,000 of Decision 59/2015) and the
state support only from 2018-01 (Decree 134/2015 Art 14(2)). 2008-2009 (16%) and 2014-2015
(22%) have no row: no source for them was found, so they are refused naming the month."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from sibook.cli.rules import app
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.rules import voluntary_dues


@pytest.mark.parametrize(("month", "own"), [
    (Period(2010, 1), 270_000),   # 18% x 1,500,000, the first month loaded
    (Period(2010, 6), 270_000),
    (Period(2011, 12), 270_000),
    (Period(2012, 1), 300_000),   # 20%
    (Period(2012, 6), 300_000),
    (Period(2013, 12), 300_000),
    (Period(2016, 1), 330_000),   # 22% of Law 58/2014
    (Period(2016, 6), 330_000),
    (Period(2017, 12), 330_000),
])
def test_voluntary_rate_of_the_month_before_2018(month: Period, own: int) -> None:
    dues = voluntary_dues(month=month, salary=1_500_000)
    assert dues.employee.retirement_survivorship == dues.employee.total == own
    assert dues.employer.total == 0 and dues.state_support == 0 and dues.total == own


@pytest.mark.parametrize("month", [Period(2016, 1), Period(2017, 12)])
def test_no_state_support_to_any_group_before_2018(month: Period) -> None:
    dues = voluntary_dues(month=month, salary=700_000, support="poor")
    assert dues.state_support == 0 and dues.employee.total == 154_000  # 22% x 700,000
    assert any("no state support before 2018-01" in s for s in dues.explanation.steps)


def test_state_support_begins_in_january_2018() -> None:
    dues = voluntary_dues(month=Period(2018, 1), salary=700_000, support="poor")
    assert dues.state_support == 46_200  # 30% x 22% x 700,000
    assert dues.employee.total == 154_000 - 46_200


@pytest.mark.parametrize(("month", "floor"), [
    (Period(2010, 1), 650_000),    # minimum common wage of Decree 33/2009
    (Period(2013, 6), 1_050_000),  # Decree 31/2012
    (Period(2013, 7), 1_150_000),  # base salary of Decree 66/2013
    (Period(2013, 12), 1_150_000),
])
def test_voluntary_floor_under_law_71_2006_is_the_minimum_common_wage(month: Period,
                                                                    floor: int) -> None:
    assert voluntary_dues(month=month, salary=floor).employee.total > 0
    with pytest.raises(ValidationError, match=f"1 x reference level {floor:,}"):
        voluntary_dues(month=month, salary=floor - 1)


@pytest.mark.parametrize("month", [Period(2016, 1), Period(2017, 12)])
def test_voluntary_floor_from_2016_is_the_rural_poverty_line_700_000(month: Period) -> None:
    assert voluntary_dues(month=month, salary=700_000).employee.total == 154_000
    with pytest.raises(ValidationError, match="rural poverty line 700,000"):
        voluntary_dues(month=month, salary=699_999)


@pytest.mark.parametrize("month", [Period(2014, 1), Period(2015, 12)])
def test_months_of_law_71_2006_at_22_percent_are_refused_naming_the_gap(month: Period) -> None:
    with pytest.raises(ValidationError, match=(
            f"in force in {month}: the rows known end in 2013-12 and resume in 2016-01")):
        voluntary_dues(month=month, salary=1_500_000)


def test_cli_refuses_2008_naming_the_month_and_the_first_one_loaded() -> None:
    result = CliRunner().invoke(app, ["contribution", "--month", "2008-01", "--salary",
                                      "1500000", "--voluntary", "--json"])
    assert result.exit_code == 1
    (problem,) = json.loads(result.stdout)["errors"]
    assert "start in 2010-01" in problem["reason"] and "2008-01" in problem["reason"]
    assert "voluntary:retirement_survivorship" in problem["reason"]


def test_cli_answers_2010_without_a_support_group_and_says_there_was_none() -> None:
    result = CliRunner().invoke(app, ["contribution", "--month", "2010-01", "--salary",
                                      "1500000", "--voluntary", "--json"])
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert out["employee"]["total"] == out["total"] == 270_000 and out["state_support"] == 0
    assert out["explain"][0] == "no group given: no state support to any group in 2010-01"
    assert "Law on SI 71/2006/QH11 Art 100(1)" in out["sources"]
