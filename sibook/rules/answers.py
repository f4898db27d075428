"""The answers of ``sibook rules ...`` and ``POST /api/v1/rules/...``: one function per command.

Both edges call these with plain values, so the CLI's JSON and the API's bodies cannot drift.
Each answer holds the contract's keys plus ``month`` (the rules used), ``explain`` (the steps),
``sources`` and ``provisional``. Refusals are ValidationErrors whose ``field`` is the parameter
name (``months_early``); the CLI shows it as the flag (``--months-early``).

A question about a month later than the current one is answered with the law the tables know
(a law stays in force until replaced), and its ``explain`` ends with the newest change the
tables used know of, so nobody takes it for the law of that month. ``today`` is the clock's
day unless a caller (a test) passes one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from functools import wraps
from typing import Any, ParamSpec

from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.law import REGIONS, UNNAMED_SUPPORT_GROUP, NoRuleInForce, book, parse_choice
from sibook.rules import (
    childbirth_allowance,
    compulsory_dues,
    late_interest,
    one_time_withdrawal,
    pension,
    retirement_age,
    sickness_benefit,
    unemployment_benefit,
    voluntary_dues,
)
from sibook.rules.explain import Explanation, pct

# How the explanation names a law table (sibook/law/data/<table>.csv) to a reader.
_TABLE_WORDS = {
    "fund_rates": "contribution rates", "parameters": "caps and parameters",
    "reference_level": "reference level", "regional_minimum": "regional minimum wages",
    "voluntary_support": "voluntary state support", "household_hi": "household HI shares",
    "pension_rates": "pension rates", "averaging_windows": "salary averaging windows",
    "revaluation": "revaluation coefficients", "retirement_age": "retirement ages",
    "sickness_days": "sickness days",
}

Answer = dict[str, Any]
P = ParamSpec("P")


def _in_plain_words(answer: Callable[P, Answer]) -> Callable[P, Answer]:
    """A question about a month before the law's tables start is refused naming that month and
    the first one known in the question's words; the table and key come last, for whoever
    keeps the tables (``sibook/law/README.md``)."""
    @wraps(answer)
    def ask(*args: P.args, **kwargs: P.kwargs) -> Answer:
        try:
            return answer(*args, **kwargs)
        except NoRuleInForce as exc:
            if exc.first is None or not exc.on < exc.first:
                raise
            raise ValidationError(field=exc.problems[0].field, reason=(
                f"the law's tables for this question start in {exc.first}: nothing is known "
                f"for {exc.on} (table {exc.table}, {exc.key})")) from None
    return ask


def parse_month(text: str, field: str = "month") -> Period:
    try:
        return Period.parse(text)
    except ValueError as exc:
        raise ValidationError(field=field, reason=str(exc)) from None


@_in_plain_words
def contribution_answer(*, month: str, salary: int, region: str | None = None,
                        voluntary: bool = False, foreign: bool = False, support: str | None = None,
                        months_supported: int = 0, oa_rate: str = "standard",
                        today: date | None = None) -> Answer:
    check_contribution_flags(region=region, voluntary=voluntary, foreign=foreign,
                             support=support, months_supported=months_supported,
                             oa_rate=oa_rate)
    on = parse_month(month)
    if voluntary:
        # Only a group left out is other: "" is a word of no group, refused as --support ''
        # is at the console, never read as none named.
        result = voluntary_dues(month=on, salary=salary,
                                support=UNNAMED_SUPPORT_GROUP if support is None else support,
                                months_supported=months_supported)
        if support is None:
            result = replace(result, explanation=_group_not_named(result.explanation, on))
        answer = _with(result.as_dict(), result.explanation, on, today)
        if region is not None:  # taken, as the contract's usage names it, but said unused
            answer["explain"].insert(0, (
                f"region {parse_choice(region, REGIONS, field='region')} does not apply: "
                "voluntary SI is paid on the declared income, whose floor is the same in "
                "every region (the rural poverty line; before 2016 the minimum common wage), "
                "not a region's minimum wage"))
        return answer
    assert region is not None  # checked above
    result = compulsory_dues(month=on, salary=salary, region=region, oa_rate=oa_rate,
                             kind="foreign" if foreign else "compulsory")
    return _with(result.as_dict(), result.explanation, on, today)


def _group_not_named(explanation: Explanation, on: Period) -> Explanation:
    """A voluntary question naming no support group is answered for ``other``, and says so
    first: the law has no group without support (``UNNAMED_SUPPORT_GROUP``)."""
    law = book()
    if law.table("voluntary_support").find(UNNAMED_SUPPORT_GROUP, on) is None:
        return replace(explanation, steps=("no group given: no state support to any group in "
                                           f"{on}", *explanation.steps))
    percent = law.voluntary_support(UNNAMED_SUPPORT_GROUP, on)
    step = (f"no group given: {UNNAMED_SUPPORT_GROUP}, {pct(percent.value)}, everyone in none "
            f"of the other groups ({percent.row.source}); the law has no group without "
            "support, which ends only once its months of support are used")
    return replace(explanation, steps=(step, *explanation.steps))


def check_contribution_flags(*, region: str | None, voluntary: bool, foreign: bool,
                             support: str | None, months_supported: int, oa_rate: str) -> None:
    """Whether the parameters given fit together (the CLI's usage errors, the API's 422)."""
    if voluntary and foreign:
        raise ValidationError(field="voluntary", reason=(
            "cannot be combined with foreign: choose compulsory (default), foreign or voluntary"))
    if region is not None:
        # The contract's usage always names a region, so a voluntary participant may pass one
        # (it plays no part in voluntary dues); a region that does not exist is refused all
        # the same, as it is for an employee.
        parse_choice(region, REGIONS, field="region")
    if not voluntary:
        if support is not None:
            raise ValidationError(field="support", reason="only applies with voluntary")
        if months_supported:
            raise ValidationError(field="months_supported", reason="only applies with voluntary")
        if region is None:
            raise ValidationError(field="region", reason=(
                "required for an employee (compulsory or foreign); valid: I, II, III, IV"))
    elif oa_rate != "standard":
        raise ValidationError(field="oa_rate", reason="voluntary SI has no OA/OD fund")


@_in_plain_words
def pension_answer(*, sex: str, contribution_months: int, month: str, months_early: int = 0,
                   average_salary: int | None = None, months_past_retirement_age: int = 0,
                   voluntary_months: int = 0, today: date | None = None) -> Answer:
    on = parse_month(month)
    result = pension(sex=sex, contribution_months=contribution_months, on=on,
                     months_early=months_early, average_salary=average_salary,
                     months_past_retirement_age=months_past_retirement_age,
                     voluntary_months=voluntary_months)
    _eligible_by_the_age(contribution_months, months_past_retirement_age, on)
    return _with({**result.as_dict(), "month": str(on)}, result.explanation, on, today)


def _eligible_by_the_age(contribution_months: int, months_past: int, on: Period) -> None:
    """Months paid past the statutory age count only for someone who had the years of SI a
    pension needs when reaching it (Law 41/2024 Art 68(2), as ``--months-past-retirement-age``
    says): with fewer paid by then none do, and 2 average salaries a year were paid for them."""
    needed = book().pension_min_years(on)
    by_age = contribution_months - months_past
    if months_past and by_age < 12 * needed.value:
        raise ValidationError(field="months_past_retirement_age", reason=(
            f"only someone who had the {needed.value} years ({12 * needed.value} months) of SI "
            f"a pension needs when reaching the statutory age ({needed.row.source}) has months "
            f"past it; {by_age} of the {contribution_months} months were paid by then, so none "
            f"count: give 0"))


def retirement_answer(*, sex: str, birth_date: date, today: date | None = None) -> Answer:
    day = today or date.today()
    if birth_date > day:  # no one is born yet on that day: there is no age to reach
        raise ValidationError(field="birth_date", reason=(
            f"{birth_date.isoformat()} is in the future (today is {day.isoformat()})"))
    result = retirement_age(sex=sex, birth_date=birth_date)
    # the rules used are those of the years up to the month the age is reached
    return _with({**result.as_dict(), "age_months": result.age_months}, result.explanation,
                 result.reached, day)


@_in_plain_words
def lump_sum_answer(*, months_before_2014: int, months_from_2014: int, average_salary: int,
                    month: str, today: date | None = None) -> Answer:
    on = parse_month(month)
    result = one_time_withdrawal(months_before_2014=months_before_2014,
                                 months_from_2014=months_from_2014,
                                 average_salary=average_salary, on=on)
    return _with({**result.as_dict(), "month": str(on)}, result.explanation, on, today)


@_in_plain_words
def unemployment_answer(*, average_salary: int, contribution_months: int, region: str,
                        termination: date, today: date | None = None) -> Answer:
    result = unemployment_benefit(average_salary=average_salary,
                                  contribution_months=contribution_months, region=region,
                                  termination=termination)
    return _with(result.as_dict(), result.explanation, Period.of(termination), today)


@_in_plain_words
def sickness_answer(*, salary: int, days: float | Decimal, years_contributed: int, month: str,
                    heavy: bool = False, today: date | None = None) -> Answer:
    on = parse_month(month)
    result = sickness_benefit(salary=salary, days=Decimal(str(days)),
                              years_contributed=years_contributed, on=on, heavy=heavy)
    return _with({**result.as_dict(), "month": str(on)}, result.explanation, on, today)


@_in_plain_words
def maternity_allowance_answer(*, month: str, children: int, voluntary: bool = False,
                               today: date | None = None) -> Answer:
    on = parse_month(month)
    result = childbirth_allowance(month=on, children=children, voluntary=voluntary)
    return _with({**result.as_dict(), "month": str(on)}, result.explanation, on, today)


@_in_plain_words
def late_interest_answer(*, amount: int, days_late: int, month: str,
                         today: date | None = None) -> Answer:
    on = parse_month(month)
    result = late_interest(amount=amount, days_late=days_late, on=on)
    return _with({**result.as_dict(), "evasion_from_day": result.evasion_from_day,
                  "month": str(on)}, result.explanation, on, today)


def _with(data: Answer, explanation: Explanation, on: Period, today: date | None) -> Answer:
    """The answer with its explanation; ``on`` is the month whose rules were used."""
    steps = list(explanation.steps)
    this_month = Period.of(today or date.today())
    if on > this_month and explanation.rows:
        steps.append(_newest_known(explanation, on, this_month))
    return {**data, "sources": explanation.sources, "provisional": explanation.provisional,
            "explain": steps}


def _newest_known(explanation: Explanation, on: Period, this_month: Period) -> str:
    """The step saying a later month is answered with the law known today: which tables were
    used and the newest change of theirs, from which later months are answered alike."""
    rows = explanation.rows
    tables = ", ".join(dict.fromkeys(_TABLE_WORDS.get(r.table, r.table) for r in rows))
    newest = max(rows, key=lambda r: r.valid_from)  # the first used of the newest, on a tie
    return (f"the rules of {on} were asked, a month later than this one ({this_month}): they "
            f"are the law in force as the tables know it, which stays in force until replaced; "
            f"the newest change known to the tables used ({tables}) is in force from "
            f"{newest.valid_from.first_day.isoformat()} ({newest.source}); later changes are "
            f"not in the tables")
