"""A declaration never changes a month a settled pension or one-time withdrawal averaged, on
SQLite and PostgreSQL: such a benefit took its worker's record up to the decision's month, so a
line from such a month (a DC in a closed period or in the open one, a decrease, an increase
adding the month) is refused naming the row, the month, the benefit, its dossier and decision,
and the SI agency's re-computation; the whole filing is left unapplied. Lines from the month
after a pension's decision are taken, from a withdrawal's decision month itself (a new job
starts a new record: the withdrawal paid out the months before it), and a benefit only
claimed holds nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from sibook.benefits.domain import Claim, Decision, Regime
from sibook.contributions.declare import declare
from sibook.core.db import unit_of_work
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.ids import make_personal_id
from tests.integration.ledger_fixtures import (
    EMPLOYER,
    add_other_employer,
    csv_of,
    setup_workers,
    snapshot,
)
from tests.integration.test_benefits import RETIRES_2025_06, claim, older_worker, settle
from tests.integration.test_benefits_stated_average import PENSION, STATED, paying

FILED = Period(2026, 11)
WITHDRAWAL = Claim(Regime.LUMP_SUM, "HS-LS-DC", date(2025, 10, 1), ground="emigration")
WITHDRAWN = Decision("settled", date(2025, 10, 20), "99/QĐ", amount=30_000_000)
# The older worker still working on 2025-08-20: 248 months, 47% of the stated 12,000,000.
STILL_WORKING_MONTHLY = 5_640_000
Row = tuple[str, str, int | None, str]
# older_worker's ID and name, on his lines as an employer knows him.
NAMES = {make_personal_id("001", RETIRES_2025_06, "male", 91): "Lê Văn Thành"}


def file(engine: Engine, rows: list[Row], employer: str = EMPLOYER) -> dict[str, object]:
    with unit_of_work(engine) as s:
        return declare(session=s, data=csv_of(rows, NAMES), file_name="d02.csv",
                       employer_code=employer, month=FILED)


def refused(engine: Engine, rows: list[Row], employer: str = EMPLOYER
            ) -> list[tuple[int | None, str, str]]:
    """The problems of a filing of ``rows`` (row, field, reason), which changed nothing."""
    before = snapshot(engine)
    with pytest.raises(ValidationError) as refusal:
        file(engine, rows, employer)
    assert snapshot(engine) == before
    return [(p.row, p.field, p.reason) for p in refusal.value.problems]


def reason(month: str, benefit: str, dossier: str, decision: str, decided: str,
           averaged_to: str, free: str) -> str:
    return (f"{month} is in the record the worker's settled {benefit} averaged (dossier "
            f"{dossier}, decision {decision} of {decided}, the months up to {averaged_to}): a "
            "list cannot change that record's pay or months; the SI agency re-computes the "
            "benefit on the corrected months once the contributions owed are collected "
            f"(Decree 158/2025/ND-CP) and records them then; lines from {free} on are taken")


@pytest.fixture
def withdrawn(engine: Engine) -> tuple[str, str]:
    """A worker taken on nowhere yet (``an``), and an older one who worked here from 2005 to
    2025-06 and withdrew his SI at once on 2025-10-20 (``him``)."""
    (an,) = setup_workers(engine, 1)
    him = older_worker(engine)
    claim(engine, him, WITHDRAWAL)
    settle(engine, him, WITHDRAWAL.dossier_no, WITHDRAWN)
    return an, him


def test_a_dc_of_a_closed_month_a_withdrawal_paid_out_refuses_the_whole_filing(
        engine: Engine, withdrawn: tuple[str, str]) -> None:
    an, him = withdrawn
    problems = refused(engine, [(an, "TM", 10_000_000, "2026-11"),
                                (him, "DC", 11_000_000, "2025-03")])
    assert problems == [(3, "from_month", reason(
        "2025-03", "one-time withdrawal", "HS-LS-DC", "99/QĐ", "2025-10-20", "2025-09",
        "2025-10"))]
    file(engine, [(an, "TM", 10_000_000, "2026-11")])  # the rest of the file, alone, is taken


def test_an_increase_before_the_withdrawals_month_is_refused_from_it_taken(
        engine: Engine, withdrawn: tuple[str, str]) -> None:
    """Taken on again from 2025-09 would add a month to the record the withdrawal paid out, a
    month before it was decided (his last was 2025-06); a job from 2025-10, the decision's
    month, starts a new record."""
    _, him = withdrawn
    assert refused(engine, [(him, "TM", 9_000_000, "2025-09")]) == [(2, "from_month", reason(
        "2025-09", "one-time withdrawal", "HS-LS-DC", "99/QĐ", "2025-10-20", "2025-09",
        "2025-10"))]
    assert file(engine, [(him, "TM", 9_000_000, "2025-10")])["periods_opened"] == 1


def test_another_employer_is_not_told_of_the_benefit(
        engine: Engine, withdrawn: tuple[str, str]) -> None:
    """An employer he never worked for learns nothing of his withdrawal: its line is refused
    as any outsider's is, from what the line says. From the decision's month it takes him on."""
    _, him = withdrawn
    other = add_other_employer(engine)
    ((row, field, why),) = refused(engine, [(him, "TM", 9_000_000, "2025-09")], other)
    assert (row, field) == (2, "personal_id")
    assert "HS-LS-DC" not in why and "withdrawal" not in why
    assert file(engine, [(him, "TM", 9_000_000, "2025-10")], other)["periods_opened"] == 1


@pytest.fixture
def pensioned(engine: Engine) -> str:
    """An older worker here since 2005, still working, whose pension from 2025-09 was settled
    on 2025-08-20."""
    setup_workers(engine, 0)
    him = older_worker(engine, until=None)
    claim(engine, him, PENSION)
    settle(engine, him, PENSION.dossier_no, paying(STILL_WORKING_MONTHLY, STATED))
    return him


@pytest.mark.parametrize("line", [("DC", 9_500_000, "2025-08"), ("GH", None, "2025-07")],
                         ids=["raise", "decrease"])
def test_a_change_of_the_open_period_from_a_month_the_pension_averaged_is_refused(
        engine: Engine, pensioned: str, line: tuple[str, int | None, str]) -> None:
    code, salary, month = line
    assert refused(engine, [(pensioned, code, salary, month)]) == [(2, "from_month", reason(
        month, "pension", PENSION.dossier_no, "72/QĐ", "2025-08-20", "2025-08", "2025-09"))]


def test_a_change_from_the_month_after_the_pension_was_settled_is_taken(
        engine: Engine, pensioned: str) -> None:
    result = file(engine, [(pensioned, "DC", 9_500_000, "2025-09")])
    assert (result["periods_closed"], result["periods_opened"]) == (1, 1)


def test_a_benefit_only_claimed_holds_no_month(engine: Engine) -> None:
    setup_workers(engine, 0)
    him = older_worker(engine)
    claim(engine, him, WITHDRAWAL)
    result = file(engine, [(him, "DC", 11_000_000, "2025-03")])
    assert (result["periods_closed"], result["periods_opened"]) == (1, 1)
