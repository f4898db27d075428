"""``sibook rules`` answers (sibook.rules.answers) about a month later than the current one: the
law stays in force until replaced, so they are answered, and the explanation says which newest
change of the tables they rest on; the keys stay the contract's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from sibook.core.errors import ValidationError
from sibook.rules import answers

TODAY = date(2026, 11, 27)
LATER = "later changes are not in the tables"

Ask = Callable[[str, date], dict[str, Any]]


def contribution(month: str, today: date) -> dict[str, Any]:
    return answers.contribution_answer(month=month, salary=10_000_000, region="I", today=today)


ASKS: dict[str, Ask] = {
    "contribution": contribution,
    "voluntary": lambda m, t: answers.contribution_answer(
        month=m, salary=3_000_000, voluntary=True, support="poor", today=t),
    "pension": lambda m, t: answers.pension_answer(
        sex="male", contribution_months=300, average_salary=10_000_000, month=m, today=t),
    "lump_sum": lambda m, t: answers.lump_sum_answer(
        months_before_2014=0, months_from_2014=60, average_salary=10_000_000, month=m, today=t),
    "sickness": lambda m, t: answers.sickness_answer(
        salary=7_200_000, days=4, years_contributed=20, month=m, today=t),
    "maternity": lambda m, t: answers.maternity_allowance_answer(month=m, children=1, today=t),
    "late_interest": lambda m, t: answers.late_interest_answer(
        amount=1_000_000, days_late=61, month=m, today=t),
    "unemployment": lambda m, t: answers.unemployment_answer(
        average_salary=10_000_000, contribution_months=30, region="II",
        termination=date.fromisoformat(f"{m}-15"), today=t),
}


def test_a_month_after_this_one_names_the_newest_change_of_the_tables_used() -> None:
    out = contribution("2040-01", TODAY)
    assert out["explain"][-1] == (
        "the rules of 2040-01 were asked, a month later than this one (2026-11): they are the "
        "law in force as the tables know it, which stays in force until replaced; the newest "
        "change known to the tables used (regional minimum wages, caps and parameters, "
        "reference level, contribution rates) is in force from 2026-07-01 (Law 41/2024/QH15 "
        "Art 7 and Art 141(13); Decree 161/2026/ND-CP Art 3(2)); later changes are not in the "
        "tables")  # the base salary 2,530,000 from 2026-07 (Decree 161/2026, reference_level.csv)


def test_a_month_after_this_one_is_answered_as_the_law_in_force_now() -> None:
    later, now = contribution("2040-01", TODAY), contribution("2026-11", TODAY)
    assert {k: v for k, v in later.items() if k not in ("month", "explain")} == \
        {k: v for k, v in now.items() if k not in ("month", "explain")}
    assert later["explain"][:-1] == now["explain"]


@pytest.mark.parametrize("month", ["2026-11", "2026-01", "2025-07"])
def test_this_month_or_an_earlier_one_adds_no_such_step(month: str) -> None:
    assert not any(LATER in step for step in contribution(month, TODAY)["explain"])


@pytest.mark.parametrize("name", ASKS)
def test_every_answer_with_a_month_says_so_after_this_month_keeping_its_keys(name: str) -> None:
    ask = ASKS[name]
    later, now = ask("2030-06", TODAY), ask("2026-11", TODAY)
    assert later.keys() == now.keys()
    assert LATER in later["explain"][-1] and "2030-06" in later["explain"][-1]
    assert not any(LATER in step for step in now["explain"])


def test_a_retirement_reached_after_this_month_says_so() -> None:
    """The ages of the years up to the one the age is reached are the rules used."""
    later = answers.retirement_answer(sex="male", birth_date=date(2000, 5, 1), today=TODAY)
    assert later["pension_from"] == "2062-06"
    assert "the rules of 2062-05" in later["explain"][-1] and LATER in later["explain"][-1]
    assert "retirement ages" in later["explain"][-1]
    past = answers.retirement_answer(sex="male", birth_date=date(1964, 3, 15), today=TODAY)
    assert not any(LATER in step for step in past["explain"])


def test_a_birth_date_after_today_is_refused_naming_it() -> None:
    with pytest.raises(ValidationError) as refused:
        answers.retirement_answer(sex="female", birth_date=date(2026, 11, 28), today=TODAY)
    [problem] = refused.value.problems
    assert problem.field == "birth_date"
    assert problem.reason == "2026-11-28 is in the future (today is 2026-11-27)"


def test_a_birth_date_of_today_is_answered() -> None:
    out = answers.retirement_answer(sex="female", birth_date=TODAY, today=TODAY)
    assert out["age"] == "60 years" and out["pension_from"] == "2086-12"
