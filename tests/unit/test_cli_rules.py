"""``sibook rules ...`` answers per the contract: JSON keys and exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from sibook.cli.rules import app

runner = CliRunner()


def run(*args: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, [*args, "--json"])
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else {}


def test_contribution_json_has_the_contract_keys() -> None:
    code, out = run("contribution", "--month", "2026-01", "--salary", "10000000",
                    "--region", "I")
    assert code == 0
    assert {"month", "employer", "employee", "state_support", "total", "sources",
            "explain"} <= out.keys()
    funds = {"retirement_survivorship", "sickness_maternity", "occupational", "health",
             "unemployment", "total"}
    assert out["employer"].keys() == funds and out["employee"].keys() == funds
    assert out["employee"]["total"] == 1_050_000  # 10,000,000 x 10.5%
    assert out["total"] == 3_200_000  # 10,000,000 x 32%


def test_voluntary_contribution_puts_the_state_share_in_state_support() -> None:
    code, out = run("contribution", "--month", "2026-01", "--salary", "1500000", "--voluntary",
                    "--support", "near_poor")
    # 22% x 1,500,000 = 330,000; support 40% of it = 132,000
    assert code == 0 and out["state_support"] == 132_000 and out["employee"]["total"] == 198_000


def test_voluntary_contribution_accepts_the_region_the_contract_usage_names() -> None:
    # the contract's usage line always carries --region; voluntary dues do not depend on it
    with_region = run("contribution", "--month", "2026-01", "--salary", "1500000", "--voluntary",
                      "--support", "near_poor", "--region", "IV")
    without = run("contribution", "--month", "2026-01", "--salary", "1500000", "--voluntary",
                  "--support", "near_poor")
    assert with_region[0] == 0 and with_region[1]["total"] == without[1]["total"] == 330_000
    # not ignored silently: the answer is the same, and its explain says the region is unused
    said, *steps = with_region[1].pop("explain")
    assert steps == without[1].pop("explain") and with_region[1] == without[1]
    assert said.startswith("region IV does not apply: voluntary SI is paid on the declared "
                           "income, whose floor is the same in every region")


def test_readable_output_shows_the_explanation() -> None:
    result = runner.invoke(app, ["contribution", "--month", "2026-01", "--salary", "10000000",
                                 "--region", "I"])
    assert result.exit_code == 0 and "How it was computed" in result.stdout


@pytest.mark.parametrize(("args", "flag"), [
    (["--month", "1994-12", "--salary", "5000000", "--region", "I"], "--month"),
    (["--month", "2026-01", "--salary", "-1", "--region", "I"], "--salary"),
    (["--month", "2026-01", "--salary", "100", "--voluntary"], "--salary"),
])
def test_bad_contribution_input_exits_1_naming_the_flag(args: list[str], flag: str) -> None:
    code, out = run("contribution", *args)
    assert code == 1
    assert out["errors"][0]["field"] == flag


def test_month_before_first_table_names_the_first_known_month() -> None:
    _, out = run("contribution", "--month", "1994-12", "--salary", "5000000", "--region", "I")
    # in the question's words first: the table's key only after them, for its keepers
    assert out["errors"][0]["reason"].startswith(
        "the law's tables for this question start in 1995-01: nothing is known for 1994-12")


@pytest.mark.parametrize("month", ["1994-12", "2021-12"])
def test_foreign_employee_before_2022_is_refused_naming_2022_01(month: str) -> None:
    """Decree 143/2018: a foreign employee's rows begin in 2022-01; a month before 1995 too
    names that month, not the 1995-01 of the tables every employee shares."""
    code, out = run("contribution", "--month", month, "--salary", "30000000", "--region", "I",
                    "--foreign")
    assert code == 1 and out["errors"][0]["reason"].startswith(
        f"the law's tables for this question start in 2022-01: nothing is known for {month}")


@pytest.mark.parametrize("args", [
    ["contribution", "--month", "2026-01", "--salary", "abc", "--region", "I"],
    ["contribution", "--month", "January", "--salary", "1", "--region", "I"],
    ["contribution", "--month", "2026-01", "--salary", "1", "--bogus"],
    ["unemployment", "--average-salary", "1", "--contribution-months", "20", "--region", "I",
     "--termination", "2026-13-01"],
    # the API's days only: zero-padded, years 1900 to 2099
    ["unemployment", "--average-salary", "1", "--contribution-months", "20", "--region", "I",
     "--termination", "2026-6-1"],
    ["unemployment", "--average-salary", "1", "--contribution-months", "20", "--region", "I",
     "--termination", "1899-12-31"],
    ["contribution", "--month", "2100-01", "--salary", "1", "--region", "I"],  # past 2099
    ["contribution", "--month", "20٢٦-01", "--salary", "1", "--region", "I"],
    # a float flag parses "nan" and "inf", which are no number of days
    ["sickness", "--salary", "12000000", "--days", "nan", "--years-contributed", "3"],
    ["sickness", "--salary", "12000000", "--days", "inf", "--years-contributed", "3"],
])
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert runner.invoke(app, args).exit_code == 2


def test_pension_with_average_salary() -> None:
    code, out = run("pension", "--sex", "male", "--contribution-months", "247",
                    "--average-salary", "10000000", "--month", "2026-01")
    # 21 benefit years: 45% + 2% = 47%; 10,000,000 x 47% = 4,700,000
    assert code == 0
    assert out["rate_percent"] == 47.0 and out["monthly_pension"] == 4_700_000
    assert out["extra_lump_sum"] == 0


def test_pension_without_average_salary_gives_nulls() -> None:
    code, out = run("pension", "--sex", "female", "--contribution-months", "180")
    assert code == 0 and out["rate_percent"] == 45.0
    assert out["monthly_pension"] is None and out["extra_lump_sum"] is None


@pytest.mark.parametrize(("args", "flag"), [
    (["contribution", "--month", "2026-01", "--salary", "5000000", "--region", "V"], "--region"),
    # a region that does not exist is refused with --voluntary too (it was ignored, exit 0)
    (["contribution", "--month", "2026-01", "--salary", "5000000", "--voluntary", "--region",
      "V"], "--region"),
    (["contribution", "--month", "2026-01", "--salary", "3000000", "--voluntary", "--support",
      "rich"], "--support"),
    (["contribution", "--month", "2026-01", "--salary", "5000000", "--region", "I",
      "--oa-rate", "low"], "--oa-rate"),
    # any case is read (--region i is I), but no other word
    (["unemployment", "--average-salary", "1", "--contribution-months", "20", "--region", "v",
      "--termination", "2026-06-30"], "--region"),
    (["pension", "--sex", "other", "--contribution-months", "180"], "--sex"),
    # the usage line's --region is unbracketed: only voluntary dues may leave it out
    (["contribution", "--month", "2026-01", "--salary", "5000000"], "--region"),
    (["contribution", "--month", "2026-01", "--salary", "5000000", "--foreign"], "--region"),
    # and flags that do not go together
    (["contribution", "--month", "2026-01", "--salary", "5000000", "--foreign", "--voluntary"],
     "--voluntary"),
    (["contribution", "--month", "2026-01", "--salary", "5000000", "--region", "I", "--support",
      "poor"], "--support"),
    (["contribution", "--month", "2026-01", "--salary", "3000000", "--voluntary", "--oa-rate",
      "reduced"], "--oa-rate"),
    (["retirement", "--sex", "other", "--birth-date", "1964-03-15"], "--sex"),
])
def test_a_word_outside_a_flags_list_or_flags_that_do_not_fit_are_a_usage_error(
        args: list[str], flag: str) -> None:
    """The contract's usage lines list these flags' words (``--region I|II|III|IV``) and
    which are required: another word, no --region for an employee or flags that do not go
    together are bad flags (exit 2), as a month that is not one is, not a refusal (exit 1)."""
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 2 and flag in result.output


def test_an_early_pension_with_15_years_of_si_is_refused_hazardous_or_not() -> None:
    """Law 41/2024 Art 65(1): 20 years of SI for every early pension; there is no --hazardous
    that lowers them (the 15 years of Art 65(1)(c) are years in the job)."""
    code, out = run("pension", "--sex", "male", "--contribution-months", "180",
                    "--months-early", "12", "--month", "2026-11")
    assert code == 1 and out["errors"][0]["field"] == "--months-early"
    assert "needs 20 years of SI" in out["errors"][0]["reason"]
    assert runner.invoke(app, ["pension", "--sex", "male", "--contribution-months", "180",
                               "--months-early", "12", "--hazardous", "--json"]).exit_code == 2


def test_the_month_a_pension_starts_picks_the_law_that_prices_it() -> None:
    """A man with 20 years: Law 58/2014 Art 56(2)(a) puts 45% at 19 years in 2021 (47%), Law
    41/2024 Art 66(1) at 20 years (45%); the answer says which law priced it."""
    code, out = run("pension", "--sex", "male", "--contribution-months", "240",
                    "--month", "2021-03")
    assert code == 0 and (out["rate_percent"], out["month"]) == (47.0, "2021-03")
    assert "the law in force then: Law 58/2014/QH13 Art 56(2)(a)" in out["explain"][0]
    code, out = run("pension", "--sex", "male", "--contribution-months", "240",
                    "--month", "2026-01")
    assert code == 0 and out["rate_percent"] == 45.0


def test_a_pension_starting_before_2016_is_refused_naming_the_month() -> None:
    code, out = run("pension", "--sex", "male", "--contribution-months", "240",
                    "--month", "2015-12")
    assert code == 1 and out["errors"][0]["field"] == "--month"
    assert "start in 2016-01: nothing is known for 2015-12" in out["errors"][0]["reason"]


def test_months_past_retirement_age_earn_the_larger_extra_lump_sum() -> None:
    """Law 41/2024 Art 68(2): 33 years, the last 2 after the age: 1 year above 30 at 0.5 and
    2 at 2 average salaries."""
    code, out = run("pension", "--sex", "female", "--contribution-months", "396",
                    "--average-salary", "10000000", "--months-past-retirement-age", "24",
                    "--month", "2026-01")
    assert code == 0 and out["extra_lump_sum"] == 45_000_000
    assert any("Art 68(2)" in s for s in out["sources"])


def test_lump_sum() -> None:
    code, out = run("lump-sum", "--months-before-2014", "24", "--months-from-2014", "36",
                    "--average-salary", "5000000", "--month", "2026-01")
    # 5,000,000 x (1.5 x 2 + 2 x 3) = 45,000,000
    assert code == 0 and out["amount"] == 45_000_000


def test_unemployment() -> None:
    code, out = run("unemployment", "--average-salary", "10000000", "--contribution-months",
                    "30", "--region", "II", "--termination", "2026-02-10")
    assert code == 0 and out["monthly_benefit"] == 6_000_000 and out["duration_months"] == 3


def test_sickness() -> None:
    code, out = run("sickness", "--salary", "7200000", "--days", "4", "--years-contributed",
                    "20", "--heavy", "--month", "2026-01")
    # 7,200,000 x 75% / 24 x 4 = 900,000; heavy, 15..30 years: 50 days
    assert code == 0 and out["amount"] == 900_000 and out["max_days_per_year"] == 50


def test_days_out_of_range_are_said_as_typed_not_as_a_float() -> None:
    """--days takes a part day (2.5), so it is read as a float; a whole number refused is said
    as typed (99,999), not 99,999.0."""
    code, out = run("sickness", "--salary", "12000000", "--days", "99999",
                    "--years-contributed", "0")
    assert code == 1 and out["errors"] == [
        {"field": "--days", "reason": "must be between 0 and 3,650 days, got 99,999"}]
    code, out = run("sickness", "--salary", "12000000", "--days", "-0.5",
                    "--years-contributed", "0")
    assert code == 1 and out["errors"][0]["reason"].endswith("got -0.5")


def test_maternity_allowance() -> None:
    code, out = run("maternity-allowance", "--month", "2026-01", "--children", "1")
    assert code == 0 and out["amount"] == 4_680_000  # 2 x 2,340,000


def test_maternity_allowance_with_zero_children_exits_1() -> None:
    code, out = run("maternity-allowance", "--month", "2026-01", "--children", "0")
    assert code == 1 and out["errors"][0]["field"] == "--children"


def test_late_interest() -> None:
    code, out = run("late-interest", "--amount", "10000000", "--days-late", "90",
                    "--month", "2026-01")
    # 10,000,000 x 0.03% x 90 = 270,000; day 90 >= 61 -> evasion
    assert code == 0 and out["interest"] == 270_000 and out["evasion"] is True


def test_contribution_in_1997_follows_decree_12_cp_and_names_it() -> None:
    code, out = run("contribution", "--month", "1997-06", "--salary", "1000000", "--region", "I")
    assert code == 0
    assert out["employer"]["total"] == 170_000 and out["employee"]["total"] == 60_000
    assert out["employer"]["unemployment"] == 0
    assert any("Decree 12/CP" in s for s in out["sources"])


def test_retirement_gives_the_age_date_and_first_month_of_pension() -> None:
    code, out = run("retirement", "--sex", "female", "--birth-date", "1969-02-28")
    # Decree 135/2020 Appendix I: women born September 1968 - April 1969 retire at 56y8m.
    assert code == 0
    assert (out["age"], out["age_months"], out["retirement_date"], out["pension_from"]) == \
        ("56 years 8 months", 680, "2025-10-31", "2025-11")
    assert any("Decree 135/2020" in s for s in out["sources"]) and out["explain"]


def test_retirement_before_the_tables_is_refused_by_birth_date_saying_when() -> None:
    code, out = run("retirement", "--sex", "male", "--birth-date", "1930-02-28")
    assert code == 1 and out["errors"][0]["field"] == "--birth-date"
    assert "reached the retirement age in 1990-02" in out["errors"][0]["reason"]


CONTRIBUTION = ["contribution", "--month", "2026-01", "--salary", "10000000"]
UNEMPLOYMENT = ["unemployment", "--average-salary", "10000000", "--contribution-months", "30",
                "--termination", "2026-02-10"]


@pytest.mark.parametrize(("typed", "canonical"), [
    ([*CONTRIBUTION, "--region", "i"], [*CONTRIBUTION, "--region", "I"]),
    ([*CONTRIBUTION, "--region", " iii "], [*CONTRIBUTION, "--region", "III"]),
    ([*CONTRIBUTION, "--region", "I", "--oa-rate", "Reduced"],
     [*CONTRIBUTION, "--region", "I", "--oa-rate", "reduced"]),
    ([*CONTRIBUTION, "--voluntary", "--support", "NEAR_POOR", "--region", "iv"],
     [*CONTRIBUTION, "--voluntary", "--support", "near_poor", "--region", "IV"]),
    ([*UNEMPLOYMENT, "--region", "ii"], [*UNEMPLOYMENT, "--region", "II"]),
    (["pension", "--sex", "FEMALE", "--contribution-months", "300", "--month", "2026-01"],
     ["pension", "--sex", "female", "--contribution-months", "300", "--month", "2026-01"]),
    (["retirement", "--sex", "Male", "--birth-date", "1964-03-15"],
     ["retirement", "--sex", "male", "--birth-date", "1964-03-15"]),
])
def test_a_flags_word_is_read_whatever_its_case(typed: list[str], canonical: list[str]) -> None:
    """Every word flag reads as ``employers add --region i`` always did: any case, the
    answer the same as for the word the contract spells."""
    assert run(*typed) == run(*canonical) and run(*typed)[0] == 0


def test_months_early_help_names_the_laws_most_of_120_months() -> None:
    """The calculator refuses more than 120 months early whatever the case: the help says that
    is the law's 10 years (Law 41/2024 Art 65), not an arbitrary bound."""
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    months_early = next(p for p in group.commands["pension"].params if p.name == "months_early")
    assert isinstance(months_early, typer.core.TyperOption) and months_early.help is not None
    assert "120" in months_early.help and "Art 65" in months_early.help
    code, out = run("pension", "--sex", "male", "--contribution-months", "300",
                    "--months-early", "121", "--month", "2026-01")
    assert code == 1 and out["errors"][0]["field"] == "--months-early"


def test_voluntary_without_support_is_the_other_group_until_the_120_months_are_used() -> None:
    """FACTS §3.4 (Decree 159/2025) supports every voluntary participant, "others" at 20%; the
    law has no group without support. So no --support is ``other``: 20% x 22% x the rural
    poverty line 1,500,000 = 66,000, said first in ``explain`` and in the flag's help; only the
    120 months used end it."""
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    support = next(p for p in group.commands["contribution"].params if p.name == "support")
    assert isinstance(support, typer.core.TyperOption) and support.help is not None
    assert "without it, other" in support.help and "other (20%" in support.help
    base = ("contribution", "--month", "2026-01", "--salary", "1500000", "--voluntary")
    code, out = run(*base)
    assert code == 0
    assert (out["state_support"], out["employee"]["total"], out["total"]) == (
        66_000, 264_000, 330_000)
    assert out["explain"][0].startswith("no group given: other, 20%")
    named = run(*base, "--support", "other")[1]
    assert {k: named[k] for k in ("employee", "state_support", "total")} == {
        k: out[k] for k in ("employee", "state_support", "total")}
    assert not any(step.startswith("no group given") for step in named["explain"])
    code, used = run(*base, "--months-supported", "120")
    assert code == 0 and used["state_support"] == 0 and used["employee"]["total"] == 330_000
    assert run(*base, "--months-supported", "119")[1]["state_support"] == 66_000


def test_a_month_after_this_one_is_answered_saying_the_tables_know_no_later_change() -> None:
    code, out = run("contribution", "--month", "2099-12", "--salary", "10000000", "--region",
                    "I")
    _, now = run("contribution", "--month", "2026-01", "--salary", "10000000", "--region", "I")
    assert code == 0 and out.keys() == now.keys() and out["total"] == now["total"]
    assert out["explain"][-1].startswith("the rules of 2099-12 were asked, a month later")
    assert out["explain"][-1].endswith("later changes are not in the tables")
    assert not any("later changes" in step for step in now["explain"])


def test_a_birth_date_in_the_future_is_refused_naming_the_flag() -> None:
    code, out = run("retirement", "--sex", "male", "--birth-date", "2099-01-01")
    assert code == 1 and out["errors"][0]["field"] == "--birth-date"
    assert out["errors"][0]["reason"].startswith("2099-01-01 is in the future")


@pytest.mark.parametrize(("argv", "flag"), [
    (["rules", "contribution", "--salary", "1", "--region", "I", "--json", "--month"],
     "--month"),
    (["rules", "late-interest", "--amount", "1", "--json", "--days-late"], "--days-late"),
    (["rules", "contribution", "--json=yes", "--month", "2026-01"], "--json"),
])
def test_a_flag_given_no_value_is_named_in_the_json_of_its_usage_error(
        argv: list[str], flag: str) -> None:
    """``--month`` last on the line, its value left out: Click's "Option '--month' requires an
    argument." (exit 2) came with the field "usage", as a flag that does not exist does; the
    flag is there, so the answer names it, as for a value of the wrong form."""
    import subprocess
    import sys

    code = "import sys\nfrom sibook.cli.main import main\nsys.argv[0] = 'sibook'\nmain()\n"
    ran = subprocess.run([sys.executable, "-c", code, *argv, *(["--json"] if "--json" not in
                          argv else [])], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 2, ran.stderr
    (problem,) = json.loads(ran.stdout)["errors"]
    assert problem["field"] == flag and flag in problem["reason"], problem
