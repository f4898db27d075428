"""One benefit for a day, on SQLite and PostgreSQL: a claim whose days meet those of a claim
already received or settled (not refused), of its own regime or of one paying the same day, is
refused naming the end of its leave that falls in them and the dossier it meets (FACTS §4.3,
§4.4; Law 41/2024 Art 42(1) for a work accident); of two received side by side anyway, the
first settled is paid and the other may only be refused, also when both are settled at once."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from sibook.benefits.domain import Claim, Decision, Regime
from sibook.benefits.service import decide
from sibook.core.db import unit_of_work
from sibook.core.errors import ValidationError
from sibook.core.schema import metadata
from sibook.registry import reading as registry
from tests.integration.ledger_fixtures import setup_workers
from tests.integration.races import while_held
from tests.integration.test_benefits import (
    END,
    START,
    TODAY,
    claim,
    count,
    older_worker,
    settle,
)

LEAVE = Claim(Regime.MATERNITY, "HS-TS-21", date(2025, 3, 20), date(2025, 3, 1),
              date(2025, 8, 31))
ACCIDENT = Claim(Regime.OCCUPATIONAL, "HS-TN-LD-21", date(2025, 9, 20), date(2025, 6, 16))


def mother(engine: Engine) -> str:
    setup_workers(engine, 1)  # the employer
    return older_worker(engine, date(1995, 1, 1), "female", START, END)


def refused(engine: Engine, pid: str, c: Claim) -> tuple[str, str]:
    with pytest.raises(ValidationError) as no:
        claim(engine, pid, c)
    return no.value.problems[0].field, no.value.problems[0].reason


def test_no_sick_pay_for_days_of_a_maternity_leave_received_or_settled(engine: Engine) -> None:
    pid = mother(engine)
    claim(engine, pid, LEAVE)
    sick = Claim(Regime.SICKNESS, "HS-OD-21", date(2025, 4, 10), date(2025, 4, 1),
                 date(2025, 4, 5))
    field, reason = refused(engine, pid, sick)
    assert field == "event_from"
    assert reason.startswith("dossier HS-TS-21 already claims maternity for days this "
                             "sickness claim takes too")
    settle(engine, pid, LEAVE.dossier_no, Decision("settled", date(2025, 3, 27), "21/QĐ",
                                                   amount=54_000_000))
    assert refused(engine, pid, sick)[0] == "event_from"
    before = Claim(Regime.SICKNESS, "HS-OD-22", date(2025, 3, 5), date(2025, 2, 26),
                   date(2025, 3, 2))  # its last days are the leave's first
    field, reason = refused(engine, pid, before)
    assert (field, "HS-TS-21" in reason) == ("event_to", True)
    assert claim(engine, pid, Claim(Regime.SICKNESS, "HS-OD-23", date(2025, 3, 5),
                                    date(2025, 2, 24), date(2025, 2, 28)))["status"] == "claimed"
    assert count(engine, "benefit_claims") == 2


def test_a_maternity_leave_over_sick_days_already_claimed_is_refused(engine: Engine) -> None:
    pid = mother(engine)
    claim(engine, pid, Claim(Regime.SICKNESS, "HS-OD-24", date(2025, 3, 10), date(2025, 3, 3),
                             date(2025, 3, 7)))
    field, reason = refused(engine, pid, LEAVE)
    assert field == "event_to"
    assert "dossier HS-OD-24 already claims sickness" in reason


def test_a_sick_leave_over_a_work_accident_claimed_is_the_accident_again(engine: Engine) -> None:
    pid = mother(engine)
    claim(engine, pid, ACCIDENT)
    field, reason = refused(engine, pid, Claim(
        Regime.SICKNESS, "HS-OD-25", date(2025, 9, 20), date(2025, 6, 16), date(2025, 6, 20)))
    assert field == "event_from"
    assert "dossier HS-TN-LD-21 already claims occupational" in reason
    assert "Art 42(1)" in reason
    settle(engine, pid, ACCIDENT.dossier_no, Decision("refused", date(2025, 9, 27), "25/QĐ",
                                                      reason="không phải tai nạn lao động"))
    assert claim(engine, pid, Claim(Regime.SICKNESS, "HS-OD-26", date(2025, 9, 28),
                                    date(2025, 6, 16), date(2025, 6, 20)))["status"] == "claimed"
    field, reason = refused(engine, pid, Claim(Regime.OCCUPATIONAL, "HS-TN-LD-22",
                                               date(2025, 9, 29), date(2025, 6, 18)))
    assert (field, "dossier HS-OD-26 already claims sickness" in reason) == ("event_from", True)


def test_two_maternity_leaves_may_not_overlap(engine: Engine) -> None:
    pid = mother(engine)
    claim(engine, pid, LEAVE)
    field, reason = refused(engine, pid, Claim(Regime.MATERNITY, "HS-TS-22", date(2025, 9, 10),
                                               date(2025, 8, 15), date(2025, 9, 9)))
    assert field == "event_from"
    assert "dossier HS-TS-21 already claims this maternity for the same days" in reason


def test_a_work_accident_during_a_maternity_leave_is_still_received(engine: Engine) -> None:
    """Work-accident benefits pay for the capacity lost, not days of leave: both stand."""
    pid = mother(engine)
    claim(engine, pid, LEAVE)
    assert claim(engine, pid, Claim(Regime.OCCUPATIONAL, "HS-TN-LD-23", date(2025, 6, 20),
                                    date(2025, 6, 2)))["status"] == "claimed"


# Sick days inside LEAVE, received beside it: before the overlap rule existed, or when the
# record said otherwise (nothing received now can meet a claim not refused).
SICK_IN_LEAVE = Claim(Regime.SICKNESS, "HS-OD-27", date(2025, 4, 10), date(2025, 4, 1),
                      date(2025, 4, 5))
PAID_LEAVE = Decision("settled", date(2025, 4, 20), "27/QĐ", amount=54_000_000)
PAID_SICK_DAYS = Decision("settled", date(2025, 4, 20), "28/QĐ", amount=1_730_000, days=5)


def received_beside(engine: Engine, pid: str, c: Claim, claim_no: int) -> None:
    with unit_of_work(engine) as s:
        s.execute(insert(metadata.tables["benefit_claims"]).values(
            person_id=registry.person_id_of(session=s, personal_id=pid), claim_no=claim_no,
            regime=str(c.regime), dossier_no=c.dossier_no, dossier_key=c.dossier_no,
            received_on=c.received_on, event_from=c.event_from, event_to=c.event_to,
            recorded_by="clerk"))


@pytest.mark.parametrize(("first", "then", "field", "met"), [
    ((SICK_IN_LEAVE, PAID_SICK_DAYS), (LEAVE, PAID_LEAVE), "event_to", (
        "dossier HS-OD-27 already claims sickness for days this maternity claim takes too: one "
        "benefit pays a day (FACTS §4.3, §4.4; no sick pay for a work accident, Law 41/2024 Art "
        "42(1)), and it is settled: this one may only be refused")),
    ((LEAVE, PAID_LEAVE), (SICK_IN_LEAVE, PAID_SICK_DAYS), "event_from", (
        "dossier HS-TS-21 already claims maternity for days this sickness claim takes too: one "
        "benefit pays a day (FACTS §4.3, §4.4; no sick pay for a work accident, Law 41/2024 Art "
        "42(1)), and it is settled: this one may only be refused")),
])
def test_of_two_claims_received_for_the_same_days_the_first_settled_is_paid(
        engine: Engine, first: tuple[Claim, Decision], then: tuple[Claim, Decision],
        field: str, met: str) -> None:
    """Both were settled: the overlap was looked for when a claim was received only. The
    refusal names the end of the later one in the other's days (the leave's last, the sick
    leave's first)."""
    pid = mother(engine)
    claim(engine, pid, LEAVE)
    received_beside(engine, pid, SICK_IN_LEAVE, 2)
    assert settle(engine, pid, first[0].dossier_no, first[1])["status"] == "settled"
    with pytest.raises(ValidationError) as twice:
        settle(engine, pid, then[0].dossier_no, then[1])
    assert (twice.value.problems[0].field, twice.value.problems[0].reason) == (field, met)
    assert count(engine, "benefit_decisions") == 1
    assert settle(engine, pid, then[0].dossier_no, Decision(
        "refused", date(2025, 4, 21), "29/QĐ", reason="đã hưởng"))["status"] == "refused"


def test_two_settlements_of_the_same_days_at_once_pay_one(engine: Engine) -> None:
    """The second waits on the person the first holds, then sees it settled."""
    pid = mother(engine)
    claim(engine, pid, LEAVE)
    received_beside(engine, pid, SICK_IN_LEAVE, 2)
    outcome: list[object] = []

    def settling(s: Session, dossier: str, d: Decision) -> object:
        return decide(session=s, person_id=registry.person_id_of(session=s, personal_id=pid),
                      personal_id=pid, dossier_no=dossier, decision=d, actor="approver",
                      today=TODAY)["status"]

    def second() -> None:
        try:
            with unit_of_work(engine) as s:
                outcome.append(settling(s, SICK_IN_LEAVE.dossier_no, PAID_SICK_DAYS))
        except ValidationError as exc:
            outcome.append(exc.problems[0].reason.split(":")[0])

    while_held(engine, lambda s: settling(s, LEAVE.dossier_no, PAID_LEAVE), second)
    assert outcome == ["dossier HS-TS-21 already claims maternity for days this sickness claim "
                       "takes too"]
    assert count(engine, "benefit_decisions") == 1
