"""The contributions answers are exactly what the OpenAPI contract describes: the ledgers of a
seeded database (every employer's; persons' with arrears, evasion, voluntary months, in their
own and their employer's view) and the answers of filings and payments (replayed too, with a
correction and a credit) validate against the models of ``sibook.contributions.schema``, which
forbid undeclared keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, select

from sibook.contributions import queries
from sibook.contributions.declare import declare
from sibook.contributions.payments import post_payment
from sibook.contributions.schema import (
    DeclarationAnswer,
    EmployerLedger,
    EmployerPaymentAnswer,
    PersonLedger,
)
from sibook.core.db import unit_of_work
from sibook.core.period import Period
from sibook.core.schema import metadata
from sibook.seed.service import seed
from tests.integration.ledger_fixtures import EMPLOYER, csv_of, setup_workers

TODAY = date(2026, 11, 26)
SAMPLE = 150  # persons whose ledgers are read, in their own view and their employers'


@dataclass
class Ledgers:
    employers: list[dict[str, Any]]
    persons: list[dict[str, Any]]  # the full view (an officer's or the citizen's)
    employer_views: list[dict[str, Any]]  # the same persons as each of their employers sees them
    since: list[dict[str, Any]]  # the full view from a month on


@pytest.fixture(scope="module")
def ledgers(module_engine: Engine) -> Ledgers:
    """Read only: the tests share it (reading the ledgers takes seconds a backend)."""
    engine = module_engine
    seed(engine=engine, people=400, employers=12, today=TODAY, seed=3)
    persons, employers = metadata.tables["persons"], metadata.tables["employers"]
    periods = metadata.tables["si_periods"]
    out = Ledgers([], [], [], [])
    with unit_of_work(engine) as s:
        codes = s.scalars(select(employers.c.code).order_by(employers.c.code)).all()
        out.employers = [queries.employer_ledger(session=s, code=c, as_of=TODAY) for c in codes]
        people = s.execute(select(persons.c.person_id, persons.c.personal_id)
                           .order_by(persons.c.person_id)).all()
        for person_id, personal_id in people[::max(len(people) // SAMPLE, 1)]:
            read = partial(queries.person_ledger, session=s, person_id=person_id,
                           personal_id=personal_id, as_of=TODAY)
            out.persons.append(read())
            out.since.append(read(since=Period(2025, 1)))
            worked_for = s.scalars(
                select(employers.c.code).join(periods, periods.c.employer_id ==
                                              employers.c.employer_id)
                .where(periods.c.person_id == person_id).distinct()).all()
            out.employer_views += [read(employer_code=code) for code in worked_for]
    return out


def _months(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for a in answers for m in a["months"]]


def test_every_employers_ledger_is_what_the_contract_describes(ledgers: Ledgers) -> None:
    months = _months(ledgers.employers)
    # the seed reaches every variant worth checking: arrears, interest, evasion (remedied too)
    assert {m["status"] for m in months} == {"paid", "partly_paid", "unpaid"}
    assert any(m["interest"] > 0 for m in months)
    assert any(m["evasion"] and m["outstanding"] > 0 for m in months)
    assert any(m["evasion"] and m["status"] == "paid" for m in months)
    assert any(e["totals"]["months_in_evasion"] > 0 for e in ledgers.employers)
    for answer in ledgers.employers:
        EmployerLedger.model_validate(answer)
    employer = next(e for e in ledgers.employers if e["months"])  # an undescribed key fails
    with pytest.raises(ValidationError, match="penalty"):
        EmployerLedger.model_validate({**employer, "totals": {**employer["totals"],
                                                              "penalty": 0}})


def test_persons_ledgers_are_what_the_contract_describes(ledgers: Ledgers) -> None:
    months = _months(ledgers.persons)
    kinds = {(m["kind"], m["status"]) for m in months}
    assert {("compulsory", s) for s in ("paid", "partly_paid", "unpaid", "reported")} <= kinds
    assert {("voluntary", s) for s in ("paid", "unpaid", "reported")} <= kinds
    assert any(m["deducted_not_remitted"] for m in months)
    # no share: voluntary months before the voluntary tables (2020); compulsory ones reach 1995
    assert any(m["employee_share"] is None and m["kind"] == "voluntary" for m in months)
    assert all(m["employee_share"] is not None for m in months if m["kind"] == "compulsory")
    assert any(m["kind"] == "voluntary" and m["due"] is None for m in months)
    # A month nothing was asked for has nothing paid either, whoever pays it.
    assert all(m["paid"] is None for m in months if m["due"] is None)
    assert all(m["employer_month_paid"] is None for m in months
               if m["employer_month_due"] is None)
    assert all("voluntary_credit" in p["summary"] for p in ledgers.persons)
    for answer in ledgers.persons + ledgers.since:
        PersonLedger.model_validate(answer)
    person = next(p for p in ledgers.persons if p["months"])  # an undescribed key fails
    with pytest.raises(ValidationError, match="arrears"):
        PersonLedger.model_validate({**person, "months": [{**person["months"][0], "arrears": 0}]})


def test_an_employers_view_of_its_worker_is_what_the_contract_describes(ledgers: Ledgers
                                                                        ) -> None:
    views = ledgers.employer_views
    assert len(views) >= SAMPLE // 2
    # no voluntary month and no voluntary credit: the participant's own business
    assert all("voluntary_credit" not in v["summary"] for v in views)
    assert {m["kind"] for m in _months(views)} == {"compulsory"}
    assert any(m["deducted_not_remitted"] for m in _months(views))
    for answer in views:
        PersonLedger.model_validate(answer)


def test_filings_and_payments_answer_what_the_contract_describes(engine: Engine) -> None:
    an, other = setup_workers(engine, 2)

    def file(lines: list[tuple[str, str, int | None, str]], month: Period,
             batch: int = 1) -> dict[str, Any]:
        with unit_of_work(engine) as s:
            result = declare(session=s, data=csv_of(lines), file_name="d02.csv",
                             employer_code=EMPLOYER, month=month, batch_no=batch)
        return {"accepted": True, **result}  # as the API answers it

    def pay(amount: int, reference: str, on: date) -> dict[str, Any]:
        with unit_of_work(engine) as s:
            return {"posted": True, **post_payment(session=s, employer_code=EMPLOYER,
                                                   amount=amount, bank_reference=reference,
                                                   paid_on=on, today=TODAY)}

    both = [(an, "TM", 10_000_000, "2026-01"), (other, "TM", 8_000_000, "2026-01")]
    first = file(both, Period(2026, 3))
    replayed = file(both, Period(2026, 3))
    assert (first["replayed"], replayed["replayed"]) == (False, True)
    paid = pay(20_000_000, "VCB-1", date(2026, 3, 20))
    # a back-dated cut of pay lowers dues already paid: negative dues, and credit
    lowered = file([(an, "DC", 6_000_000, "2026-01")], Period(2026, 3), batch=2)
    assert any(amount < 0 for amount in lowered["dues"].values())
    again = pay(20_000_000, "vcb-1", date(2026, 3, 20))
    more = pay(1_000_000, "VCB-2", date(2026, 3, 21))
    assert again["replayed"] and more["credit"] > 0
    for answer in (first, replayed, lowered):
        DeclarationAnswer.model_validate(answer)
    for answer in (paid, again, more):
        EmployerPaymentAnswer.model_validate(answer)
    with unit_of_work(engine) as s:
        ledger = queries.employer_ledger(session=s, code=EMPLOYER, as_of=TODAY)
    assert ledger["totals"]["credit"] > 0
    EmployerLedger.model_validate(ledger)

