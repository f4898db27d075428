"""A unit's salary regime changed at the moment one of its workers' benefits is settled, on
SQLite and PostgreSQL (where the two would otherwise both commit: the change locks the unit,
the settlement the person): whichever comes second sees the first. A change while a withdrawal
on its months is settled is refused as after it; a pension settled while a change is recorded
is priced on the regime changed. Settling takes the unit before the person: a filing of the
unit at the same moment takes its turn, never a deadlock."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from sibook.benefits.domain import Decision
from sibook.benefits.service import decide
from sibook.book import service as book
from sibook.core.db import unit_of_work
from sibook.core.errors import ConflictError, ValidationError
from sibook.core.period import Period
from sibook.core.schema import metadata
from sibook.registry import reading as registry
from sibook.registry import regimes
from tests.integration.races import until_one_waits, while_held
from tests.integration.test_benefits import TODAY, claim, count, settle
from tests.integration.test_benefits_stated_average import DECIDED, paying
from tests.integration.test_salary_regime import RAISED, SCHOOL, worker
from tests.integration.test_salary_regime_changes import change
from tests.integration.test_salary_regime_guard import (
    PENSION,
    WITHDRAWAL,
    WITHDRAWN,
    recorded,
)
from tests.integration.test_salary_regime_guard import (
    school as school,  # the fixture: a school paying by the state's scale
)


def _meanwhile(engine: Engine, hold: Callable[[Session], None],
               second: Callable[[], object]) -> list[object]:
    """What ``second`` did (``done``, or its refusal's field), run on a thread once ``hold``
    has done its work in a transaction not yet committed, until it waits on that transaction,
    which then commits."""
    outcome: list[object] = []

    def run() -> None:
        try:
            second()
            outcome.append("done")
        except ValidationError as exc:
            outcome.append(exc.problems[0].field)
        except ConflictError as exc:
            outcome.append(exc.field)

    while_held(engine, hold, run)
    return outcome


def _settling(pid: str, dossier: str, decision: Decision) -> Callable[[Session], None]:
    def settling(s: Session) -> None:
        decide(session=s, person_id=registry.person_id_of(session=s, personal_id=pid),
               personal_id=pid, dossier_no=dossier, decision=decision, actor="approver",
               today=TODAY)
    return settling


def test_a_change_while_a_withdrawal_on_its_months_is_settled_is_refused(
        school: Engine) -> None:
    """Her months at the school to 2025-06 are being paid out: the change from 2020-01 waits,
    then is refused as it is once the withdrawal is settled; nothing of it stays."""
    pid = worker(school, 91, (SCHOOL, SCHOOL))
    claim(school, pid, WITHDRAWAL)
    outcome = _meanwhile(school, _settling(pid, WITHDRAWAL.dossier_no, WITHDRAWN),
                         lambda: change(school, SCHOOL, "employer", RAISED))
    assert outcome == ["from_month"]
    assert recorded(school) == 0 and count(school, "benefit_decisions") == 1


def test_a_pension_settled_while_a_change_is_recorded_is_priced_on_the_change(
        school: Engine) -> None:
    """The pension the state scale's average gives is settled as the school becomes a company
    from 2020-01: it waits, then is checked on the record changed, which averages those years
    otherwise, and refused naming its monthly amount; the change stays."""
    pid = worker(school, 92, (SCHOOL, SCHOOL))
    claim(school, pid, PENSION)
    with unit_of_work(school) as s:
        _, due = book.pension_on_record(
            session=s, person_id=registry.person_id_of(session=s, personal_id=pid),
            as_of=DECIDED, starts=Period.of(PENSION.event_from or DECIDED))
    assert due.monthly_pension is not None
    outcome = _meanwhile(
        school, lambda s: regimes.change_salary_regime(session=s, code=SCHOOL,
                                                       regime="employer", from_month=RAISED),
        lambda: settle(school, pid, PENSION.dossier_no, paying(due.monthly_pension or 0)))
    assert outcome == ["monthly_amount"]
    assert recorded(school) == 1 and count(school, "benefit_decisions") == 0


def test_a_settlement_while_the_unit_files_waits_for_the_filing_without_a_deadlock(
        school: Engine) -> None:
    """A filing holds its unit while it writes its workers' periods and HI cards, one for her:
    the withdrawal settled meanwhile waits for the unit before it takes her row, so the filing
    goes on and commits, then the settlement does; neither is refused nor a deadlock's victim."""
    pid = worker(school, 93, (SCHOOL, SCHOOL))
    claim(school, pid, WITHDRAWAL)
    outcome: list[object] = []
    racer = threading.Thread(target=lambda: outcome.append(
        settle(school, pid, WITHDRAWAL.dossier_no, WITHDRAWN)["status"]))
    with unit_of_work(school) as s:
        registry.employer_by_code(session=s, code=SCHOOL, lock=True)
        racer.start()
        until_one_waits(school)
        s.execute(insert(metadata.tables["hi_cards"]).values(
            person_id=registry.person_id_of(session=s, personal_id=pid), seq=1,
            card_number="DN4010000000093", group_code="DN", benefit_level=4,
            province_code="01", initial_kcb_place="01001", valid_from=date(2025, 7, 1),
            valid_to=date(2025, 12, 31)))
    racer.join(timeout=60)
    assert outcome == ["settled"]
