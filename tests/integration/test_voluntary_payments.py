"""Voluntary participants' payments on SQLite and PostgreSQL: recorded once per reference,
refused by field, append-only; a voluntary month counts in the book only once paid."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from sibook.book import batch, service
from sibook.book.assemble import canonical
from sibook.contributions.payments import PaymentConflict
from sibook.contributions.service import end_voluntary_period
from sibook.contributions.voluntary_payments import post_voluntary_payment, voluntary_statement
from sibook.core.db import unit_of_work
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.ids import make_personal_id
from sibook.registry import reading as registry
from sibook.registry.new_person import NewPerson
from sibook.registry.population import LocalPopulationRegistry
from sibook.registry.registration import VoluntaryStart, register, start_voluntary
from tests.integration.ledger_fixtures import setup_workers

TODAY = date(2026, 3, 20)
JANUARY = Period(2026, 1)
FULL = 660_000  # 22% of the declared 3,000,000 a month, no state support
# What one naming no support group pays: they are "others", whose 20% of 22% x the rural poverty
# line 1,500,000 the state pays (Decree 159/2025, FACTS §3.4).
DUE = FULL - 66_000


def join_voluntarily(engine: Engine, n: int = 1, start: Period = JANUARY) -> str:
    """A person who joined voluntary SI on 3,000,000 a month from ``start``, naming no support
    group."""
    pid = make_personal_id("001", date(1995, 5, 2), "female", 4300 + n)
    with unit_of_work(engine) as s:
        register(session=s, person=NewPerson(
            personal_id=pid, full_name=f"Trần Thị Bình {n}", birth_date=date(1995, 5, 2),
            sex="female", birth_registration_place="001"),
            population=LocalPopulationRegistry(s), require_match=False, managing_office="01000",
            voluntary=VoluntaryStart(3_000_000, None, start), today=start.first_day)
    return pid


def pay(engine: Engine, pid: str, amount: int, ref: str, on: date = date(2026, 2, 10)
        ) -> dict[str, Any]:
    with unit_of_work(engine) as s:
        return post_voluntary_payment(
            session=s, person_id=registry.person_id_of(session=s, personal_id=pid),
            personal_id=pid, amount=amount, reference=ref, paid_on=on, today=TODAY)


def stored(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT person_id, payment_no, amount, reference, paid_on FROM voluntary_payments "
            "ORDER BY person_id, payment_no"))]


def book(engine: Engine, pid: str, as_of: date = TODAY) -> tuple[int, dict[str, Any]]:
    """The current version's number and payload (recorded when the facts changed)."""
    with unit_of_work(engine) as s:
        person_id = registry.person_id_of(session=s, personal_id=pid)
        v, _ = service.current_version(session=s, person_id=person_id, as_of=as_of)
    return v.version, v.payload


def test_a_payment_pays_the_oldest_months_and_carries_the_rest(engine: Engine) -> None:
    pid = join_voluntarily(engine)
    posted = pay(engine, pid, 2 * DUE + 100_000, "VNPT-1")
    assert posted["allocated"] == [{"month": "2026-01", "amount": DUE},
                                   {"month": "2026-02", "amount": DUE},
                                   {"month": "2026-03", "amount": 100_000}]
    assert (posted["payment_no"], posted["credit"], posted["replayed"]) == (1, 0, False)
    with unit_of_work(engine) as s:
        statement = voluntary_statement(session=s, person_id=registry.person_id_of(
            session=s, personal_id=pid), personal_id=pid, as_of=TODAY)
    assert [m["status"] for m in statement["months"]] == ["paid", "paid", "partly_paid"]
    assert statement["payments"][0]["allocated"] == posted["allocated"]


def test_the_same_reference_again_is_the_first_payment_and_changes_nothing(engine: Engine
                                                                          ) -> None:
    pid = join_voluntarily(engine)
    first = pay(engine, pid, DUE, "VNPT-0001")
    before = stored(engine)
    again = pay(engine, pid, DUE, "vnpt-0001")  # banks print references in either case
    assert stored(engine) == before and len(before) == 1
    assert again == {**first, "replayed": True}


@pytest.mark.parametrize(("amount", "on", "field"), [
    (DUE + 1, date(2026, 2, 10), "amount"),
    (DUE, date(2026, 2, 11), "paid_on"),
])
def test_the_same_reference_with_another_amount_or_date_is_refused_naming_it(
        engine: Engine, amount: int, on: date, field: str) -> None:
    pid = join_voluntarily(engine)
    pay(engine, pid, DUE, "VNPT-7")
    before = stored(engine)
    with pytest.raises(PaymentConflict, match="already posted") as err:
        pay(engine, pid, amount, "VNPT-7", on)
    assert err.value.field == field
    assert stored(engine) == before


def test_a_reference_longer_in_capitals_than_its_key_column_is_refused(engine: Engine
                                                                        ) -> None:
    """References are compared in capitals: 40 'ß' are 80 letters 'SS...', past the 40 the
    key holds (PostgreSQL refused the insert, a 500; SQLite stored it)."""
    pid = join_voluntarily(engine)
    with pytest.raises(ValidationError) as err:
        pay(engine, pid, DUE, "\u00df" * 40)
    assert [p.field for p in err.value.problems] == ["reference"]
    assert stored(engine) == []


def test_a_reference_is_one_persons_key_not_everyones(engine: Engine) -> None:
    binh, chi = join_voluntarily(engine, 1), join_voluntarily(engine, 2)
    pay(engine, binh, DUE, "RECEIPT-1")
    assert pay(engine, chi, 2 * DUE, "RECEIPT-1")["replayed"] is False
    assert len(stored(engine)) == 2


@pytest.mark.parametrize(("amount", "ref", "on", "field"), [
    (0, "VNPT-1", date(2026, 2, 10), "amount"),
    (-DUE, "VNPT-1", date(2026, 2, 10), "amount"),
    (DUE, "VNPT\x001", date(2026, 2, 10), "reference"),
    (DUE, "VNPT-1\nVNPT-2", date(2026, 2, 10), "reference"),
    (DUE, "   ", date(2026, 2, 10), "reference"),
    (DUE, "R" * 41, date(2026, 2, 10), "reference"),
    (DUE, "VNPT-1", date(2026, 3, 21), "paid_on"),  # after TODAY
    (DUE, "VNPT-1", date(1994, 12, 31), "paid_on"),
])
def test_bad_input_is_refused_by_field_and_nothing_is_written(
        engine: Engine, amount: int, ref: str, on: date, field: str) -> None:
    pid = join_voluntarily(engine)
    with pytest.raises(ValidationError) as err:
        pay(engine, pid, amount, ref, on)
    assert [p.field for p in err.value.problems] == [field]
    assert stored(engine) == []


def test_a_payment_dated_before_the_participant_could_have_joined_is_refused(
        engine: Engine) -> None:
    """Bình's participation starts in March 2026, asked for at most 12 months ahead: a receipt
    dated before March 2025 is not hers to pay voluntary SI with (it would buy her months at
    an old price), and nothing is written; one dated in February 2026, paid when she joined
    ahead of her start, pays March."""
    pid = join_voluntarily(engine, start=Period(2026, 3))
    with pytest.raises(ValidationError) as err:
        pay(engine, pid, DUE, "VNPT-EARLY", date(2025, 2, 28))
    (problem,) = err.value.problems
    assert problem.field == "paid_on"
    assert problem.reason.startswith("2025-02-28 is before") and "2025-03-01" in problem.reason
    assert stored(engine) == []
    assert pay(engine, pid, DUE, "VNPT-AHEAD", date(2026, 2, 10))["allocated"] == [
        {"month": "2026-03", "amount": DUE}]


def test_a_person_who_never_joined_voluntary_si_cannot_pay_for_it(engine: Engine) -> None:
    (worker,) = setup_workers(engine, 1)
    with pytest.raises(ValidationError) as err:
        pay(engine, worker, DUE, "VNPT-1")
    assert err.value.problems[0].field == "personal_id"
    assert "no voluntary SI period" in err.value.problems[0].reason
    assert stored(engine) == []


def test_a_payment_once_the_voluntary_period_ended_is_refused_and_a_replay_answers(
        engine: Engine) -> None:
    """Bình's period ended in 2026-02 (a settled pension or withdrawal ends it so,
    ``end_voluntary_period``): no month is left for a payment made since to pay, so it is
    refused naming her and the month it ended, where it was taken silently as credit; nothing
    is written. The payment she made while it was open, posted again, answers as it did, and
    one she made in February, recorded only now, is taken."""
    pid = join_voluntarily(engine)
    first = pay(engine, pid, DUE, "VNPT-1")
    with unit_of_work(engine) as s:
        end_voluntary_period(session=s, person_id=registry.person_id_of(
            session=s, personal_id=pid), last=Period(2026, 2))
    before = stored(engine)
    with pytest.raises(ValidationError) as err:
        pay(engine, pid, DUE, "VNPT-2", date(2026, 3, 10))
    ((field, reason),) = [(p.field, p.reason) for p in err.value.problems]
    assert field == "personal_id"
    assert reason.startswith(f"{pid} had no open voluntary SI period on 2026-03-10 (the last "
                             "ended in 2026-02)")
    assert stored(engine) == before
    assert pay(engine, pid, DUE, "VNPT-1") == {**first, "replayed": True}
    assert pay(engine, pid, DUE, "VNPT-FEB", date(2026, 2, 27))["allocated"] == [
        {"month": "2026-02", "amount": DUE}]


def test_a_payment_for_a_participation_registered_to_start_later_is_taken_ahead(
        engine: Engine) -> None:
    """Her first period ended; a new one registered from 2026-05 is open: a payment in March
    pays May ahead (Law 41/2024 Art 36(2)), credit until May comes, and one dated before that
    registration could be made (12 months before May) is refused though the ended period
    began earlier."""
    pid = join_voluntarily(engine, start=Period(2025, 1))
    pay(engine, pid, FULL, "VNPT-JAN", date(2025, 1, 10))  # January, at its price
    with unit_of_work(engine) as s:
        person_id = registry.person_id_of(session=s, personal_id=pid)
        end_voluntary_period(session=s, person_id=person_id, last=Period(2025, 1))
        s.execute(text("INSERT INTO si_periods (person_id, seq, from_month, kind, "
                       "salary_basis, allowances, occupational_rate_bp, support_group) "
                       "VALUES (:p, 2, :m, 'voluntary', 3000000, 0, 0, 'other')"),
                  {"p": person_id, "m": Period(2026, 5).index})
    with pytest.raises(ValidationError) as err:
        pay(engine, pid, DUE, "VNPT-OLD", date(2025, 4, 30))
    assert [p.field for p in err.value.problems] == ["paid_on"]
    assert "starts in 2026-05" in err.value.problems[0].reason
    ahead = pay(engine, pid, DUE, "VNPT-AHEAD", date(2026, 3, 10))
    assert (ahead["allocated"], ahead["replayed"]) == ([], False)  # credit until May comes
    with unit_of_work(engine) as s:
        may = voluntary_statement(session=s, person_id=registry.person_id_of(
            session=s, personal_id=pid), personal_id=pid, as_of=date(2026, 5, 31))
    assert [(m["month"], m["status"]) for m in may["months"]][-1] == ("2026-05", "paid")


@pytest.mark.parametrize("sql", ["UPDATE voluntary_payments SET amount = 1",
                                 "DELETE FROM voluntary_payments"])
def test_payments_cannot_be_rewritten(engine: Engine, sql: str) -> None:
    pid = join_voluntarily(engine)
    pay(engine, pid, DUE, "VNPT-1")
    with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
        conn.execute(text(sql))
    assert len(stored(engine)) == 1


def test_an_unpaid_voluntary_month_does_not_count_and_is_shown_unpaid(engine: Engine) -> None:
    pid = join_voluntarily(engine)
    pay(engine, pid, DUE + 200_000, "VNPT-1")
    _, payload = book(engine, pid)
    (row,) = payload["sheets"]
    assert (row["kind"], row["months"]) == ("voluntary", 3)
    assert row["unpaid"] == [
        {"month": "2026-02", "status": "partly_paid", "due": DUE, "paid": 200_000},
        {"month": "2026-03", "status": "unpaid", "due": DUE, "paid": 0}]
    assert (payload["totals"]["si_months"], payload["totals"]["unpaid_months"]) == (1, 2)
    assert payload["voluntary"] == {"payments": [
        {"paid_on": "2026-02-10", "reference": "VNPT-1", "amount": DUE + 200_000}],
        "paid": DUE + 200_000, "credit": 0}


def test_paying_the_months_makes_a_new_book_version_that_counts_them(engine: Engine) -> None:
    pid = join_voluntarily(engine)
    first, unpaid = book(engine, pid)
    assert unpaid["totals"]["si_months"] == 0
    pay(engine, pid, 3 * DUE, "VNPT-1", date(2026, 3, 15))
    second, paid = book(engine, pid)
    assert second == first + 1
    assert (paid["totals"]["si_months"], paid["totals"]["unpaid_months"]) == (3, 0)
    assert paid["sheets"][0]["unpaid"] == []
    assert book(engine, pid)[0] == second  # nothing changed since: no new version


def test_a_payment_that_only_adds_credit_is_a_new_version_too(engine: Engine) -> None:
    pid = join_voluntarily(engine)
    pay(engine, pid, 3 * DUE, "VNPT-1")
    first, _ = book(engine, pid)
    pay(engine, pid, DUE, "VNPT-2", date(2026, 3, 18))  # April's, paid ahead
    second, payload = book(engine, pid)
    assert second == first + 1 and payload["voluntary"]["credit"] == DUE
    assert payload["totals"]["si_months"] == 3


def test_a_book_without_voluntary_participation_has_no_voluntary_part(engine: Engine) -> None:
    (worker,) = setup_workers(engine, 1)
    with unit_of_work(engine) as s:
        payload = service.assemble_person(
            session=s, person_id=registry.person_id_of(session=s, personal_id=worker),
            as_of=TODAY)
    assert "voluntary" not in payload


def test_the_batch_reads_a_whole_batchs_payments_in_one_query(engine: Engine) -> None:
    pids = [join_voluntarily(engine, n) for n in range(1, 5)]
    for n, pid in enumerate(pids):
        pay(engine, pid, (n + 1) * DUE, f"VNPT-{n}")
    reads: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "voluntary_payments" in statement:
            reads.append(statement)

    with unit_of_work(engine) as s:
        ids = [registry.person_id_of(session=s, personal_id=p) for p in pids]
        event.listen(engine, "before_cursor_execute", count)
        try:
            many = batch.assemble_many(session=s, person_ids=ids, as_of=TODAY)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        single = {i: service.assemble_person(session=s, person_id=i, as_of=TODAY) for i in ids}
    assert len(reads) == 1
    assert all(canonical(many[i]) == canonical(single[i]) for i in ids)
    assert [many[i]["totals"]["si_months"] for i in ids] == [1, 2, 3, 3]


@pytest.mark.parametrize("start", [Period(2020, 1), Period(2026, 2), Period(2027, 4)])
def test_voluntary_si_starts_this_month_or_within_a_year(engine: Engine, start: Period) -> None:
    """Registered in March 2026: not from 2020 (months cannot be bought back by registering
    back in time, FACTS §3.4), not from February, not from April 2027 (a typing error)."""
    pid = make_personal_id("001", date(1995, 5, 2), "female", 4399)
    with pytest.raises(ValidationError, match="voluntary SI starts from 2026-03") as refused, \
            unit_of_work(engine) as s:
        register(session=s, person=NewPerson(
            personal_id=pid, full_name="Trần Thị Ba", birth_date=date(1995, 5, 2),
            sex="female", birth_registration_place="001"),
            population=LocalPopulationRegistry(s), require_match=False, managing_office="01000",
            voluntary=VoluntaryStart(3_000_000, None, start), today=TODAY)
    assert refused.value.problems[0].field == "voluntary.from_month"
    with unit_of_work(engine) as s:
        assert registry.registered_id(session=s, personal_id=pid) is None  # nothing stored


def came_back_to_voluntary_si(engine: Engine, earlier: tuple[Period, Period], *,
                              support: str | None = "poor", today: date = date(2030, 3, 10)
                              ) -> tuple[str, dict[str, Any]]:
    """A participant with state support over ``earlier`` (a voluntary period a job then
    ended), back at the SI office on ``today`` to start voluntary SI again with ``support``."""
    pid = join_voluntarily(engine, 9, start=earlier[0])
    with unit_of_work(engine) as s:
        person_id = registry.person_id_of(session=s, personal_id=pid)
        s.execute(text("UPDATE si_periods SET support_group = 'poor', to_month = :end "
                       "WHERE person_id = :p"), {"end": earlier[1].index, "p": person_id})
        opened = start_voluntary(session=s, person_id=person_id, personal_id=pid, today=today,
                                 voluntary=VoluntaryStart(3_000_000, support, None))
    return pid, opened["voluntary"]


def dues_on(engine: Engine, pid: str, as_of: date) -> dict[str, int | None]:
    """What the participant owes for each voluntary month (YYYY-MM), as of ``as_of``."""
    with unit_of_work(engine) as s:
        account = service.voluntary_account(
            session=s, person_id=registry.person_id_of(session=s, personal_id=pid), as_of=as_of)
    return {str(m.month): m.due for m in account.months}


def test_someone_who_used_the_120_months_of_support_is_quoted_the_full_amount(
        engine: Engine) -> None:
    """Decree 159/2025: the state supports at most 120 months; Bình had them from 2020 to
    2029, so from March 2030 she pays the whole 22%, as her book charges it."""
    pid, opened = came_back_to_voluntary_si(engine, (Period(2020, 1), Period(2029, 12)))
    assert (opened["monthly_payable"], opened["state_support"]) == (FULL, 0)
    assert opened["support_months_left"] == 0
    _, payload = book(engine, pid, date(2030, 3, 10))
    assert payload["sheets"][-1]["unpaid"][0]["due"] == FULL


def test_the_months_of_support_from_2018_count_toward_the_120(engine: Engine) -> None:
    """Decree 134/2015 Art 14(2): the state's support to voluntary SI began on 1 January 2018
    (a poor household's: 30% of 22% of the rural poverty line 700,000, 46,200 a month). Bình
    had it from 2018 to 2027, 120 months, so from March 2030 she pays the whole 22%."""
    pid, opened = came_back_to_voluntary_si(engine, (Period(2018, 1), Period(2027, 12)))
    assert (opened["state_support"], opened["support_months_left"]) == (0, 0)
    due = dues_on(engine, pid, date(2030, 3, 10))
    # The poor's support of 2027 is Decree 159/2025's: 50% of 22% of 1,500,000.
    assert (due["2018-01"], due["2027-12"], due["2030-03"]) == (
        FULL - 46_200, FULL - 165_000, FULL)


def test_the_quote_counts_the_months_of_support_left_and_the_book_agrees(
        engine: Engine) -> None:
    """108 months used (2020-2028): 12 are left, from March 2030 to February 2031; the first
    month costs what the book charges for it, and the thirteenth the full amount."""
    pid, opened = came_back_to_voluntary_si(engine, (Period(2020, 1), Period(2028, 12)))
    assert opened["state_support"] > 0 and opened["support_months_left"] == 12
    assert opened["monthly_payable"] == FULL - opened["state_support"]
    due = dues_on(engine, pid, date(2031, 3, 10))
    assert (due["2030-03"], due["2031-02"], due["2031-03"]) == (
        opened["monthly_payable"], opened["monthly_payable"], FULL)


def test_a_participant_naming_no_support_group_is_supported_as_other(engine: Engine) -> None:
    """Decree 159/2025 supports every voluntary participant, those in none of its groups at
    20% ("others", FACTS §3.4): a registration naming no group opens the period as ``other``,
    quoted and charged 66,000 less a month for the 120 months, not the whole 22%."""
    pid = make_personal_id("001", date(1995, 5, 2), "female", 4398)
    with unit_of_work(engine) as s:
        answer = register(session=s, person=NewPerson(
            personal_id=pid, full_name="Trần Thị Tư", birth_date=date(1995, 5, 2),
            sex="female", birth_registration_place="001"),
            population=LocalPopulationRegistry(s), require_match=False, managing_office="01000",
            voluntary=VoluntaryStart(3_000_000, None, JANUARY), today=JANUARY.first_day)
    opened = answer["voluntary"]
    assert (opened["monthly_payable"], opened["state_support"],
            opened["support_months_left"]) == (DUE, 66_000, 120)
    with engine.connect() as conn:
        assert conn.execute(text(
            "SELECT support_group FROM si_periods WHERE kind = 'voluntary'")).scalar_one() == (
            "other")
    assert dues_on(engine, pid, TODAY) == {"2026-01": DUE, "2026-02": DUE, "2026-03": DUE}


def test_a_period_recorded_without_a_group_keeps_the_charge_it_was_opened_with(
        engine: Engine) -> None:
    """A period opened when naming no group meant no support recorded none (NULL): records are
    not rewritten, so its months cost the whole 22%, as they were quoted and paid."""
    pid = join_voluntarily(engine)
    with unit_of_work(engine) as s:
        s.execute(text("UPDATE si_periods SET support_group = NULL WHERE person_id = :p"),
                  {"p": registry.person_id_of(session=s, personal_id=pid)})
    assert dues_on(engine, pid, TODAY) == {"2026-01": FULL, "2026-02": FULL, "2026-03": FULL}
