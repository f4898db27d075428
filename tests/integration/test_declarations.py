"""Monthly declarations: the system computes dues, nothing is lost or doubled."""

from __future__ import annotations

import io
import json
import unicodedata
from datetime import UTC, date, datetime

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, text

from sibook.book import issuing, versions
from sibook.book import service as book_service
from sibook.contributions import queries, staged_steps
from sibook.contributions.declare import ConcurrentFiling, declare
from sibook.contributions.parsers import read_frames
from sibook.contributions.statement import employer_months
from sibook.core.db import unit_of_work
from sibook.core.errors import ConflictError, NotFoundError, ValidationError
from sibook.core.period import Period
from sibook.ids import make_enterprise_code, make_personal_id
from sibook.registry import reading, service
from sibook.registry.new_employer import NewEmployer
from sibook.registry.new_person import NewPerson
from sibook.registry.population import LocalPopulationRegistry
from sibook.registry.registration import VoluntaryStart, register, start_voluntary
from sibook.signing.card import verify_card
from tests.integration.ledger_fixtures import (
    EMPLOYER,
    WORKER_NAMES,
    add_other_employer,
    csv_of,
    paused_after_its_look_up,
    setup_workers,
    snapshot,
)

JAN = Period(2026, 1)


def file(
    engine: Engine, data: bytes, name: str = "d02.csv", month: Period = JAN, batch: int = 1
) -> dict[str, object]:
    with unit_of_work(engine) as s:
        return declare(
            session=s,
            data=data,
            file_name=name,
            employer_code=EMPLOYER,
            month=month,
            batch_no=batch,
        )


def test_a_new_worker_makes_the_employer_owe_32_percent_of_the_basis(engine: Engine) -> None:
    (an,) = setup_workers(engine, 1)
    result = file(engine, csv_of([(an, "TM", 10_000_000, "2026-01")]))
    # 10,000,000 x (14+3+0.5+3+1)% employer + (8+1.5+1)% employee = 2,150,000 + 1,050,000
    assert result["dues"] == {"2026-01": 3_200_000}
    assert result["periods_opened"] == 1 and result["replayed"] is False


def test_filing_the_same_file_again_changes_nothing(engine: Engine) -> None:
    ids = setup_workers(engine, 3)
    data = csv_of([(pid, "TM", 8_000_000, "2026-01") for pid in ids])
    first = file(engine, data)
    before = snapshot(engine)
    again = file(engine, data)
    assert again["replayed"] is True and again["declaration_id"] == first["declaration_id"]
    assert again["dues"] == first["dues"]
    assert snapshot(engine) == before


def test_other_content_in_a_filed_batch_is_refused_naming_the_next_batch(engine: Engine) -> None:
    a, b = setup_workers(engine, 2)
    file(engine, csv_of([(a, "TM", 8_000_000, "2026-01")]))
    with pytest.raises(ConflictError, match="as batch 2"):
        file(engine, csv_of([(b, "TM", 8_000_000, "2026-01")]))


def test_past_the_last_batch_the_refusal_names_no_batch_that_cannot_be_filed(
        engine: Engine) -> None:
    a, b = setup_workers(engine, 2)
    file(engine, csv_of([(a, "TM", 8_000_000, "2026-01")]), batch=99)
    with pytest.raises(ConflictError, match="all 99 batches of the month are filed") as err:
        file(engine, csv_of([(b, "TM", 8_000_000, "2026-01")]), batch=99)
    assert "batch 100" not in str(err.value)


def test_a_malformed_file_is_refused_row_by_row_and_changes_nothing(engine: Engine) -> None:
    a, b, c = setup_workers(engine, 3)
    file(engine, csv_of([(a, "TM", 8_000_000, "2026-01")]))
    before = snapshot(engine)
    bad = csv_of(
        [
            (b, "TM", 4_000_000, "2026-02"),  # row 2: below region I minimum 5,310,000
            ("001090999999", "TM", 8_000_000, "2026-02"),  # row 3: nobody, unnamed
            (a, "TM", 9_000_000, "2026-02"),  # row 4: already has an open period
            (c, "GH", None, "2026-02"),  # row 5: decrease without a prior increase
            (b, "XX", 8_000_000, "2026-13"),  # row 6: bad code and month
        ]
    )
    with pytest.raises(ValidationError) as err:
        file(engine, bad, month=Period(2026, 2))
    found = {(p.row, p.field) for p in err.value.problems}
    assert {
        (2, "salary"),
        (3, "full_name"),
        (4, "case_code"),
        (5, "case_code"),
        (6, "case_code"),
        (6, "from_month"),
    } <= found
    reasons = " ".join(p.reason for p in err.value.problems)
    assert "5,310,000 for region I in 2026-02" in reasons
    assert "without a prior increase" in reasons
    assert snapshot(engine) == before


def test_a_back_dated_salary_must_meet_the_minimum_of_every_month_it_covers(
        engine: Engine) -> None:
    """5,000,000 from 2025-10 meets region I's 4,960,000 of 2025 but not its 5,310,000 from
    2026-01: filed for February 2026 it is refused, naming the first month it falls below."""
    an, binh = setup_workers(engine, 2)
    before = snapshot(engine)
    with pytest.raises(ValidationError) as err:
        file(engine, csv_of([(an, "TM", 5_000_000, "2025-10")]), month=Period(2026, 2))
    (problem,) = err.value.problems
    assert (problem.row, problem.field) == (2, "salary")
    assert problem.reason == ("5,000,000 is below the regional minimum wage 5,310,000 for "
                              "region I in 2026-01")
    assert snapshot(engine) == before
    # Filed for December 2025, the same line covers only months whose minimum it meets.
    filed = file(engine, csv_of([(binh, "TM", 5_000_000, "2025-10")]), month=Period(2025, 12))
    assert set(filed["dues"]) == {"2025-10", "2025-11", "2025-12"}


def test_a_salary_needs_to_meet_only_the_months_before_the_persons_next_line(
        engine: Engine) -> None:
    """Paid 5,000,000 from 2025-10 and raised to 5,400,000 from 2026-01 in the same list: the
    first line's pay covers 2025 only, where it meets the minimum. The person's last line
    covers every month to the declared one."""
    an, binh = setup_workers(engine, 2)
    february = Period(2026, 2)
    filed = file(engine, csv_of([(an, "TM", 5_000_000, "2025-10"),
                                 (an, "DC", 5_400_000, "2026-01")]), month=february)
    assert filed["dues"]["2026-02"] == 5_400_000 * 32 // 100
    with pytest.raises(ValidationError) as err:
        file(engine, csv_of([(binh, "TM", 6_000_000, "2025-10"),
                             (binh, "DC", 5_000_000, "2025-12")]), month=february, batch=2)
    (problem,) = err.value.problems
    assert (problem.row, problem.field) == (3, "salary") and "in 2026-01" in problem.reason


def test_a_name_other_than_the_one_registered_for_the_id_is_refused(engine: Engine) -> None:
    """An employer naming someone else under a registered ID is refused, and nothing lands;
    of its own worker it is told that the name is not the registered one."""
    an, binh = setup_workers(engine, 2)
    before = snapshot(engine)
    with pytest.raises(ValidationError) as err:
        file(engine, csv_of([(an, "TM", 9_000_000, "2026-01"), (binh, "TM", 9_000_000, "2026-01")],
                            names={binh: "Trần Thị Khác"}))
    (problem,) = err.value.problems
    assert (problem.row, problem.field) == (3, "personal_id")
    assert problem.reason.startswith(f"no registered person with personal ID {binh} and this "
                                  "full_name (and si_code")
    assert snapshot(engine) == before
    file(engine, csv_of([(binh, "TM", 9_000_000, "2026-01")]))
    with pytest.raises(ValidationError) as own:
        file(engine, csv_of([(binh, "DC", 9_500_000, "2026-02")], names={binh: "Trần Thị Khác"}),
             month=Period(2026, 2))
    assert [(p.row, p.field, p.reason) for p in own.value.problems] == [
        (2, "full_name", f"does not match the name registered for personal ID {binh}")]


def test_a_name_is_the_registered_one_whatever_its_case_spacing_or_composition(
        engine: Engine) -> None:
    """Payroll software writes names in capitals, with stray spaces, or decomposed (e plus
    combining accents, as some keyboards type them): the registry's own comparison."""
    an, binh, chi = setup_workers(engine, 3)
    names = {an: "  NGUYỄN  VĂN   THỢ 0 ", binh: unicodedata.normalize("NFD", "nguyễn văn thợ 1"),
             chi: "Nguyễn\u00a0Văn Thợ 2"}
    filed = file(engine, csv_of([(pid, "TM", 9_000_000, "2026-01") for pid in (an, binh, chi)],
                                names=names))
    assert filed["periods_opened"] == 3


def test_a_name_longer_than_any_registered_one_is_refused_on_its_row(engine: Engine) -> None:
    """No registered name is longer than the persons' column (120 characters)."""
    (an,) = setup_workers(engine, 1)
    with pytest.raises(ValidationError) as err:
        file(engine, csv_of([(an, "TM", 9_000_000, "2026-01")], names={an: "Nguyễn " * 18}))
    assert [(p.row, p.field, p.reason) for p in err.value.problems] == [
        (2, "full_name", "longer than 120 characters")]


def test_a_worker_new_to_the_employer_must_be_named(engine: Engine) -> None:
    """Without the name on the worker's ID card, an employer could take on anyone registered
    by their ID alone, and so read their record. A worker it had before needs no name."""
    (an,) = setup_workers(engine, 1)
    unnamed = {an: ""}
    with pytest.raises(ValidationError) as err:
        file(engine, csv_of([(an, "TM", 9_000_000, "2026-01")], names=unnamed))
    (problem,) = err.value.problems
    assert (problem.row, problem.field, problem.reason) == (
        2, "full_name", "required for a worker new to this employer, as on their ID card")
    file(engine, csv_of([(an, "TM", 9_000_000, "2026-01")]))
    # Unpaid leave from February, back from April, and a raise: all unnamed, all taken.
    back = file(engine, csv_of([(an, "KL", None, "2026-02"), (an, "TT", 9_000_000, "2026-04"),
                                (an, "DC", 9_500_000, "2026-05")], names=unnamed),
                month=Period(2026, 5))
    assert back["periods_opened"] == 2
    # Another employer's worker is new to this one: the name is asked for.
    file(engine, csv_of([(an, "GH", None, "2026-06")], names=unnamed), month=Period(2026, 6))
    other = add_other_employer(engine)
    with pytest.raises(ValidationError) as elsewhere, unit_of_work(engine) as s:
        declare(session=s, data=csv_of([(an, "TM", 9_000_000, "2026-06")], names=unnamed),
                file_name="d.csv", employer_code=other, month=Period(2026, 6))
    assert [(p.field, p.reason) for p in elsewhere.value.problems] == [
        ("full_name", "required for a worker new to this employer, as on their ID card")]


def test_a_line_refused_for_its_shape_does_not_tell_whether_its_person_is_registered(
        engine: Engine) -> None:
    (a,) = setup_workers(engine, 1)
    bad = csv_of([(a, "TM", -5, "2026-01"), ("001090999999", "TM", -5, "2026-01"),
                  ("00109099999x", "TM", -5, "2026-01")])
    with pytest.raises(ValidationError) as err:
        file(engine, bad)
    found = sorted((p.row or 0, p.field or "") for p in err.value.problems)
    # Row 2's person is registered; row 3's is nobody; row 4's ID is malformed (one problem).
    assert found == [(2, "salary"), (3, "salary"), (4, "personal_id"), (4, "salary")]


def test_csv_xlsx_and_json_of_the_same_lines_read_the_same(engine: Engine) -> None:
    ids = setup_workers(engine, 3)
    rows = [(pid, "TM", 7_000_000 + n * 1_000_000, "2026-01") for n, pid in enumerate(ids)]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["personal_id", "full_name", "case_code", "salary", "from_month"])
    for p, c, s, m in rows:
        sheet.append([p, WORKER_NAMES[p], c, s, m])
    xlsx = io.BytesIO()
    book.save(xlsx)
    as_json = json.dumps(
        [{"personal_id": p, "full_name": WORKER_NAMES[p], "case_code": c, "salary": s,
          "from_month": m} for p, c, s, m in rows]
    ).encode()
    from_csv = next(read_frames(csv_of(rows), "csv")).drop("row")
    assert next(read_frames(xlsx.getvalue(), "xlsx")).drop("row").equals(from_csv)
    assert next(read_frames(as_json, "json")).drop("row").equals(from_csv)
    # 7 + 8 + 9 = 24,000,000 of payroll x 32% = 7,680,000
    assert file(engine, xlsx.getvalue(), "d02.xlsx")["dues"] == {"2026-01": 7_680_000}


def test_a_salary_adjustment_posts_a_correcting_entry_not_an_update(engine: Engine) -> None:
    (an,) = setup_workers(engine, 1)
    file(engine, csv_of([(an, "TM", 10_000_000, "2026-01")]))
    # Lowered pay from January, filed in February: January is corrected by a negative entry.
    result = file(engine, csv_of([(an, "DC", 8_000_000, "2026-01")]), month=Period(2026, 2))
    # January: 32% x 8,000,000 = 2,560,000, so -640,000; February: 2,560,000.
    assert result["dues"] == {"2026-01": -640_000, "2026-02": 2_560_000}
    with engine.connect() as conn:
        entries = conn.execute(
            text("SELECT period, entry_no, total FROM ledger_entries ORDER BY period, entry_no")
        ).all()
    assert [tuple(e) for e in entries] == [
        (JAN.index, 1, 3_200_000),
        (JAN.index, 2, -640_000),
        (JAN.index + 1, 1, 2_560_000),
    ]


def test_ledger_rows_cannot_be_updated_or_deleted(engine: Engine) -> None:
    (an,) = setup_workers(engine, 1)
    file(engine, csv_of([(an, "TM", 10_000_000, "2026-01")]))
    for sql in (
        "UPDATE ledger_entries SET total = 0",
        "DELETE FROM ledger_entries",
        "DELETE FROM declarations",
        "UPDATE ledger_starts SET period = 0",
        "DELETE FROM ledger_starts",
    ):
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql))


def test_a_refusal_does_not_tell_where_else_a_former_worker_is_employed(
        engine: Engine) -> None:
    """An employer filing an increase for its former worker, now employed elsewhere, learns
    that the other employer must report the decrease, not which employer that is nor since
    when."""
    (an,) = setup_workers(engine, 1)
    other = add_other_employer(engine)
    with unit_of_work(engine) as s:
        declare(session=s, data=csv_of([(an, "TM", 8_000_000, "2025-03")]), file_name="d.csv",
                employer_code=other, month=Period(2025, 3))
    with unit_of_work(engine) as s:
        declare(session=s, data=csv_of([(an, "GH", None, "2025-05")]), file_name="d.csv",
                employer_code=other, month=Period(2025, 5))
    file(engine, csv_of([(an, "TM", 8_000_000, "2025-06")]), month=Period(2025, 6))
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        declare(session=s, data=csv_of([(an, "TM", 9_000_000, "2026-01")]), file_name="d.csv",
                employer_code=other, month=JAN)
    (problem,) = err.value.problems
    assert (problem.row, problem.field) == (2, "case_code")
    assert "another employer" in problem.reason
    assert EMPLOYER not in problem.reason and "2025" not in problem.reason
    with pytest.raises(ValidationError) as own:  # the employer's own period may be named
        file(engine, csv_of([(an, "TM", 9_000_000, "2026-01")]))
    assert "with this employer since 2025-06" in own.value.problems[0].reason


def test_a_refusal_does_not_tell_since_when_a_former_worker_pays_voluntary_si(
        engine: Engine) -> None:
    """Nor since when a former worker, who left for voluntary SI, pays it: that the increase
    must start later than that period's first month, not which month that is."""
    (an,) = setup_workers(engine, 1)
    file(engine, csv_of([(an, "TM", 8_000_000, "2025-01")]), month=Period(2025, 1))
    file(engine, csv_of([(an, "GH", None, "2025-05")]), month=Period(2025, 5))
    with unit_of_work(engine) as s:
        person_id = reading.registered_id(session=s, personal_id=an)
        assert person_id is not None
        start_voluntary(session=s, person_id=person_id, personal_id=an,
                        voluntary=VoluntaryStart(3_000_000, None, Period(2025, 9)),
                        today=date(2025, 9, 15))
    with pytest.raises(ValidationError) as err:
        file(engine, csv_of([(an, "TM", 9_000_000, "2025-08")]))
    (problem,) = err.value.problems
    assert (problem.row, problem.field) == (2, "case_code")
    assert "voluntary" in problem.reason and "2025-09" not in problem.reason, problem.reason


def _refused_alike(engine: Engine, employer: str, lines: list[tuple[str, str, str]],
                   names: dict[str, str]) -> set[tuple[str, str]]:
    """The refusals of ``lines`` (personal ID, case code, from month) filed by ``employer``,
    each line's personal ID written as ID: one (field, reason) when all are refused alike."""
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        declare(session=s, data=csv_of([(pid, code, None if code == "GH" else 9_000_000, month)
                                         for pid, code, month in lines], names=names),
                file_name="d.csv", employer_code=employer, month=JAN)
    pids = {row: pid for row, (pid, _, _) in enumerate(lines, start=2)}
    assert sorted(p.row or 0 for p in err.value.problems) == list(pids)
    return {(p.field, p.reason.replace(pids[p.row or 0], "ID")) for p in err.value.problems}


def test_an_unknown_person_and_one_registered_elsewhere_are_refused_alike(
        engine: Engine) -> None:
    """An employer filing for someone it never had learns nothing of their record: not
    whether they are registered, employed by another unit or paying voluntary SI. Named as
    on their ID cards, unnamed, misnamed, by an increase or a decrease: the same refusal."""
    (an,) = setup_workers(engine, 1)
    file(engine, csv_of([(an, "TM", 8_000_000, "2025-06")]), month=Period(2025, 6))
    binh = _voluntary_since_september(engine)
    nobody = make_personal_id("001", date(1991, 1, 1), "male", 9999)
    other = add_other_employer(engine)
    named = {binh: "Trần Thị Bình", nobody: "Lê Văn Ai"}
    misnamed = {an: "Lê Văn Sai", binh: "Lê Thị Sai", nobody: "Lê Văn Ai"}
    unnamed = {an: "", binh: "", nobody: ""}
    # From the voluntary period's first month: refused (a later start would end it instead).
    increases = [(an, "TM", "2025-09"), (binh, "TM", "2025-09"), (nobody, "TM", "2025-09")]
    for names in (named, misnamed):
        assert _refused_alike(engine, other, increases, names) == {(
            "personal_id", "no registered person with personal ID ID and this full_name "
                           "(and si_code, if given) can be taken on from 2025-09: the ID "
                           "and name must be one registered person's, as on their ID "
                           "card, whose SI periods leave that month free (none open with "
                           "another employer, none recorded in or after it) and whose "
                           "pension, if any, does not pay it (their e-SI book shows them); "
                           "a person not yet registered is registered first (TK1-TS)")}
    assert _refused_alike(engine, other, increases, unnamed) == {
        ("full_name", "required for a worker new to this employer, as on their ID card")}
    # A second line of the same person is refused as after the first, whoever they are.
    for pid in (binh, nobody):
        with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
            declare(session=s, data=csv_of([(pid, "TM", 9_000_000, "2025-09"),
                                            (pid, "DC", 9_500_000, "2025-10")], misnamed),
                    file_name="d.csv", employer_code=other, month=JAN)
        assert [(p.row, p.field) for p in err.value.problems] == [
            (2, "personal_id"), (3, "personal_id")]
        assert err.value.problems[1].reason.startswith("not checked: it applies after row 2")
    decreases = [(pid, "GH", "2026-01") for pid in (an, binh, nobody)]
    for names in (named, misnamed, unnamed):
        assert _refused_alike(engine, other, decreases, names) == {
            ("case_code", "decrease or adjustment without a prior increase: this person has no "
                          "open period with this employer")}


def _voluntary_since_september(engine: Engine) -> str:
    """Bình, registered in September 2025 as a voluntary participant from that month."""
    binh = make_personal_id("001", date(1995, 5, 2), "female", 4321)
    with unit_of_work(engine) as s:
        register(session=s, person=NewPerson(
            personal_id=binh, full_name="Trần Thị Bình", birth_date=date(1995, 5, 2),
            sex="female", birth_registration_place="001"),
            population=LocalPopulationRegistry(s), require_match=False, managing_office="01000",
            voluntary=VoluntaryStart(3_000_000, None, Period(2025, 9)),
            today=date(2025, 9, 15))
    return binh


def test_an_increase_for_a_voluntary_participant_ends_the_voluntary_period(
        engine: Engine) -> None:
    """A voluntary participant who takes a job is insured compulsorily from its first month:
    the employer's TM ends the voluntary period the month before (there is no other way to
    end it), and what they paid for the months after is their credit again. A TM from the
    voluntary period's own first month or earlier is refused, saying why to an employer
    that had them before (one that never did is not told of their voluntary SI)."""
    setup_workers(engine, 0)  # the employer
    binh = _voluntary_since_september(engine)
    person_id = _paid(engine, binh, 10)
    with pytest.raises(ValidationError) as err:
        file(engine, csv_of([(binh, "TM", 9_000_000, "2025-09")],
                            names={binh: "Trần Thị Bình"}))
    (problem,) = err.value.problems
    assert "can be taken on from 2025-09" in problem.reason
    assert "voluntary" not in problem.reason
    result = file(engine, csv_of([(binh, "TM", 9_000_000, "2026-01")],
                                 names={binh: "Trần Thị Bình"}))
    assert (result["periods_closed"], result["periods_opened"]) == (1, 1)
    with unit_of_work(engine) as s:
        periods = s.execute(text(
            "SELECT kind, from_month, to_month, closed_by FROM si_periods "
            "WHERE person_id = :p ORDER BY seq"), {"p": person_id}).all()
        assert [(k, Period.from_index(f), t and Period.from_index(t), c)
                for k, f, t, c in periods] == [
            ("voluntary", Period(2025, 9), Period(2025, 12), "TM"),
            ("compulsory", Period(2026, 1), None, None)]
        account = book_service.voluntary_account(session=s, person_id=person_id,
                                                 as_of=date(2026, 3, 31))
        assert [(str(m.month), m.status) for m in account.months] == [
            ("2025-09", "paid"), ("2025-10", "paid"), ("2025-11", "paid"), ("2025-12", "paid")]
        assert account.credit == 6 * 594_000  # the months after the job starts are not bought


def _paid(engine: Engine, personal_id: str, months: int) -> int:
    """The participant's person id, once they paid ``months`` voluntary months on 2025-09-20
    (none: nothing recorded)."""
    with unit_of_work(engine) as s:
        person_id = reading.registered_id(session=s, personal_id=personal_id)
        assert person_id is not None
        if months:
            # 594,000 a month: 22% of 3,000,000 less the 66,000 the state pays for "others"
            s.execute(text("INSERT INTO voluntary_payments (person_id, payment_no, amount, "
                           "reference, idempotency_key, paid_on) VALUES (:p, 1, :a, 'V-1', "
                           "'V-1', '2025-09-20')"), {"p": person_id, "a": months * 594_000})
    return person_id


def _si_periods_of(engine: Engine, person_id: int) -> list[tuple[str, str, str | None, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT kind, from_month, to_month, closed_by FROM si_periods "
                                 "WHERE person_id = :p ORDER BY seq"), {"p": person_id}).all()
    return [(k, str(Period.from_index(f)), t and str(Period.from_index(t)), c)
            for k, f, t, c in rows]


def test_a_job_ends_the_voluntary_period_at_its_last_month_paid(engine: Engine) -> None:
    """Paid for 2025-09 and 2025-10 only, then taken on from 2026-01 (in a list that also
    lets a worker go): the voluntary period ends at 2025-10, as a settled pension ends it.
    2025-11 and 2025-12 were not paid in their windows and, the period ended, no payment can
    pay them (Law 41/2024 Art 36(3)): ended the month before the job, the book and the
    ledger listed them as voluntary months not paid for good, which no one owes."""
    (an,) = setup_workers(engine, 1)
    file(engine, csv_of([(an, "TM", 8_000_000, "2025-06")]), month=Period(2025, 6))
    binh = _voluntary_since_september(engine)
    person_id = _paid(engine, binh, 2)
    result = file(engine, csv_of([(binh, "TM", 9_000_000, "2026-01"),
                                  (an, "GH", None, "2026-01")], names={binh: "Trần Thị Bình"}))
    assert (result["periods_closed"], result["periods_opened"]) == (2, 1)
    assert _si_periods_of(engine, person_id) == [("voluntary", "2025-09", "2025-10", "TM"),
                                           ("compulsory", "2026-01", None, None)]
    with unit_of_work(engine) as s:
        book = book_service.assemble_person(session=s, person_id=person_id,
                                            as_of=date(2026, 3, 31))
        ledger = queries.person_ledger(session=s, person_id=person_id, personal_id=binh,
                                       as_of=date(2026, 3, 31))
    assert [(r["from"], r["to"], r["unpaid"]) for r in book["sheets"]
            if r["kind"] == "voluntary"] == [("2025-09", "2025-10", [])]
    assert [(r["month"], r["status"]) for r in ledger["months"] if r["kind"] == "voluntary"
            ] == [("2025-09", "paid"), ("2025-10", "paid")]
    assert ledger["summary"]["voluntary_credit"] == 0


def test_a_job_removes_a_voluntary_period_none_of_whose_months_was_paid(
        engine: Engine) -> None:
    """Registered from 2025-09, never paid, taken on from 2026-01: no month of the period
    counts or can be paid once the job ends it, so it is removed (the participant never
    contributed in it), as a settled pension removes it, rather than left with four months
    not paid for good."""
    setup_workers(engine, 0)
    binh = _voluntary_since_september(engine)
    person_id = _paid(engine, binh, 0)
    result = file(engine, csv_of([(binh, "TM", 9_000_000, "2026-01")],
                                 names={binh: "Trần Thị Bình"}))
    assert (result["periods_closed"], result["periods_opened"]) == (1, 1)
    assert _si_periods_of(engine, person_id) == [("compulsory", "2026-01", None, None)]
    with unit_of_work(engine) as s:
        book = book_service.assemble_person(session=s, person_id=person_id,
                                            as_of=date(2026, 3, 31))
    assert [r for r in book["sheets"] if r["kind"] == "voluntary"] == []


def test_a_back_dated_change_corrects_every_month_already_charged(engine: Engine) -> None:
    """A raise from February filed as February's list, after March was already charged:
    March's dues are corrected too (by a second entry), not left at the old salary."""
    (an,) = setup_workers(engine, 1)
    file(engine, csv_of([(an, "TM", 10_000_000, "2026-01")]), month=Period(2026, 3))
    result = file(engine, csv_of([(an, "DC", 15_000_000, "2026-02")]), month=Period(2026, 2))
    # 5,000,000 more a month x 32% = 1,600,000 for February and for March
    assert result["dues"] == {"2026-02": 1_600_000, "2026-03": 1_600_000}
    with engine.connect() as conn:
        march = conn.execute(text("SELECT sum(total) FROM ledger_entries WHERE period = :p"),
                             {"p": Period(2026, 3).index}).scalar()
    assert march == 15_000_000 * 32 // 100


def test_two_employers_taking_on_the_same_worker_at_once_file_one_and_refuse_the_other(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both filings look the worker up before either commits, so both number the new period
    after the last; the second to write finds the number taken: a conflict to file again,
    nothing of it kept, never a crash."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers itself")
    (an,) = setup_workers(engine, 1)
    other = add_other_employer(engine)

    def the_other_files() -> None:
        with unit_of_work(engine) as s:
            declare(session=s, data=csv_of([(an, "TM", 10_000_000, "2026-01")]),
                    file_name="d.csv", employer_code=other, month=JAN)

    lost = paused_after_its_look_up(
        monkeypatch, lambda: file(engine, csv_of([(an, "TM", 9_000_000, "2026-01")])),
        the_other_files)
    assert isinstance(lost, ConflictError), lost
    assert str(lost) == ("another filing changed the same workers at the same time; nothing "
                         "was filed, file again")
    with engine.connect() as conn:
        worker = conn.execute(text("SELECT person_id FROM persons WHERE personal_id = :p"),
                              {"p": an}).scalar_one()
    assert isinstance(lost, ConcurrentFiling) and lost.person_ids == [worker]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM declarations")).scalar() == 1
        (period,) = conn.execute(text("SELECT e.code, p.salary_basis FROM si_periods p "
                                      "JOIN employers e ON e.employer_id = p.employer_id")).all()
        assert tuple(period) == (other, 10_000_000)
        assert conn.execute(text("SELECT count(DISTINCT employer_id) FROM ledger_entries")
                            ).scalar() == 1


def test_a_list_for_a_month_more_than_one_ahead_is_refused(engine: Engine) -> None:
    """The ledger is append-only: dues posted for a month years ahead could only be reversed."""
    (an,) = setup_workers(engine, 1)
    ahead = Period.of(date.today()) + 2
    with pytest.raises(ValidationError) as err:
        file(engine, csv_of([(an, "TM", 10_000_000, str(ahead))]), month=ahead)
    assert err.value.problems[0].field == "month"
    next_month = Period.of(date.today()) + 1
    assert file(engine, csv_of([(an, "TM", 10_000_000, str(next_month))]),
                month=next_month)["replayed"] is False


def _periods(engine: Engine, table: str = "si_periods") -> list[tuple[int, int | None]]:
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT from_month, to_month FROM {table} ORDER BY seq"))
        return [(int(r[0]), None if r[1] is None else int(r[1])) for r in rows]


def test_a_person_on_several_lines_is_taken_line_after_line_in_month_order(
        engine: Engine) -> None:
    """Unpaid leave from February and back from April, filed together in April's list (the
    return listed first): the leave closes January's period, the return opens April's."""
    (an,) = setup_workers(engine, 1)
    file(engine, csv_of([(an, "TM", 10_000_000, "2026-01")]))
    april = Period(2026, 4)
    result = file(engine, csv_of([(an, "TT", 12_000_000, "2026-04"),
                                  (an, "KL", None, "2026-02")]), month=april)
    assert result["periods_closed"] == 1 and result["periods_opened"] == 1
    assert result["case_codes"] == {"KL": 1, "TT": 1}
    jan, feb = JAN.index, JAN.index + 1
    assert _periods(engine) == [(jan, jan), (april.index, None)]
    assert _periods(engine, "ui_periods") == [(jan, jan), (april.index, None)]
    assert feb not in {Period.parse(m).index for m, v in result["dues"].items() if v}
    assert result["dues"]["2026-04"] == 12_000_000 * 32 // 100


def test_a_decrease_and_a_new_contract_from_the_same_month_end_then_begin(
        engine: Engine) -> None:
    """A new contract at new pay from March: the decrease (listed second) ends February first."""
    (an,) = setup_workers(engine, 1)
    file(engine, csv_of([(an, "TM", 10_000_000, "2026-01")]))
    march = Period(2026, 3)
    file(engine, csv_of([(an, "TM", 14_000_000, "2026-03"), (an, "GH", None, "2026-03")]),
         month=march)
    assert _periods(engine) == [(JAN.index, JAN.index + 1), (march.index, None)]
    with engine.connect() as conn:
        basis = conn.execute(text("SELECT salary_basis FROM si_periods WHERE to_month IS NULL"))
        assert basis.scalar() == 14_000_000


def test_a_decrease_from_the_first_month_of_an_adjusted_pay_cancels_that_month(
        engine: Engine) -> None:
    """A raise from March (DC, filed in March's list), then word that the worker left from
    March (GH, a second batch): February stays the last month, March is owed nothing."""
    (an,) = setup_workers(engine, 1)
    file(engine, csv_of([(an, "TM", 10_000_000, "2026-01")]))
    march = Period(2026, 3)
    raised = file(engine, csv_of([(an, "DC", 12_000_000, "2026-03")]), month=march)
    assert raised["dues"]["2026-03"] == 12_000_000 * 32 // 100
    left = file(engine, csv_of([(an, "GH", None, "2026-03")]), month=march, batch=2)
    # The answer's dues are what the filing posted: March's charge, reversed.
    assert left["periods_closed"] == 1 and left["dues"]["2026-03"] == -raised["dues"]["2026-03"]
    assert _periods(engine) == [(JAN.index, JAN.index + 1)]
    assert _periods(engine, "ui_periods") == [(JAN.index, JAN.index + 1)]


def test_a_decrease_from_the_month_a_worker_was_taken_on_cancels_the_start(
        engine: Engine) -> None:
    (an,) = setup_workers(engine, 1)
    file(engine, csv_of([(an, "TM", 10_000_000, "2026-01")]))
    gone = file(engine, csv_of([(an, "GH", None, "2026-01")]), batch=2)
    assert gone["dues"]["2026-01"] == -3_200_000  # January's charge, reversed
    assert _periods(engine) == [] and _periods(engine, "ui_periods") == []
    # Taken on again later: nothing of the cancelled start stands in the way.
    file(engine, csv_of([(an, "TM", 10_000_000, "2026-03")]), month=Period(2026, 3))
    assert _periods(engine) == [(JAN.index + 2, None)]


def test_a_decrease_before_the_open_period_began_is_refused(engine: Engine) -> None:
    (an,) = setup_workers(engine, 1)
    file(engine, csv_of([(an, "TM", 10_000_000, "2026-02")]), month=Period(2026, 2))
    with pytest.raises(ValidationError) as err:
        file(engine, csv_of([(an, "GH", None, "2026-01")]), month=Period(2026, 2), batch=2)
    assert err.value.problems[0].field == "from_month"
    assert "2026-02" in err.value.problems[0].reason


def test_two_lines_of_one_kind_and_month_for_a_person_are_refused(engine: Engine) -> None:
    (an,) = setup_workers(engine, 1)
    before = snapshot(engine)
    with pytest.raises(ValidationError) as err:
        file(engine, csv_of([(an, "TM", 10_000_000, "2026-01"),
                             (an, "TM", 11_000_000, "2026-01")]))
    (problem,) = err.value.problems
    assert (problem.row, problem.field) == (3, "case_code") and "row 2" in problem.reason
    assert snapshot(engine) == before


def test_lines_after_a_refused_line_of_the_same_person_are_not_judged_on_it(
        engine: Engine) -> None:
    """Leave for someone never increased is refused; the return after it is reported as not
    checked (not as a second, misleading fault); another person's good lines do not land."""
    an, binh = setup_workers(engine, 2)
    before = snapshot(engine)
    april = Period(2026, 4)
    with pytest.raises(ValidationError) as err:
        file(engine, csv_of([(binh, "TM", 9_000_000, "2026-04"),
                             (an, "KL", None, "2026-02"),
                             (an, "TT", 12_000_000, "2026-04")]), month=april)
    found = [(p.row, p.field, p.reason) for p in err.value.problems]
    assert [(r, f) for r, f, _ in found] == [(3, "case_code"), (4, "personal_id")]
    assert "without a prior increase" in found[0][2]
    assert "after row 3" in found[1][2]
    assert snapshot(engine) == before


def test_a_person_on_more_lines_than_a_filing_takes_is_refused_for_the_excess(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each step reads the whole file again, so one person's lines are bounded per filing."""
    monkeypatch.setattr(staged_steps, "MAX_STEPS", 2)
    (an,) = setup_workers(engine, 1)
    with pytest.raises(ValidationError) as err:
        file(engine, csv_of([(an, "TM", 10_000_000, "2026-01"), (an, "DC", 11_000_000, "2026-02"),
                             (an, "DC", 12_000_000, "2026-03")]), month=Period(2026, 3))
    (problem,) = err.value.problems
    assert problem.row == 4 and "more than 2 lines" in problem.reason


def test_a_month_written_in_other_digits_is_refused_by_row(engine: Engine) -> None:
    (an,) = setup_workers(engine, 1)
    with pytest.raises(ValidationError) as err:
        file(engine, csv_of([(an, "TM", 10_000_000, "20٢٦-01")]))
    (problem,) = err.value.problems
    assert (problem.row, problem.field) == (2, "from_month")


def _cards(engine: Engine, personal_id: str) -> list[tuple[object, ...]]:
    with unit_of_work(engine) as s:
        person_id = reading.person_id_of(session=s, personal_id=personal_id)
        return [(c.card_number, str(c.valid_from), str(c.valid_to))
                for c in reading.hi_cards_of(session=s, person_id=person_id)]


def test_a_worker_who_starts_without_an_hi_card_gets_one_and_keeps_it(engine: Engine) -> None:
    an, binh = setup_workers(engine, 2)
    result = file(engine, csv_of([(an, "TM", 9_000_000, "2026-01"),
                                  (binh, "TM", 9_000_000, "2026-01")]))
    assert result["hi_cards_issued"] == 2
    year_end = f"{max(2026, date.today().year)}-12-31"
    assert _cards(engine, an) == [(f"DN401{an[2:]}", "2026-01-01", year_end)]
    # Leaving and coming back within the card's validity issues nothing new.
    again = file(engine, csv_of([(an, "GH", None, "2026-02"), (an, "TM", 9_500_000, "2026-03")]),
                 month=Period(2026, 3))
    assert again["hi_cards_issued"] == 0 and len(_cards(engine, an)) == 1


def test_a_worker_moving_from_another_province_keeps_the_card_it_gave(engine: Engine) -> None:
    """Employed in Hà Nội (01) from January, then in Hồ Chí Minh City (79) from June (TC): the
    January card runs on; the domain facts give no rule that the move ends it or issues
    another (README), so no second card is guessed."""
    (an,) = setup_workers(engine, 1)
    file(engine, csv_of([(an, "TM", 9_000_000, "2026-01")]))
    file(engine, csv_of([(an, "GH", None, "2026-06")]), month=Period(2026, 6))
    other = add_other_employer(engine)
    with unit_of_work(engine) as s:
        moved = declare(session=s, data=csv_of([(an, "TC", 9_000_000, "2026-06")]),
                        file_name="d.csv", employer_code=other, month=Period(2026, 6))
    assert moved["hi_cards_issued"] == 0
    assert _cards(engine, an) == [(f"DN401{an[2:]}", "2026-01-01",
                                   f"{max(2026, date.today().year)}-12-31")]


def test_a_cancelled_start_takes_the_hi_card_it_issued_with_it(engine: Engine) -> None:
    """Taken on from January, then reported gone from January: the start never was, nor the
    card it gave. Taken on again from March, the worker gets a card from March, not January's."""
    an, binh = setup_workers(engine, 2)
    file(engine, csv_of([(an, "TM", 10_000_000, "2026-01"), (binh, "TM", 9_000_000, "2026-01")]))
    year_end = f"{max(2026, date.today().year)}-12-31"
    assert _cards(engine, an) == [(f"DN401{an[2:]}", "2026-01-01", year_end)]
    file(engine, csv_of([(an, "GH", None, "2026-01")]), batch=2)
    assert _cards(engine, an) == []
    assert len(_cards(engine, binh)) == 1  # another worker's card stays
    march = file(engine, csv_of([(an, "TM", 10_000_000, "2026-03")]), month=Period(2026, 3))
    assert march["hi_cards_issued"] == 1
    assert _cards(engine, an) == [(f"DN401{an[2:]}", "2026-03-01", year_end)]


def test_a_cancelled_new_contract_takes_its_card_and_leaves_the_last_one(
        engine: Engine) -> None:
    """Employed June to December 2025 (a card to 2025-12-31), then a new contract from January
    with the same employer (a new card): cancelling January cancels the new card, not the old."""
    (an,) = setup_workers(engine, 1)
    with unit_of_work(engine) as s:
        s.execute(text("INSERT INTO hi_cards (person_id, seq, card_number, group_code, "
                       "benefit_level, province_code, initial_kcb_place, valid_from, valid_to) "
                       "VALUES (:p, 1, :n, 'DN', 4, '01', '01001', :f, :t)"),
                  {"p": reading.person_id_of(session=s, personal_id=an), "n": f"DN401{an[2:]}",
                   "f": date(2025, 6, 1), "t": date(2025, 12, 31)})
    file(engine, csv_of([(an, "TM", 10_000_000, "2025-06")]), month=Period(2025, 12))
    last = _cards(engine, an)
    renewed = file(engine, csv_of([(an, "GH", None, "2026-01"), (an, "TM", 12_000_000, "2026-01")]))
    assert renewed["hi_cards_issued"] == 1 and len(_cards(engine, an)) == 2
    file(engine, csv_of([(an, "GH", None, "2026-01")]), batch=2)
    assert _periods(engine) == [(Period(2025, 6).index, Period(2025, 12).index)]
    assert _cards(engine, an) == last


def test_the_book_of_a_cancelled_start_has_no_hi_card_to_show(
        engine: Engine, agency: issuing.Agency) -> None:
    """The card made from the book before the cancellation was valid; the book after it has no
    card, so no card image or signed card QR can be made of it."""
    (an,) = setup_workers(engine, 1)
    file(engine, csv_of([(an, "TM", 10_000_000, "2026-01")]))

    def book() -> versions.Version:
        with unit_of_work(engine) as s:
            person_id = reading.person_id_of(session=s, personal_id=an)
            return book_service.current_version(session=s, person_id=person_id,
                                                as_of=date.today())[0]

    shown, _ = issuing.hi_card(book(), agency, on=datetime.now(UTC))
    checked = verify_card(shown["qr"].encode(), trust_list=agency.trust_list(),
                          on=date.today())
    assert checked.valid and checked.card_number == f"DN401{an[2:]}"
    file(engine, csv_of([(an, "GH", None, "2026-01")]), batch=2)
    after = book()
    assert after.payload["hi_periods"] == []
    with pytest.raises(NotFoundError, match="has no HI card"):
        issuing.hi_card(after, agency, on=datetime.now(UTC))


def test_a_worker_whose_card_ended_before_the_start_gets_a_new_one(engine: Engine) -> None:
    (an,) = setup_workers(engine, 1)
    with unit_of_work(engine) as s:
        person_id = reading.person_id_of(session=s, personal_id=an)
        s.execute(text("INSERT INTO hi_cards (person_id, seq, card_number, group_code, "
                       "benefit_level, province_code, initial_kcb_place, valid_from, valid_to) "
                       "VALUES (:p, 1, :n, 'DN', 4, '79', '79001', :f, :t)"),
                  {"p": person_id, "n": f"DN479{an[2:]}", "f": date(2024, 1, 1),
                   "t": date(2025, 12, 31)})
    assert file(engine, csv_of([(an, "TM", 9_000_000, "2026-01")]))["hi_cards_issued"] == 1
    assert [c[0] for c in _cards(engine, an)] == [f"DN479{an[2:]}", f"DN401{an[2:]}"]


def test_a_unit_still_under_a_closed_province_code_gives_cards_of_its_successor(
        engine: Engine) -> None:
    """A unit registered before the 2025 merger under Hà Giang (02) is in Tuyên Quang (08) now:
    a new card never names a province that no longer exists."""
    (an,) = setup_workers(engine, 1)
    with unit_of_work(engine) as s:
        s.execute(text("UPDATE employers SET province_code = '02' WHERE code = :c"),
                  {"c": EMPLOYER})
    file(engine, csv_of([(an, "TM", 9_000_000, "2026-01")]))
    assert _cards(engine, an)[0][0] == f"DN408{an[2:]}"


def test_a_job_title_the_periods_cannot_hold_is_refused_on_its_row(engine: Engine) -> None:
    """PostgreSQL refused a 121-character title mid-filing (a 500); SQLite stored it whole."""
    a, b, c = setup_workers(engine, 3)
    before = snapshot(engine)
    data = (f"personal_id,full_name,case_code,job_title,salary\n"
            f"{a},{WORKER_NAMES[a]},TM,{'Kỹ' * 61},9000000\n"
            f"{b},{WORKER_NAMES[b]},TM,\"Kế toán\ttrưởng\",9000000\n"
            f"{c},{WORKER_NAMES[c]},TM,{'K' * 120},9000000\n").encode()
    with pytest.raises(ValidationError) as refused:
        file(engine, data)
    assert [(p.row, p.field, p.reason) for p in refused.value.problems] == [
        (2, "job_title", "longer than 120 characters"),
        (3, "job_title", "must not contain control characters (line breaks, tabs, ...)")]
    assert snapshot(engine) == before


def test_the_current_employer_is_the_one_of_this_month_not_the_open_period(
        engine: Engine) -> None:
    """A decrease filed ahead (from next month, as FACTS §6.3 advises) leaves the worker with
    the unit this month; an increase from next month is not theirs yet."""
    leaving, joining = setup_workers(engine, 2)
    this = Period.of(date.today())
    file(engine, csv_of([(leaving, "TM", 9_000_000, str(this))]), month=this)
    file(engine, csv_of([(leaving, "GH", None, str(this + 1)),
                         (joining, "TM", 9_000_000, str(this + 1))]), month=this + 1)

    def listed(on: date) -> dict[str, str | None]:
        with unit_of_work(engine) as s:
            everyone = {r.personal_id: r.employer for r in reading.list_persons(
                session=s, today=on)}
            at_unit = {r.personal_id for r in reading.list_persons(
                session=s, employer_code=EMPLOYER, today=on)}
        assert at_unit == {pid for pid, code in everyone.items() if code == EMPLOYER}
        return everyone

    assert listed(date.today()) == {leaving: EMPLOYER, joining: None}
    assert listed((this + 1).first_day) == {leaving: None, joining: EMPLOYER}


def test_a_ministrys_unit_files_for_its_people_and_a_civil_unit_for_civilians(
        engine: Engine) -> None:
    (civilian,) = setup_workers(engine, 1)  # and the civil unit EMPLOYER
    soldier = make_personal_id("001", date(1990, 4, 4), "male", 8080)
    unit = make_enterprise_code(8080, "01")
    names = {soldier: "Lê Văn Lính"}
    with unit_of_work(engine) as s:
        service.add_employer(session=s, employer=NewEmployer(
            code=unit, name="Đơn vị 8080 thuộc Bộ Quốc phòng", province_code="01",
            region="I", realm="defence"))
        service.register_person(session=s, person=NewPerson(
            personal_id=soldier, full_name=names[soldier], birth_date=date(1990, 4, 4),
            sex="male", birth_registration_place="001", realm="defence"))
    with pytest.raises(ValidationError, match=f"personal ID {soldier} and this full_name"):
        file(engine, csv_of([(soldier, "TM", 9_000_000, "2026-01")], names))
    with unit_of_work(engine) as s:
        def by_unit(rows: bytes) -> dict[str, object]:
            return declare(session=s, data=rows, file_name="d.csv", employer_code=unit,
                           month=JAN, batch_no=1)
        with pytest.raises(ValidationError, match=f"personal ID {civilian} and this "
                                                  "full_name"):
            by_unit(csv_of([(civilian, "TM", 9_000_000, "2026-01")]))
    with unit_of_work(engine) as s:
        filed = declare(session=s, data=csv_of([(soldier, "TM", 9_000_000, "2026-01")], names),
                        file_name="d.csv", employer_code=unit, month=JAN, batch_no=1)
    assert filed["periods_opened"] == 1


def test_a_line_from_before_the_deadline_rule_is_refused_and_the_ledger_stays_readable(
        engine: Engine) -> None:
    """Dues from 2019-06 would have no deadline (the rule's rows begin in 2020-01): filed, they
    made every read of the employer's ledger and of its workers' books refused naming 2019-06.
    The line is refused by row instead, nothing filed, and one from 2020-01 is read."""
    (an,) = setup_workers(engine, 1)
    before = snapshot(engine)
    with pytest.raises(ValidationError) as err:
        file(engine, csv_of([(an, "TM", 10_000_000, "2019-06")]), month=Period(2020, 1))
    (problem,) = err.value.problems
    assert (problem.row, problem.field) == (2, "from_month")
    assert "2019-06" in problem.reason and "first known month is 2020-01" in problem.reason
    assert snapshot(engine) == before
    file(engine, csv_of([(an, "TM", 10_000_000, "2020-01")]), month=Period(2020, 1))
    with unit_of_work(engine) as s:
        unit = reading.employer_by_code(session=s, code=EMPLOYER)
        months = employer_months(s.connection(), unit.employer_id, date(2020, 6, 15))
    assert [(str(m.month), m.due) for m in months][:1] == [("2020-01", 3_200_000)]
