"""A pension settled at the moment a unit the worker never had files a line taking him on, on
SQLite and PostgreSQL (where the two would otherwise both commit: the filing locks its own
unit, the settlement the units that paid him and his row): whichever comes second sees the
first. A line in a month the pension averages, filed while it is settled, is refused as it is
once the pension is settled; a pension settled while such a line is filed is checked on the
record with it; a withdrawal ending an open voluntary period while a later start is filed keeps
that end (the filing reads the periods once it has its turn)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sibook.benefits.domain import Decision
from sibook.benefits.service import decide
from sibook.contributions.declare import declare
from sibook.core.db import unit_of_work
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.registry import reading as registry
from tests.integration.ledger_fixtures import add_other_employer, csv_of, setup_workers
from tests.integration.races import while_held
from tests.integration.test_benefits import TODAY, claim, count, older_worker, worked
from tests.integration.test_benefits_stated_average import (
    PENSION,
    STATED,
    STATED_MONTHLY,
    paying,
)
from tests.integration.test_benefits_voluntary_stop import WITHDRAWAL as VOLUNTARY_WITHDRAWAL
from tests.integration.test_benefits_voluntary_stop import WITHDRAWN as VOLUNTARY_WITHDRAWN
from tests.integration.test_benefits_voluntary_stop import voluntary_ends, volunteer
from tests.integration.test_declaration_settled_benefits import FILED, NAMES

# The older worker, here from 2005 to 2025-06 (246 months), retires: his pension from 2025-09,
# settled on 2025-08-20, averages his months up to 2025-08 on the dossier's average.
RETIRED = paying(STATED_MONTHLY, STATED)
TAKEN_ON = "2025-07"  # by a unit he never worked for: a month the pension averages


@pytest.fixture
def retiring(engine: Engine) -> tuple[str, str]:
    """The older worker with his pension claimed, and a unit he never worked for."""
    setup_workers(engine, 0)
    him = older_worker(engine)
    claim(engine, him, PENSION)
    return him, add_other_employer(engine)


def _settling(pid: str, decision: Decision) -> Callable[[Session], None]:
    def settling(s: Session) -> None:
        decide(session=s, person_id=registry.person_id_of(session=s, personal_id=pid),
               personal_id=pid, dossier_no=PENSION.dossier_no, decision=decision,
               actor="approver", today=TODAY)
    return settling


def _filing(pid: str, unit: str, until: str | None = None) -> Callable[[Session], None]:
    """The unit takes him on from TAKEN_ON (and, given ``until``, lets him go from it)."""
    rows: list[tuple[str, str, int | None, str]] = [(pid, "TM", 9_000_000, TAKEN_ON)]
    rows += [(pid, "GH", None, until)] if until else []

    def filing(s: Session) -> None:
        declare(session=s, data=csv_of(rows, NAMES), file_name="d02.csv",
                employer_code=unit, month=FILED)
    return filing


def _refusals_of(engine: Engine, act: Callable[[Session], None]
                 ) -> tuple[Callable[[], None], list[str]]:
    """``act`` run in a transaction of its own, and the fields it was refused on (once run)."""
    refused: list[str] = []

    def run() -> None:
        try:
            with unit_of_work(engine) as s:
                act(s)
        except ValidationError as exc:
            refused.extend(p.field or "" for p in exc.problems)
    return run, refused


def test_a_line_in_an_averaged_month_filed_while_the_pension_is_settled_is_refused(
        engine: Engine, retiring: tuple[str, str]) -> None:
    """The filing waits for the settlement, then is refused as an outsider's line is once the
    pension is settled; nothing of it stays."""
    him, other = retiring
    second, refused = _refusals_of(engine, _filing(him, other))
    while_held(engine, _settling(him, RETIRED), second)
    assert refused == ["personal_id"]
    assert count(engine, "declarations") == 0 and count(engine, "benefit_decisions") == 1


def test_a_pension_settled_while_such_a_line_is_filed_counts_its_months(
        engine: Engine, retiring: tuple[str, str]) -> None:
    """The settlement waits for the filing, then counts 2025-07 and 2025-08 too: 248 months
    give 47%, not the 46% the decision priced, and it is refused naming its monthly amount.
    (The job ends before the pension's first month: one still open is refused first, for a
    pension is paid on leaving work, ``benefits.left_work``.)"""
    him, other = retiring
    second, refused = _refusals_of(engine, _settling(him, RETIRED))
    while_held(engine, _filing(him, other, until="2025-09"), second)
    assert refused == ["monthly_amount"]
    assert count(engine, "declarations") == 1 and count(engine, "benefit_decisions") == 0


def test_a_withdrawal_ending_the_voluntary_period_while_a_later_start_is_filed_keeps_its_end(
        engine: Engine) -> None:
    """A lapsed voluntary participant's withdrawal, settled on 2025-10-20, ends their open
    voluntary period with 2025-07, its last month paid, while a unit they never worked for
    files their start from 2025-12: the filing waits for the settlement and reads their
    periods after it, so it finds no voluntary period open to end and the end stays 2025-07
    (read before, it ended the period again with 2025-11, unpaid voluntary months after the
    withdrawal)."""
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid)  # 2024-01 to 2025-06
    volunteer(engine, pid, 1)  # 2025-07 paid, then not
    claim(engine, pid, VOLUNTARY_WITHDRAWAL)
    other = add_other_employer(engine)

    def starting(s: Session) -> None:
        declare(session=s, data=csv_of([(pid, "TM", 9_000_000, "2025-12")]),
                file_name="d02.csv", employer_code=other, month=FILED)

    def withdrawing(s: Session) -> None:
        decide(session=s, person_id=registry.person_id_of(session=s, personal_id=pid),
               personal_id=pid, dossier_no=VOLUNTARY_WITHDRAWAL.dossier_no,
               decision=VOLUNTARY_WITHDRAWN, actor="approver", today=TODAY)

    second, refused = _refusals_of(engine, starting)
    while_held(engine, withdrawing, second)
    assert refused == [] and count(engine, "declarations") == 1
    assert voluntary_ends(engine) == [Period(2025, 7).index]
