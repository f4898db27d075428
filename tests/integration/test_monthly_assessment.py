"""The monthly assessment: an employer that stops filing still owes every month of its open
periods, and they turn late and into evasion like any other (FACTS §3.5, §3.7)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from sibook.contributions import queries
from sibook.contributions.closing import assess_through
from sibook.contributions.declare import declare
from sibook.contributions.payments import post_payment
from sibook.core.db import unit_of_work
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from tests.integration.ledger_fixtures import EMPLOYER, csv_of, setup_workers, snapshot


def _filed_for_june(engine: Engine) -> None:
    (an,) = setup_workers(engine, 1)
    with unit_of_work(engine) as s:
        declare(session=s, data=csv_of([(an, "TM", 10_000_000, "2026-06")]), file_name="d.csv",
                employer_code=EMPLOYER, month=Period(2026, 6))


def _months(engine: Engine, as_of: date) -> list[dict[str, object]]:
    with unit_of_work(engine) as s:
        months: list[dict[str, object]] = queries.employer_ledger(
            session=s, code=EMPLOYER, as_of=as_of)["months"]
    return months


def test_months_nobody_filed_fall_due_and_turn_into_evasion(engine: Engine) -> None:
    _filed_for_june(engine)
    assert [m["month"] for m in _months(engine, date(2026, 11, 27))] == ["2026-06"]
    done = assess_through(lambda: unit_of_work(engine), Period(2026, 11))
    assert (done.employers, done.months, done.entries, done.dues) == (1, 5, 5, 5 * 3_200_000)
    months = _months(engine, date(2026, 11, 27))
    # 10,000,000 x 32% a month (FACTS §3.1); July's deadline is the last day of August
    # (Law 41/2024 Art 34(4)): 30 + 31 + 27 = 88 days late on 11-27, evasion.
    assert [(m["month"], m["due"]) for m in months] == [
        (f"2026-{n:02d}", 3_200_000) for n in range(6, 12)]
    july = months[1]
    assert (july["status"], july["days_late"], july["evasion"]) == ("unpaid", 88, True)


def test_assessing_again_posts_nothing(engine: Engine) -> None:
    _filed_for_june(engine)
    assess_through(lambda: unit_of_work(engine), Period(2026, 9))
    before = snapshot(engine)
    again = assess_through(lambda: unit_of_work(engine), Period(2026, 9))
    assert (again.employers, again.entries) == (0, 0)
    assert snapshot(engine) == before
    later = assess_through(lambda: unit_of_work(engine), Period(2026, 10))
    assert (later.months, later.dues) == (1, 3_200_000)  # only October is new


def test_credit_pays_the_months_the_assessment_adds(engine: Engine) -> None:
    _filed_for_june(engine)
    with unit_of_work(engine) as s:
        post_payment(session=s, employer_code=EMPLOYER, amount=6_400_000, bank_reference="P1",
                     paid_on=date(2026, 6, 20), today=date(2026, 12, 31))
    assess_through(lambda: unit_of_work(engine), Period(2026, 8))
    months = _months(engine, date(2026, 8, 31))
    assert [(m["month"], m["status"]) for m in months] == [
        ("2026-06", "paid"), ("2026-07", "paid"), ("2026-08", "unpaid")]


def test_a_closed_period_is_not_assessed_past_its_end(engine: Engine) -> None:
    (an,) = setup_workers(engine, 1)
    with unit_of_work(engine) as s:  # a worker from June, who leaves at the end of July
        declare(session=s, data=csv_of([(an, "TM", 10_000_000, "2026-06")]), file_name="d.csv",
                employer_code=EMPLOYER, month=Period(2026, 6))
        declare(session=s, data=csv_of([(an, "GH", None, "2026-08")]), file_name="g.csv",
                employer_code=EMPLOYER, month=Period(2026, 8))
    done = assess_through(lambda: unit_of_work(engine), Period(2026, 11))
    assert (done.employers, done.months) == (0, 0)
    assert [m["month"] for m in _months(engine, date(2026, 11, 27))] == [
        "2026-06", "2026-07"]


def test_months_more_than_a_month_ahead_are_not_assessed(engine: Engine) -> None:
    """The ledger is append-only: dues posted years ahead (a mistyped ``--through``) would
    take the employer's credit and stand as owed forever. As a filing, the assessment reaches
    at most next month."""
    _filed_for_june(engine)
    before = snapshot(engine)
    next_month = Period.of(date.today()) + 1
    with pytest.raises(ValidationError) as refused:
        assess_through(lambda: unit_of_work(engine), next_month + 1)
    assert refused.value.problems[0].field == "through"
    assert str(next_month + 1) in refused.value.problems[0].reason
    assert snapshot(engine) == before
    assert assess_through(lambda: unit_of_work(engine), next_month).months > 0
