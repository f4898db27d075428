"""A worker on leave (KL unpaid, OF sick, TS maternity) who then leaves for good (GH)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, text

from sibook.benefits.domain import Claim, Regime
from sibook.benefits.service import receive_claim
from sibook.book.service import assemble_person
from sibook.contributions.declare import declare
from sibook.core.db import unit_of_work
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.registry import reading as registry
from tests.integration.ledger_fixtures import (
    EMPLOYER,
    add_other_employer,
    csv_of,
    setup_workers,
    snapshot,
)


def file(engine: Engine, rows: list[tuple[str, str, int | None, str]], month: str,
         employer: str = EMPLOYER) -> dict[str, object]:
    with unit_of_work(engine) as s:
        return declare(session=s, data=csv_of(rows), file_name="d02.csv",
                       employer_code=employer, month=Period.parse(month))


def periods(engine: Engine, pid: str) -> list[tuple[str, str | None, str | None]]:
    """The worker's SI periods in month order: (from, to, the code that ended it)."""
    with engine.connect() as c:
        rows = c.execute(text(
            "SELECT p.from_month, p.to_month, p.closed_by FROM si_periods p "
            "JOIN persons y ON y.person_id = p.person_id WHERE y.personal_id = :pid "
            "ORDER BY p.from_month"), {"pid": pid}).all()
    return [(str(Period.from_index(a)), None if b is None else str(Period.from_index(b)), by)
            for a, b, by in rows]


def on_leave(engine: Engine, code: str) -> str:
    """A worker taken on from January 2026, on leave ``code`` from March."""
    (an,) = setup_workers(engine, 1)
    file(engine, [(an, "TM", 10_000_000, "2026-01")], "2026-01")
    file(engine, [(an, code, None, "2026-03")], "2026-03")
    return an


def test_a_worker_on_unpaid_leave_who_quits_is_declared_gh(engine: Engine) -> None:
    an = on_leave(engine, "KL")
    with engine.connect() as c:
        dues = c.execute(text("SELECT period, sum(total) FROM ledger_entries "
                              "GROUP BY period ORDER BY period")).all()
    left = file(engine, [(an, "GH", None, "2026-06")], "2026-06")
    assert left["dues"] == {} and left["periods_closed"] == 0
    # The months worked stay as filed, now ended by the leaving.
    assert periods(engine, an) == [("2026-01", "2026-02", "GH")]
    with engine.connect() as c:
        assert c.execute(text("SELECT period, sum(total) FROM ledger_entries "
                              "GROUP BY period ORDER BY period")).all() == dues


@pytest.mark.parametrize("code", ["OF", "TS"])
def test_a_gh_after_sick_or_maternity_leave_keeps_the_leave_that_counts(
        engine: Engine, code: str) -> None:
    an = on_leave(engine, code)
    file(engine, [(an, "GH", None, "2026-06")], "2026-06")
    assert periods(engine, an) == [("2026-01", "2026-02", code)]


@pytest.mark.parametrize("code", ["KL", "OF", "TS"])
def test_a_gh_from_the_leaves_first_month_replaces_the_leave(engine: Engine, code: str) -> None:
    an = on_leave(engine, code)
    file(engine, [(an, "GH", None, "2026-03")], "2026-04")
    assert periods(engine, an) == [("2026-01", "2026-02", "GH")]


def test_a_gh_from_before_the_leave_is_refused_naming_its_first_month(engine: Engine) -> None:
    an = on_leave(engine, "KL")
    before = snapshot(engine)
    with pytest.raises(ValidationError) as refused:
        file(engine, [(an, "GH", None, "2026-02")], "2026-04")
    (problem,) = refused.value.problems
    assert problem.field == "from_month" and "ended in 2026-02" in problem.reason
    assert "from 2026-03 or later" in problem.reason
    assert snapshot(engine) == before


def test_leave_and_leaving_in_one_list(engine: Engine) -> None:
    (an,) = setup_workers(engine, 1)
    file(engine, [(an, "TM", 10_000_000, "2026-01")], "2026-01")
    file(engine, [(an, "KL", None, "2026-03"), (an, "GH", None, "2026-05")], "2026-05")
    assert periods(engine, an) == [("2026-01", "2026-02", "GH")]


def test_a_gh_after_leave_leaves_the_job_the_worker_took_elsewhere_open(engine: Engine) -> None:
    an = on_leave(engine, "KL")
    other = add_other_employer(engine)
    file(engine, [(an, "TD", 9_000_000, "2026-04")], "2026-04", employer=other)
    file(engine, [(an, "GH", None, "2026-06")], "2026-06")
    assert periods(engine, an) == [("2026-01", "2026-02", "GH"), ("2026-04", None, None)]


def test_a_second_gh_is_refused(engine: Engine) -> None:
    an = on_leave(engine, "KL")
    file(engine, [(an, "GH", None, "2026-06")], "2026-06")
    with pytest.raises(ValidationError, match="no open period with this employer"):
        file(engine, [(an, "GH", None, "2026-07")], "2026-07")


def test_a_gh_after_the_worker_came_back_and_left_again_needs_an_open_period(
        engine: Engine) -> None:
    an = on_leave(engine, "KL")
    file(engine, [(an, "TM", 10_000_000, "2026-05"), (an, "GH", None, "2026-07")], "2026-07")
    assert periods(engine, an) == [("2026-01", "2026-02", "KL"), ("2026-05", "2026-06", "GH")]


@pytest.mark.parametrize("code", ["TS", "OF", "KL", "GH"])
def test_leave_from_the_month_of_a_raise_ends_the_period_before_it(engine: Engine,
                                                                    code: str) -> None:
    """A raise from March (DC), then leave from March in a later batch: the raise's period is
    cancelled, and the months before it end with the leave, not with the raise, so the book
    counts maternity leave's months (TS) and a later GH finds the worker on leave."""
    (an,) = setup_workers(engine, 1)
    file(engine, [(an, "TM", 10_000_000, "2026-01")], "2026-01")
    file(engine, [(an, "DC", 12_000_000, "2026-03")], "2026-03")
    with unit_of_work(engine) as s:
        declare(session=s, data=csv_of([(an, code, None, "2026-03")]), file_name="d02.csv",
                employer_code=EMPLOYER, month=Period(2026, 3), batch_no=2)
    assert periods(engine, an) == [("2026-01", "2026-02", code)]


def test_taken_on_and_leaving_from_the_same_month_in_one_list_is_as_in_two(
        engine: Engine) -> None:
    """A worker new to the employer, taken on and leaving from October in one list: the start
    is cancelled, as the decrease filed in a later batch cancels it, where the decrease, read
    first, was refused as ending nothing."""
    (an,) = setup_workers(engine, 1)
    filed = file(engine, [(an, "TM", 10_000_000, "2026-10"), (an, "GH", None, "2026-10")],
                 "2026-10")
    assert filed["dues"] == {} and periods(engine, an) == []


def test_leave_ended_and_a_new_contract_from_the_same_month(engine: Engine) -> None:
    """On unpaid leave, the contract ends from June and a new one begins from June."""
    an = on_leave(engine, "KL")
    file(engine, [(an, "TM", 11_000_000, "2026-06"), (an, "GH", None, "2026-06")], "2026-06")
    assert periods(engine, an) == [("2026-01", "2026-02", "GH"), ("2026-06", None, None)]


def left_from(engine: Engine, pid: str) -> list[str | None]:
    """The month kept with each of the worker's SI periods in month order for a GH filed
    during the leave that ended it."""
    with engine.connect() as c:
        rows = c.execute(text(
            "SELECT p.left_from FROM si_periods p JOIN persons y ON y.person_id = p.person_id "
            "WHERE y.personal_id = :pid ORDER BY p.from_month"), {"pid": pid}).scalars().all()
    return [None if m is None else str(Period.from_index(m)) for m in rows]


def sheets(engine: Engine, pid: str) -> list[tuple[str, str | None, str]]:
    """The rows of the worker's book at the end of 2026: (from, to, kind)."""
    with unit_of_work(engine) as s:
        book = assemble_person(session=s, person_id=registry.person_id_of(
            session=s, personal_id=pid), as_of=date(2026, 12, 31))
    return [(r["from"], r["to"], r["kind"]) for r in book["sheets"]]


@pytest.mark.parametrize("one_list", [False, True])
def test_a_gh_during_maternity_leave_ends_the_maternity_months(engine: Engine,
                                                                 one_list: bool) -> None:
    """Maternity leave from March, the worker leaves from June: the months from March to May
    count, not the six to August as if she were still employed (the GH's month was not kept)."""
    if one_list:
        (an,) = setup_workers(engine, 1)
        file(engine, [(an, "TM", 10_000_000, "2026-01")], "2026-01")
        file(engine, [(an, "TS", None, "2026-03"), (an, "GH", None, "2026-06")], "2026-06")
    else:
        an = on_leave(engine, "TS")
        file(engine, [(an, "GH", None, "2026-06")], "2026-06")
    assert periods(engine, an) == [("2026-01", "2026-02", "TS")]
    assert left_from(engine, an) == ["2026-06"]
    assert sheets(engine, an) == [("2026-01", "2026-02", "compulsory"),
                                  ("2026-03", "2026-05", "maternity")]


def test_a_gh_during_sick_leave_ends_the_months_off_sick(engine: Engine) -> None:
    """Off sick from March, the worker leaves from June: a sick leave in April is the
    sickness regime's, one in July (after the job) is outside SI."""
    an = on_leave(engine, "OF")
    file(engine, [(an, "GH", None, "2026-06")], "2026-06")

    def claim(no: str, first: date, last: date) -> dict[str, object]:
        with unit_of_work(engine) as s:
            return receive_claim(
                session=s, person_id=registry.person_id_of(session=s, personal_id=an),
                personal_id=an, claim=Claim(Regime.SICKNESS, no, last, first, last),
                actor="clerk", today=date(2026, 8, 20))

    assert claim("HS-1", date(2026, 4, 6), date(2026, 4, 10))["status"] == "claimed"
    with pytest.raises(ValidationError) as after_the_job:
        claim("HS-2", date(2026, 7, 6), date(2026, 7, 10))
    assert "not in compulsory SI in 2026-07" in after_the_job.value.problems[0].reason


def test_a_second_gh_after_maternity_leave_is_refused(engine: Engine) -> None:
    """The worker left from June: a GH from July has nothing to end, as after unpaid leave."""
    an = on_leave(engine, "TS")
    file(engine, [(an, "GH", None, "2026-06")], "2026-06")
    with pytest.raises(ValidationError, match="no open period with this employer"):
        file(engine, [(an, "GH", None, "2026-07")], "2026-07")
    assert left_from(engine, an) == ["2026-06"]


def test_a_back_raise_before_the_leave_keeps_the_month_the_worker_left(engine: Engine) -> None:
    """A raise from February filed after the worker left during maternity leave re-prices
    February: the part from February keeps the leave's code and the month she left."""
    an = on_leave(engine, "TS")
    file(engine, [(an, "GH", None, "2026-06")], "2026-06")
    file(engine, [(an, "DC", 11_000_000, "2026-02")], "2026-07")
    assert periods(engine, an) == [("2026-01", "2026-01", "DC"), ("2026-02", "2026-02", "TS")]
    assert left_from(engine, an) == [None, "2026-06"]
    assert sheets(engine, an)[-1] == ("2026-03", "2026-05", "maternity")


def test_taken_on_again_and_leaving_from_one_month_after_leaving_during_leave(
        engine: Engine) -> None:
    """She left from June during maternity leave; taken on again and leaving from October in
    one list cancels the new start, as for a worker with no period on leave."""
    an = on_leave(engine, "TS")
    file(engine, [(an, "GH", None, "2026-06")], "2026-06")
    file(engine, [(an, "TM", 10_000_000, "2026-10"), (an, "GH", None, "2026-10")], "2026-10")
    assert periods(engine, an) == [("2026-01", "2026-02", "TS")]


@pytest.mark.parametrize("code", ["TS", "OF", "KL", "GH"])
def test_a_raise_and_leave_from_the_same_month_in_one_list_is_as_in_two(engine: Engine,
                                                                         code: str) -> None:
    """A raise from March (DC) and leave from March in one list: as filed in two batches
    (``test_leave_from_the_month_of_a_raise_ends_the_period_before_it``), the raise's months
    are none and the period before it ends with the leave, where the leave, applied first,
    left the raise refused as 'no open period'."""
    (an,) = setup_workers(engine, 1)
    file(engine, [(an, "TM", 10_000_000, "2026-01")], "2026-01")
    filed = file(engine, [(an, "DC", 12_000_000, "2026-03"), (an, code, None, "2026-03")],
                 "2026-03")
    assert periods(engine, an) == [("2026-01", "2026-02", code)]
    assert "2026-03" not in filed["dues"]  # type: ignore[operator]
