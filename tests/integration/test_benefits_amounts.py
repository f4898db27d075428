"""A settled benefit's amounts are those the rules engine gives on the record (SQLite and
PostgreSQL), as a pension's are: a one-time withdrawal's amount, an unemployment benefit's
monthly amount and months, a sick leave's amount, a survivorship benefit's monthly allowance
and funeral allowance. Another sum is refused naming the field and the expected sum."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, insert

from sibook.benefits.domain import Claim, Decision, Regime
from sibook.core.db import unit_of_work
from sibook.core.errors import Problem, ValidationError
from sibook.core.period import Period
from sibook.core.schema import metadata
from sibook.registry import reading as registry
from sibook.rules.answers import lump_sum_answer, sickness_answer, unemployment_answer
from tests.integration.ledger_fixtures import EMPLOYER, setup_workers
from tests.integration.test_benefits import START, claim, count, older_worker, settle, worked

WITHDRAWAL = Claim(Regime.LUMP_SUM, "HS-LS-A", date(2025, 10, 1), ground="emigration")
JOBLESS = Claim(Regime.UNEMPLOYMENT, "HS-TN-A", date(2025, 7, 5), date(2025, 6, 30))
SICK = Claim(Regime.SICKNESS, "HS-OD-A", date(2025, 8, 20), date(2025, 8, 4), date(2025, 8, 8))
DEATH = Claim(Regime.SURVIVORSHIP, "HS-TT-A", date(2025, 12, 22), date(2025, 12, 20))


def refusal(engine: Engine, pid: str, dossier: str, d: Decision) -> list[Problem]:
    with pytest.raises(ValidationError) as refused:
        settle(engine, pid, dossier, d)
    assert count(engine, "benefit_decisions") == 0
    return refused.value.problems


def refused_then_settled(engine: Engine, pid: str, dossier: str, wrong: Decision,
                         right: Decision, starts: str, command: str) -> None:
    """``wrong`` is refused on ``amount``, its reason starting with ``starts`` and naming the
    ``sibook rules`` ``command`` that computes the expected sum; ``right`` is settled."""
    (problem,) = refusal(engine, pid, dossier, wrong)
    assert problem.field == "amount"
    assert problem.reason.startswith(starts)
    assert f"`{command}` computes it" in problem.reason
    assert settle(engine, pid, dossier, right)["status"] == "settled"


def withdrawn(amount: int) -> Decision:
    return Decision("settled", date(2025, 10, 20), "99/QĐ", amount=amount)


def test_a_withdrawal_pays_what_the_months_and_average_give(engine: Engine) -> None:
    """18 months from 2014 at 9,000,000: 1.5 years x 2 average salaries (FACTS §4.2)."""
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid)
    claim(engine, pid, WITHDRAWAL)
    expected = lump_sum_answer(months_before_2014=0, months_from_2014=18,
                               average_salary=9_000_000, month="2025-10")["amount"]
    assert expected == 27_000_000
    refused_then_settled(
        engine, pid, WITHDRAWAL.dossier_no, withdrawn(30_000_000), withdrawn(expected),
        "30,000,000 VND is not the one-time withdrawal the record gives, 27,000,000 VND: 0 "
        "months of SI before 2014 and 18 from 2014 count on 2025-10-20, and the book's salary "
        "history averages 9,000,000 VND revalued",
        "sibook rules lump-sum --months-before-2014 0 --months-from-2014 18 --average-salary "
        "9000000 --month 2025-10")


def jobless(monthly: int, months: int = 3) -> Decision:
    return Decision("settled", date(2025, 7, 20), "7/QĐ", monthly_amount=monthly,
                    from_month=Period(2025, 7), months=months)


def test_an_unemployment_benefit_is_60_percent_of_the_last_six_months_ui_salary(
        engine: Engine) -> None:
    """A raise in April: the last 6 months average 10,500,000, so 6,300,000 a month (FACTS
    §4.6), not 60% of the first salary."""
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid, until=Period(2025, 3))
    with unit_of_work(engine) as s:
        s.execute(insert(metadata.tables["ui_periods"]).values(
            person_id=registry.person_id_of(session=s, personal_id=pid), seq=2,
            from_month=Period(2025, 4).index, to_month=Period(2025, 6).index,
            employer_id=registry.employer_by_code(session=s, code=EMPLOYER).employer_id,
            salary_basis=12_000_000))
    claim(engine, pid, JOBLESS)
    assert unemployment_answer(average_salary=10_500_000, contribution_months=18, region="I",
                               termination=date(2025, 6, 30))["monthly_benefit"] == 6_300_000
    (problem,) = refusal(engine, pid, JOBLESS.dossier_no, jobless(5_400_000))
    assert problem.field == "monthly_amount"
    assert problem.reason.startswith(
        "5,400,000 VND is not the monthly unemployment benefit the record gives, 6,300,000 "
        "VND: the last 6 months of UI paid up to 2025-06-30 average 10,500,000 VND, 18 months "
        f"of UI count and employer {EMPLOYER} is in region I")
    assert ("`sibook rules unemployment --average-salary 10500000 --contribution-months 18 "
            "--region I --termination 2025-06-30` computes it") in problem.reason
    assert settle(engine, pid, JOBLESS.dossier_no, jobless(6_300_000))["status"] == "settled"


def test_an_unemployment_benefit_lasts_as_long_as_the_ui_months_give(engine: Engine) -> None:
    """246 months of UI give the longest benefit, 12 months: 3 is refused, naming it."""
    setup_workers(engine, 0)
    pid = older_worker(engine)
    claim(engine, pid, JOBLESS)
    (problem,) = refusal(engine, pid, JOBLESS.dossier_no, jobless(5_400_000, months=3))
    assert problem.field == "months"
    assert problem.reason.startswith(
        "3 months is not the duration the record gives, 12 months: the last 6 months of UI "
        "paid up to 2025-06-30 average 9,000,000 VND, 246 months of UI count")
    assert settle(engine, pid, JOBLESS.dossier_no, jobless(5_400_000, months=12))["status"] \
        == "settled"


def sick(amount: int) -> Decision:
    return Decision("settled", date(2025, 8, 27), "12/QĐ-BHXH", amount=amount, days=5)


def test_a_sick_leave_pays_75_percent_of_the_last_months_salary_a_day(engine: Engine) -> None:
    """9,000,000 x 75% / 24 x 5 days = 1,406,250 (FACTS §4.3)."""
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid, until=None)
    claim(engine, pid, SICK)
    expected = sickness_answer(salary=9_000_000, days=5, years_contributed=1,
                               month="2025-08")["amount"]
    assert expected == 1_406_250
    refused_then_settled(
        engine, pid, SICK.dossier_no, sick(1_730_000), sick(expected),
        "1,730,000 VND is not the sickness benefit the record gives, 1,406,250 VND: the SI "
        "salary of 2025-07, the last month of compulsory SI before the leave's, is 9,000,000 "
        "VND and 20 months of SI count on 2025-08-27",
        "sibook rules sickness --salary 9000000 --days 5 --years-contributed 1 --month 2025-08")


def survivors(monthly: int | None, amount: int | None = 23_400_000) -> Decision:
    return Decision("settled", date(2026, 1, 5), "30/QĐ", amount=amount,
                    monthly_amount=monthly, from_month=None if monthly is None
                    else Period(2026, 1))


def test_a_monthly_survivor_allowance_is_half_the_reference_level_a_relative(
        engine: Engine) -> None:
    """20.5 years of compulsory SI: a monthly allowance, 50% of 2,340,000 per relative (70%
    without a direct carer, at most 4), and beside it the funeral allowance, 10 x 2,340,000."""
    setup_workers(engine, 0)
    pid = older_worker(engine)
    claim(engine, pid, DEATH)
    (month,) = refusal(engine, pid, DEATH.dossier_no, survivors(1_200_000))
    assert month.field == "monthly_amount"
    assert month.reason.startswith(
        "1,200,000 VND a month is no monthly survivor allowance the law gives from 2026-01: 50% "
        "of the reference level 2,340,000 VND per relative, 70% for one without a direct "
        "carer, 1 to 4 relatives")
    assert month.reason.endswith(": one of 1,170,000, 1,638,000, 2,340,000, 2,808,000, "
                                 "3,276,000, 3,510,000, 3,978,000, 4,446,000, 4,680,000, "
                                 "4,914,000, 5,148,000, 5,616,000, 6,084,000, 6,552,000 VND")
    (funeral,) = refusal(engine, pid, DEATH.dossier_no, survivors(2_808_000, 20_000_000))
    assert funeral.field == "amount"
    assert funeral.reason.startswith(
        "20,000,000 VND is not the funeral allowance the record gives, 23,400,000 VND")
    assert settle(engine, pid, DEATH.dossier_no, survivors(2_808_000))["status"] == "settled"


def test_no_monthly_survivor_allowance_when_the_record_meets_no_condition(
        engine: Engine) -> None:
    """18 months of SI, no pension, no work accident: the one-time allowance, whose amounts
    FACTS §4.5 marks [U], is taken as the officer typed it."""
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid, since=START)
    claim(engine, pid, DEATH)
    (problem,) = refusal(engine, pid, DEATH.dossier_no, survivors(1_170_000))
    assert problem.field == "monthly_amount"
    assert problem.reason.startswith(
        "18 months of compulsory SI count on 2026-01-05 (under 15 years), no pension and no "
        "work accident or occupational disease is on the record")
    assert settle(engine, pid, DEATH.dossier_no, survivors(None, 61_000_000))["status"] == \
        "settled"
