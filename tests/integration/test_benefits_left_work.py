"""A pension is for someone who has left work, on SQLite and PostgreSQL (Law 41/2024 Art 64(1),
"khi nghỉ việc"; its start recorded by the employer's termination, Art 69(1); a voluntary
participant's the month after they stop contributing, Art 101(2),
``test_benefits_voluntary_stop``): claimed, or settled, while an employer's SI period covers
its first month or is still open, it is refused on ``event_from`` naming the period, its unit
and what ends it, and nothing is written; once the employer's decrease is filed it is received
and settled. It was received and settled for a worker still employed, whose employer's period
stayed open and priced beside the pension."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import Engine

from sibook.benefits.domain import Claim
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from tests.integration.ledger_fixtures import EMPLOYER, setup_workers
from tests.integration.test_benefits import claim, count, older_worker, settle
from tests.integration.test_benefits_stated_average import PENSION, STATED, paying
from tests.integration.test_declaration_settled_benefits import STILL_WORKING_MONTHLY, file

LEFT_WORK = ("a pension is paid on leaving work (Law 41/2024 Art 64(1), 'khi nghỉ việc', from "
             "the day the employer's termination records, Art 69(1); Law 58/2014 Art 54(1) "
             "before 2025-07)")
# Here to 2025-08 (248 months), his pension from 2025-09 settled on 2025-08-20.
SETTLED = paying(STILL_WORKING_MONTHLY, STATED)


def refused_claim(engine: Engine, pid: str, c: Claim = PENSION) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as refusal:
        claim(engine, pid, c)
    assert count(engine, "benefit_claims") == 0
    return [(p.field or "", p.reason) for p in refusal.value.problems]


def refused_settlement(engine: Engine, pid: str) -> list[tuple[str, str]]:
    """The problems PENSION's settlement (as SETTLED) is refused with; nothing decided."""
    with pytest.raises(ValidationError) as refusal:
        settle(engine, pid, PENSION.dossier_no, SETTLED)
    assert count(engine, "benefit_decisions") == 0
    return [(p.field or "", p.reason) for p in refusal.value.problems]


def test_a_pension_is_claimed_once_the_employer_has_filed_the_decrease(engine: Engine) -> None:
    setup_workers(engine, 0)
    him = older_worker(engine, until=None)  # here since 2005, still working
    assert refused_claim(engine, him) == [("event_from", (
        f"the compulsory SI period at unit {EMPLOYER} from 2005-01 is still open, covering "
        f"2025-09, the pension's first month: {LEFT_WORK}; the employer files the decrease "
        "(GH) from 2025-09 at the latest first"))]
    file(engine, [(him, "GH", None, "2025-09")], month=Period(2025, 9))
    assert claim(engine, him, PENSION)["status"] == "claimed"
    assert settle(engine, him, PENSION.dossier_no, SETTLED)["status"] == "settled"


def test_a_pension_is_not_settled_while_a_job_taken_up_since_runs(engine: Engine) -> None:
    """Claimed once he left, then taken on again from 2025-10 before the decision: a month the
    pension would pay. Settled once the employer's decrease from 2025-10 cancels that period."""
    setup_workers(engine, 0)
    him = older_worker(engine, until=Period(2025, 8))
    claim(engine, him, PENSION)
    file(engine, [(him, "TM", 9_000_000, "2025-10")], month=Period(2025, 10))
    assert refused_settlement(engine, him) == [("event_from", (
        f"the compulsory SI period at unit {EMPLOYER} from 2025-10 is still open, covering "
        f"months the pension would pay from 2025-09: {LEFT_WORK}; the employer files the "
        "decrease (GH) from 2025-10 (cancelling it) first"))]
    file(engine, [(him, "GH", None, "2025-10")], month=Period(2025, 11))
    assert settle(engine, him, PENSION.dossier_no, SETTLED)["status"] == "settled"


def test_a_pension_starts_after_the_period_ends(engine: Engine) -> None:
    setup_workers(engine, 0)
    him = older_worker(engine, until=Period(2025, 10))  # here to 2025-10
    assert refused_claim(engine, him) == [("event_from", (
        f"the compulsory SI period at unit {EMPLOYER} from 2005-01 to 2025-10 covers 2025-09, "
        f"the pension's first month: {LEFT_WORK}; the pension starts in 2025-11 at the "
        "earliest"))]
    later = Claim(PENSION.regime, "HS-HT-NV", PENSION.received_on, date(2025, 11, 1))
    assert claim(engine, him, later)["status"] == "claimed"


def test_a_pension_is_not_settled_over_a_job_taken_up_and_ended_since(engine: Engine) -> None:
    """Claimed once he left, then employed in 2025-10 alone (taken on, and let go from 2025-11)
    before the decision: a month the pension from 2025-09 would pay, as it is while the job
    runs. It starts once that job has ended: a decision paying from 2025-11 is settled, the
    left-work check looking at the decision's first month (``pension_first_month``, as the
    declarations' pensioner check does), not the claim's."""
    setup_workers(engine, 0)
    him = older_worker(engine, until=Period(2025, 8))
    claim(engine, him, PENSION)
    file(engine, [(him, "TM", 9_000_000, "2025-10")], month=Period(2025, 10))
    file(engine, [(him, "GH", None, "2025-11")], month=Period(2025, 11))
    assert refused_settlement(engine, him) == [("event_from", (
        f"the compulsory SI period at unit {EMPLOYER} from 2025-10 to 2025-10 covers months "
        f"the pension would pay from 2025-09: {LEFT_WORK}; the pension starts in 2025-11 at "
        "the earliest"))]
    later = replace(SETTLED, from_month=Period(2025, 11))
    assert settle(engine, him, PENSION.dossier_no, later)["status"] == "settled"

