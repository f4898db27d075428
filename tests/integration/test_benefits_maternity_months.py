"""A mother's months for maternity (Law 41/2024 Arts 50, 53(8), 94; FACTS §4.4), on SQLite and
PostgreSQL: only compulsory SI paid counts for the leave's conditions, when received and when
decided; a month the employer declared but has not paid counts once paid (the refusal names it
and the employer's liability); voluntary months give a voluntary participant's allowance, not
the leave."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, insert

from sibook.benefits.domain import Claim, Decision, Regime
from sibook.contributions.ledger_store import LedgerEntry
from sibook.contributions.payments import post_payment
from sibook.contributions.voluntary_payments import post_voluntary_payment
from sibook.core.db import unit_of_work
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.core.schema import metadata
from sibook.registry import reading as registry
from tests.integration.ledger_fixtures import EMPLOYER, setup_workers
from tests.integration.test_benefits import claim, count, older_worker, settle

LEAVE = Claim(Regime.MATERNITY, "HS-TS-51", date(2025, 6, 20), date(2025, 6, 1),
              date(2025, 11, 30))  # the 10 months before it: 2024-08 to 2025-05
FUNDS = ("retirement_survivorship", "sickness_maternity", "occupational", "health",
         "unemployment")


def mother(engine: Engine, first: Period, last: Period) -> str:
    """A woman the test employer insured, compulsory, from ``first`` to ``last``."""
    setup_workers(engine, 1)  # the employer
    return older_worker(engine, date(1994, 4, 4), "female", first, last)


def voluntary_paid(engine: Engine, pid: str, first: Period, last: Period,
                   today: date = date(2025, 6, 20)) -> None:
    """``pid`` was a voluntary participant on 3,000,000 a month from ``first`` to ``last`` and
    paid for all of it at the end (recorded on ``today``)."""
    with unit_of_work(engine) as s:
        person = registry.person_id_of(session=s, personal_id=pid)
        s.execute(insert(metadata.tables["si_periods"]).values(
            person_id=person, seq=2, from_month=first.index, to_month=last.index,
            kind="voluntary", employer_id=None, salary_basis=3_000_000, allowances=0,
            occupational_rate_bp=0, support_group="other"))
        post_voluntary_payment(session=s, person_id=person, personal_id=pid,
                               amount=660_000 * (last - first + 1), reference="VNPT-51",
                               paid_on=last.last_day, today=today)


def dues(engine: Engine, first: Period, last: Period) -> None:
    """The employer's dues for the months ``first`` to ``last``, 3,200,000 each, not paid."""
    with unit_of_work(engine) as s:
        eid = registry.employer_by_code(session=s, code=EMPLOYER).employer_id
        for k in range(last - first + 1):
            s.execute(insert(LedgerEntry).values(
                period=(first + k).index, employer_id=eid, entry_no=1, workers=1,
                total=3_200_000, **{f"{side}_{f}": 0 for side in ("er", "ee") for f in FUNDS}
                | {"er_retirement_survivorship": 3_200_000}))


def test_voluntary_months_do_not_count_for_the_leave(engine: Engine) -> None:
    """Art 50(5): 6 months of compulsory SI in the 24 before the birth after infertility
    treatment; 2 compulsory and 6 voluntary are not them, and the voluntary allowance's 12
    months (Art 94(1)) hold only 3 of the voluntary ones."""
    pid = mother(engine, Period(2024, 1), Period(2024, 2))
    voluntary_paid(engine, pid, Period(2024, 3), Period(2024, 8))
    with pytest.raises(ValidationError) as few:
        claim(engine, pid, Claim(Regime.MATERNITY, "HS-TS-51", date(2025, 6, 20),
                                 date(2025, 6, 1), date(2025, 11, 30),
                                 infertility_treatment=True))
    reason = few.value.problems[0].reason
    assert reason.startswith("2 months of compulsory SI paid from 2023-08 to 2025-05")
    assert "(Law 41/2024 Art 50(5); voluntary months do not count)" in reason
    assert reason.endswith("nor a voluntary participant's allowance: 3 months of SI of any "
                           "kind paid from 2024-06 to 2025-05, where it needs 6 in the 12 "
                           "months before the birth (Law 41/2024 Art 94(1))")
    assert count(engine, "benefit_claims") == 0


def test_a_voluntary_participant_has_the_allowance_on_six_months_paid(engine: Engine) -> None:
    pid = mother(engine, Period(2020, 1), Period(2020, 6))  # long before
    voluntary_paid(engine, pid, Period(2024, 9), Period(2025, 2))
    assert claim(engine, pid, LEAVE)["status"] == "claimed"


def test_months_the_employer_owes_count_once_it_pays_them(engine: Engine) -> None:
    """Seven months declared, four of them unpaid by the employer: 3 paid, and the leave's 2,
    are under 6. The refusal names the months and the employer; once it pays, they count."""
    pid = mother(engine, Period(2024, 11), Period(2025, 5))
    dues(engine, Period(2024, 11), Period(2025, 2))
    with pytest.raises(ValidationError) as owed:
        claim(engine, pid, LEAVE)
    reason = owed.value.problems[0].reason
    assert reason.startswith("3 months of compulsory SI paid from 2024-08 to 2025-05 as of "
                             "2025-06-20; not counted until their employer pays them: "
                             f"2024-11 (employer {EMPLOYER}), 2024-12 (employer {EMPLOYER}), "
                             f"2025-01 (employer {EMPLOYER}), 2025-02 (employer {EMPLOYER}), "
                             "which it owes with interest (Law 41/2024 Arts 40-41) and must "
                             "make good to the worker (Art 13(8))")
    with unit_of_work(engine) as s:
        post_payment(session=s, employer_code=EMPLOYER, amount=4 * 3_200_000,
                     bank_reference="VCB-51", paid_on=date(2025, 6, 25), today=date(2025, 6, 25))
    paid = Claim(Regime.MATERNITY, "HS-TS-51", date(2025, 6, 26), date(2025, 6, 1),
                 date(2025, 11, 30))
    assert claim(engine, pid, paid)["status"] == "claimed"


def test_a_month_unpaid_by_the_decision_refuses_it_as_it_would_the_claim(
        engine: Engine) -> None:
    """Received when December was not yet due (4 months, and the leave's 2: 6); decided once
    its deadline (Law 41/2024 Art 34(4)(a): the end of January) passed unpaid: 3 and 2,
    refused by the same rule, nothing recorded."""
    pid = mother(engine, Period(2025, 9), Period(2025, 12))
    dues(engine, Period(2025, 12), Period(2025, 12))
    early = Claim(Regime.MATERNITY, "HS-TS-52", date(2026, 1, 5), date(2026, 1, 2),
                  date(2026, 3, 15))
    assert claim(engine, pid, early)["status"] == "claimed"
    with pytest.raises(ValidationError) as unpaid:
        settle(engine, pid, "HS-TS-52", Decision("settled", date(2026, 2, 10), "52/QĐ",
                                                 amount=60_000_000))
    assert unpaid.value.problems[0].reason.startswith(
        "3 months of compulsory SI paid from 2025-03 to 2025-12 as of 2026-02-10; not counted "
        f"until their employer pays them: 2025-12 (employer {EMPLOYER})")
    assert count(engine, "benefit_decisions") == 0
