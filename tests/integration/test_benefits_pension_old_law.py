"""A pension that started before July 2025, claimed and settled now, on SQLite and PostgreSQL:
the book's estimate and the settlement's check price it by the law in force in the month it
started (Law 41/2024 Art 5(7)), Law 58/2014, not by today's (``estimate.pension_from``)."""

from __future__ import annotations

import json
import re
import shlex
from datetime import date

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from sibook.benefits.domain import Claim, Decision, Regime
from sibook.book.estimate import estimate
from sibook.cli.rules import app as rules_app
from sibook.core.errors import Problem, ValidationError
from sibook.core.period import Period
from tests.integration.ledger_fixtures import setup_workers
from tests.integration.test_benefits import book_of, claim, older_worker, settle

# A man born in January 1961 reached 60y3m in April 2021 (Decree 135/2020): a pension from
# 2021-05. He worked 2001-01 to 2021-04: 244 months, 20 years 4 months, 20.5 years for the rate.
# Law 58/2014 Art 56(2)(a) in 2021: 45% at 19 years + 2% x 1.5 = 48%; Law 41/2024 would give 46%.
BORN_1961 = date(1961, 1, 15)
PENSION = Claim(Regime.PENSION, "HS-HT-2021", date(2026, 3, 20), date(2021, 5, 1))
STATED = 10_000_000  # the dossier's revalued average (2021's coefficients are not loaded)


def retired_in_2021(engine: Engine) -> str:
    setup_workers(engine, 0)
    pid = older_worker(engine, born=BORN_1961, since=Period(2001, 1), until=Period(2021, 4))
    claim(engine, pid, PENSION)
    return pid


def paying(monthly: int) -> Decision:
    return Decision("settled", date(2026, 3, 20), "21/QĐ", monthly_amount=monthly,
                    from_month=Period(2021, 5), average_salary=STATED)


def refused(engine: Engine, pid: str, pension: Claim, decision: Decision) -> Problem:
    """The first problem that refuses ``decision`` on ``pension``, claimed first."""
    claim(engine, pid, pension)
    with pytest.raises(ValidationError) as refusal:
        settle(engine, pid, pension.dossier_no, decision)
    return refusal.value.problems[0]


def test_a_pension_from_2021_is_settled_at_the_2014_laws_48_percent(engine: Engine) -> None:
    pid = retired_in_2021(engine)
    with pytest.raises(ValidationError) as today_law:
        settle(engine, pid, PENSION.dossier_no, paying(4_600_000))
    problem = today_law.value.problems[0]
    assert problem.field == "monthly_amount"
    assert problem.reason.startswith(
        "4,600,000 VND a month is not the pension the record gives, 4,800,000 VND")
    assert ("rate = 45% at 19 years + 2% x (20.5 - 19) years, at most 75% = 48%"
            in problem.reason)
    # The average too is the law's in force in 2021: Law 58/2014 Art 62, not Law 41/2024 Art 72.
    assert ("(Law 58/2014/QH13 Art 56(2)(a), the average Law 58/2014/QH13 Art 62(1);"
            in problem.reason)
    assert "Art 72" not in problem.reason
    command = re.search(r"`sibook rules (pension [^`]*)`", problem.reason)
    assert command is not None and "--month 2021-05" in command.group(1)
    computed = CliRunner().invoke(rules_app, [*shlex.split(command.group(1)), "--json"])
    assert json.loads(computed.stdout)["monthly_pension"] == 4_800_000
    assert settle(engine, pid, PENSION.dossier_no, paying(4_800_000))["status"] == "settled"


def test_a_pension_from_2026_is_refused_citing_the_2024_laws_average(engine: Engine) -> None:
    """The same refusal for a pension that starts under Law 41/2024 cites its Art 72: a man
    born in September 1964 reached 61y3m in December 2025 (Decree 135/2020), a pension from
    2026-01; 2005-01 to 2025-12 are 21 years, 47% (Art 66(1)) of the stated 10,000,000."""
    setup_workers(engine, 0)
    pid = older_worker(engine, born=date(1964, 9, 15), until=Period(2025, 12))
    reason = refused(engine, pid, Claim(
        Regime.PENSION, "HS-HT-2026", date(2026, 3, 20), date(2026, 1, 1)), Decision(
        "settled", date(2026, 3, 20), "26/QĐ", monthly_amount=4_600_000,
        from_month=Period(2026, 1), average_salary=STATED)).reason
    assert reason.startswith("4,600,000 VND a month is not the pension the record gives, "
                             "4,700,000 VND")
    assert "(Law 41/2024/QH15 Art 66(1), the average Law 41/2024/QH15 Art 72(1);" in reason
    assert "Art 62" not in reason


def test_the_estimate_of_a_pension_claimed_from_2021_is_priced_as_in_2021(
        engine: Engine) -> None:
    pid = retired_in_2021(engine)
    answer = estimate(book_of(engine, pid), Period(2026, 3))
    assert answer["pension"]["rate_percent"] == 48
    assert answer["pension"]["from_month"] == "2021-05"
    # Revalued by the coefficients for pensions starting in 2021, which are not loaded: no
    # amount, and the answer says why, rather than 2026's coefficients standing in.
    assert (answer["pension"]["monthly_pension"], answer["revalued_for"]) == (None, None)
    assert "benefits starting in 2021" in answer["pension_note"]


def test_a_pension_before_its_age_in_2020_is_refused_by_the_2014_law(engine: Engine) -> None:
    """Its refusal cites the law in force when it would start (Law 58/2014 Art 54), not
    today's written into the message."""
    setup_workers(engine, 0)
    pid = older_worker(engine, born=BORN_1961, since=Period(2001, 1), until=Period(2021, 4))
    with pytest.raises(ValidationError) as early:
        claim(engine, pid, Claim(Regime.PENSION, "HS-HT-2020", date(2026, 3, 20),
                                 date(2020, 5, 1)))
    reason = early.value.problems[0].reason
    assert "is before retirement age" in reason
    assert "(Law 58/2014/QH13 Art 54(1); Decree 135/2020)" in reason
    assert "Law 41/2024" not in reason


def test_the_extra_lump_sum_of_a_pension_from_2021_cites_the_2014_law(engine: Engine) -> None:
    """Law 58/2014 Art 58(2) pays the extra lump sum of a pension started in 2021, 0.5 average
    salaries a year, those paid after the retirement age too: its refusal cites the law that
    prices it, not Law 41/2024 Art 68 and its higher rate. A woman born in January 1966
    reached 55y4m in May 2021 (Decree 135/2020) and worked on to October: 1990-01 to 2021-10
    are 31 years 10 months, 32 for the rate, 2 above the 30 that give 75% (Art 56(2)(b)):
    0.5 x 2 x 10,000,000."""
    setup_workers(engine, 0)
    pid = older_worker(engine, born=date(1966, 1, 15), sex="female", since=Period(1990, 1),
                       until=Period(2021, 10))
    problem = refused(engine, pid, Claim(
        Regime.PENSION, "HS-HT-2021B", date(2026, 3, 20), date(2021, 11, 1)), Decision(
        "settled", date(2026, 3, 20), "22/QĐ", monthly_amount=7_500_000,
        from_month=Period(2021, 11), average_salary=STATED))
    assert problem.field == "amount"
    assert problem.reason.startswith("the extra lump sum of 10,000,000 VND is paid once")
    assert "(Law 58/2014/QH13 Art 58(2);" in problem.reason
    assert "Law 41/2024" not in problem.reason and "higher rate" not in problem.reason


def test_a_pension_from_before_2016_is_refused_naming_its_start(engine: Engine) -> None:
    """No pension rules are loaded before 2016-01 (Law 58/2014's effect): a pension claimed
    from 2015 is refused naming the claim's event_from, the field that dates it, not a 'month'
    the claim has no field for."""
    setup_workers(engine, 0)
    pid = older_worker(engine, born=date(1950, 1, 15), since=Period(1995, 1),
                       until=Period(2015, 4))
    with pytest.raises(ValidationError) as refused:
        claim(engine, pid, Claim(Regime.PENSION, "HS-HT-2015", date(2026, 3, 20),
                                 date(2015, 5, 1)))
    problem = refused.value.problems[0]
    assert problem.field == "event_from"
    assert problem.reason.startswith("no pension rules are loaded for a pension starting in "
                                     "2015-05")
