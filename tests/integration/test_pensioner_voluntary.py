"""Someone receiving a pension does not join voluntary SI, on SQLite and PostgreSQL (Law
41/2024 Art 2(4)(a): a voluntary participant is "không phải là người đang hưởng lương hưu"):
the start is refused on ``voluntary`` naming the pension's dossier, decision and first month,
and nothing is written; a pension only claimed, or refused, stands in no one's way."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, func, select

from sibook.contributions.store import SIPeriod
from sibook.core.db import unit_of_work
from sibook.core.errors import ValidationError
from sibook.registry import reading as registry
from sibook.registry.registration import VoluntaryStart, start_voluntary
from tests.integration.ledger_fixtures import setup_workers
from tests.integration.test_benefits import claim, older_worker, settle
from tests.integration.test_benefits_stated_average import PENSION, STATED, STATED_MONTHLY, paying

ASKED = date(2026, 11, 20)


def start(engine: Engine, pid: str) -> dict[str, object]:
    with unit_of_work(engine) as s:
        return start_voluntary(session=s, person_id=registry.person_id_of(
            session=s, personal_id=pid), personal_id=pid,
            voluntary=VoluntaryStart(income=3_000_000), today=ASKED)


def periods(engine: Engine) -> int:
    with unit_of_work(engine) as s:
        return int(s.scalar(select(func.count()).select_from(SIPeriod)) or 0)


@pytest.fixture
def retired(engine: Engine) -> str:
    """An older worker here from 2005 to 2025-06 whose pension from 2025-09 was claimed."""
    setup_workers(engine, 0)
    him = older_worker(engine)
    claim(engine, him, PENSION)
    return him


def test_a_pensioner_does_not_join_voluntary_si(engine: Engine, retired: str) -> None:
    settle(engine, retired, PENSION.dossier_no, paying(STATED_MONTHLY, STATED))
    before = periods(engine)
    with pytest.raises(ValidationError) as refusal:
        start(engine, retired)
    assert [(p.field, p.reason) for p in refusal.value.problems] == [("voluntary", (
        f"dossier {PENSION.dossier_no} settles a pension for this person (decision 72/QĐ of "
        "2025-08-20, paid from 2025-09): someone receiving a pension does not join voluntary "
        "SI (Law 41/2024/QH15 Art 2(4)(a))"))]
    assert periods(engine) == before


def test_a_pension_only_claimed_does_not_stand_in_the_way(engine: Engine, retired: str
                                                          ) -> None:
    assert start(engine, retired)["voluntary"]["from_month"] == "2026-11"  # type: ignore[index]
