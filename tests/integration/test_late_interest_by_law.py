"""Late interest charged each stretch of lateness by the rule in force then: Law 41/2024's 0.03%
a day from 2025-07, Law 58/2014 Art 122(3)'s monthly charge before (each year at twice the fund
investment rate of the year before: 2019's 5.80% in 2020, 2020's 5.02% in 2021), nothing where
the law tables price nothing (2025-01 to 2025-06: 2024's rate is not loaded), the statement
saying so; and the ledger read as of a day before 2025-07."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert
from typer.testing import CliRunner

from sibook.cli.main import app
from sibook.contributions import queries
from sibook.contributions.ledger_store import LedgerEntry
from sibook.contributions.payments import post_payment
from sibook.core.db import unit_of_work
from sibook.core.period import Period
from sibook.registry import reading as registry
from tests.integration.ledger_fixtures import EMPLOYER, cli_store, setup_workers

FUNDS = ("retirement_survivorship", "sickness_maternity", "occupational", "health",
         "unemployment")
# Law 58/2014 Art 122(3): twice the fund's average investment rate of the year before, a
# month: 2 x 5.80% / 12 in 2020 (Notice 63/TB-BHXH of 2020-01-08), 2 x 5.02% / 12 in 2021
# (Notice 123/TB-BHXH of 2021-01-14; Ho Chi Minh City published it as 0.8366% a month).
K_2020 = Decimal(2) * Decimal("5.80") / 12 / 100
K_2021 = Decimal(2) * Decimal("5.02") / 12 / 100


def owes(engine: Engine, month: Period, total: int) -> None:
    """The employer owes ``total`` for ``month`` (an assessed entry, as the agency posts it)."""
    with unit_of_work(engine) as s:
        employer = registry.employer_by_code(session=s, code=EMPLOYER)
        s.execute(insert(LedgerEntry).values(
            period=month.index, employer_id=employer.employer_id, entry_no=1, workers=1,
            total=total, **{f"{side}_{f}": 0 for side in ("er", "ee") for f in FUNDS}
            | {"er_retirement_survivorship": total}))


def pay(engine: Engine, amount: int, ref: str, on: date) -> None:
    with unit_of_work(engine) as s:
        post_payment(session=s, employer_code=EMPLOYER, amount=amount, bank_reference=ref,
                     paid_on=on, today=on)


def ledger(engine: Engine, as_of: date) -> dict[str, object]:
    with unit_of_work(engine) as s:
        return queries.employer_ledger(session=s, code=EMPLOYER, as_of=as_of)


def test_days_late_before_2025_07_are_not_charged_the_new_laws_daily_rate(
        engine: Engine) -> None:
    setup_workers(engine, 1)
    owes(engine, Period(2025, 4), 10_000_000)  # due 2025-04-30 (Decision 595 Art 7(1))
    got = ledger(engine, date(2025, 7, 10))
    (april,) = got["months"]  # type: ignore[misc]
    # 71 days late: May is the old law's 30 days' grace, June its monthly charge on the 1st
    # (2024's investment rate is not loaded: nothing), 1-10 July 0.03% a day
    assert (april["days_late"], april["evasion"]) == (71, True)
    assert april["interest"] == 30_000  # 10,000,000 x 0.03% x 10 days
    assert got["notes"] == ["interest for days late in 2025-06 not computed: no late-interest "
                            "rate in the law tables for those months"]


def test_2020_is_charged_monthly_at_twice_the_funds_investment_rate(engine: Engine) -> None:
    setup_workers(engine, 1)
    owes(engine, Period(2020, 1), 12_000_000)  # due 2020-01-31
    pay(engine, 5_000_000, "VCB-2020-1", date(2020, 4, 10))
    got = ledger(engine, date(2020, 6, 15))
    (january,) = got["months"]  # type: ignore[misc]
    # charged on the first of March (late 30 days and more: owed at the end of February),
    # April, May and June, each on what was owed at the end of the month before
    owed = 12_000_000 + 12_000_000 + 7_000_000 + 7_000_000
    want = int((owed * K_2020).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert want == 367_333
    assert (january["paid"], january["outstanding"], january["days_late"]) == (
        5_000_000, 7_000_000, 136)
    assert (january["interest"], january["evasion"]) == (want, False)
    assert got["notes"] == ["evasion not judged: no evasion rule in the law tables for 2020-06"]


def test_a_stretch_into_2021_is_charged_each_month_at_its_years_rate(engine: Engine) -> None:
    setup_workers(engine, 1)
    owes(engine, Period(2020, 10), 10_000_000)  # due 2020-10-31
    got = ledger(engine, date(2021, 2, 10))
    (october,) = got["months"]  # type: ignore[misc]
    # November is the grace; charged on 1 December at 2020's rate, on 1 January and 1 February
    # at 2021's (2020's investment rate), each on the 10,000,000 still owed
    want = int((10_000_000 * (K_2020 + 2 * K_2021)).quantize(Decimal(1),
                                                            rounding=ROUND_HALF_UP))
    assert want == 264_000  # 96,666.67 + 2 x 83,666.67
    assert (october["days_late"], october["interest"]) == (102, want)
    assert got["notes"] == ["evasion not judged: no evasion rule in the law tables for 2021-02"]


def test_a_year_whose_investment_rate_is_not_loaded_is_named_not_charged(
        engine: Engine) -> None:
    setup_workers(engine, 1)
    owes(engine, Period(2024, 11), 10_000_000)  # due 2024-11-30
    got = ledger(engine, date(2025, 2, 10))
    (november,) = got["months"]  # type: ignore[misc]
    # December is the grace; January and February 2025 need 2024's rate, not loaded
    assert (november["days_late"], november["interest"]) == (72, 0)
    assert got["notes"] == [
        "interest for days late in 2025-01..2025-02 not computed: no late-interest rate in the "
        "law tables for those months",
        "evasion not judged: no evasion rule in the law tables for 2025-02"]


def test_the_ledger_reads_as_of_a_day_before_2025_07(engine: Engine) -> None:
    setup_workers(engine, 1)
    owes(engine, Period(2025, 3), 10_000_000)  # due 2025-03-31
    owes(engine, Period(2025, 6), 10_000_000)  # due 2025-06-30: not late on 06-15
    pay(engine, 4_000_000, "VCB-2025-1", date(2025, 4, 15))
    got = ledger(engine, date(2025, 6, 15))
    march, june = got["months"]  # type: ignore[misc]
    assert (march["due"], march["paid"], march["outstanding"], march["status"]) == (
        10_000_000, 4_000_000, 6_000_000, "partly_paid")
    assert (march["days_late"], march["interest"], march["evasion"]) == (76, 0, False)
    assert (june["status"], june["days_late"]) == ("unpaid", 0)
    assert got["totals"] == {"due": 20_000_000, "paid": 4_000_000, "outstanding": 16_000_000,
                             "interest": 0, "months_in_evasion": 0, "credit": 0}
    assert got["notes"] == [
        "interest for days late in 2025-05..2025-06 not computed: no late-interest rate in the "
        "law tables for those months",
        "evasion not judged: no evasion rule in the law tables for 2025-06"]


@pytest.fixture
def cli_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("COLUMNS", "200")
    yield from cli_store(tmp_path, monkeypatch)


def test_the_command_line_reads_as_of_a_day_before_2025_07(cli_engine: Engine) -> None:
    owes(cli_engine, Period(2025, 3), 10_000_000)
    out = CliRunner().invoke(app, ["ledger", "employer", EMPLOYER, "--as-of", "2025-06-15",
                                   "--json"])
    assert out.exit_code == 0, out.output
    answer = json.loads(out.stdout)
    assert [(m["month"], m["days_late"], m["interest"]) for m in answer["months"]] == [
        ("2025-03", 76, 0)]
    assert len(answer["notes"]) == 2
    table = CliRunner().invoke(app, ["ledger", "employer", EMPLOYER, "--as-of", "2025-06-15"])
    assert table.exit_code == 0, table.output
    assert "Note: interest for days late in 2025-05..2025-06 not computed" in table.stdout
