"""A number flag is written in digits: Python reads ``1_5`` as 15 (its digit separator), which
no one typing an amount or a count means, so every command refuses it as a usage error."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from sibook.cli.main import app


@pytest.mark.parametrize(("args", "flag"), [
    (["rules", "contribution", "--month", "2026-01", "--salary", "1_5", "--region", "I"],
     "--salary"),
    (["rules", "sickness", "--salary", "12000000", "--days", "1_5", "--years-contributed", "1"],
     "--days"),
    (["persons", "list", "--limit", "1_0"], "--limit"),
    (["payments", "post", "--employer", "0101234567", "--amount", "5_000_000", "--reference",
      "VCB-1", "--date", "2026-11-20"], "--amount"),
])
def test_a_number_with_pythons_digit_separator_is_a_usage_error(args: list[str],
                                                                 flag: str) -> None:
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 2, result.output
    assert flag in result.output and "written in digits" in result.output


def test_a_number_in_digits_is_read() -> None:
    result = CliRunner().invoke(app, ["rules", "contribution", "--month", "2026-01",
                                      "--salary", "15000000", "--region", "I", "--json"])
    assert result.exit_code == 0 and '"total": 4800000' in result.stdout
