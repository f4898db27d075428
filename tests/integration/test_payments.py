"""Payments pay the oldest dues first; what is left unpaid accrues interest and turns evasion."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert
from typer.testing import CliRunner

from sibook.cli.main import app as cli
from sibook.contributions import queries
from sibook.contributions.declare import declare
from sibook.contributions.ledger_store import LedgerEntry
from sibook.contributions.payments import post_payment
from sibook.core.db import unit_of_work
from sibook.core.errors import ConflictError, ValidationError
from sibook.core.period import Period
from sibook.registry import reading as registry
from tests.integration.ledger_fixtures import EMPLOYER, cli_store, csv_of, setup_workers


def three_months_owed(engine: Engine) -> str:
    """One worker on 10,000,000 from January; filed for March: Jan-Mar owe 3,200,000 each."""
    (an,) = setup_workers(engine, 1)
    with unit_of_work(engine) as s:
        declare(
            session=s,
            data=csv_of([(an, "TM", 10_000_000, "2026-01")]),
            file_name="d.csv",
            employer_code=EMPLOYER,
            month=Period(2026, 3),
        )
    return an


def pay(engine: Engine, amount: int, ref: str, on: date) -> dict[str, object]:
    with unit_of_work(engine) as s:
        return post_payment(
            session=s,
            employer_code=EMPLOYER,
            amount=amount,
            bank_reference=ref,
            paid_on=on,
            today=date(2026, 12, 31),
        )


def statement(engine: Engine, as_of: date) -> dict[str, object]:
    with unit_of_work(engine) as s:
        return queries.employer_ledger(session=s, code=EMPLOYER, as_of=as_of)


def test_a_payment_goes_to_the_oldest_months_first(engine: Engine) -> None:
    three_months_owed(engine)
    result = pay(engine, 5_000_000, "VCB-1", date(2026, 3, 20))
    assert result["allocated"] == [
        {"month": "2026-01", "amount": 3_200_000},
        {"month": "2026-02", "amount": 1_800_000},
    ]
    months = statement(engine, date(2026, 3, 20))["months"]
    assert [m["status"] for m in months] == ["paid", "partly_paid", "unpaid"]  # type: ignore[index]


def test_the_same_bank_reference_is_one_payment(engine: Engine) -> None:
    three_months_owed(engine)
    first = pay(engine, 5_000_000, "VCB-1", date(2026, 3, 20))
    again = pay(engine, 5_000_000, "VCB-1", date(2026, 3, 20))
    assert again["replayed"] is True and again["payment_id"] == first["payment_id"]
    assert again["allocated"] == first["allocated"]  # the first answer, not an empty one
    assert statement(engine, date(2026, 3, 20))["totals"]["paid"] == 5_000_000  # type: ignore[index]
    with pytest.raises(ConflictError, match="already posted"):
        pay(engine, 6_000_000, "VCB-1", date(2026, 3, 20))


def test_unpaid_dues_accrue_interest_and_become_evasion_from_day_61(engine: Engine) -> None:
    three_months_owed(engine)
    # January's deadline is the last day of February (Law 41/2024 Art 34(4)), 2026-02-28:
    # on 2026-04-29 it is 60 days late (31 in March, 29 in April), on 04-30 61.
    jan_60 = statement(engine, date(2026, 4, 29))["months"][0]  # type: ignore[index]
    jan_61 = statement(engine, date(2026, 4, 30))["months"][0]  # type: ignore[index]
    assert (jan_60["days_late"], jan_60["evasion"]) == (60, False)
    assert (jan_61["days_late"], jan_61["evasion"]) == (61, True)
    # 3,200,000 x 0.03% x 61 days = 58,560
    assert jan_61["interest"] == 58_560


def test_a_month_paid_after_it_became_evasion_stays_marked(engine: Engine) -> None:
    three_months_owed(engine)
    # Deadlines: January 02-28, February 03-31, March 04-30.
    pay(engine, 3_200_000, "VCB-9", date(2026, 5, 8))  # January paid on day 69 (31+30+8)
    after = statement(engine, date(2026, 6, 10))
    jan, feb, mar = after["months"]  # type: ignore[misc]
    assert (jan["status"], jan["days_late"], jan["evasion"]) == ("paid", 69, True)
    # February: 30 days in April, 31 in May, 10 in June; March: 31 + 10.
    assert (feb["status"], feb["days_late"], feb["evasion"]) == ("unpaid", 71, True)
    assert (mar["days_late"], mar["evasion"]) == (41, False)
    # January is remedied: only February is in evasion now.
    assert after["totals"]["months_in_evasion"] == 1  # type: ignore[index]


def test_interest_stops_when_the_month_is_paid(engine: Engine) -> None:
    three_months_owed(engine)
    pay(engine, 3_200_000, "VCB-2", date(2026, 3, 10))  # January (deadline 02-28) 10 days late
    jan = statement(engine, date(2026, 6, 1))["months"][0]  # type: ignore[index]
    # 3,200,000 x 0.03% x 10 days = 9,600
    assert (jan["status"], jan["interest"], jan["evasion"]) == ("paid", 9_600, False)


def test_no_payment_pays_late_interest_yet(engine: Engine) -> None:
    """The gap the README states: interest is shown, never collected. Money sent for
    January's interest pays February's dues, and January still shows the interest. The law
    collects a fund's late charges with its dues (Decree 233/2025/ND-CP Art 7(4)); when the
    ledger does, this test changes with it."""
    three_months_owed(engine)
    # January (deadline 02-28) paid on 03-10 with its 10 days' interest: 3,200,000 + 9,600
    result = pay(engine, 3_209_600, "VCB-4", date(2026, 3, 10))
    assert result["allocated"] == [
        {"month": "2026-01", "amount": 3_200_000},
        {"month": "2026-02", "amount": 9_600},
    ]
    after = statement(engine, date(2026, 3, 10))
    jan, feb, mar = after["months"]  # type: ignore[misc]
    assert (jan["status"], jan["interest"]) == ("paid", 9_600)
    assert (feb["status"], feb["paid"]) == ("partly_paid", 9_600)
    assert (mar["status"], mar["paid"]) == ("unpaid", 0)
    assert after["totals"]["interest"] == 9_600  # type: ignore[index]
    assert after["totals"]["credit"] == 0  # type: ignore[index]


def test_a_worker_sees_months_deducted_but_not_remitted(engine: Engine) -> None:
    an = three_months_owed(engine)
    pay(engine, 3_200_000, "VCB-3", date(2026, 1, 31))
    with unit_of_work(engine) as s:
        person_id = registry.person_id_of(session=s, personal_id=an)
        ledger = queries.person_ledger(
            session=s, person_id=person_id, personal_id=an, as_of=date(2026, 4, 30)
        )
    months = {m["month"]: m for m in ledger["months"]}
    assert months["2026-01"]["status"] == "paid"
    assert months["2026-02"]["status"] == "unpaid"
    assert months["2026-02"]["deducted_not_remitted"] is True
    # the worker's own share: 8% + 1.5% + 1% of 10,000,000
    assert months["2026-02"]["employee_share"]["total"] == 1_050_000
    # February's deadline (03-31) has passed; March is unpaid too, but its deadline (04-30)
    # has not: not yet held against anyone
    assert (months["2026-03"]["status"], months["2026-03"]["deducted_not_remitted"]) == (
        "unpaid", False)
    assert ledger["summary"]["months_deducted_not_remitted"] == 1
    with unit_of_work(engine) as s:
        later = queries.person_ledger(
            session=s, person_id=person_id, personal_id=an, as_of=date(2026, 5, 1))
    assert later["summary"]["months_deducted_not_remitted"] == 2


def test_a_worker_sees_the_months_the_employer_paid_late(engine: Engine) -> None:
    """FACTS §3.7: Decision 241/QD-BTC makes the employer's late history shareable. January is
    paid in time, February (deadline 03-31) on 04-10, March (deadline 04-30) not at all."""
    an = three_months_owed(engine)
    pay(engine, 3_200_000, "VCB-5", date(2026, 2, 20))
    pay(engine, 3_200_000, "VCB-6", date(2026, 4, 10))
    with unit_of_work(engine) as s:
        person_id = registry.person_id_of(session=s, personal_id=an)
        ledger = queries.person_ledger(
            session=s, person_id=person_id, personal_id=an, as_of=date(2026, 5, 15))
    months = {m["month"]: m for m in ledger["months"]}
    assert [(m["status"], m["employer_days_late"]) for m in months.values()] == [
        ("paid", 0), ("paid", 10), ("unpaid", 15),
        ("reported", None), ("reported", None)]  # April and May not assessed: nothing known
    # every key of before keeps its meaning: February is paid, only March deducted and unpaid
    assert ledger["summary"]["months_deducted_not_remitted"] == 1
    assert ledger["summary"]["months_employer_late"] == 2
    with unit_of_work(engine) as s:  # on 04-05 March is not yet due, February still unpaid
        earlier = queries.person_ledger(
            session=s, person_id=person_id, personal_id=an, as_of=date(2026, 4, 5))
    assert [m["employer_days_late"] for m in earlier["months"]] == [0, 5, 0, None]
    assert earlier["summary"]["months_employer_late"] == 1


def test_a_large_employers_late_month_has_a_statement(engine: Engine) -> None:
    """A big unit's month (15 billion VND, past any bound on what a person may type) still
    accrues interest: the bound guards input, not the ledger's own totals."""
    setup_workers(engine, 1)
    funds = ("retirement_survivorship", "sickness_maternity", "occupational", "health",
             "unemployment")
    with unit_of_work(engine) as s:
        employer = registry.employer_by_code(session=s, code=EMPLOYER)
        s.execute(insert(LedgerEntry).values(
            period=Period(2026, 1).index, employer_id=employer.employer_id, entry_no=1,
            workers=5_000, total=15_000_000_000,
            **{f"{side}_{f}": 0 for side in ("er", "ee") for f in funds}
            | {"er_retirement_survivorship": 15_000_000_000}))
    jan = statement(engine, date(2026, 3, 10))["months"][0]  # type: ignore[index]
    # 10 days past January's deadline (02-28): 15,000,000,000 x 0.03% x 10 days = 45,000,000
    assert (jan["due"], jan["days_late"], jan["interest"]) == (15_000_000_000, 10, 45_000_000)


def test_an_overpayment_is_shown_as_credit_and_pays_the_next_dues(engine: Engine) -> None:
    three_months_owed(engine)  # 3 x 3,200,000 = 9,600,000 due
    posted = pay(engine, 10_000_000, "VCB-9", date(2026, 3, 20))
    assert posted["credit"] == 400_000
    totals = statement(engine, date(2026, 3, 31))["totals"]
    assert (totals["outstanding"], totals["credit"]) == (0, 400_000)  # type: ignore[index]
    assert statement(engine, date(2026, 3, 19))["totals"]["credit"] == 0  # type: ignore[index]


def test_a_bank_reference_in_other_letters_case_is_the_same_payment(engine: Engine) -> None:
    three_months_owed(engine)
    first = pay(engine, 5_000_000, "VCB-0001", date(2026, 3, 20))
    again = pay(engine, 5_000_000, "vcb-0001", date(2026, 3, 20))
    assert again["replayed"] is True and again["payment_id"] == first["payment_id"]
    assert again["reference"] == "VCB-0001"  # the payment as stored


def test_a_payment_dated_before_social_insurance_began_is_refused(engine: Engine) -> None:
    three_months_owed(engine)
    with pytest.raises(ValidationError, match="before social insurance began"):
        pay(engine, 1_000_000, "VCB-OLD", date(1994, 12, 31))


def test_a_payment_dated_before_the_unit_had_anything_to_pay_is_refused(engine: Engine) -> None:
    """Its first worker insured from 2026-01: a remittance dated 2016 (a mistyped year) would
    pay every month on time by that date and wipe out the late interest."""
    three_months_owed(engine)
    with pytest.raises(ValidationError, match="first worker was insured in 2026-01") as refused:
        pay(engine, 9_600_000, "VCB-2016", date(2016, 3, 20))
    assert [p.field for p in refused.value.problems] == ["paid_on"]
    assert statement(engine, date(2026, 3, 31))["totals"]["paid"] == 0  # type: ignore[index]
    # paying ahead in the month before the first worker's month is a payment of the unit's
    assert pay(engine, 3_200_000, "VCB-AHEAD", date(2025, 12, 1))["allocated"] == [
        {"month": "2026-01", "amount": 3_200_000}]


@pytest.mark.parametrize("ref", [
    "VCB\x00001", "VCB-1\nVCB-2", "   ",
    "\ufb03" * 40,  # 'ffi' ligature: 120 characters in capitals, past the key's column
])
def test_a_bank_reference_with_control_characters_or_nothing_is_refused(engine: Engine,
                                                                        ref: str) -> None:
    three_months_owed(engine)
    with pytest.raises(ValidationError) as err:
        pay(engine, 1_000_000, ref, date(2026, 4, 1))
    assert err.value.problems[0].field == "reference"


def test_the_earliest_money_pays_the_oldest_month_whatever_order_it_was_posted_in(
        engine: Engine) -> None:
    """A clerk posts May's remittance before March's: January is still paid by the March
    money, and the order of posting changes no interest or evasion."""
    three_months_owed(engine)
    late = pay(engine, 3_200_000, "LATE-2", date(2026, 5, 21))
    assert late["allocated"] == [{"month": "2026-01", "amount": 3_200_000}]
    early = pay(engine, 3_200_000, "EARLY-1", date(2026, 3, 15))
    assert early["allocated"] == [{"month": "2026-01", "amount": 3_200_000}]
    with unit_of_work(engine) as s:  # the May money moved on to February
        assert queries.employer_ledger(session=s, code=EMPLOYER, as_of=date(2026, 5, 21))[
            "months"][1]["paid"] == 3_200_000
        posted_late = post_payment(session=s, employer_code=EMPLOYER, amount=3_200_000,
                                   bank_reference="LATE-2", paid_on=date(2026, 5, 21),
                                   today=date(2026, 12, 31))
    assert posted_late["allocated"] == [{"month": "2026-02", "amount": 3_200_000}]
    months = statement(engine, date(2026, 5, 21))["months"]
    jan, feb = months[0], months[1]  # type: ignore[index]
    # January's deadline is 02-28: paid 03-15, 15 days late (3,200,000 x 0.03% x 15), not
    # 82 days (evasion: 31 + 30 + 21) as it would be if the May money had paid it.
    assert (jan["days_late"], jan["interest"], jan["evasion"]) == (15, 14_400, False)
    # February's deadline is 03-31: paid 05-21, 51 days late (30 + 21).
    assert (feb["days_late"], feb["evasion"]) == (51, False)


def test_money_a_correction_frees_keeps_its_payment_and_date(engine: Engine) -> None:
    """Two workers from January, paid on 02-10 for both; the second is then cancelled (a GH
    from January): the money freed from January pays February, still dated 02-10, not under
    a later small payment's date."""
    an, binh = setup_workers(engine, 2)
    with unit_of_work(engine) as s:
        declare(session=s, data=csv_of([(an, "TM", 10_000_000, "2026-01"),
                                        (binh, "TM", 10_000_000, "2026-01")]),
                file_name="d.csv", employer_code=EMPLOYER, month=Period(2026, 2))
    pay(engine, 6_400_000, "P1", date(2026, 2, 10))
    pay(engine, 1_000, "P2", date(2026, 3, 20))
    with unit_of_work(engine) as s:
        declare(session=s, data=csv_of([(binh, "GH", None, "2026-01")]), file_name="g.csv",
                employer_code=EMPLOYER, month=Period(2026, 2), batch_no=2)
    months = statement(engine, date(2026, 4, 20))["months"]
    jan, feb = months[0], months[1]  # type: ignore[index]
    assert (jan["due"], jan["paid"], feb["due"], feb["paid"]) == (
        3_200_000, 3_200_000, 3_200_000, 3_200_000)
    assert feb["days_late"] == 0  # paid on 02-10, before February's deadline
    replay = pay(engine, 1_000, "P2", date(2026, 3, 20))
    assert replay["allocated"] == []  # the 1,000 VND paid nothing: it is credit
    assert replay["credit"] == 1_000


def test_a_statement_before_any_deadline_needs_no_late_payment_rule(engine: Engine) -> None:
    """As of a day before the first late-payment rule in the law tables (2025-07) and before
    every month's deadline, nothing is late: the month reads owed, not refused for want of an
    interest rate or an evasion day no month needs."""
    (an,) = setup_workers(engine, 1)
    with unit_of_work(engine) as s:
        declare(session=s, data=csv_of([(an, "TM", 10_000_000, "2025-06")]), file_name="d.csv",
                employer_code=EMPLOYER, month=Period(2025, 6))
    months = statement(engine, date(2025, 6, 30))["months"]
    assert [(m["month"], m["status"], m["days_late"], m["interest"], m["evasion"])
            for m in months] == [("2025-06", "unpaid", 0, 0, False)]  # type: ignore[index]


def test_june_2025_falls_due_at_its_own_end_and_july_2025_at_augusts(engine: Engine) -> None:
    """June 2025 is the last month under Decision 595 (deadline 06-30); July 2025 the first under
    Law 41/2024 Art 34(4) (deadline 08-31, the last day of the month after)."""
    (an,) = setup_workers(engine, 1)
    with unit_of_work(engine) as s:
        declare(session=s, data=csv_of([(an, "TM", 10_000_000, "2025-06")]), file_name="d.csv",
                employer_code=EMPLOYER, month=Period(2025, 7))

    def late(as_of: date) -> list[tuple[object, ...]]:
        return [(m["month"], m["deadline"], m["days_late"], m["evasion"])
                for m in statement(engine, as_of)["months"]]  # type: ignore[attr-defined]

    # On 08-31 June is 62 days late (31 in July, 31 in August): evasion; July is not yet late.
    assert late(date(2025, 8, 31)) == [("2025-06", "2025-06-30", 62, True),
                                       ("2025-07", "2025-08-31", 0, False)]
    assert late(date(2025, 9, 1))[1] == ("2025-07", "2025-08-31", 1, False)


def test_a_statement_as_of_a_day_is_the_ledger_as_it_stood_then_both_sides(
        engine: Engine) -> None:
    """Filed for March (January to March owed), 10,000,000 paid on 02-10. As of 02-15 March
    was not yet owed: the statement shows January and February, what paid them, and the rest
    of the money as the credit it then was (it pays March only once March is owed)."""
    three_months_owed(engine)
    pay(engine, 10_000_000, "VCB-1", date(2026, 2, 10))
    then = statement(engine, date(2026, 2, 15))
    assert [(m["month"], m["due"], m["paid"]) for m in then["months"]] == [  # type: ignore[index]
        ("2026-01", 3_200_000, 3_200_000), ("2026-02", 3_200_000, 3_200_000)]
    assert {k: then["totals"][k] for k in ("due", "paid", "outstanding", "credit")} == {  # type: ignore[index]
        "due": 6_400_000, "paid": 6_400_000, "outstanding": 0, "credit": 3_600_000}
    now = statement(engine, date(2026, 3, 31))["totals"]
    assert (now["due"], now["paid"], now["credit"]) == (9_600_000, 9_600_000, 400_000)  # type: ignore[index]


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    yield from cli_store(tmp_path, monkeypatch)  # the unit, with no worker insured yet


def test_a_payment_posted_without_a_date_run_again_the_next_day_is_that_payment(
        store: Engine) -> None:
    """`payments post` given no --date posts on today: a script run again the next day (its
    answer lost) is answered with the payment it posted, not refused as another date; given
    --date, another day is still refused."""
    yesterday = date.today() - timedelta(days=1)
    with unit_of_work(store) as s:  # the run whose answer was lost
        first = post_payment(session=s, employer_code=EMPLOYER, amount=1_000_000,
                             bank_reference="VCB-NIGHT", paid_on=yesterday)
    command = ["payments", "post", "--employer", EMPLOYER, "--amount", "1000000",
               "--reference", "VCB-NIGHT", "--json"]
    again = CliRunner().invoke(cli, command)
    assert again.exit_code == 0, again.stdout
    answer = json.loads(again.stdout)
    assert (answer["replayed"], answer["payment_id"], answer["paid_on"]) == (
        True, first["payment_id"], yesterday.isoformat())
    dated = CliRunner().invoke(cli, [*command, "--date", date.today().isoformat()])
    assert dated.exit_code == 1
    assert [e["field"] for e in json.loads(dated.stdout)["errors"]] == ["--date"]
