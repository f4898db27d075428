"""Who set a unit's pay decides the years a pension averages (Law 41/2024 Art 72), on SQLite and
PostgreSQL: the same career at an enterprise averages the whole period, at a unit paying by the
state's salary scale the last years by the year SI started, and one with both kinds of time
averages all its months with the state-scale ones at their own window's average. The unit's
regime is kept with it (migration 0023: every unit on record so far set its own pay, but the
defence and public-security units, which pay by the state's scale)."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, insert, text
from sqlalchemy.exc import IntegrityError

from sibook.book import service as book_service
from sibook.book.estimate import estimate
from sibook.core import migrate
from sibook.core.db import unit_of_work
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.core.schema import metadata
from sibook.ids import make_enterprise_code, make_personal_id
from sibook.registry import reading as registry
from sibook.registry import service
from sibook.registry.new_employer import NewEmployer
from sibook.registry.new_person import NewPerson
from sibook.registry.population import LocalPopulationRegistry
from sibook.registry.registration import register
from sibook.rules import average_salary
from tests.integration.ledger_fixtures import EMPLOYER, setup_workers
from tests.integration.test_benefits import RETIRES_2025_06, TODAY, book_of

SCHOOL = make_enterprise_code(6262, "01")  # a public school paying by the state's scale
AS_OF = Period.of(TODAY)  # 2026-03: the pension would be paid from 2026-04, by Law 41/2024
STARTED = Period(2005, 1)  # SI begun in 2001-2006: the state scale averages the last 8 years
RAISED = Period(2020, 1)  # 5,000,000 a month before, 12,000,000 from then to 2025-06
END = Period(2025, 6)


def add_school(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        service.add_employer(session=s, employer=NewEmployer(
            code=SCHOOL, name="Trường Tiểu học Sông Hồng", province_code="01", region="I",
            salary_regime="state"))


def worker(engine: Engine, serial: int, units: tuple[str, str]) -> str:
    """A man who reached the retirement age in 2025-06, paid 5,000,000 a month at ``units[0]``
    from 2005 to 2019, then 12,000,000 at ``units[1]`` to 2025-06."""
    pid = make_personal_id("001", RETIRES_2025_06, "male", serial)
    periods = metadata.tables["si_periods"]
    with unit_of_work(engine) as s:
        register(session=s, person=NewPerson(
            personal_id=pid, full_name="Lê Văn Thành", birth_date=RETIRES_2025_06, sex="male",
            birth_registration_place="001"),
            population=LocalPopulationRegistry(s), require_match=False, today=TODAY,
            managing_office="01000")
        person = registry.person_id_of(session=s, personal_id=pid)
        for seq, (code, first, last, pay) in enumerate(
                ((units[0], STARTED, RAISED - 1, 5_000_000),
                 (units[1], RAISED, END, 12_000_000)), start=1):
            eid = registry.employer_by_code(session=s, code=code).employer_id
            s.execute(insert(periods).values(
                person_id=person, seq=seq, from_month=first.index, to_month=last.index,
                kind="compulsory", employer_id=eid, salary_basis=pay, allowances=0,
                occupational_rate_bp=50))
    return pid


def months(first: Period, last: Period, pay: int) -> list[tuple[Period, int]]:
    return [(Period.from_index(i), pay) for i in range(first.index, last.index + 1)]


EARLY, LATE = months(STARTED, RAISED - 1, 5_000_000), months(RAISED, END, 12_000_000)


def law(*, own: list[tuple[Period, int]], state: list[tuple[Period, int]]) -> int:
    """The average the rules engine gives such months for a pension asked for in 2026-03."""
    return average_salary(history=own, state_history=state, started=2005, settlement=AS_OF,
                          revalued_for=2026).average


@pytest.fixture
def workers(engine: Engine) -> dict[str, dict[str, Any]]:
    """The same career at the enterprise, at the school, and at the school then the
    enterprise: each one's book as of TODAY."""
    setup_workers(engine, 0)
    add_school(engine)
    books = {}
    for n, (name, units) in enumerate((("enterprise", (EMPLOYER, EMPLOYER)),
                                       ("school", (SCHOOL, SCHOOL)),
                                       ("both", (SCHOOL, EMPLOYER)))):
        books[name] = book_of(engine, worker(engine, 91 + n, units))
    return books


def test_an_enterprise_worker_is_averaged_over_the_whole_period(
        workers: dict[str, dict[str, Any]]) -> None:
    book = workers["enterprise"]
    assert all("state_scale" not in row for row in book["sheets"])
    answer = estimate(book, AS_OF)
    assert answer["average_salary"] == law(own=EARLY + LATE, state=[])


def test_a_state_scale_worker_is_averaged_over_the_last_years_and_gets_more_here(
        workers: dict[str, dict[str, Any]]) -> None:
    """SI begun in 2005: the last 8 years (2017-07 to 2025-06), mostly at the raised pay: a
    higher average than the enterprise worker's whole period of the same career."""
    book = workers["school"]
    assert {row.get("state_scale") for row in book["sheets"]} == {True}
    answer = estimate(book, AS_OF)
    assert answer["average_salary"] == law(own=[], state=EARLY + LATE)
    assert answer["average_salary"] == law(own=[], state=(EARLY + LATE)[-96:])
    enterprise = estimate(workers["enterprise"], AS_OF)
    assert answer["average_salary"] > enterprise["average_salary"]
    assert answer["pension"]["monthly_pension"] > enterprise["pension"]["monthly_pension"]


def test_a_worker_with_both_kinds_of_time_is_averaged_by_the_mixed_formula(
        workers: dict[str, dict[str, Any]]) -> None:
    book = workers["both"]
    # The rows the law's rate changes cut: the school's before 2020, the enterprise's after.
    assert {(row["from"] < str(RAISED), row.get("state_scale")) for row in book["sheets"]} == {
        (True, True), (False, None)}
    answer = estimate(book, AS_OF)
    average = answer["average_salary"]
    assert average == law(own=LATE, state=EARLY)
    assert (answer["average_rule"]["rule"], answer["average_rule"]["window_years"]) == ("both", 8)
    assert average not in (law(own=EARLY + LATE, state=[]), law(own=[], state=EARLY + LATE))


def test_the_settlement_check_prices_a_pension_on_the_regimes_average(
        engine: Engine, workers: dict[str, dict[str, Any]]) -> None:
    """A pension's settlement is checked on the record by the estimate's formula: the
    school's worker's pension is priced on the state scale's average, not the whole period's."""
    pid = workers["school"]["header"]["personal_id"]
    with unit_of_work(engine) as s:
        person = registry.person_id_of(session=s, personal_id=pid)
        _, result = book_service.pension_on_record(session=s, person_id=person, as_of=TODAY,
                                                   starts=AS_OF + 1)
    assert result.monthly_pension == estimate(workers["school"], AS_OF)["pension"][
        "monthly_pension"]


def test_a_unit_of_a_ministrys_realm_pays_by_the_state_scale(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        service.add_employer(session=s, employer=NewEmployer(
            code="0100000999", name="Đơn vị 999", province_code="01", region="I",
            realm="defence"))
        assert registry.employer_by_code(session=s, code="0100000999").salary_regime == "state"
    with pytest.raises(ValidationError) as refused, unit_of_work(engine) as s:
        service.add_employer(session=s, employer=NewEmployer(
            code="0100000998", name="Đơn vị 998", province_code="01", region="I",
            realm="public_security", salary_regime="employer"))
    assert [p.field for p in refused.value.problems] == ["salary_regime"]


def test_migration_0023_keeps_every_unit_on_record_employer_set_but_the_ministries(
        engine: Engine) -> None:
    cfg = migrate.alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0022")
    with engine.begin() as conn:
        for eid, code, realm in ((1, "0100000001", "civil"), (2, "0100000002", "defence"),
                                 (3, "0100000003", "public_security")):
            conn.execute(text(
                "INSERT INTO employers (employer_id, code, name, province_code, region, "
                "occupational_rate_bp, realm) VALUES (:eid, :code, 'Đơn vị', '01', 'I', 50, "
                ":realm)"), {"eid": eid, "code": code, "realm": realm})
        # A row referring to a unit: on SQLite, rebuilding the table would be refused for it.
        conn.execute(text("INSERT INTO employer_payment_cycles (employer_id, from_month, months)"
                          " VALUES (1, :month, 3)"), {"month": Period(2026, 1).index})
    migrate.upgrade(engine)
    with engine.connect() as conn:
        regimes = conn.execute(text(
            "SELECT code, salary_regime FROM employers ORDER BY code")).all()
    assert [tuple(r) for r in regimes] == [("0100000001", "employer"), ("0100000002", "state"),
                                           ("0100000003", "state")]
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE employers SET salary_regime = 'mixed' WHERE employer_id = 1"))
