"""A unit paying every 3 months (Law 41/2024/QH15 Arts 33(1)(b), 34(4)(b)): its months are due
on the last day of the month after their cycle, and late payment, interest and evasion count
from that day, in the employer's ledger, a worker's ledger and the book's arrears alike."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine

from sibook.book import batch
from sibook.book import service as books
from sibook.contributions import queries
from sibook.contributions import service as contributions
from sibook.contributions.declare import declare
from sibook.core.db import unit_of_work
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.registry import reading
from sibook.registry import service as registry
from sibook.registry.new_employer import NewEmployer
from tests.integration.ledger_fixtures import EMPLOYER, csv_of, setup_workers

FARM = "0109876543"


def quarterly_unit_owing_january_to_march(engine: Engine) -> list[str]:
    """EMPLOYER pays every 3 months from January 2026; its worker on 10,000,000 from January,
    filed for March: January to March owe 3,200,000 each, all due 2026-04-30. A second person
    registered, working nowhere."""
    an, other = setup_workers(engine, 2)
    with unit_of_work(engine) as s:
        registry.change_payment_cycle(session=s, code=EMPLOYER, cycle="3",
                                      from_month=Period(2026, 1))
        declare(session=s, data=csv_of([(an, "TM", 10_000_000, "2026-01")]), file_name="d.csv",
                employer_code=EMPLOYER, month=Period(2026, 3))
    return [an, other]


def months_of(engine: Engine, as_of: date) -> Any:
    with unit_of_work(engine) as s:
        return queries.employer_ledger(session=s, code=EMPLOYER, as_of=as_of)["months"]


def test_the_first_months_of_a_cycle_are_not_late_before_the_cycles_deadline(
        engine: Engine) -> None:
    quarterly_unit_owing_january_to_march(engine)
    months = months_of(engine, date(2026, 4, 30))
    assert [(m["deadline"], m["days_late"], m["interest"], m["evasion"]) for m in months] == [
        ("2026-04-30", 0, 0, False)] * 3  # monthly, January would be 61 days late: evasion


def test_the_cycles_months_are_late_after_its_deadline(engine: Engine) -> None:
    quarterly_unit_owing_january_to_march(engine)
    months = months_of(engine, date(2026, 5, 10))
    # 3,200,000 x 0.03% x 10 days = 9,600 each
    assert [(m["days_late"], m["interest"]) for m in months] == [(10, 9_600)] * 3


def test_evasion_counts_from_the_cycles_deadline(engine: Engine) -> None:
    quarterly_unit_owing_january_to_march(engine)
    # 2026-04-30 + 60 days (31 in May, 29 in June) is 06-29; the 61st day is 06-30.
    day_60 = months_of(engine, date(2026, 6, 29))
    day_61 = months_of(engine, date(2026, 6, 30))
    assert [(m["days_late"], m["evasion"]) for m in day_60] == [(60, False)] * 3
    assert [(m["days_late"], m["evasion"]) for m in day_61] == [(61, True)] * 3


def test_a_worker_and_the_book_see_the_cycles_deadline(engine: Engine) -> None:
    an, _ = quarterly_unit_owing_january_to_march(engine)
    with unit_of_work(engine) as s:
        person_id = reading.person_id_of(session=s, personal_id=an)
        employer_id = reading.employer_by_code(session=s, code=EMPLOYER).employer_id
        before = queries.person_ledger(session=s, person_id=person_id, personal_id=an,
                                       as_of=date(2026, 4, 30))
        after = queries.person_ledger(session=s, person_id=person_id, personal_id=an,
                                      as_of=date(2026, 5, 1))
        arrears = [contributions.unpaid_months(session=s, employer_ids={employer_id}, as_of=day)
                   for day in (date(2026, 4, 30), date(2026, 5, 1))]
    cycle = ("2026-01", "2026-02", "2026-03")
    assert [(m["employer_days_late"], m["deducted_not_remitted"]) for m in before["months"]
            if m["month"] in cycle] == [(0, False)] * 3
    assert [(m["employer_days_late"], m["deducted_not_remitted"]) for m in after["months"]
            if m["month"] in cycle] == [(1, True)] * 3
    assert arrears[0] == {}
    assert sorted(arrears[1][employer_id]) == [Period(2026, m).index for m in (1, 2, 3)]


def test_the_book_shows_the_cycles_months_as_arrears_only_after_its_deadline(
        engine: Engine) -> None:
    """The single path (``sibook book export``, the API's book) and the batch path alike."""
    an, _ = quarterly_unit_owing_january_to_march(engine)
    with unit_of_work(engine) as s:
        person_id = reading.person_id_of(session=s, personal_id=an)
        single = [books.assemble_person(session=s, person_id=person_id, as_of=day)
                  for day in (date(2026, 4, 30), date(2026, 5, 1))]
        batched = [batch.assemble_many(session=s, person_ids=[person_id], as_of=day)[person_id]
                   for day in (date(2026, 4, 30), date(2026, 5, 1))]
    assert single == batched
    assert (single[0]["arrears"], single[0]["totals"]["unpaid_months"]) == ([], 0)
    assert [(a["month"], a["employer_code"], a["status"], a["employer_due"], a["employer_paid"])
            for a in single[1]["arrears"]] == [
        (f"2026-0{m}", EMPLOYER, "unpaid", 3_200_000, 0) for m in (1, 2, 3)]
    assert single[1]["totals"]["unpaid_months"] == 3


def test_a_monthly_unit_beside_it_keeps_the_monthly_deadline(engine: Engine) -> None:
    _, other = quarterly_unit_owing_january_to_march(engine)
    with unit_of_work(engine) as s:
        farm = registry.add_employer(session=s, employer=NewEmployer(
            code=FARM, name="HTX Muối Bạch Long", province_code="01", region="I"))
        declare(session=s, data=csv_of([(other, "TM", 10_000_000, "2026-01")]),
                file_name="f.csv", employer_code=FARM, month=Period(2026, 1))
    with unit_of_work(engine) as s:
        (january,) = queries.employer_ledger(session=s, code=FARM, as_of=date(2026, 4, 30)
                                             )["months"]
        arrears = contributions.unpaid_months(session=s, employer_ids={farm},
                                              as_of=date(2026, 4, 30))
    assert (january["deadline"], january["days_late"], january["evasion"]) == (
        "2026-02-28", 61, True)
    assert list(arrears[farm]) == [Period(2026, 1).index]


def test_a_unit_registered_to_pay_every_6_months_is_due_after_its_half_year(
        engine: Engine) -> None:
    (an,) = setup_workers(engine, 1)
    with unit_of_work(engine) as s:
        registry.add_employer(session=s, employer=NewEmployer(
            code=FARM, name="HTX Muối Bạch Long", province_code="01", region="I",
            payment_cycle="6", payment_cycle_from=Period(2026, 1)))
        declare(session=s, data=csv_of([(an, "TM", 10_000_000, "2026-01")]),
                file_name="f.csv", employer_code=FARM, month=Period(2026, 6))
    with unit_of_work(engine) as s:
        months = queries.employer_ledger(session=s, code=FARM, as_of=date(2026, 7, 31)
                                         )["months"]
    assert {(m["deadline"], m["days_late"]) for m in months} == {("2026-07-31", 0)}
    assert len(months) == 6


def test_a_method_changed_from_more_than_a_year_ahead_is_refused(engine: Engine) -> None:
    setup_workers(engine, 0)
    today = date(2026, 11, 29)
    with pytest.raises(ValidationError) as refused, unit_of_work(engine) as s:
        registry.change_payment_cycle(session=s, code=EMPLOYER, cycle="3",
                                      from_month=Period(2062, 1), today=today)
    assert refused.value.problems[0].field == "from_month"
    assert "2062-01 is more than 12 months ahead of today" in refused.value.problems[0].reason
    with unit_of_work(engine) as s:
        registry.change_payment_cycle(session=s, code=EMPLOYER, cycle="3",
                                      from_month=Period(2027, 11), today=today)
