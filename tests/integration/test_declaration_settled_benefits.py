"""A declaration never changes a month a settled pension or one-time withdrawal averaged, on
SQLite and PostgreSQL: such a benefit took its worker's record up to the decision's month, so a
line from such a month (a DC in a closed period or in the open one, a decrease, an increase
adding the month) is refused naming the row, the month, the benefit, its dossier and decision,
and the SI agency's re-computation; the whole filing is left unapplied. Lines from a
withdrawal's decision month itself are taken (a new job starts a new record: the withdrawal
paid out the months before it), and a benefit only claimed holds nothing. A pensioner is not
subject to compulsory SI (Law 41/2024 Art 2(7)(a)): from the month the pension pays, a line
opening or re-pricing a period is refused naming the pension, the month and the law, to the
employer who had the worker (another is told only what any outsider's line is; one the
worker had left before the benefit was decided, only its kind, never its dossier, decision or
months); a decrease
ending a period left open is taken. A pension is settled only once its worker's period has
ended (``benefits.left_work``): the open period here is one a pension settled before that
check, or records migrated, left."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import Engine, update

from sibook.benefits.domain import Claim, Decision, Regime
from sibook.contributions.declare import declare
from sibook.core.db import unit_of_work
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.core.schema import metadata
from sibook.ids import make_personal_id
from sibook.registry import reading as registry
from tests.integration.ledger_fixtures import (
    EMPLOYER,
    add_other_employer,
    csv_of,
    setup_workers,
    snapshot,
)
from tests.integration.test_benefits import RETIRES_2025_06, claim, older_worker, settle
from tests.integration.test_benefits_stated_average import (
    DECIDED,
    PENSION,
    STATED,
    STATED_MONTHLY,
    paying,
)

FILED = Period(2026, 11)
WITHDRAWAL = Claim(Regime.LUMP_SUM, "HS-LS-DC", date(2025, 10, 1), ground="emigration")
# The one-time withdrawal the record gives on the decision's day (``older_worker``'s months).
WITHDRAWN = Decision("settled", date(2025, 10, 20), "99/QĐ", amount=525_279_530)
# The older worker here to 2025-07 or 2025-08: 247 or 248 months, 47% of the stated 12,000,000.
STILL_WORKING_MONTHLY = 5_640_000
Row = tuple[str, str, int | None, str]
# older_worker's ID and name, on his lines as an employer knows him.
NAMES = {make_personal_id("001", RETIRES_2025_06, "male", 91): "Lê Văn Thành"}


def file(engine: Engine, rows: list[Row], employer: str = EMPLOYER, month: Period = FILED
         ) -> dict[str, object]:
    with unit_of_work(engine) as s:
        return declare(session=s, data=csv_of(rows, NAMES), file_name="d02.csv",
                       employer_code=employer, month=month)


def refused(engine: Engine, rows: list[Row], employer: str = EMPLOYER
            ) -> list[tuple[int | None, str, str]]:
    """The problems of a filing of ``rows`` (row, field, reason), which changed nothing."""
    before = snapshot(engine)
    with pytest.raises(ValidationError) as refusal:
        file(engine, rows, employer)
    assert snapshot(engine) == before
    return [(p.row, p.field, p.reason) for p in refusal.value.problems]


def reason(month: str, benefit: str, dossier: str, decision: str, decided: str,
           averaged_to: str, free: str) -> str:
    return (f"{month} is in the record the worker's settled {benefit} averaged (dossier "
            f"{dossier}, decision {decision} of {decided}, the months up to {averaged_to}): a "
            "list cannot change that record's pay or months; the SI agency re-computes the "
            "benefit on the corrected months once the contributions owed are collected "
            f"(Decree 158/2025/ND-CP) and records them then; lines from {free} on are outside "
            "that record")


def reason_outside_its_time(month: str) -> str:
    """The refusal of a line from ``month`` of the record a benefit averaged that was settled
    after the worker left the unit: what the line may not do, never the benefit's dossier,
    decision, date or months (what the worker's record became after they left)."""
    return (f"{month} is in the record a pension or one-time withdrawal, settled outside the "
            "worker's time with this unit, averaged: a list cannot change that record's pay or "
            "months; the SI agency re-computes the benefit on the corrected months once the "
            "contributions owed are collected (Decree 158/2025/ND-CP) and records them then; "
            "the worker's e-SI book shows the months that record holds")


def told_nothing_of(why: str, *parts: str) -> None:
    for part in parts:
        assert part not in why


def pension_reason(month: str, decided: str = "2025-08-20", ends: str = "2025-09") -> str:
    """The refusal of a line from ``month``, which the ``pensioned`` worker's pension pays."""
    return (f"{month} is a month the worker's settled pension pays (dossier "
            f"{PENSION.dossier_no}, decision 72/QĐ of {decided}, from 2025-09): a person "
            "receiving a pension is not subject to compulsory SI, nor so to OA/OD insurance "
            "(Law 41/2024/QH15 Art 2(7)(a), Art 139(1)(b); Law 58/2014/QH13 Art 123(9) before "
            "2025-07), and no list takes them on or re-prices their pay from then; a period "
            f"still open here is ended by a decrease from {ends}")


@pytest.fixture
def withdrawn(engine: Engine) -> tuple[str, str]:
    """A worker taken on nowhere yet (``an``), and an older one who worked here from 2005 to
    2025-06 and withdrew his SI on 2025-10-20 (``him``), four months after he left: the unit
    is told no more of the withdrawal than that a benefit holds the months."""
    (an,) = setup_workers(engine, 1)
    him = older_worker(engine)
    claim(engine, him, WITHDRAWAL)
    settle(engine, him, WITHDRAWAL.dossier_no, WITHDRAWN)
    return an, him


def test_a_dc_of_a_closed_month_a_withdrawal_paid_out_refuses_the_whole_filing(
        engine: Engine, withdrawn: tuple[str, str]) -> None:
    an, him = withdrawn
    problems = refused(engine, [(an, "TM", 10_000_000, "2026-11"),
                                (him, "DC", 11_000_000, "2025-03")])
    assert problems == [(3, "from_month", reason_outside_its_time("2025-03"))]
    told_nothing_of(problems[0][2], "HS-LS-DC", "99/QĐ", "2025-10")
    file(engine, [(an, "TM", 10_000_000, "2026-11")])  # the rest of the file, alone, is taken


def test_an_increase_before_the_withdrawals_month_is_refused_from_it_taken(
        engine: Engine, withdrawn: tuple[str, str]) -> None:
    """Taken on again from 2025-09 would add a month to the record the withdrawal paid out, a
    month before it was decided (his last was 2025-06); a job from 2025-10, the decision's
    month, starts a new record."""
    _, him = withdrawn
    assert refused(engine, [(him, "TM", 9_000_000, "2025-09")]) == [
        (2, "from_month", reason_outside_its_time("2025-09"))]
    assert file(engine, [(him, "TM", 9_000_000, "2025-10")])["periods_opened"] == 1


def test_a_withdrawal_settled_as_the_worker_left_is_named_to_the_unit(engine: Engine) -> None:
    """Decided in the month after his last here (the leaving it pays out on), the withdrawal
    is of his time with the unit: the refusal names it, its dossier and decision."""
    setup_workers(engine, 0)
    him = older_worker(engine, until=Period(2025, 9))
    claim(engine, him, WITHDRAWAL)
    settle(engine, him, WITHDRAWAL.dossier_no, replace(WITHDRAWN, amount=537_234_938))
    assert refused(engine, [(him, "DC", 11_000_000, "2025-03")]) == [(2, "from_month", reason(
        "2025-03", "one-time withdrawal", "HS-LS-DC", "99/QĐ", "2025-10-20", "2025-09",
        "2025-10"))]


def test_another_employer_is_not_told_of_the_benefit(
        engine: Engine, withdrawn: tuple[str, str]) -> None:
    """An employer he never worked for learns nothing of his withdrawal: its line is refused
    as any outsider's is, from what the line says. From the decision's month it takes him on."""
    _, him = withdrawn
    other = add_other_employer(engine)
    ((row, field, why),) = refused(engine, [(him, "TM", 9_000_000, "2025-09")], other)
    assert (row, field) == (2, "personal_id")
    assert "HS-LS-DC" not in why and "withdrawal" not in why
    assert file(engine, [(him, "TM", 9_000_000, "2025-10")], other)["periods_opened"] == 1


def left_open(engine: Engine, pid: str) -> None:
    """``pid``'s periods with the test employer open again, as a pension settled before sibook
    checked its worker had left work (``benefits.left_work``), or the SI agency's records
    migrated, left them: the declarations' guard is for that record."""
    with unit_of_work(engine) as s:
        person = registry.person_id_of(session=s, personal_id=pid)
        for table in ("si_periods", "ui_periods"):
            t = metadata.tables[table]
            s.execute(update(t).where(t.c.person_id == person).values(to_month=None))


def pension_settled(engine: Engine, decided: date = DECIDED) -> str:
    """An older worker here since 2005 whose pension from 2025-09 was settled on ``decided``
    once he left at the end of 2025-08, his period then left open (``left_open``)."""
    setup_workers(engine, 0)
    him = older_worker(engine, until=Period(2025, 8))
    claim(engine, him, PENSION)
    settle(engine, him, PENSION.dossier_no,
           replace(paying(STILL_WORKING_MONTHLY, STATED), decided_on=decided))
    left_open(engine, him)
    return him


@pytest.fixture
def pensioned(engine: Engine) -> str:
    """An older worker here since 2005, his period open, whose pension from 2025-09 was
    settled on 2025-08-20."""
    return pension_settled(engine)


@pytest.mark.parametrize("line", [("DC", 9_500_000, "2025-08"), ("GH", None, "2025-07")],
                         ids=["raise", "decrease"])
def test_a_change_of_the_open_period_from_a_month_the_pension_averaged_is_refused(
        engine: Engine, pensioned: str, line: tuple[str, int | None, str]) -> None:
    code, salary, month = line
    assert refused(engine, [(pensioned, code, salary, month)]) == [(2, "from_month", reason(
        month, "pension", PENSION.dossier_no, "72/QĐ", "2025-08-20", "2025-08", "2025-09"))]


@pytest.mark.parametrize("month", ["2025-09", "2026-11"])
def test_a_raise_from_a_month_the_pension_pays_is_refused(
        engine: Engine, pensioned: str, month: str) -> None:
    assert refused(engine, [(pensioned, "DC", 9_500_000, month)]) == [
        (2, "from_month", pension_reason(month))]


def test_the_period_left_open_is_ended_from_the_pensions_first_month(
        engine: Engine, pensioned: str) -> None:
    result = file(engine, [(pensioned, "GH", None, "2025-09")])
    assert (result["periods_closed"], result["periods_opened"]) == (1, 0)


def test_the_pensioner_is_not_taken_on_again(engine: Engine, pensioned: str) -> None:
    """Once his period is ended, a later increase by his employer would open a compulsory
    period priced at every fund's rate for a month his pension pays: refused, the file left
    unapplied; the other employer, which never had him, is refused as for any outsider."""
    file(engine, [(pensioned, "GH", None, "2025-09")], month=Period(2025, 9))
    assert refused(engine, [(pensioned, "TM", 9_000_000, "2026-11")]) == [
        (2, "from_month", pension_reason("2026-11"))]
    other = add_other_employer(engine)
    ((row, field, why),) = refused(engine, [(pensioned, "TM", 9_000_000, "2026-11")], other)
    assert (row, field) == (2, "personal_id")
    assert PENSION.dossier_no not in why and "does not pay it" in why


def test_a_benefit_only_claimed_holds_no_month(engine: Engine) -> None:
    setup_workers(engine, 0)
    him = older_worker(engine)
    claim(engine, him, WITHDRAWAL)
    result = file(engine, [(him, "DC", 11_000_000, "2025-03")])
    assert (result["periods_closed"], result["periods_opened"]) == (1, 1)


def test_a_pension_decided_after_it_began_is_ended_from_the_month_after_its_decision(
        engine: Engine) -> None:
    """Paid from 2025-09 but decided on 2025-10-20, the pension averaged his months to 2025-10:
    a raise from 2025-11 is refused for the pension, and the reason sends the decrease to
    2025-11, the first month neither averaged nor unpaid by the pension; that one is taken."""
    him = pension_settled(engine, date(2025, 10, 20))
    assert refused(engine, [(him, "DC", 9_500_000, "2025-11")]) == [
        (2, "from_month", pension_reason("2025-11", "2025-10-20", "2025-11"))]
    result = file(engine, [(him, "GH", None, "2025-11")])
    assert (result["periods_closed"], result["periods_opened"]) == (1, 0)


LEFT_AS_DECIDED = Period(2025, 7)  # his last month here, the one before the decision's


def starting_later(engine: Engine, until: Period = LEFT_AS_DECIDED) -> str:
    """An older worker here to ``until`` whose pension, decided on 2025-08-20 (averaging his
    record to 2025-08), pays from 2025-11: 2025-09 and 2025-10 are neither averaged nor paid.
    Decided in the month after his last here, the pension is of his time with the unit."""
    setup_workers(engine, 0)
    him = older_worker(engine, until=until)
    claim(engine, him, PENSION)
    monthly = STATED_MONTHLY if until < LEFT_AS_DECIDED else STILL_WORKING_MONTHLY  # 21 years
    settle(engine, him, PENSION.dossier_no,
           replace(paying(monthly, STATED), from_month=Period(2025, 11)))
    return him


def runs_into_reason_outside_its_time(month: str) -> str:
    return (f"{month} is before the first month of a pension, settled outside the worker's "
            "time with this unit: a period from it may not run on into the months the pension "
            "pays (Law 41/2024/QH15 Art 64(1), Art 69(1), Art 2(7)(a)); the same list ends the "
            "period with a decrease from that first month at the latest (their e-SI book shows "
            "it)")


def runs_into_reason(month: str) -> str:
    return (f"{month} is after the record the worker's settled pension averaged and before its "
            f"first month 2025-11 (dossier {PENSION.dossier_no}, decision 72/QĐ of "
            "2025-08-20): a period from it may not run on into the months the pension pays, "
            "as a pension is paid on leaving work (Law 41/2024/QH15 Art 64(1), Art 69(1)) and "
            "a person receiving one is not subject to compulsory SI (Art 2(7)(a)); the same "
            "list ends the period with a decrease from 2025-11 at the latest (the list of "
            "2025-11 or a later month can carry both lines)")


@pytest.mark.parametrize("filed", [Period(2025, 9), FILED])
def test_a_job_taken_between_the_decision_and_a_later_pension_start_must_end_before_it(
        engine: Engine, filed: Period) -> None:
    """Taken on from 2025-09 with nothing ending it, the job's period would run on into
    2025-11 and after, months his pension pays: refused, in September's list as in a later
    one, naming the pension and the decrease that ends it; nothing is written."""
    him = starting_later(engine)
    before = snapshot(engine)
    with pytest.raises(ValidationError) as refusal:
        file(engine, [(him, "TM", 9_000_000, "2025-09")], month=filed)
    assert snapshot(engine) == before
    assert [(p.row, p.field, p.reason) for p in refusal.value.problems] == [
        (2, "from_month", runs_into_reason("2025-09"))]


def test_a_unit_the_worker_left_before_the_pension_is_not_told_of_it(engine: Engine) -> None:
    """Decided two months after his last here, the pension is what his record became after he
    left: the unit that takes him on again is told what the line may not do, never the
    pension's dossier, decision or months; a pension it pays he is not taken on in either."""
    him = starting_later(engine, until=Period(2025, 6))
    problems = refused(engine, [(him, "TM", 9_000_000, "2025-09")])
    assert problems == [(2, "from_month", runs_into_reason_outside_its_time("2025-09"))]
    ((_, _, paid),) = refused(engine, [(him, "TM", 9_000_000, "2026-11")])
    assert paid.startswith("2026-11 is a month a pension, settled outside the worker's time "
                           "with this unit, pays: ")
    for why in (problems[0][2], paid):
        told_nothing_of(why, PENSION.dossier_no, "72/QĐ", "2025-08", "2025-11")


def test_a_job_ended_before_the_pensions_first_month_in_the_same_list_is_taken(
        engine: Engine) -> None:
    """The same job with its decrease from 2025-11, the pension's first month, in one list:
    two months of compulsory SI outside the pension's record and before its months."""
    him = starting_later(engine)
    late = [(him, "TM", 9_000_000, "2025-09"), (him, "GH", None, "2025-12")]
    assert refused(engine, late) == [
        (2, "from_month", runs_into_reason("2025-09")),
        (3, "personal_id", "not checked: it applies after row 2 of the same person, which is "
                           "refused")]
    result = file(engine, [(him, "TM", 9_000_000, "2025-09"), (him, "GH", None, "2025-11")],
                  month=Period(2025, 11))
    assert (result["periods_opened"], result["periods_closed"]) == (1, 1)


def test_another_employer_is_not_told_of_the_later_pension(engine: Engine) -> None:
    him = starting_later(engine)
    other = add_other_employer(engine)
    ((row, field, why),) = refused(engine, [(him, "TM", 9_000_000, "2025-09")], other)
    assert (row, field) == (2, "personal_id")
    assert PENSION.dossier_no not in why and "pension" in why
