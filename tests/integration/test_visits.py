"""HI visits on SQLite and PostgreSQL: a facility's claim file recorded whole or not at all,
once per (facility, MA_LK); refused by record and field against the registry; append-only;
read back newest first; persons of another realm unknown to it."""

from __future__ import annotations

import threading
import time
import unicodedata
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, insert, text
from sqlalchemy.exc import DatabaseError

from sibook.core.db import unit_of_work
from sibook.core.errors import ValidationError
from sibook.core.schema import metadata
from sibook.ids import make_personal_id
from sibook.registry import reading
from sibook.registry import service as registry
from sibook.registry.new_person import NewPerson
from sibook.visits.service import (
    ClaimsRefused,
    OtherFacility,
    VisitConflict,
    file_claims,
    listing,
)
from tests.integration.ledger_fixtures import setup_workers, worker_id, worker_name
from tests.integration.races import until_one_waits
from tests.visit_files import claim_file, summary, tong_hop

NOW = datetime(2026, 4, 1, 9, 0)
SOLDIER = make_personal_id("001", date(1985, 1, 1), "male", 777)


def card(n: int) -> str:
    return f"DN401{n:010d}"


def insured(engine: Engine, count: int = 2) -> list[str]:
    """``count`` registered workers, each with card(n) valid through 2026, and a soldier of
    the defence realm with a card too."""
    pids = setup_workers(engine, count)
    cards = metadata.tables["hi_cards"]
    with unit_of_work(engine) as s:
        soldier = registry.register_person(session=s, person=NewPerson(
            personal_id=SOLDIER, full_name="Lê Văn Quân", birth_date=date(1985, 1, 1),
            sex="male", birth_registration_place="001", realm="defence"))
        people = [reading.person_id_of(session=s, personal_id=p) for p in pids] + [soldier]
        for n, person_id in enumerate(people):
            s.execute(insert(cards).values(
                person_id=person_id, seq=1, card_number=card(n), group_code="DN",
                benefit_level=4, province_code="01", initial_kcb_place="01001",
                valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31)))
    return pids


# The names insured() registers: a record names its patient so (HO_TEN).
NAMES = {worker_id(n): worker_name(n) for n in range(10)} | {SOLDIER: "Lê Văn Quân"}


def visit(pid: str, n: int, **fields: Any) -> dict[str, str]:
    return summary(**{"SO_CCCD": pid, "HO_TEN": NAMES.get(pid, "Nguyễn Văn An"),
                      "MA_THE_BHYT": card(n), "MA_LK": f"LK{n:04d}", **fields})


def file(engine: Engine, records: list[dict[str, str]], *, realm: str = "civil",
         facility: str | None = None) -> dict[str, Any]:
    with unit_of_work(engine) as s:
        return file_claims(session=s, data=claim_file(records), realm=realm, actor="bv-01001",
                           facility=facility, now=NOW)[0]


def visits_of(engine: Engine, pid: str, realm: str = "civil") -> list[dict[str, Any]]:
    with unit_of_work(engine) as s:
        person_id = reading.person_id_of(session=s, personal_id=pid, realm=realm)
        return listing(session=s, person_id=person_id, personal_id=pid)["visits"]


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM hi_visits")).scalar_one())


def refused(engine: Engine, records: list[dict[str, str]], **kw: Any
            ) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ValidationError) as caught:
        file(engine, records, **kw)
    return [(p.row, p.field, p.reason) for p in caught.value.problems]


def test_a_file_is_recorded_and_read_back_latest_first(engine: Engine) -> None:
    a, b = insured(engine)
    answer = file(engine, [visit(a, 0), visit(b, 1),
                           visit(a, 2, MA_THE_BHYT=card(0), NGAY_VAO="202603100700",
                                 NGAY_RA="202603141600", MA_LOAI_KCB="03",
                                 MA_BENH_CHINH="K35.8", T_TONGCHI_BV="12500000",
                                 T_BHTT="10000000", T_BNCCT="2500000")])
    assert answer == {"facility_code": "01001", "records": 3, "recorded": 3, "unchanged": 0,
                      "replayed": False}
    mine = visits_of(engine, a)
    assert [(v["link_code"], v["admitted_at"], v["visit_type_name"]) for v in mine] == [
        ("LK0002", "2026-03-10T07:00", "Điều trị nội trú"),
        ("LK0000", "2026-03-02T08:30", "Khám bệnh")]
    assert (mine[0]["diagnosis"], mine[0]["total_cost"], mine[0]["hi_paid"],
            mine[0]["patient_paid"]) == ("K35.8", 12_500_000, 10_000_000, 2_500_000)
    assert [v["link_code"] for v in visits_of(engine, b)] == ["LK0001"]


def test_halves_of_a_dong_paid_within_the_charge_are_kept_within_it(engine: Engine) -> None:
    """80,000.50 + 19,999.50 is the charge of 100,000 exactly: each rounded half up, the two
    were 1 VND above it, which the store's amounts check refused (a 500, the file lost)."""
    a, _ = insured(engine)
    assert file(engine, [visit(a, 0, T_TONGCHI_BV="100000", T_BHTT="80000.50",
                               T_BNCCT="19999.50")])["recorded"] == 1
    [kept] = visits_of(engine, a)
    assert (kept["total_cost"], kept["hi_paid"], kept["patient_paid"]) == (100_000, 80_001,
                                                                           19_999)


def test_a_record_that_cannot_be_read_does_not_hide_the_others_problems(
        engine: Engine) -> None:
    """One record's XML1 not base64: the file was refused naming it alone, and the other
    records' problems (a diagnosis, a person not registered) only once it was sent again."""
    import base64

    a, _ = insured(engine)
    records = [visit(a, 0, MA_BENH_CHINH="XX"), visit(a, 1, MA_THE_BHYT=card(0)),
               visit("001089099999", 2)]
    data = claim_file(records).replace(base64.b64encode(tong_hop(records[1])), b"!!!")
    with pytest.raises(ValidationError) as caught, unit_of_work(engine) as s:
        file_claims(session=s, data=data, realm="civil", actor="bv-01001", now=NOW)
    assert [(p.row, p.field) for p in caught.value.problems] == [
        (1, "MA_BENH_CHINH"), (2, "NOIDUNGFILE"), (3, "SO_CCCD")]
    assert count(engine) == 0


def test_visits_are_read_a_page_at_a_time_with_their_total(engine: Engine) -> None:
    a, _ = insured(engine)
    file(engine, [visit(a, n, MA_THE_BHYT=card(0), NGAY_VAO=f"2026030{n + 1}0800",
                        NGAY_RA=f"2026030{n + 1}0900") for n in range(3)])
    with unit_of_work(engine) as s:
        person_id = reading.person_id_of(session=s, personal_id=a)
        page = listing(session=s, person_id=person_id, personal_id=a, limit=2, offset=1)
    assert (page["total"], [v["link_code"] for v in page["visits"]]) == (3, ["LK0001",
                                                                           "LK0000"])


def test_filed_at_is_answered_in_utc_whatever_the_databases_time_zone(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps no time zone: its times are read as UTC")
    a, _ = insured(engine)
    file(engine, [visit(a, 0)])
    with unit_of_work(engine) as s:
        s.execute(text("SET TIME ZONE 'Asia/Ho_Chi_Minh'"))
        person_id = reading.person_id_of(session=s, personal_id=a)
        [v] = listing(session=s, person_id=person_id, personal_id=a)["visits"]
    assert v["filed_at"].endswith("+00:00"), v["filed_at"]


@pytest.fixture
def west_of_vietnam(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The server's local time 19 hours behind Vietnam's (UTC-12)."""
    monkeypatch.setenv("TZ", "Etc/GMT+12")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_visit_that_just_ended_in_vietnam_is_not_in_the_future_on_any_server(
        engine: Engine, west_of_vietnam: None) -> None:
    a, _ = insured(engine)
    ended = datetime.now(timezone(timedelta(hours=7))) - timedelta(minutes=30)
    cards = metadata.tables["hi_cards"]
    with unit_of_work(engine) as s:
        s.execute(insert(cards).values(
            person_id=reading.person_id_of(session=s, personal_id=a), seq=2,
            card_number=card(9), group_code="DN", benefit_level=4, province_code="01",
            initial_kcb_place="01001", valid_from=ended.date() - timedelta(days=1),
            valid_to=ended.date() + timedelta(days=1)))
        answer, _ = file_claims(session=s, data=claim_file([visit(
            a, 9, NGAY_VAO=f"{ended - timedelta(hours=1):%Y%m%d%H%M}",
            NGAY_RA=f"{ended:%Y%m%d%H%M}")]), realm="civil", actor="bv")
    assert answer["recorded"] == 1


def test_the_same_file_again_changes_nothing_and_says_so(engine: Engine) -> None:
    a, b = insured(engine)
    file(engine, [visit(a, 0)])
    again = file(engine, [visit(a, 0), visit(b, 1)])
    assert (again["recorded"], again["unchanged"], again["replayed"]) == (1, 1, False)
    assert file(engine, [visit(a, 0), visit(b, 1)])["replayed"] is True
    assert count(engine) == 2


def test_the_same_file_again_replays_after_the_patients_name_was_corrected(
        engine: Engine) -> None:
    """A name corrected in the registry after the filing (FACTS §7.2 item 9): the identical
    file sent again is the replay it is, not a refusal of a name the file rightly gave then
    (which would also count against the facility's budget of mismatches); a new record still
    needs the name as registered now."""
    a, _ = insured(engine)
    file(engine, [visit(a, 0)])
    with engine.begin() as conn:
        conn.execute(text("UPDATE persons SET full_name = 'Nguyễn Văn Đúng' "
                          "WHERE personal_id = :p"), {"p": a})
    assert file(engine, [visit(a, 0)])["replayed"] is True
    [(row, field, _)] = refused(engine, [visit(a, 0), visit(a, 2, MA_THE_BHYT=card(0))])
    assert (row, field) == (2, "HO_TEN")
    assert count(engine) == 1


def test_a_recorded_visit_filed_with_other_content_refuses_the_whole_file(
        engine: Engine) -> None:
    a, b = insured(engine)
    file(engine, [visit(a, 0)])
    with pytest.raises(VisitConflict) as caught:
        file(engine, [visit(b, 1), visit(a, 0, T_BHTT="100000")])
    [problem] = caught.value.problems
    assert (problem.row, problem.field) == (2, "T_BHTT")
    assert "recorded with T_BHTT 189840, not 100000" in problem.reason
    assert count(engine) == 1  # b's new visit was not kept either


def test_a_changed_record_is_named_beside_the_files_other_problems(engine: Engine) -> None:
    """A month's file sent again with a record changed and a new one wrong: the 422 named the
    new one alone, and the changed one only in the 409 of the file sent once more."""
    a, _ = insured(engine)
    file(engine, [visit(a, 0)])
    problems = refused(engine, [visit(a, 0, T_BHTT="100000"), visit("001089099999", 2),
                                visit(a, 1, MA_THE_BHYT=card(0))])
    assert [(row, field) for row, field, _ in problems] == [(1, "T_BHTT"), (2, "SO_CCCD")]
    assert "recorded with T_BHTT 189840, not 100000" in problems[0][2]
    assert count(engine) == 1


def test_one_bad_record_refuses_the_file_naming_every_problem(engine: Engine) -> None:
    a, b = insured(engine)
    problems = refused(engine, [
        visit(a, 0),
        visit(b, 1, NGAY_RA="202603020700"),
        visit("001099000001", 2, MA_THE_BHYT=card(1)),
        visit(b, 3, MA_THE_BHYT=card(0)),
        visit(a, 4, MA_THE_BHYT=card(0), NGAY_VAO="202512300800", NGAY_RA="202512301000"),
        visit(a, 5, MA_THE_BHYT=card(0), T_BNCCT="-5")])
    assert [(row, field) for row, field, _ in problems] == [
        (2, "NGAY_RA"), (3, "SO_CCCD"), (4, "MA_THE_BHYT"), (5, "MA_THE_BHYT"), (6, "T_BNCCT")]
    reasons = {row: reason for row, _, reason in problems}
    assert reasons[3] == "no registered person with personal ID 001099000001"
    assert reasons[4] == f"{card(0)} is not an HI card of {b}"
    assert reasons[5].startswith("not valid on the admission day 2025-12-30")
    assert count(engine) == 0


def test_a_card_number_issued_again_is_valid_in_each_of_its_spans(engine: Engine) -> None:
    """A worker back after their card expired is given its number again (``issue_hi_cards``):
    a visit of the first span is on a card valid that day, not one valid from the return."""
    a, _ = insured(engine)
    with unit_of_work(engine) as s:
        s.execute(insert(metadata.tables["hi_cards"]).values(
            person_id=reading.person_id_of(session=s, personal_id=a), seq=2,
            card_number=card(0), group_code="DN", benefit_level=4, province_code="01",
            initial_kcb_place="01001", valid_from=date(2024, 3, 1), valid_to=date(2024, 12, 31)))
    last_year = visit(a, 0, NGAY_VAO="202406100830", NGAY_RA="202406101015")
    assert file(engine, [last_year, visit(a, 0, MA_LK="LK2")])["recorded"] == 2
    [(row, field, reason)] = refused(engine, [visit(a, 0, MA_LK="LK3", NGAY_VAO="202502030800",
                                                    NGAY_RA="202502031000")])
    assert (row, field) == (1, "MA_THE_BHYT")
    assert reason == (f"not valid on the admission day 2025-02-03: {card(0)} from 2024-03-01 to "
                      f"2024-12-31, {card(0)} from 2026-01-01 to 2026-12-31")


def test_a_patient_named_otherwise_than_registered_is_refused_without_the_registered_name(
        engine: Engine) -> None:
    a, b = insured(engine)
    [(row, field, reason)] = refused(engine, [visit(a, 0), visit(b, 1, HO_TEN="Trần Thị Bình")])
    assert (row, field) == (2, "HO_TEN")
    assert reason.startswith(f"is not the name registered for personal ID {b}")
    assert worker_name(1) not in reason and "Thợ" not in reason
    assert count(engine) == 0


def test_a_name_differing_only_in_case_spacing_or_composition_is_the_registered_one(
        engine: Engine) -> None:
    a, b = insured(engine)
    decomposed = unicodedata.normalize("NFD", worker_name(1))
    assert decomposed != worker_name(1)
    assert file(engine, [visit(a, 0, HO_TEN="  NGUYỄN  văn thợ 0 "),
                         visit(b, 1, HO_TEN=decomposed)])["recorded"] == 2


def test_a_link_code_twice_in_one_file_is_refused(engine: Engine) -> None:
    a, b = insured(engine)
    [(row, field, _)] = refused(engine, [visit(a, 0), visit(b, 1, MA_LK="LK0000")])
    assert (row, field) == (2, "MA_LK")


def test_a_defence_person_is_unknown_to_a_civil_file_and_known_to_their_realm(
        engine: Engine) -> None:
    insured(engine)
    [(_, field, reason)] = refused(engine, [visit(SOLDIER, 2)])
    assert (field, reason) == ("SO_CCCD", f"no registered person with personal ID {SOLDIER}")
    assert file(engine, [visit(SOLDIER, 2)], realm="defence")["recorded"] == 1
    assert [v["link_code"] for v in visits_of(engine, SOLDIER, "defence")] == ["LK0002"]


def test_a_link_code_recorded_for_a_defence_person_names_nobody_to_a_civil_file(
        engine: Engine) -> None:
    a, _ = insured(engine)
    file(engine, [visit(SOLDIER, 2)], realm="defence")
    with pytest.raises(VisitConflict) as caught:
        file(engine, [visit(a, 0, MA_LK="LK0002")])
    [problem] = caught.value.problems
    assert (problem.row, problem.field) == (1, "SO_CCCD")
    assert "recorded for another person" in problem.reason
    assert SOLDIER not in str(caught.value) and "202603020830" not in problem.reason


def test_a_credential_files_for_its_own_facility_only(engine: Engine) -> None:
    a, _ = insured(engine)
    with pytest.raises(OtherFacility):
        file(engine, [visit(a, 0)], facility="79001")
    assert file(engine, [visit(a, 0)], facility="01001")["recorded"] == 1


def test_the_refused_persons_are_named_for_the_access_log(engine: Engine) -> None:
    a, _ = insured(engine)
    with pytest.raises(ClaimsRefused) as caught:
        file(engine, [visit(a, 0, NGAY_RA="202603020700"), visit(SOLDIER, 2)])
    with unit_of_work(engine) as s:
        expected = reading.person_ids_of(session=s, personal_ids=[a, SOLDIER])
    assert sorted(caught.value.person_ids) == sorted(expected)


def test_visits_are_append_only(engine: Engine) -> None:
    a, _ = insured(engine)
    file(engine, [visit(a, 0)])
    for statement in ("UPDATE hi_visits SET hi_paid = 0", "DELETE FROM hi_visits"):
        with pytest.raises(DatabaseError), engine.begin() as conn:
            conn.execute(text(statement))
    assert count(engine) == 1


@pytest.mark.parametrize(("again", "outcome"), [
    ({}, "replayed"), ({"T_BHTT": "1000"}, "T_BHTT")])
def test_a_file_sent_twice_at_the_same_moment_is_recorded_once(
        engine: Engine, again: dict[str, str], outcome: str) -> None:
    """The second waits for the first's records (PostgreSQL: on their key), then is answered
    as a retry after it would be: unchanged, or refused naming the field; never a
    duplicate-key crash."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers itself")
    a, _ = insured(engine)
    answers: list[object] = []

    def second() -> None:
        try:
            answers.append(file(engine, [visit(a, 0, **again)])["replayed"] and "replayed")
        except VisitConflict as exc:
            answers.append(exc.problems[0].field)

    with unit_of_work(engine) as s:
        file_claims(session=s, data=claim_file([visit(a, 0)]), realm="civil", actor="bv",
                    now=NOW)
        racer = threading.Thread(target=second)
        racer.start()
        until_one_waits(engine)
    racer.join(timeout=60)
    assert answers == [outcome]
    assert count(engine) == 1


def test_a_file_overlapping_one_filed_at_the_same_moment_records_the_rest(
        engine: Engine) -> None:
    """A month's file sent again with new records, while the first is being recorded: the
    second waits for the shared record (PostgreSQL: on its key), counts it unchanged and
    records its own; never a duplicate-key crash, nothing lost."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers itself")
    a, b = insured(engine)
    answers: list[object] = []

    def second() -> None:
        try:
            answers.append(file(engine, [visit(a, 0), visit(b, 1)]))
        except Exception as exc:  # what the caller would get: a 500
            answers.append(type(exc).__name__)

    with unit_of_work(engine) as s:
        file_claims(session=s, data=claim_file([visit(a, 0)]), realm="civil", actor="bv",
                    now=NOW)
        racer = threading.Thread(target=second)
        racer.start()
        until_one_waits(engine)
    racer.join(timeout=60)
    assert answers == [{"facility_code": "01001", "records": 2, "recorded": 1, "unchanged": 1,
                        "replayed": False}]
    assert count(engine) == 2


def test_files_sharing_records_in_another_order_do_not_deadlock(engine: Engine) -> None:
    """Records are inserted in one order, whatever their order in the file: two filings that
    share records wait for each other in turn, never each for the other (PostgreSQL would
    abort one of them as a deadlock)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers itself")
    a, b = insured(engine)
    answers: list[object] = []

    def second() -> None:
        try:
            answers.append(file(engine, [visit(b, 1), visit(a, 0)])["unchanged"])
        except Exception as exc:  # what the caller would get: a 500
            answers.append(type(exc).__name__)

    with unit_of_work(engine) as s:
        file_claims(session=s, data=claim_file([visit(a, 0)]), realm="civil", actor="bv",
                    now=NOW)
        racer = threading.Thread(target=second)
        racer.start()
        until_one_waits(engine)
        file_claims(session=s, data=claim_file([visit(b, 1)]), realm="civil", actor="bv",
                    now=NOW)
    racer.join(timeout=60)
    assert answers == [2]
    assert count(engine) == 2


def test_records_are_checked_against_the_registry_until_one_past_the_budget(
        engine: Engine) -> None:
    """As checks one at a time would be stopped: the mismatch past the facility's budget
    and the records after it are not checked against the registry (a card of theirs not
    valid that day, before it, is no mismatch); every record's own problems are still named."""
    a, b = insured(engine)
    nobody = make_personal_id("001", date(1985, 1, 1), "male", 999)
    records = [visit(a, 0, HO_TEN="Trần Thị Bình"),
               visit(b, 1, NGAY_VAO="202512310800", NGAY_RA="202512310900"),
               visit(nobody, 2), visit(nobody, 3, MA_LOAI_KCB="99"),
               visit(a, 4, HO_TEN="X", MA_THE_BHYT=card(0))]
    for budget, rows, mismatches, cut in (
            (1, [(1, "HO_TEN"), (2, "MA_THE_BHYT"), (4, "MA_LOAI_KCB")], 1, 3),
            (None, [(1, "HO_TEN"), (2, "MA_THE_BHYT"), (3, "SO_CCCD"), (4, "MA_LOAI_KCB"),
                    (5, "HO_TEN")], 3, None)):
        with unit_of_work(engine) as s, pytest.raises(ClaimsRefused) as caught:
            file_claims(session=s, data=claim_file(records), realm="civil", actor="bv-01001",
                        now=NOW, in_turn=lambda budget=budget: budget)
        assert [(p.row, p.field) for p in caught.value.problems] == rows
        assert (caught.value.mismatches, caught.value.unchecked_from) == (mismatches, cut)
