"""Each ``sibook rules`` question at the first month its law tables hold and at the month before:
answered in the first, refused in the one before (exit 1) naming both months, never a crash or
an answer by a later law. The months are the first rows of the tables each question reads
(sibook/law/README.md, README "Law as data")."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from sibook.cli.rules import app

runner = CliRunner()

QUESTIONS = [
    ("1995-01", ["contribution", "--salary", "5000000", "--region", "I"]),  # Decree 12/CP
    ("2022-01", ["contribution", "--salary", "30000000", "--region", "I", "--foreign"]),
    ("2010-01", ["contribution", "--salary", "1500000", "--voluntary"]),  # Law 71/2006 Art 100
    ("2016-01", ["pension", "--sex", "male", "--contribution-months", "300"]),  # Law 58/2014
    ("2020-01", ["lump-sum", "--months-before-2014", "24", "--months-from-2014", "24",
                 "--average-salary", "5000000"]),
    ("2025-07", ["sickness", "--salary", "5000000", "--days", "5", "--years-contributed", "3"]),
    ("2020-01", ["maternity-allowance", "--children", "1"]),
    ("2025-07", ["maternity-allowance", "--children", "1", "--voluntary"]),
    ("2025-07", ["late-interest", "--amount", "10000000", "--days-late", "40"]),
]


def ask(args: list[str], month: str) -> tuple[int, dict[str, object]]:
    result = runner.invoke(app, [*args, "--month", month, "--json"])
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize(("first", "args"), QUESTIONS)
def test_the_first_month_of_the_tables_is_answered(first: str, args: list[str]) -> None:
    code, _ = ask(args, first)
    assert code == 0


@pytest.mark.parametrize(("first", "args"), QUESTIONS)
def test_the_month_before_is_refused_naming_both_months(first: str, args: list[str]) -> None:
    year, month = map(int, first.split("-"))
    before = f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"
    code, out = ask(args, before)
    assert code == 1
    errors = out["errors"]
    assert isinstance(errors, list)
    assert errors[0]["reason"].startswith(
        f"the law's tables for this question start in {first}: nothing is known for {before}")


@pytest.mark.parametrize(("termination", "code"), [("2019-12-31", 1), ("2020-01-01", 0)])
def test_unemployment_benefit_from_the_terminations_of_2020(termination: str, code: int) -> None:
    result = runner.invoke(app, ["unemployment", "--average-salary", "6000000",
                                 "--contribution-months", "36", "--region", "I",
                                 "--termination", termination, "--json"])
    assert result.exit_code == code
    if code:
        assert json.loads(result.stdout)["errors"][0]["reason"].startswith(
            "the law's tables for this question start in 2020-01: nothing is known for 2019-12")
