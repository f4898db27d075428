"""Unemployment benefit's qualifying months (Law on Employment 38/2013 Art 49(2), FACTS §4.6),
on SQLite and PostgreSQL: 12 months of UI paid in the 24 months before the contract ended,
refused as received and, by the same rule, when decided; months an earlier benefit was settled
on do not qualify a second time."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, insert

from sibook.benefits.domain import Claim, Decision, Regime
from sibook.benefits.store import BenefitClaim
from sibook.core.db import unit_of_work
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.core.schema import metadata
from sibook.registry import reading as registry
from tests.integration.ledger_fixtures import EMPLOYER, setup_workers
from tests.integration.test_benefits import claim, count, settle

ENDED = date(2024, 8, 31)  # the window: 2022-09 to 2024-08
LAID_OFF = Claim(Regime.UNEMPLOYMENT, "HS-TN-41", date(2024, 9, 5), ENDED)
BENEFIT = Decision("settled", date(2024, 9, 20), "41/QĐ", monthly_amount=5_400_000,
                   from_month=Period(2024, 9), months=3)


def paid_ui(engine: Engine, pid: str, seq: int, first: Period, last: Period) -> None:
    """``pid`` worked for the test employer, with SI and UI, from ``first`` to ``last``."""
    with unit_of_work(engine) as s:
        person = registry.person_id_of(session=s, personal_id=pid)
        eid = registry.employer_by_code(session=s, code=EMPLOYER).employer_id
        s.execute(insert(metadata.tables["si_periods"]).values(
            person_id=person, seq=seq, from_month=first.index, to_month=last.index,
            kind="compulsory", employer_id=eid, salary_basis=9_000_000, allowances=0,
            occupational_rate_bp=50))
        s.execute(insert(metadata.tables["ui_periods"]).values(
            person_id=person, seq=seq, from_month=first.index, to_month=last.index,
            employer_id=eid, salary_basis=9_000_000))


def test_months_paid_before_the_24_do_not_qualify(engine: Engine) -> None:
    """24 months of UI in all, 18 of them before the window: refused as received, naming the
    months found in it."""
    (pid,) = setup_workers(engine, 1)
    paid_ui(engine, pid, 1, Period(2021, 1), Period(2022, 6))
    paid_ui(engine, pid, 2, Period(2024, 3), Period(2024, 8))
    with pytest.raises(ValidationError) as few:
        claim(engine, pid, LAID_OFF)
    problem = few.value.problems[0]
    assert problem.field == "event_from"
    assert problem.reason.startswith("6 months of UI paid from 2022-09 to 2024-08 as of "
                                     "2024-09-05: unemployment benefit needs 12 months")
    assert "Law on Employment 38/2013/QH13 Art 49(2)" in problem.reason
    assert count(engine, "benefit_claims") == 0


def test_twelve_months_in_the_24_qualify_however_far_apart(engine: Engine) -> None:
    (pid,) = setup_workers(engine, 1)
    paid_ui(engine, pid, 1, Period(2022, 9), Period(2022, 11))  # the window's first 3
    paid_ui(engine, pid, 2, Period(2024, 1), Period(2024, 8))  # and its last 8: 11
    with pytest.raises(ValidationError):
        claim(engine, pid, LAID_OFF)
    paid_ui(engine, pid, 3, Period(2023, 6), Period(2023, 6))  # one more: 12
    assert claim(engine, pid, LAID_OFF)["status"] == "claimed"


def test_a_claim_received_before_the_check_is_refused_when_decided(engine: Engine) -> None:
    """The decision holds the claim to the same rule: a dossier recorded without it (received
    before the check existed) is refused, naming the same months, and nothing is recorded."""
    (pid,) = setup_workers(engine, 1)
    paid_ui(engine, pid, 1, Period(2021, 1), Period(2022, 6))
    paid_ui(engine, pid, 2, Period(2024, 3), Period(2024, 8))
    with unit_of_work(engine) as s:
        s.execute(insert(BenefitClaim).values(
            person_id=registry.person_id_of(session=s, personal_id=pid), claim_no=1,
            regime="unemployment", dossier_no="HS-TN-41", dossier_key="HS-TN-41",
            received_on=date(2024, 9, 5), event_from=ENDED, recorded_by="clerk"))
    with pytest.raises(ValidationError) as few:
        settle(engine, pid, "HS-TN-41", BENEFIT)
    assert few.value.problems[0].field == "event_from"
    assert few.value.problems[0].reason.startswith(
        "6 months of UI paid from 2022-09 to 2024-08 as of 2024-09-20")
    assert count(engine, "benefit_decisions") == 0


def test_months_an_earlier_benefit_was_settled_on_do_not_qualify_again(engine: Engine) -> None:
    (pid,) = setup_workers(engine, 1)
    paid_ui(engine, pid, 1, Period(2023, 7), Period(2024, 6))  # 12 months, laid off 06-30
    claim(engine, pid, Claim(Regime.UNEMPLOYMENT, "HS-TN-42", date(2024, 7, 5),
                             date(2024, 6, 30)))
    settle(engine, pid, "HS-TN-42", Decision("settled", date(2024, 7, 20), "42/QĐ",
                                             monthly_amount=5_400_000,
                                             from_month=Period(2024, 7), months=3))
    paid_ui(engine, pid, 2, Period(2024, 9), Period(2024, 12))  # 4 more, laid off 12-31
    with pytest.raises(ValidationError) as used:
        claim(engine, pid, Claim(Regime.UNEMPLOYMENT, "HS-TN-43", date(2025, 1, 5),
                                 date(2024, 12, 31)))
    assert used.value.problems[0].reason.startswith(
        "4 months of UI paid from 2024-07 to 2024-12 as of 2025-01-05 (those before 2024-07 "
        "counted for an earlier unemployment benefit)")
