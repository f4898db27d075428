"""``sibook employers add --payment-cycle`` and ``sibook employers cycle``: a unit paying every
3 or 6 months is registered so, or changes to it from a month, and its ledger follows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from sibook.cli.main import app
from sibook.contributions.declare import declare
from sibook.core.db import unit_of_work
from sibook.core.period import Period
from tests.integration.ledger_fixtures import EMPLOYER, cli_store, csv_of, worker_id

AHEAD = Period.of(date.today()) + 6  # a month not yet due, within the year a change may reach


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("COLUMNS", "200")
    yield from cli_store(tmp_path, monkeypatch)


def sibook(*args: str) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(app, [*args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_a_unit_registered_to_pay_every_6_months_says_so(store: Engine) -> None:
    code, answer = sibook("employers", "add", "--code", "0109876543", "--name", "HTX Muối",
                          "--province", "01", "--region", "I", "--payment-cycle", "6",
                          "--cycle-from", "2026-01")
    assert (code, answer["registered"], answer["payment_cycle"]) == (0, True, "6")


def test_a_first_cycle_month_years_ahead_is_refused_naming_the_flag(store: Engine) -> None:
    """2062 typed for 2026: the unit would pay monthly, unsaid, until then."""
    code, answer = sibook("employers", "add", "--code", "0109876543", "--name", "HTX Muối",
                          "--province", "01", "--region", "I", "--payment-cycle", "6",
                          "--cycle-from", "2062-01")
    assert (code, answer["registered"]) == (1, False)
    [problem] = answer["errors"]  # type: ignore[misc]
    assert problem["field"] == "--cycle-from"
    assert problem["reason"].startswith("2062-01 is more than 12 months ahead of today")


def test_a_method_not_listed_is_a_usage_error_naming_the_flag(store: Engine) -> None:
    result = CliRunner().invoke(app, [
        "employers", "add", "--code", "0109876543", "--name", "HTX Muối", "--province", "01",
        "--region", "I", "--payment-cycle", "quarterly"])
    assert result.exit_code == 2
    assert "--payment-cycle: must be one of monthly, 3, 6, got 'quarterly'" in result.output


def test_a_first_cycle_month_for_a_unit_paying_monthly_is_a_usage_error_not_dropped(
        store: Engine) -> None:
    result = CliRunner().invoke(app, [
        "employers", "add", "--code", "0109876543", "--name", "HTX Muối", "--province", "01",
        "--region", "I", "--cycle-from", "2026-01"])
    assert result.exit_code == 2
    assert "Invalid value for --cycle-from: only with --payment-cycle 3 or 6" in result.output
    listed = sibook("employers", "list")[1]["employers"]
    assert "0109876543" not in [e["code"] for e in listed]  # type: ignore[attr-defined]


def test_a_unit_changed_to_every_3_months_owes_the_cycle_on_the_month_after_it(
        store: Engine) -> None:
    code, answer = sibook("employers", "cycle", EMPLOYER, "--payment-cycle", "3",
                          "--from", "2026-01")
    assert (code, answer) == (0, {"recorded": True, "code": EMPLOYER, "payment_cycle": "3",
                                  "from_month": "2026-01"})
    with unit_of_work(store) as s:
        declare(session=s, data=csv_of([(worker_id(0), "TM", 10_000_000, "2026-01")]),
                file_name="d.csv", employer_code=EMPLOYER, month=Period(2026, 3))
    code, ledger = sibook("ledger", "employer", EMPLOYER, "--as-of", "2026-04-30")
    assert [(m["deadline"], m["days_late"]) for m in ledger["months"]] == [  # type: ignore[attr-defined]
        ("2026-04-30", 0)] * 3


def test_changing_the_method_of_a_unit_nobody_holds_is_refused(store: Engine) -> None:
    code, answer = sibook("employers", "cycle", "0100000998", "--payment-cycle", "3",
                          "--from", "2026-01")
    assert (code, answer["recorded"]) == (1, False)
    assert [p["field"] for p in answer["errors"]] == ["CODE"]  # type: ignore[attr-defined]


def test_a_method_is_not_changed_from_a_month_already_due(store: Engine) -> None:
    """January 2026, filed and due on 2026-02-28 as a monthly payer's, was late the day after;
    a change to every 3 months from January would move its deadline to 30 April and erase that
    lateness: refused naming --from, nothing recorded. From a month not yet due it is taken."""
    with unit_of_work(store) as s:
        declare(session=s, data=csv_of([(worker_id(0), "TM", 10_000_000, "2026-01")]),
                file_name="d.csv", employer_code=EMPLOYER, month=Period(2026, 1))
    code, answer = sibook("employers", "cycle", EMPLOYER, "--payment-cycle", "3",
                          "--from", "2026-01")
    assert (code, answer["recorded"]) == (1, False)
    [problem] = answer["errors"]  # type: ignore[misc]
    assert problem["field"] == "--from"
    assert problem["reason"].startswith("2026-01 is on the ledger and fell due on 2026-02-28")
    code, ledger = sibook("ledger", "employer", EMPLOYER, "--as-of", "2026-03-10")
    assert [m["deadline"] for m in ledger["months"]] == ["2026-02-28"]  # type: ignore[attr-defined]
    code, answer = sibook("employers", "cycle", EMPLOYER, "--payment-cycle", "3",
                          "--from", str(AHEAD))
    assert (code, answer["recorded"]) == (0, True)


@pytest.mark.parametrize(("cycle", "words"), [("3", "every 3 months"), ("6", "every 6 months"),
                                              ("monthly", "monthly")])
def test_a_recorded_method_is_said_in_words(store: Engine, cycle: str, words: str) -> None:
    result = CliRunner().invoke(app, ["employers", "cycle", EMPLOYER, "--payment-cycle", cycle,
                                      "--from", str(AHEAD)])
    assert result.exit_code == 0
    assert f"employer {EMPLOYER} pays {words} from {AHEAD}" in result.output
