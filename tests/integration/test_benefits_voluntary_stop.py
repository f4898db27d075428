"""A voluntary participant stops by not paying, on SQLite and PostgreSQL (Law 41/2024 Art
101(2): the pension starts the month after they stop contributing; Art 70(1): a one-time
withdrawal is for someone who has stopped): with the months from the pension's first, or the
withdrawal's month, unpaid, the claim is received and settled, and the settlement ends the open
voluntary period, which the book's next version shows; with one paid, it is refused naming the
last month paid and the first month possible. Before, an open voluntary period refused both,
and nothing could end it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, select

from sibook.benefits.domain import Claim, Decision, Regime
from sibook.book import service
from sibook.contributions.store import SIPeriod
from sibook.contributions.voluntary_payments import post_voluntary_payment
from sibook.core.db import unit_of_work
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.registry import reading as registry
from sibook.registry.registration import VoluntaryStart, start_voluntary
from tests.integration.ledger_fixtures import setup_workers
from tests.integration.test_benefits import claim, older_worker, settle, worked
from tests.integration.test_benefits_stated_average import PENSION, STATED, STATED_MONTHLY, paying

MONTH = 660_000  # at least one month of voluntary SI on 3,000,000 (22%), less than two
# The older worker (246 months to 2025-06) with 2025-07 paid voluntarily: 247 months, 47% of
# the stated 12,000,000.
WITH_JULY = 5_640_000
JULY = Period(2025, 7)
WITHDRAWAL = Claim(Regime.LUMP_SUM, "HS-LS-TN", date(2025, 10, 1), ground="emigration")
WITHDRAWN = Decision("settled", date(2025, 10, 20), "99/QĐ", amount=34_736_844)


def volunteer(engine: Engine, pid: str, months: int, start: Period = JULY) -> None:
    """``pid`` joins voluntary SI on 3,000,000 from ``start`` and pays ``months`` of it at once
    in that month (a part of one more left as credit)."""
    with unit_of_work(engine) as s:
        person_id = registry.person_id_of(session=s, personal_id=pid)
        start_voluntary(session=s, person_id=person_id, personal_id=pid,
                        voluntary=VoluntaryStart(income=3_000_000, from_month=start),
                        today=start.first_day)
        if months:
            post_voluntary_payment(session=s, person_id=person_id, personal_id=pid,
                                   amount=months * MONTH, reference=f"VOL-{months}",
                                   paid_on=start.first_day.replace(day=15),
                                   today=date(2026, 3, 20))


def refusal(engine: Engine, pid: str, c: Claim) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as refused:
        claim(engine, pid, c)
    return [(p.field or "", p.reason) for p in refused.value.problems]


def voluntary_ends(engine: Engine) -> list[int | None]:
    with unit_of_work(engine) as s:
        return list(s.scalars(select(SIPeriod.to_month).where(SIPeriod.kind == "voluntary")
                                .order_by(SIPeriod.seq)))


def version(engine: Engine, pid: str) -> tuple[int, dict[str, Any]]:
    with unit_of_work(engine) as s:
        v, _ = service.current_version(session=s, person_id=registry.person_id_of(
            session=s, personal_id=pid), as_of=date(2026, 3, 20))
    return v.version, v.payload


def test_a_voluntary_participant_who_stopped_paying_gets_the_pension_and_the_period_ends(
        engine: Engine) -> None:
    setup_workers(engine, 0)
    him = older_worker(engine)  # here to 2025-06
    volunteer(engine, him, 1)  # 2025-07 paid, 2025-08 on not
    assert claim(engine, him, PENSION)["status"] == "claimed"
    before, _ = version(engine, him)
    assert settle(engine, him, PENSION.dossier_no,
                  paying(WITH_JULY, STATED))["status"] == "settled"
    # At the last month paid, 2025-07: 2025-08, before the pension's first month, was never
    # paid and can no longer be (a payment once the period ended is refused), so the book shows
    # no voluntary month not paid, where it listed 2025-08 as unpaid for good.
    assert voluntary_ends(engine) == [JULY.index]
    after, book = version(engine, him)
    assert after > before
    assert [(r["from"], r["to"], r["unpaid"]) for r in book["sheets"]
            if r["kind"] == "voluntary"] == [("2025-07", "2025-07", [])]
    assert book["totals"]["unpaid_months"] == 0


def test_a_pension_is_refused_while_voluntary_months_from_its_first_are_paid(
        engine: Engine) -> None:
    setup_workers(engine, 0)
    him = older_worker(engine)
    volunteer(engine, him, 3)  # 2025-07 to 2025-09 paid ahead
    assert refusal(engine, him, PENSION) == [("event_from", (
        "voluntary SI is paid through 2025-09 as of 2025-08-01, covering 2025-09, the "
        "pension's first month: a voluntary participant's pension starts the month after they "
        "stop contributing (Law 41/2024 Art 101(2)), and a pensioner may not contribute "
        "voluntarily (Art 2(4)(a)); the pension starts in 2025-10 at the earliest, the month "
        "after the last one paid (a voluntary participant stops by not paying)"))]
    later = Claim(PENSION.regime, "HS-HT-T10", PENSION.received_on, date(2025, 10, 1))
    assert claim(engine, him, later)["status"] == "claimed"
    assert voluntary_ends(engine) == [None]  # only a settlement ends it


def test_a_lapsed_voluntary_participant_withdraws_and_the_period_ends(engine: Engine) -> None:
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid)  # 2024-01 to 2025-06
    volunteer(engine, pid, 1)
    assert claim(engine, pid, WITHDRAWAL)["status"] == "claimed"
    done = settle(engine, pid, WITHDRAWAL.dossier_no, WITHDRAWN)
    assert done["decision"]["months_settled"] == 19  # 18 compulsory and 2025-07
    assert voluntary_ends(engine) == [JULY.index]  # the last paid, before the decision's month
    volunteer(engine, pid, 0, start=Period(2025, 11))  # nothing open stands in the way
    assert voluntary_ends(engine) == [JULY.index, None]


def test_a_withdrawal_is_refused_while_the_voluntary_months_are_paid(engine: Engine) -> None:
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid)
    volunteer(engine, pid, 4)  # to 2025-10, the claim's month
    assert refusal(engine, pid, WITHDRAWAL) == [("regime", (
        "voluntary SI is paid through 2025-10, covering 2025-10: a one-time withdrawal is for "
        "someone who has stopped contributing (Law 41/2024 Art 70), and a voluntary "
        "participant stops by not paying; it is paid from 2025-11 at the earliest"))]


def test_twelve_months_without_paying_are_outside_si_for_ground_e(engine: Engine) -> None:
    """Ground e) (SI before 2025-07, then 12 months outside SI): the months after the last one
    paid are outside SI though the voluntary period stays open."""
    a, b = setup_workers(engine, 2)
    for pid, paid in ((a, 2), (b, 3)):
        worked(engine, pid, until=Period(2024, 12))
        volunteer(engine, pid, paid, start=Period(2025, 1))  # to 2025-02, 2025-03
    ground_e = Claim(Regime.LUMP_SUM, "HS-LS-E", date(2026, 3, 5), ground="before_2025_07")
    assert claim(engine, a, ground_e)["status"] == "claimed"
    assert refusal(engine, b, Claim(Regime.LUMP_SUM, "HS-LS-E2", date(2026, 3, 5),
                                    ground="before_2025_07")) == [("ground", (
        "SI in the 12 months before 2026-03 (voluntary SI paid through 2025-03): ground e) "
        "needs 12 months outside SI"))]


def test_a_voluntary_start_registered_after_the_pension_and_never_paid_is_removed(
        engine: Engine) -> None:
    """Registered from 2025-10 while the pension from 2025-09 was only claimed (Art 2(4)(a)
    then stood in no one's way): it never began before the pension, so nothing of it stays."""
    setup_workers(engine, 0)
    him = older_worker(engine)
    claim(engine, him, PENSION)
    volunteer(engine, him, 0, start=Period(2025, 10))
    settle(engine, him, PENSION.dossier_no, paying(STATED_MONTHLY, STATED))
    assert voluntary_ends(engine) == []


def test_a_decision_starting_later_than_claimed_ends_the_period_before_its_own_start(
        engine: Engine) -> None:
    """Claimed from 2025-09, the decision pays from 2025-11: the pension's first month is the
    decision's (``pension_first_month``), as the declarations' pensioner check reads it; the
    period ends at 2025-07, its last month paid, as for a decision paying from the month
    claimed (2025-08 to 2025-10 were never paid)."""
    setup_workers(engine, 0)
    him = older_worker(engine)
    volunteer(engine, him, 1)
    claim(engine, him, PENSION)
    later = replace(paying(WITH_JULY, STATED), from_month=Period(2025, 11))
    assert settle(engine, him, PENSION.dossier_no, later)["status"] == "settled"
    assert voluntary_ends(engine) == [JULY.index]


def test_a_period_none_of_whose_months_was_paid_is_removed_when_the_pension_settles(
        engine: Engine) -> None:
    """Registered from 2025-07 and never paid: no month of it counts or can be paid once the
    pension is settled, so the row is removed rather than listed as months not paid."""
    setup_workers(engine, 0)
    him = older_worker(engine)
    volunteer(engine, him, 0)
    claim(engine, him, PENSION)
    settle(engine, him, PENSION.dossier_no, paying(STATED_MONTHLY, STATED))
    assert voluntary_ends(engine) == []
    _, book = version(engine, him)
    assert [r for r in book["sheets"] if r["kind"] == "voluntary"] == []
    assert book["totals"]["unpaid_months"] == 0
