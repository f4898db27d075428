"""Benefits on SQLite and PostgreSQL: a claim received once per dossier, decided once, refused
by field when the record or the law says no, append-only; the book shows them and stops
counting the months a one-time withdrawal paid out or an unemployment benefit used."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, insert, text
from sqlalchemy.exc import DatabaseError

from sibook.benefits.domain import Claim, Decision, Regime
from sibook.benefits.service import BenefitConflict, decide, listing, receive_claim
from sibook.book import batch, service
from sibook.book.assemble import canonical
from sibook.core.db import unit_of_work
from sibook.core.errors import NotFoundError, ValidationError
from sibook.core.period import Period
from sibook.core.schema import metadata
from sibook.ids import make_personal_id
from sibook.registry import reading as registry
from sibook.registry.new_person import NewPerson
from sibook.registry.population import LocalPopulationRegistry
from sibook.registry.registration import register
from tests.integration.ledger_fixtures import EMPLOYER, setup_workers
from tests.integration.races import until_one_waits

TODAY = date(2026, 3, 20)
START, END = Period(2024, 1), Period(2025, 6)  # 18 months of SI and UI
SICK = Claim(Regime.SICKNESS, "HS-2025-0001", date(2025, 3, 20), date(2025, 3, 3),
             date(2025, 3, 7))
RETIRES_2025_06 = date(1964, 3, 15)
LONG_AGO = Period(2005, 1)
PAID_SICK = Decision("settled", date(2025, 3, 27), "12/QĐ-BHXH", amount=1_730_000, days=5)


def worked(engine: Engine, pid: str, until: Period | None = END, since: Period = START,
           salary: int = 9_000_000) -> None:
    """``pid`` worked for the test employer from ``since`` to ``until`` (None: still does), on
    ``salary``."""
    with unit_of_work(engine) as s:
        person = registry.person_id_of(session=s, personal_id=pid)
        eid = registry.employer_by_code(session=s, code=EMPLOYER).employer_id
        to = None if until is None else until.index
        s.execute(insert(metadata.tables["si_periods"]).values(
            person_id=person, seq=1, from_month=since.index, to_month=to, kind="compulsory",
            employer_id=eid, salary_basis=salary, allowances=0, occupational_rate_bp=50))
        s.execute(insert(metadata.tables["ui_periods"]).values(
            person_id=person, seq=1, from_month=since.index, to_month=to, employer_id=eid,
            salary_basis=salary))


def older_worker(engine: Engine, born: date = RETIRES_2025_06, sex: str = "male",
                 since: Period = LONG_AGO, until: Period = END) -> str:
    """A person born on ``born`` who worked for the test employer from ``since`` to ``until``
    (from LONG_AGO to END: 20.5 years of SI). By default a man born in March 1964: 61y3m,
    reached in June 2025, so a pension from 2025-07 (Decree 135/2020 Appendix I)."""
    pid = make_personal_id("001", born, sex, 91)
    with unit_of_work(engine) as s:
        register(session=s, person=NewPerson(
            personal_id=pid, full_name="Lê Văn Thành", birth_date=born, sex=sex,
            birth_registration_place="001"),
            population=LocalPopulationRegistry(s), require_match=False, today=TODAY,
            managing_office="01000")
    worked(engine, pid, until, since)
    return pid


def claim(engine: Engine, pid: str, c: Claim = SICK) -> dict[str, Any]:
    with unit_of_work(engine) as s:
        return receive_claim(session=s, person_id=registry.person_id_of(
            session=s, personal_id=pid), personal_id=pid, claim=c, actor="clerk", today=TODAY)


def settle(engine: Engine, pid: str, dossier: str, d: Decision = PAID_SICK) -> dict[str, Any]:
    with unit_of_work(engine) as s:
        return decide(session=s, person_id=registry.person_id_of(session=s, personal_id=pid),
                      personal_id=pid, dossier_no=dossier, decision=d, actor="approver",
                      today=TODAY)


def book_of(engine: Engine, pid: str, as_of: date = TODAY) -> dict[str, Any]:
    with unit_of_work(engine) as s:
        return service.assemble_book(session=s, personal_id=pid, as_of=as_of)


def count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_a_claim_is_received_then_settled_and_the_book_shows_it(engine: Engine) -> None:
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid)
    received = claim(engine, pid)
    assert (received["status"], received["decision"], received["replayed"]) == \
        ("claimed", None, False)
    assert book_of(engine, pid)["benefits"] == [{
        "regime": "sickness", "dossier_no": "HS-2025-0001", "received_on": "2025-03-20",
        "status": "claimed", "event_from": "2025-03-03", "event_to": "2025-03-07"}]
    done = settle(engine, pid, "hs-2025-0001")  # receipts print it in either case
    assert done["status"] == "settled"
    assert done["decision"]["amount"] == 1_730_000 and done["decision"]["days"] == 5
    entry = book_of(engine, pid)["benefits"][0]
    assert (entry["status"], entry["decision_no"], entry["amount"], entry["days"]) == \
        ("settled", "12/QĐ-BHXH", 1_730_000, 5)
    # As of a day before the decision, the claim stands undecided; before it, nothing.
    assert book_of(engine, pid, date(2025, 3, 25))["benefits"][0]["status"] == "claimed"
    assert book_of(engine, pid, date(2025, 3, 19))["benefits"] == []
    with unit_of_work(engine) as s:
        listed = listing(session=s, person_id=registry.person_id_of(session=s, personal_id=pid),
                         personal_id=pid)
    assert [b["status"] for b in listed["benefits"]] == ["settled"]


def test_each_decision_makes_a_new_book_version(engine: Engine) -> None:
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid)

    def version() -> tuple[int, bool]:
        with unit_of_work(engine) as s:
            v, created = service.current_version(
                session=s, person_id=registry.person_id_of(session=s, personal_id=pid),
                as_of=TODAY)
            return v.version, created

    first = version()[0]
    claim(engine, pid)
    assert version() == (first + 1, True)
    settle(engine, pid, SICK.dossier_no)
    assert version() == (first + 2, True)
    assert version() == (first + 2, False)


def test_one_dossier_received_for_two_persons_at_once_is_one_claim_and_one_refusal(
        engine: Engine) -> None:
    """Each claim locks its own person, so only the dossier's unique key sees the other: the
    second is the refusal it gets after the first, never a duplicate-key crash."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers itself")
    a, b = setup_workers(engine, 2)
    worked(engine, a)
    worked(engine, b)
    outcome: list[object] = []

    def second() -> None:
        try:
            outcome.append(claim(engine, b))
        except BenefitConflict as exc:
            outcome.append((exc.field, str(exc)))

    with unit_of_work(engine) as s:
        receive_claim(session=s, person_id=registry.person_id_of(session=s, personal_id=a),
                      personal_id=a, claim=SICK, actor="clerk", today=TODAY)
        racer = threading.Thread(target=second)
        racer.start()
        until_one_waits(engine)
    racer.join(timeout=60)
    assert outcome == [("dossier_no", "dossier HS-2025-0001 is recorded for another person")]
    assert count(engine, "benefit_claims") == 1


def test_the_same_dossier_again_is_one_claim_and_other_content_is_refused(
        engine: Engine) -> None:
    a, b = setup_workers(engine, 2)
    worked(engine, a)
    worked(engine, b)
    claim(engine, a)
    again = claim(engine, a, Claim(Regime.SICKNESS, "hs-2025-0001", SICK.received_on,
                                   SICK.event_from, SICK.event_to))
    assert again["replayed"] and again["dossier_no"] == "HS-2025-0001"
    assert count(engine, "benefit_claims") == 1
    with pytest.raises(BenefitConflict) as changed:
        claim(engine, a, Claim(Regime.SICKNESS, SICK.dossier_no, SICK.received_on,
                               SICK.event_from, date(2025, 3, 9)))
    assert changed.value.field == "event_to" and "2025-03-07" in str(changed.value)
    with pytest.raises(BenefitConflict) as other:
        claim(engine, b)
    assert other.value.field == "dossier_no" and "another person" in str(other.value)
    assert count(engine, "benefit_claims") == 1


def test_a_decision_is_taken_once(engine: Engine) -> None:
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid)
    claim(engine, pid)
    settle(engine, pid, SICK.dossier_no)
    assert settle(engine, pid, SICK.dossier_no)["replayed"]
    with pytest.raises(BenefitConflict) as changed:
        settle(engine, pid, SICK.dossier_no, Decision("settled", PAID_SICK.decided_on,
                                                      PAID_SICK.decision_no, amount=2_000_000,
                                                      days=5))
    assert changed.value.field == "amount"
    with pytest.raises(BenefitConflict) as renumbered:
        settle(engine, pid, SICK.dossier_no, replace(PAID_SICK, decision_no="99/QĐ-BHXH"))
    assert (renumbered.value.field, str(renumbered.value)) == ("decision_no", (
        f"the decision on dossier {SICK.dossier_no} was recorded with decision_no "
        f"{PAID_SICK.decision_no}, not 99/QĐ-BHXH"))
    with pytest.raises(BenefitConflict) as long_reason:  # compared before any other check
        settle(engine, pid, SICK.dossier_no, replace(PAID_SICK, reason="x" * 10**5))
    assert long_reason.value.field == "reason" and len(str(long_reason.value)) < 200
    assert count(engine, "benefit_decisions") == 1
    with pytest.raises(NotFoundError):
        settle(engine, pid, "HS-NONE")


def test_what_the_record_does_not_support_is_refused_by_field(engine: Engine) -> None:
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid)
    with pytest.raises(ValidationError) as uncovered:  # sick after the job ended
        claim(engine, pid, Claim(Regime.SICKNESS, "HS-2", date(2025, 9, 10),
                                 date(2025, 9, 1), date(2025, 9, 2)))
    assert uncovered.value.problems[0].field == "event_from"
    assert "not in compulsory SI in 2025-09" in uncovered.value.problems[0].reason
    with pytest.raises(ValidationError) as bad:  # the pure checks: every problem at once
        claim(engine, pid, Claim(Regime.SICKNESS, "HS/3", date(2026, 4, 1), None, None))
    assert {p.field for p in bad.value.problems} == {"dossier_no", "received_on", "event_from",
                                                     "event_to"}
    claim(engine, pid)
    with pytest.raises(ValidationError) as silent:
        settle(engine, pid, SICK.dossier_no, Decision("refused", date(2025, 4, 1), "13/QĐ"))
    assert silent.value.problems[0].field == "reason"
    assert count(engine, "benefit_claims") == 1 and count(engine, "benefit_decisions") == 0


def test_a_one_time_withdrawal_pays_out_the_months_and_later_months_count_anew(
        engine: Engine) -> None:
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid)
    withdrawal = Claim(Regime.LUMP_SUM, "HS-LS-1", date(2025, 10, 1), ground="emigration")
    claim(engine, pid, withdrawal)
    before = book_of(engine, pid)["totals"]
    assert before["si_months"] == 18 and "si_months_paid_out" not in before
    done = settle(engine, pid, "HS-LS-1", Decision("settled", date(2025, 10, 20), "99/QĐ",
                                                   amount=27_000_000))
    assert done["decision"]["months_settled"] == 18
    after = book_of(engine, pid)["totals"]
    assert (after["si_months"], after["si_months_paid_out"]) == (0, 18)
    assert len(book_of(engine, pid)["sheets"]) == 1  # the history stays in the book


def test_a_second_withdrawal_of_the_same_months_is_refused_when_received(
        engine: Engine) -> None:
    """While one is being decided it claims the months; once settled none is left to pay out
    until new months are paid (before, both were received and the second refused only when
    settled)."""
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid)
    claim(engine, pid, Claim(Regime.LUMP_SUM, "HS-LS-5", date(2025, 10, 1), ground="emigration"))
    again = Claim(Regime.LUMP_SUM, "HS-LS-6", date(2025, 10, 25), ground="illness")
    with pytest.raises(ValidationError) as pending:
        claim(engine, pid, again)
    assert (pending.value.problems[0].field, pending.value.problems[0].reason) == (
        "regime", "dossier HS-LS-5 already claims a one-time withdrawal of these months; it is "
                  "settled or being decided once")
    settle(engine, pid, "HS-LS-5", Decision("settled", date(2025, 10, 20), "99/QĐ",
                                            amount=27_000_000))
    with pytest.raises(ValidationError) as none_left:
        claim(engine, pid, again)
    assert (none_left.value.problems[0].field, none_left.value.problems[0].reason) == (
        "regime", "no SI months left to pay out as of 2025-10-25: dossier HS-LS-5 paid out 18 "
                  "months, and only months paid since may be withdrawn again")
    with unit_of_work(engine) as s:  # hired again, November to January
        s.execute(insert(metadata.tables["si_periods"]).values(
            person_id=registry.person_id_of(session=s, personal_id=pid), seq=2,
            from_month=Period(2025, 11).index, to_month=Period(2026, 1).index,
            kind="compulsory", salary_basis=9_000_000, allowances=0, occupational_rate_bp=50,
            employer_id=registry.employer_by_code(session=s, code=EMPLOYER).employer_id))
    assert claim(engine, pid, replace(again, received_on=date(2026, 3, 2)))["status"] == "claimed"


def test_a_withdrawal_is_refused_while_still_contributing(engine: Engine) -> None:
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid, until=None)
    with pytest.raises(ValidationError) as still:
        claim(engine, pid, Claim(Regime.LUMP_SUM, "HS-LS-2", date(2025, 10, 1),
                                 ground="emigration"))
    assert "still contributing in 2025-10" in still.value.problems[0].reason


def test_an_unemployment_benefit_uses_up_the_ui_months_it_pays_for(engine: Engine) -> None:
    a, b = setup_workers(engine, 2)
    worked(engine, a)
    worked(engine, b, until=Period(2024, 8))  # 8 months: too few
    ui = Claim(Regime.UNEMPLOYMENT, "HS-TN-1", date(2025, 7, 5), date(2025, 6, 30))
    claim(engine, a, ui)
    done = settle(engine, a, "HS-TN-1", Decision(
        "settled", date(2025, 7, 20), "7/QĐ-SLĐTBXH", monthly_amount=5_400_000,
        from_month=Period(2025, 7), months=3))
    assert done["decision"]["months_settled"] == 18  # 3 months of benefit use up to 36
    totals = book_of(engine, a)["totals"]
    assert (totals["ui_months"], totals["ui_months_used"], totals["si_months"]) == (0, 18, 18)
    with pytest.raises(ValidationError) as few:  # refused as received (Law 38/2013 Art 49(2))
        claim(engine, b, Claim(Regime.UNEMPLOYMENT, "HS-TN-2", date(2024, 9, 5),
                               date(2024, 8, 31)))
    assert few.value.problems[0].field == "event_from"
    assert "8 months of UI paid from 2022-09 to 2024-08" in few.value.problems[0].reason


def test_the_batch_and_the_single_path_make_the_same_book(engine: Engine) -> None:
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid)
    claim(engine, pid)
    settle(engine, pid, SICK.dossier_no)
    with unit_of_work(engine) as s:
        person = registry.person_id_of(session=s, personal_id=pid)
        many = batch.assemble_many(session=s, person_ids=[person], as_of=TODAY)[person]
    assert canonical(many) == canonical(book_of(engine, pid))


def test_claims_and_decisions_are_append_only(engine: Engine) -> None:
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid)
    claim(engine, pid)
    settle(engine, pid, SICK.dossier_no)
    for statement in ("UPDATE benefit_claims SET note = 'x'",
                      "DELETE FROM benefit_decisions",
                      "UPDATE benefit_decisions SET amount = 1"):
        with pytest.raises(DatabaseError), engine.begin() as conn:
            conn.execute(text(statement))
    assert count(engine, "benefit_decisions") == 1


def test_one_event_is_claimed_once_and_never_before_birth(engine: Engine) -> None:
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid)
    claim(engine, pid)
    with pytest.raises(ValidationError) as twice:  # the same leave, another dossier
        claim(engine, pid, Claim(Regime.SICKNESS, "HS-2025-0002", SICK.received_on,
                                 date(2025, 3, 6), date(2025, 3, 10)))
    assert "dossier HS-2025-0001 already claims" in twice.value.problems[0].reason
    with pytest.raises(ValidationError) as unborn:
        claim(engine, pid, Claim(Regime.SURVIVORSHIP, "HS-TT-1", date(2025, 3, 1),
                                 date(1980, 1, 1)))
    assert unborn.value.problems[0].field == "event_from"
    assert "before the person was born" in unborn.value.problems[0].reason
    refused = Decision("refused", date(2025, 3, 27), "13/QĐ", reason="thiếu giấy ra viện")
    settle(engine, pid, SICK.dossier_no, refused)  # refused: the leave may be claimed again
    claim(engine, pid, Claim(Regime.SICKNESS, "HS-2025-0003", date(2025, 4, 2),
                             SICK.event_from, SICK.event_to))
    assert count(engine, "benefit_claims") == 2


def test_nothing_of_the_persons_begins_after_their_death(engine: Engine) -> None:
    """A survivorship claim's event is the death: a sick leave before it may still be claimed
    by the survivors, a leave or a withdrawal after it may not; a refused one proves nothing."""
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid)
    claim(engine, pid, Claim(Regime.SURVIVORSHIP, "TT-1", date(2025, 3, 25),
                             date(2025, 3, 10)))
    claim(engine, pid)  # the leave of 3-7 March, before the death
    with pytest.raises(ValidationError) as after:
        claim(engine, pid, Claim(Regime.SICKNESS, "HS-2025-0009", date(2025, 3, 25),
                                 date(2025, 3, 12), date(2025, 3, 14)))
    assert after.value.problems[0].field == "event_from"
    assert "after the person's death on 2025-03-10 (dossier TT-1)" in \
        after.value.problems[0].reason
    with pytest.raises(ValidationError) as withdrawal:
        claim(engine, pid, Claim(Regime.LUMP_SUM, "MTL-1", date(2025, 7, 1),
                                 ground="emigration"))
    assert withdrawal.value.problems[0].field == "received_on"
    settle(engine, pid, "TT-1", Decision("refused", date(2025, 3, 27), "14/QĐ",
                                         reason="giấy chứng tử sai"))
    claim(engine, pid, Claim(Regime.SICKNESS, "HS-2025-0010", date(2025, 3, 25),
                             date(2025, 3, 12), date(2025, 3, 14)))


def ended(engine: Engine, pid: str, month: Period, code: str) -> None:
    """The employer's decrease ``code`` from the month after ``month`` closed ``pid``'s period."""
    with unit_of_work(engine) as s:
        s.execute(text("UPDATE si_periods SET to_month = :m, closed_by = :c WHERE person_id = :p"),
                  {"m": month.index, "c": code,
                   "p": registry.person_id_of(session=s, personal_id=pid)})


def test_a_sick_leave_its_employer_declared_a_decrease_for_is_received(engine: Engine) -> None:
    """The employer files OF from the first month with 14 days of sick leave or more: the
    worker is off sick, not gone, so that leave (and one continuing it) is the sickness
    regime's until the worker's next period; it was refused as outside SI."""
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid)
    ended(engine, pid, Period(2025, 2), "OF")  # off sick from March
    assert claim(engine, pid)["status"] == "claimed"  # 3-7 March
    assert claim(engine, pid, Claim(Regime.SICKNESS, "HS-2025-0021", date(2025, 5, 20),
                                    date(2025, 5, 5), date(2025, 5, 16)))["status"] == "claimed"
    assert settle(engine, pid, SICK.dossier_no)["status"] == "settled"
    with unit_of_work(engine) as s:  # back at work in June and July
        s.execute(insert(metadata.tables["si_periods"]).values(
            person_id=registry.person_id_of(session=s, personal_id=pid), seq=2,
            from_month=Period(2025, 6).index, to_month=Period(2025, 7).index,
            kind="compulsory", salary_basis=9_000_000, allowances=0, occupational_rate_bp=50,
            employer_id=registry.employer_by_code(session=s, code=EMPLOYER).employer_id,
            closed_by="GH"))
    with pytest.raises(ValidationError) as gone:
        claim(engine, pid, Claim(Regime.SICKNESS, "HS-2025-0022", date(2025, 9, 20),
                                 date(2025, 9, 1), date(2025, 9, 5)))
    assert "not in compulsory SI in 2025-09" in gone.value.problems[0].reason
    with pytest.raises(ValidationError) as accident:  # no work accident while off sick
        claim(engine, pid, Claim(Regime.OCCUPATIONAL, "HS-TN-OF", date(2025, 5, 20),
                                 date(2025, 4, 9)))
    assert accident.value.problems[0].field == "event_from"


def test_a_leave_the_record_no_longer_covers_is_not_settled(engine: Engine) -> None:
    """Received while the worker's period ran; the employer then filed the decrease (GH) from
    the month of the leave, so the worker left before it and its dues were given back: the
    settlement is refused on event_from (it was paid), a refusal stays open."""
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid)
    claim(engine, pid)
    ended(engine, pid, Period(2025, 2), "GH")
    with pytest.raises(ValidationError) as left:
        settle(engine, pid, SICK.dossier_no)
    assert (left.value.problems[0].field, "not in compulsory SI in 2025-03" in
            left.value.problems[0].reason) == ("event_from", True)
    refused = Decision("refused", date(2025, 3, 27), "16/QĐ", reason="đã nghỉ việc")
    assert settle(engine, pid, SICK.dossier_no, refused)["status"] == "refused"


def test_a_claim_received_before_the_death_was_recorded_is_not_paid_after_it(
        engine: Engine) -> None:
    """A sick leave of days after the death, received before the survivorship claim named it,
    is refused when settled (it was paid before); a leave running past the death is refused
    when received, naming its last day; what began before the death is settled."""
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid)
    claim(engine, pid)  # the leave of 3-7 March
    late = Claim(Regime.SICKNESS, "HS-2025-0011", date(2025, 3, 24), date(2025, 3, 12),
                 date(2025, 3, 14))
    claim(engine, pid, late)
    accident = Claim(Regime.OCCUPATIONAL, "HS-TN-LD-2", date(2025, 3, 24), date(2025, 2, 10))
    claim(engine, pid, accident)
    claim(engine, pid, Claim(Regime.SURVIVORSHIP, "TT-2", date(2025, 3, 25), date(2025, 3, 10)))
    monthly = Decision("settled", date(2025, 3, 27), "17/QĐ", monthly_amount=1_000_000,
                       from_month=Period(2025, 4))
    with pytest.raises(ValidationError) as after_month:  # from the month after the death
        settle(engine, pid, accident.dossier_no, monthly)
    assert (after_month.value.problems[0].field, after_month.value.problems[0].reason) == (
        "from_month", "2025-04 is after the person's death on 2025-03-10 (dossier TT-2): a "
                      "monthly benefit of theirs is paid up to the month of the death at the "
                      "latest")
    assert settle(engine, pid, accident.dossier_no, replace(
        monthly, from_month=Period(2025, 3), months=1))["status"] == "settled"
    with pytest.raises(ValidationError) as after:
        settle(engine, pid, late.dossier_no, replace(PAID_SICK, decision_no="13/QĐ-BHXH",
                                                     days=3))
    assert after.value.problems[0].field == "event_from"
    assert "after the person's death on 2025-03-10 (dossier TT-2)" in \
        after.value.problems[0].reason
    with pytest.raises(ValidationError) as past:
        claim(engine, pid, Claim(Regime.SICKNESS, "HS-2025-0012", date(2025, 3, 25),
                                 date(2025, 3, 8), date(2025, 3, 12)))
    assert past.value.problems[0].field == "event_to"
    assert "a leave ends with it at the latest" in past.value.problems[0].reason
    assert settle(engine, pid, SICK.dossier_no)["status"] == "settled"
    refused = Decision("refused", date(2025, 3, 27), "15/QĐ", reason="sau ngày chết")
    assert settle(engine, pid, late.dossier_no, refused)["status"] == "refused"


def test_no_unemployment_benefit_while_still_employed(engine: Engine) -> None:
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid, until=None)
    with pytest.raises(ValidationError) as employed:
        claim(engine, pid, Claim(Regime.UNEMPLOYMENT, "HS-TN-9", date(2025, 7, 5),
                                 date(2025, 6, 30)))
    assert "still employed under contract in 2025-07" in employed.value.problems[0].reason


def test_a_withdrawal_is_not_settled_once_the_person_went_back_to_work(engine: Engine) -> None:
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid)
    claim(engine, pid, Claim(Regime.LUMP_SUM, "HS-LS-3", date(2025, 10, 1), ground="emigration"))
    with unit_of_work(engine) as s:  # hired again from 2025-10
        s.execute(insert(metadata.tables["si_periods"]).values(
            person_id=registry.person_id_of(session=s, personal_id=pid), seq=2,
            from_month=Period(2025, 10).index, to_month=None, kind="compulsory",
            employer_id=registry.employer_by_code(session=s, code=EMPLOYER).employer_id,
            salary_basis=9_000_000, allowances=0, occupational_rate_bp=50))
    with pytest.raises(ValidationError) as back:
        settle(engine, pid, "HS-LS-3", Decision("settled", date(2025, 10, 20), "99/QĐ",
                                                amount=27_000_000))
    assert "still contributing in 2025-10" in back.value.problems[0].reason
    assert count(engine, "benefit_decisions") == 0


def test_an_unemployment_benefit_uses_reserved_months_after_the_new_ones(
        engine: Engine) -> None:
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid)  # 18 new months
    with unit_of_work(engine) as s:
        s.execute(insert(metadata.tables["ui_reserves"]).values(
            person_id=registry.person_id_of(session=s, personal_id=pid), reserved_months=30))
    claim(engine, pid, Claim(Regime.UNEMPLOYMENT, "HS-TN-4", date(2025, 7, 5),
                             date(2025, 6, 30)))
    done = settle(engine, pid, "HS-TN-4", Decision(
        "settled", date(2025, 7, 20), "9/QĐ", monthly_amount=5_400_000,
        from_month=Period(2025, 7), months=4))
    assert done["decision"]["months_settled"] == 48  # 4 months of benefit: 18 new + 30 reserved
    totals = book_of(engine, pid)["totals"]
    assert (totals["ui_months"], totals["ui_reserved_months"], totals["ui_months_used"]) == \
        (0, 0, 48)


def test_an_unemployment_benefit_lasts_no_longer_than_the_months_paid_give(
        engine: Engine) -> None:
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid)  # 18 months: 3 months of benefit
    claim(engine, pid, Claim(Regime.UNEMPLOYMENT, "HS-TN-5", date(2025, 7, 5),
                             date(2025, 6, 30)))
    with pytest.raises(ValidationError) as long:
        settle(engine, pid, "HS-TN-5", Decision("settled", date(2025, 7, 20), "9/QĐ",
                                                monthly_amount=5_400_000,
                                                from_month=Period(2025, 7), months=4))
    assert long.value.problems[0].field == "months"
    assert "give at most 3 months" in long.value.problems[0].reason


def test_the_grounds_the_record_can_check_are_checked(engine: Engine) -> None:
    """Law 41/2024 Art 70(1): a) retirement age with under 15 years; e) SI before 2025-07, then
    12 months outside SI, with under 20 years."""
    a, b = setup_workers(engine, 2)  # men born in 1990: far from retirement age
    worked(engine, a)
    worked(engine, b, until=Period(2024, 12))
    with pytest.raises(ValidationError) as young:
        claim(engine, a, Claim(Regime.LUMP_SUM, "HS-LS-A", date(2025, 10, 1),
                               ground="retirement_age"))
    assert "retirement age is reached in 2052-01" in young.value.problems[0].reason  # 62 (men)
    with pytest.raises(ValidationError) as recent:  # out of SI only since 2025-07
        claim(engine, a, Claim(Regime.LUMP_SUM, "HS-LS-E", date(2025, 10, 1),
                               ground="before_2025_07"))
    assert "SI in the 12 months before 2025-10" in recent.value.problems[0].reason
    done = claim(engine, b, Claim(Regime.LUMP_SUM, "HS-LS-E2", date(2026, 1, 5),
                                  ground="before_2025_07"))
    assert (done["status"], done["ground"]) == ("claimed", "before_2025_07")
    assert book_of(engine, b)["benefits"][0]["ground"] == "before_2025_07"


def test_a_monthly_unemployment_benefit_is_capped_at_five_regional_minimums(
        engine: Engine) -> None:
    """FACTS §4.6: at most 5 x the minimum wage of the employer's region in force at
    termination (region I, June 2025: 4,960,000 VND); 60% of 45,000,000 is above it."""
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid, salary=45_000_000)
    claim(engine, pid, Claim(Regime.UNEMPLOYMENT, "HS-TN-6", date(2025, 7, 5),
                             date(2025, 6, 30)))

    def paying(monthly: int) -> Decision:
        return Decision("settled", date(2025, 7, 20), "10/QĐ", monthly_amount=monthly,
                        from_month=Period(2025, 7), months=3)

    with pytest.raises(ValidationError) as above:
        settle(engine, pid, "HS-TN-6", paying(24_800_001))
    assert above.value.problems[0].field == "monthly_amount"
    assert "above the cap of 24,800,000: 5 x the region I minimum" in \
        above.value.problems[0].reason
    assert count(engine, "benefit_decisions") == 0
    assert settle(engine, pid, "HS-TN-6", paying(24_800_000))["status"] == "settled"


def test_no_unemployment_benefit_for_someone_a_pension_is_due_to(engine: Engine) -> None:
    """FACTS §4.6: not payable to people leaving work already eligible for a pension (past
    retirement age with 15 years of SI, §4.1)."""
    setup_workers(engine, 0)
    older = make_personal_id("001", date(1965, 2, 1), "female", 77)
    with unit_of_work(engine) as s:
        register(session=s, person=NewPerson(
            personal_id=older, full_name="Trần Thị Hạnh", birth_date=date(1965, 2, 1),
            sex="female", birth_registration_place="001"),
            population=LocalPopulationRegistry(s), require_match=False, today=TODAY,
            managing_office="01000")
        person = registry.person_id_of(session=s, personal_id=older)
        eid = registry.employer_by_code(session=s, code=EMPLOYER).employer_id
        for table, extra in (("si_periods", {"kind": "compulsory", "allowances": 0,
                                             "occupational_rate_bp": 50}), ("ui_periods", {})):
            s.execute(insert(metadata.tables[table]).values(
                person_id=person, seq=1, from_month=Period(2005, 1).index,
                to_month=END.index, employer_id=eid, salary_basis=9_000_000, **extra))
    with pytest.raises(ValidationError) as due:
        claim(engine, older, Claim(Regime.UNEMPLOYMENT, "HS-TN-7", date(2025, 7, 5),
                                   date(2025, 6, 30)))
    assert due.value.problems[0].field == "regime"
    assert "a pension is due" in due.value.problems[0].reason


def test_a_person_retires_dies_and_loses_a_job_once_whatever_day_a_second_dossier_names(
        engine: Engine) -> None:
    # A pension from another first day, a death on another day, a contract ended a day apart:
    # each was received, and settled, a second time (two pensions, two funerals, the same
    # months of unemployment benefit paid twice).
    setup_workers(engine, 0)
    pid = older_worker(engine)  # to 2025-06, retired at its end
    claim(engine, pid, Claim(Regime.PENSION, "HS-HT-1", date(2025, 9, 1), date(2025, 10, 1)))
    claim(engine, pid, Claim(Regime.SURVIVORSHIP, "HS-TT-1", date(2025, 12, 22),
                             date(2025, 12, 20)))
    claim(engine, pid, Claim(Regime.UNEMPLOYMENT, "HS-TN-1", date(2025, 7, 5),
                             date(2025, 6, 30)))
    settle(engine, pid, "HS-TN-1", Decision(
        "settled", date(2025, 7, 20), "7/QĐ", monthly_amount=5_400_000,
        from_month=Period(2025, 7), months=12))  # 246 months of UI: the longest benefit
    for again in (Claim(Regime.PENSION, "HS-HT-2", date(2025, 9, 2), date(2025, 11, 1)),
                  Claim(Regime.SURVIVORSHIP, "HS-TT-2", date(2025, 12, 23),
                        date(2025, 12, 21)),
                  Claim(Regime.UNEMPLOYMENT, "HS-TN-2", date(2025, 7, 6), date(2025, 6, 29)),
                  Claim(Regime.UNEMPLOYMENT, "HS-TN-3", date(2025, 8, 6), date(2025, 7, 31))):
        with pytest.raises(ValidationError) as twice:
            claim(engine, pid, again)
        assert twice.value.problems[0].field == "event_from"
        assert "already claims this" in twice.value.problems[0].reason
    assert count(engine, "benefit_claims") == 3
    settle(engine, pid, "HS-HT-1", Decision("refused", date(2025, 9, 10), "8/QĐ",
                                            reason="chưa đủ tuổi nghỉ hưu"))
    claim(engine, pid, Claim(Regime.PENSION, "HS-HT-3", date(2025, 9, 12), date(2025, 11, 1)))


def test_a_termination_after_a_new_contract_is_another_event(engine: Engine) -> None:
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid)  # to 2025-06
    claim(engine, pid, Claim(Regime.UNEMPLOYMENT, "HS-TN-1", date(2025, 7, 5),
                             date(2025, 6, 30)))
    with unit_of_work(engine) as s:  # hired again for 2025-08 to 2025-09 only
        person = registry.person_id_of(session=s, personal_id=pid)
        eid = registry.employer_by_code(session=s, code=EMPLOYER).employer_id
        s.execute(insert(metadata.tables["ui_periods"]).values(
            person_id=person, seq=2, from_month=Period(2025, 8).index,
            to_month=Period(2025, 9).index, employer_id=eid, salary_basis=9_000_000))
    again = claim(engine, pid, Claim(Regime.UNEMPLOYMENT, "HS-TN-2", date(2025, 10, 6),
                                     date(2025, 9, 30)))
    assert again["status"] == "claimed"


def test_a_pension_before_retirement_age_is_refused_at_the_claim_and_at_the_decision(
        engine: Engine) -> None:
    """Law 41/2024 Art 64, Decree 135/2020: a man born in March 1964 retires at 61y3m, at the
    end of June 2025; his pension is paid from July. A pension from June was received and
    settled (nothing compared the start with his age)."""
    # A man born in 1990 (62 in 2052-01); the unit pays by the state's scale: the figures are
    # its window's (Law 41/2024 Art 72(1)).
    (young,) = setup_workers(engine, 1, salary_regime="state")
    pid = older_worker(engine)
    with pytest.raises(ValidationError) as early:
        claim(engine, pid, Claim(Regime.PENSION, "HS-HT-6", date(2025, 5, 20),
                                 date(2025, 6, 1)))
    assert early.value.problems[0].field == "event_from"
    assert ("a pension from 2025-06-01 is before retirement age: 61 years 3 months, reached "
            "in 2025-06, so a pension is paid from 2025-07") in early.value.problems[0].reason
    claim(engine, pid, Claim(Regime.PENSION, "HS-HT-7", date(2025, 5, 20), date(2025, 7, 1)))
    # The record's sum, 46% of 9,894,375 (a decision of June 2025 went unchecked while no
    # salary averaging rows were loaded before July 2025).
    done = settle(engine, pid, "HS-HT-7", Decision(
        "settled", date(2025, 6, 10), "21/QĐ", monthly_amount=4_551_413,
        from_month=Period(2025, 7)))
    assert done["status"] == "settled"
    # A claim received before this check (or on a record corrected since) is refused when
    # decided: the record as it stands then decides.
    worked(engine, young)
    with unit_of_work(engine) as s:
        s.execute(insert(metadata.tables["benefit_claims"]).values(
            person_id=registry.person_id_of(session=s, personal_id=young), claim_no=1,
            regime="pension", dossier_no="HS-HT-8", dossier_key="HS-HT-8",
            received_on=date(2025, 9, 1), event_from=date(2025, 10, 1), recorded_by="clerk"))
    with pytest.raises(ValidationError) as settled_early:
        settle(engine, young, "HS-HT-8", Decision(
            "settled", date(2025, 9, 10), "22/QĐ", monthly_amount=6_000_000,
            from_month=Period(2025, 10)))
    assert settled_early.value.problems[0].field == "event_from"
    assert "reached in 2052-01" in settled_early.value.problems[0].reason
    assert count(engine, "benefit_decisions") == 1
    refused = settle(engine, young, "HS-HT-8", Decision(
        "refused", date(2025, 9, 10), "22/QĐ", reason="chưa đủ tuổi nghỉ hưu"))
    assert refused["status"] == "refused"


def test_no_one_time_withdrawal_for_someone_on_a_pension_whatever_the_ground(
        engine: Engine) -> None:
    """Grounds b-e were checked for the stop of contributions only: a pensioner who had
    stopped contributing withdrew their SI at once as well (emigration, illness, ...)."""
    setup_workers(engine, 0, salary_regime="state")  # the figures are its window's (Art 72(1))
    pid = older_worker(engine)  # retired at the end of June 2025, SI to 2025-06
    withdrawal = Claim(Regime.LUMP_SUM, "HS-LS-9", date(2025, 8, 1), ground="emigration")
    claim(engine, pid, withdrawal)  # no pension yet
    claim(engine, pid, Claim(Regime.PENSION, "HS-HT-9", date(2025, 8, 5), date(2025, 9, 1)))
    for ground in ("illness", "incapacity", "before_2025_07"):
        with pytest.raises(ValidationError) as pensioner:
            claim(engine, pid, Claim(Regime.LUMP_SUM, f"HS-LS-{ground[:3]}",
                                     date(2025, 8, 6), ground=ground))
        assert pensioner.value.problems[0].field == "regime"
        assert "dossier HS-HT-9 claims a pension" in pensioner.value.problems[0].reason
    settle(engine, pid, "HS-HT-9", Decision("settled", date(2025, 8, 20), "31/QĐ",
                                            monthly_amount=4_551_413,
                                            from_month=Period(2025, 9)))
    with pytest.raises(ValidationError) as settled:  # the withdrawal claimed before it
        settle(engine, pid, "HS-LS-9", Decision("settled", date(2025, 8, 25), "32/QĐ",
                                                amount=300_000_000))
    assert "dossier HS-HT-9 settles a pension" in settled.value.problems[0].reason
    assert count(engine, "benefit_decisions") == 1


def test_a_pension_no_contribution_can_bring_to_15_years_is_refused(engine: Engine) -> None:
    """Law 41/2024 Art 64: 15 years of SI. A man at retirement age with 18 months of SI had a
    pension received and settled."""
    setup_workers(engine, 0)
    pid = older_worker(engine, since=START)  # 2024-01 to 2025-06: 18 months
    with pytest.raises(ValidationError) as short:
        claim(engine, pid, Claim(Regime.PENSION, "HS-HT-11", date(2025, 8, 1),
                                 date(2025, 9, 1)))
    assert short.value.problems[0].field == "regime"
    assert ("18 months of SI count on 2025-08-01, at most 18 by the pension's start on "
            "2025-09-01: a pension needs 15 years") in short.value.problems[0].reason
    with unit_of_work(engine) as s:  # received before this check
        s.execute(insert(metadata.tables["benefit_claims"]).values(
            person_id=registry.person_id_of(session=s, personal_id=pid), claim_no=1,
            regime="pension", dossier_no="HS-HT-12", dossier_key="HS-HT-12",
            received_on=date(2025, 8, 1), event_from=date(2025, 9, 1), recorded_by="clerk"))
    with pytest.raises(ValidationError) as settled:
        settle(engine, pid, "HS-HT-12", Decision("settled", date(2025, 8, 20), "41/QĐ",
                                                 monthly_amount=3_000_000,
                                                 from_month=Period(2025, 9)))
    assert "a pension needs 15 years" in settled.value.problems[0].reason
    assert count(engine, "benefit_decisions") == 0


def test_a_pension_claimed_ahead_counts_the_months_still_to_come(engine: Engine) -> None:
    """14 years 7 months paid when the claim is received in 2025-01, with the contract going
    on: the months to June reach 15 years by the pension's start in July."""
    setup_workers(engine, 0)
    pid = older_worker(engine, since=Period(2010, 7))
    assert claim(engine, pid, Claim(Regime.PENSION, "HS-HT-13", date(2025, 1, 10),
                                    date(2025, 7, 1)))["status"] == "claimed"


def test_no_pension_on_months_a_withdrawal_paid_out(engine: Engine) -> None:
    setup_workers(engine, 0)
    pid = older_worker(engine)  # 246 months of SI to 2025-06
    claim(engine, pid, Claim(Regime.LUMP_SUM, "HS-LS-14", date(2025, 8, 1),
                             ground="emigration"))
    settle(engine, pid, "HS-LS-14", Decision("settled", date(2025, 8, 10), "51/QĐ",
                                             amount=525_279_530))
    with pytest.raises(ValidationError) as paid_out:
        claim(engine, pid, Claim(Regime.PENSION, "HS-HT-14", date(2025, 8, 20),
                                 date(2025, 9, 1)))
    assert "0 months of SI count on 2025-08-20" in paid_out.value.problems[0].reason


def test_maternity_needs_six_months_of_si_in_the_year_before_the_birth(engine: Engine) -> None:
    """FACTS §4.4: a mother needs 6 months in the 12 before the birth; the leave may begin 2
    months before it and counts as contributed, so 4 months on record in the 10 before the
    leave are enough. A father's days, and the 50 days a pregnancy loss at 25 weeks or more
    gives without them, are not held to her 6 months."""
    (father,) = setup_workers(engine, 1)  # and the employer
    a = older_worker(engine, date(1995, 1, 1), "female", START, END)  # SI to 2025-06
    b = older_worker(engine, date(1996, 2, 2), "female", START, END)
    worked(engine, father)
    with pytest.raises(ValidationError) as few:  # 2025-04 to 2025-06 only: 3 months
        claim(engine, a, Claim(Regime.MATERNITY, "HS-TS-1", date(2026, 3, 16),
                               date(2026, 2, 1), date(2026, 7, 31)))
    assert few.value.problems[0].field == "event_from"
    assert "3 months of compulsory SI paid from 2025-04 to 2026-01" in few.value.problems[0].reason
    done = claim(engine, b, Claim(Regime.MATERNITY, "HS-TS-2", date(2026, 3, 16),
                                  date(2025, 10, 1), date(2026, 3, 15)))  # 2025-02 to 06: 5
    assert done["status"] == "claimed"
    days = claim(engine, father, Claim(Regime.MATERNITY, "HS-TS-4", date(2026, 2, 10),
                                       date(2026, 2, 2), date(2026, 2, 6)))
    assert days["status"] == "claimed"
    loss = claim(engine, a, Claim(Regime.MATERNITY, "HS-TS-5", date(2026, 3, 16),
                                  date(2026, 2, 1), date(2026, 3, 22)))  # 50 days
    assert loss["status"] == "claimed"


def test_an_unemployment_benefit_counts_the_ui_months_paid_before_the_termination(
        engine: Engine) -> None:
    """FACTS §4.6: the months paid before the termination give the benefit; those of a later
    contract belong to its own termination."""
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid, until=Period(2024, 8))  # 8 months: too few
    with unit_of_work(engine) as s:  # hired again from 2024-10 to 2025-06: 9 more months
        person = registry.person_id_of(session=s, personal_id=pid)
        eid = registry.employer_by_code(session=s, code=EMPLOYER).employer_id
        s.execute(insert(metadata.tables["ui_periods"]).values(
            person_id=person, seq=2, from_month=Period(2024, 10).index,
            to_month=END.index, employer_id=eid, salary_basis=9_000_000))
    with pytest.raises(ValidationError) as few:
        claim(engine, pid, Claim(Regime.UNEMPLOYMENT, "HS-TN-8", date(2025, 7, 5),
                                 date(2024, 8, 31)))
    assert "8 months of UI paid from 2022-09 to 2024-08" in few.value.problems[0].reason
    assert count(engine, "benefit_claims") == 0


def test_an_earlier_maternity_leave_counts_towards_the_next(engine: Engine) -> None:
    """FACTS §4.4: the months of a leave count as contributed, for the next birth's 6 too."""
    setup_workers(engine, 1)  # the employer
    pid = older_worker(engine, date(1997, 3, 3), "female", START, START)  # 2024-01 only
    with unit_of_work(engine) as s:  # 2024-10, leave (TS) 2024-11 to 2025-04, back in 2025-05
        person = registry.person_id_of(session=s, personal_id=pid)
        eid = registry.employer_by_code(session=s, code=EMPLOYER).employer_id
        for seq, first, last, closed in ((2, Period(2024, 10), Period(2024, 10), "TS"),
                                         (3, Period(2025, 5), Period(2025, 5), "TS")):
            s.execute(insert(metadata.tables["si_periods"]).values(
                person_id=person, seq=seq, from_month=first.index, to_month=last.index,
                kind="compulsory", employer_id=eid, salary_basis=9_000_000, allowances=0,
                occupational_rate_bp=50, closed_by=closed))
    done = claim(engine, pid, Claim(Regime.MATERNITY, "HS-TS-3", date(2025, 11, 20),
                                    date(2025, 6, 1), date(2025, 11, 19)))
    assert done["status"] == "claimed"
