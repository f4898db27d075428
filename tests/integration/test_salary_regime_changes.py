"""A unit's salary regime from a month on (``registry.regimes``, migration 0024), on SQLite and
PostgreSQL: a public school that became a company averages its workers' months before the change
over the state scale's window and those after over the whole period (Law 41/2024 Art 72(3));
a regime registered wrong is corrected from the unit's first month; a ministry's unit stays on
the state's scale."""

from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from sibook.book.estimate import estimate
from sibook.core import migrate
from sibook.core.db import unit_of_work
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.registry import regimes, service
from sibook.registry.new_employer import NewEmployer
from tests.integration.ledger_fixtures import EMPLOYER, setup_workers
from tests.integration.test_benefits import book_of
from tests.integration.test_salary_regime import (
    AS_OF,
    EARLY,
    LATE,
    RAISED,
    SCHOOL,
    STARTED,
    add_school,
    law,
    worker,
)


def change(engine: Engine, code: str, regime: str, start: Period) -> None:
    with unit_of_work(engine) as s:
        regimes.change_salary_regime(session=s, code=code, regime=regime, from_month=start)


@pytest.fixture
def school(engine: Engine) -> Engine:
    setup_workers(engine, 0)
    add_school(engine)
    return engine


def test_a_school_that_became_a_company_averages_both_kinds_of_its_months(
        school: Engine) -> None:
    """The school sets its own pay from 2020-01: 2005-2019 on the state's scale, 2020-2025 the
    employer's, the same figures as a career at the school, then an enterprise."""
    pid = worker(school, 91, (SCHOOL, SCHOOL))
    change(school, SCHOOL, "employer", RAISED)
    book = book_of(school, pid)
    # The rows the law's rate changes cut: those before 2020 state-scale, none after.
    assert {(row["to"] < str(RAISED), row.get("state_scale")) for row in book["sheets"]} == {
        (True, True), (False, None)}
    answer = estimate(book, AS_OF)
    assert answer["average_salary"] == law(own=LATE, state=EARLY)
    assert answer["average_rule"]["rule"] == "both"


def test_a_regime_registered_wrong_is_corrected_from_the_units_first_month(
        school: Engine) -> None:
    """The enterprise was a public unit all along: from its first month on the state's scale,
    its worker is averaged as the school's is."""
    pid = worker(school, 92, (EMPLOYER, EMPLOYER))
    change(school, EMPLOYER, "state", STARTED)
    book = book_of(school, pid)
    assert {row.get("state_scale") for row in book["sheets"]} == {True}
    assert estimate(book, AS_OF)["average_salary"] == law(own=[], state=EARLY + LATE)


def test_a_change_before_the_units_first_month_is_refused_naming_from_month(
        school: Engine) -> None:
    """The school's first worker was insured from 2005-01: a change from 1990-01 would record
    a month it paid nobody in; from its first month it is taken."""
    worker(school, 94, (SCHOOL, SCHOOL))
    with pytest.raises(ValidationError) as refused:
        change(school, SCHOOL, "employer", Period(1990, 1))
    [problem] = refused.value.problems
    assert problem.field == "from_month" and "its regime changes from 2005-01 on" in \
        problem.reason, problem
    with school.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM employer_salary_regimes")).scalar() == 0
    change(school, SCHOOL, "employer", STARTED)


def test_a_change_from_a_month_already_changed_replaces_it(school: Engine) -> None:
    pid = worker(school, 93, (SCHOOL, SCHOOL))
    change(school, SCHOOL, "employer", RAISED)
    change(school, SCHOOL, "state", RAISED)
    assert {row.get("state_scale") for row in book_of(school, pid)["sheets"]} == {True}
    with school.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM employer_salary_regimes")).scalar() == 1


def test_a_ministrys_unit_is_refused_employer_set_pay_and_nothing_is_recorded(
        engine: Engine) -> None:
    with unit_of_work(engine) as s:
        service.add_employer(session=s, employer=NewEmployer(
            code="0100000999", name="Đơn vị 999", province_code="01", region="I",
            realm="defence"))
    with pytest.raises(ValidationError) as refused:
        change(engine, "0100000999", "employer", Period(2026, 1))
    [problem] = refused.value.problems
    assert problem.field == "salary_regime" and "defence realm" in problem.reason
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM employer_salary_regimes")).scalar() == 0


@pytest.mark.parametrize(("code", "regime", "field"), [
    ("0100000998", "state", "employer"), (EMPLOYER, "mixed", "salary_regime")])
def test_a_unit_nobody_holds_or_a_regime_not_listed_is_refused(
        engine: Engine, code: str, regime: str, field: str) -> None:
    setup_workers(engine, 0)
    with pytest.raises(ValidationError) as refused:
        change(engine, code, regime, Period(2026, 1))
    assert [p.field for p in refused.value.problems] == [field]


def test_migration_0024_keeps_the_changes_apart_and_checks_their_regime(
        school: Engine) -> None:
    """Down to 0023 the table goes; back up, it is there and takes employer or state only."""
    cfg = migrate.alembic_config(school)
    with school.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0023")
    with school.connect() as conn:
        assert "employer_salary_regimes" not in {
            name for (name,) in conn.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'table'" if
                school.dialect.name == "sqlite" else
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))}
    migrate.upgrade(school)
    change(school, SCHOOL, "employer", RAISED)
    with pytest.raises(IntegrityError), school.begin() as conn:
        conn.execute(text("UPDATE employer_salary_regimes SET salary_regime = 'mixed'"))


def test_a_change_more_than_a_year_ahead_is_refused_as_a_typed_year(school: Engine) -> None:
    """2062 typed for 2026 would silently turn the unit's pensions' averaging from then on."""
    today = date(2026, 11, 29)
    with pytest.raises(ValidationError) as refused, unit_of_work(school) as s:
        regimes.change_salary_regime(session=s, code=SCHOOL, regime="employer",
                                     from_month=Period(2027, 12), today=today)
    assert refused.value.problems[0].field == "from_month"
    assert "more than 12 months ahead" in refused.value.problems[0].reason
    with unit_of_work(school) as s:  # a decision taking effect within the year is recorded
        regimes.change_salary_regime(session=s, code=SCHOOL, regime="employer",
                                     from_month=Period(2027, 11), today=today)
        assert regimes.regime_history(session=s, code=SCHOOL).changes == (
            (Period(2027, 11), "employer"),)
