"""A unit's salary regime never changes under a benefit already settled on it, on SQLite and
PostgreSQL: a pension or one-time withdrawal averaged its worker's months by the regime of each
(Law 41/2024 Art 72), so a change from a month one of them averaged is refused (naming how many
and the first month that can still change) and nothing is recorded; a change after those months,
or at a unit whose worker's benefit is only claimed, refused or not averaged, is recorded."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import Engine, text

from sibook.benefits.domain import Claim, Decision, Regime
from sibook.book.estimate import estimate
from sibook.contributions.declare import declare
from sibook.core.db import unit_of_work
from sibook.core.errors import ConflictError
from sibook.core.period import Period
from tests.integration.ledger_fixtures import EMPLOYER, csv_of, setup_workers
from tests.integration.test_benefits import SICK, book_of, claim, settle
from tests.integration.test_benefits_stated_average import STATED, STATED_MONTHLY, paying
from tests.integration.test_declaration_settled_benefits import FILED, NAMES
from tests.integration.test_salary_regime import AS_OF, END, RAISED, SCHOOL, add_school, worker
from tests.integration.test_salary_regime_changes import change

WITHDRAWAL = Claim(Regime.LUMP_SUM, "HS-LS-CD", date(2025, 10, 1), ground="emigration")
# The one-time withdrawal the record gives on the decision's day (a worker of the school).
WITHDRAWN = Decision("settled", date(2025, 10, 20), "99/QĐ", amount=386_831_563)
PENSION = Claim(Regime.PENSION, "HS-HT-CD", date(2025, 8, 1), date(2025, 9, 1))


@pytest.fixture
def school(engine: Engine) -> Engine:
    setup_workers(engine, 0)
    add_school(engine)
    return engine


def recorded(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM employer_salary_regimes")).scalar_one())


def refusal(engine: Engine, start: Period) -> ConflictError:
    with pytest.raises(ConflictError) as refused:
        change(engine, SCHOOL, "employer", start)
    return refused.value


def test_a_change_back_to_months_a_settled_withdrawal_averaged_is_refused(
        school: Engine) -> None:
    """Her months at the school, 2005-01 to 2025-06, were averaged (and paid out) on the state
    scale in 2025-10: the school cannot become a company from 2020-01 under it."""
    pid = worker(school, 91, (SCHOOL, SCHOOL))
    claim(school, pid, WITHDRAWAL)
    settle(school, pid, WITHDRAWAL.dossier_no, WITHDRAWN)
    before = book_of(school, pid)
    refused = refusal(school, RAISED)
    assert refused.field == "from_month"
    assert str(refused) == (
        "1 settled pension or one-time withdrawal of the unit's workers averaged its months up "
        "to 2025-06: the regime can change from 2025-07 on, so the amounts settled stay those "
        "the record gave")
    assert recorded(school) == 0
    assert book_of(school, pid)["sheets"] == before["sheets"]
    change(school, SCHOOL, "employer", END + 1)  # the first month no benefit averaged
    assert recorded(school) == 1


def test_a_job_from_a_withdrawals_decision_month_does_not_hold_the_new_units_regime(
        school: Engine) -> None:
    """He withdrew his SI in 2025-10, his last month paid 2025-06, and the school took him on
    from 2025-10, the decision's month: a new record, which the withdrawal did not average, so
    the school may change from that month."""
    pid = worker(school, 91, (EMPLOYER, EMPLOYER))
    claim(school, pid, WITHDRAWAL)
    # His months averaged as the employer set his pay: another average than the school's.
    settle(school, pid, WITHDRAWAL.dossier_no, replace(WITHDRAWN, amount=364_483_671))
    with unit_of_work(school) as s:
        declare(session=s, data=csv_of([(pid, "TM", 9_000_000, "2025-10")], NAMES),
                file_name="d02.csv", employer_code=SCHOOL, month=FILED)
    change(school, SCHOOL, "employer", Period(2025, 10))
    assert recorded(school) == 1


def test_the_months_a_worker_paid_elsewhere_do_not_hold_the_units_regime(
        school: Engine) -> None:
    """Two pensions settled (one on its dossier's own average), each averaging the school's
    months to 2019-12 only: from 2020-01 the school may change, not from 2019-12."""
    for serial, dossier in ((91, "HS-HT-CD"), (92, "HS-HT-CE")):
        pid = worker(school, serial, (SCHOOL, EMPLOYER))
        claim(school, pid, Claim(PENSION.regime, dossier, PENSION.received_on,
                                 PENSION.event_from))
        settle(school, pid, dossier, paying(STATED_MONTHLY, STATED))
    refused = refusal(school, RAISED - 1)
    assert str(refused).startswith("2 settled pensions or one-time withdrawals of the unit's "
                                   "workers averaged its months up to 2019-12: the regime can "
                                   "change from 2020-01 on")
    change(school, SCHOOL, "employer", RAISED)
    assert recorded(school) == 1


def test_a_benefit_claimed_refused_or_not_averaged_does_not_hold_the_regime(
        school: Engine) -> None:
    """A withdrawal claimed but not decided, a pension refused and a sickness benefit settled
    priced nothing on an average: the school's regime changes from its first month, and the
    book's estimate follows."""
    withdrawing, retiring, sick = (worker(school, n, (SCHOOL, SCHOOL)) for n in (91, 92, 93))
    claim(school, withdrawing, WITHDRAWAL)
    claim(school, retiring, PENSION)
    settle(school, retiring, PENSION.dossier_no, Decision(
        "refused", date(2025, 8, 20), "73/QĐ", reason="the dossier lacks the labour book"))
    claim(school, sick, SICK)
    settle(school, sick, SICK.dossier_no)
    change(school, SCHOOL, "employer", Period(2005, 1))
    assert estimate(book_of(school, withdrawing), AS_OF)["average_rule"]["rule"] == (
        "whole_period")
