"""``sibook employers regime``: who sets a unit's pay from a month on, and the book follows
(the unit's rows split where it changes, Law 41/2024 Art 72), never under a benefit already
settled on the months it would change; ``sibook employers regimes``: the unit's regimes over
time."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine
from typer.testing import CliRunner

from sibook.cli.main import app
from sibook.core.period import Period
from tests.integration import test_employers_cycle_cli as cycle_cli
from tests.integration.ledger_fixtures import EMPLOYER
from tests.integration.test_benefits import claim, settle
from tests.integration.test_salary_regime import RAISED, SCHOOL, STARTED, add_school, worker
from tests.integration.test_salary_regime_guard import WITHDRAWAL, WITHDRAWN

store, sibook = cycle_cli.store, cycle_cli.sibook  # the cycle command's store and runner


def test_a_school_that_becomes_a_company_is_recorded_and_its_book_rows_split(
        store: Engine) -> None:
    add_school(store)
    pid = worker(store, 91, (SCHOOL, SCHOOL))
    code, answer = sibook("employers", "regime", SCHOOL, "--salary-regime", "employer",
                          "--from", str(RAISED))
    assert (code, answer) == (0, {"recorded": True, "code": SCHOOL,
                                  "salary_regime": "employer", "from_month": "2020-01"})
    code, shown = sibook("book", "show", pid)
    rows = shown["book"]["sheets"]  # type: ignore[index]
    assert {(row["to"] < "2020-01", row.get("state_scale")) for row in rows} == {
        (True, True), (False, None)}
    code, estimated = sibook("book", "estimate", pid)
    assert estimated["average_rule"]["rule"] == "both"  # type: ignore[index]


def test_a_regime_registered_wrong_is_corrected_in_words(store: Engine) -> None:
    result = CliRunner().invoke(app, ["employers", "regime", EMPLOYER, "--salary-regime",
                                      "state", "--from", str(STARTED)])
    assert result.exit_code == 0
    assert f"employer {EMPLOYER} pays by the state's salary scale from 2005-01" in result.output


def test_a_ministrys_unit_is_refused_employer_set_pay_naming_the_flag(store: Engine) -> None:
    assert sibook("employers", "add", "--code", "0100000999", "--name", "Đơn vị 999",
                  "--province", "01", "--region", "I", "--realm", "defence")[0] == 0
    code, answer = sibook("employers", "regime", "0100000999", "--salary-regime", "employer",
                          "--from", "2026-01", "--realm", "defence")
    assert (code, answer["recorded"]) == (1, False)
    assert [p["field"] for p in answer["errors"]] == ["--salary-regime"]  # type: ignore[attr-defined]


def test_a_unit_nobody_holds_is_refused_naming_the_code(store: Engine) -> None:
    code, answer = sibook("employers", "regime", "0100000998", "--salary-regime", "state",
                          "--from", "2026-01")
    assert (code, answer["recorded"]) == (1, False)
    assert [p["field"] for p in answer["errors"]] == ["CODE"]  # type: ignore[attr-defined]


def test_a_regime_not_listed_is_a_usage_error_naming_the_flag(store: Engine) -> None:
    result = CliRunner().invoke(app, ["employers", "regime", EMPLOYER, "--salary-regime",
                                      "mixed", "--from", "2026-01"])
    assert result.exit_code == 2
    assert "--salary-regime: must be one of employer, state, got 'mixed'" in result.output


def test_a_change_before_the_units_first_month_is_refused_naming_from(store: Engine) -> None:
    add_school(store)
    worker(store, 91, (SCHOOL, SCHOOL))
    code, answer = sibook("employers", "regime", SCHOOL, "--salary-regime", "employer",
                          "--from", "1990-01")
    assert (code, answer["recorded"]) == (1, False)
    [problem] = answer["errors"]  # type: ignore[misc]
    assert problem["field"] == "--from" and f"changes from {STARTED} on" in problem["reason"]


def test_a_change_back_to_months_a_settled_benefit_averaged_is_refused_naming_from(
        store: Engine) -> None:
    add_school(store)
    pid = worker(store, 91, (SCHOOL, SCHOOL))
    claim(store, pid, WITHDRAWAL)
    settle(store, pid, WITHDRAWAL.dossier_no, WITHDRAWN)
    code, answer = sibook("employers", "regime", SCHOOL, "--salary-regime", "employer",
                          "--from", str(RAISED))
    assert (code, answer["recorded"]) == (1, False)
    [problem] = answer["errors"]  # type: ignore[misc]
    assert problem["field"] == "--from"
    assert "the regime can change from 2025-07 on" in problem["reason"]
    result = CliRunner().invoke(app, ["employers", "regime", SCHOOL, "--salary-regime",
                                      "employer", "--from", str(RAISED)])
    assert result.exit_code == 1
    assert "error: --from: 1 settled pension or one-time withdrawal" in result.output


def test_a_units_regimes_over_time_show_the_registered_the_changes_and_this_months(
        store: Engine) -> None:
    """A change recorded ahead (six months on) is listed, not yet in force."""
    add_school(store)
    ahead = str(Period.of(date.today()) + 6)
    for regime, start in (("state", ahead), ("employer", str(RAISED))):
        assert sibook("employers", "regime", SCHOOL, "--salary-regime", regime,
                      "--from", start)[0] == 0
    assert sibook("employers", "regimes", SCHOOL) == (0, {
        "code": SCHOOL, "registered": "state", "in_force": "employer",
        "changes": [{"from_month": "2020-01", "salary_regime": "employer"},
                    {"from_month": ahead, "salary_regime": "state"}]})
    result = CliRunner().invoke(app, ["employers", "regimes", SCHOOL])
    assert result.exit_code == 0
    assert (f"employer {SCHOOL}: registered paying by the state's salary scale, paying by the "
            "pay it sets this month") in result.output
    assert ahead in result.output


def test_a_unit_never_changed_is_in_force_as_registered(store: Engine) -> None:
    assert sibook("employers", "regimes", EMPLOYER) == (0, {
        "code": EMPLOYER, "registered": "employer", "changes": [], "in_force": "employer"})
    assert "no change recorded" in CliRunner().invoke(app, ["employers", "regimes",
                                                            EMPLOYER]).output


def test_the_regimes_of_a_unit_nobody_holds_are_refused_naming_the_code(store: Engine) -> None:
    code, answer = sibook("employers", "regimes", "0100000998")
    assert (code, answer["changes"]) == (1, [])
    assert [p["field"] for p in answer["errors"]] == ["CODE"]  # type: ignore[attr-defined]
