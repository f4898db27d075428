"""``sibook ids inspect VALUE [--json]``: exit 0 valid, 1 invalid, 2 usage error."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import typer
from typer.testing import CliRunner, Result

from sibook.cli import ids


def _sibook() -> typer.Typer:
    """The real ``sibook`` app, or ours mounted alike while other groups are unfinished."""
    try:
        from sibook.cli.main import app
    except ImportError:
        app = typer.Typer()
        app.add_typer(ids.app, name="ids")
    return app


Run = Callable[..., Result]


@pytest.fixture
def run() -> Run:
    runner = CliRunner()
    app = _sibook()
    return lambda *args: runner.invoke(app, ["ids", "inspect", *args])


def test_valid_personal_id_prints_the_contract_json_and_exits_0(run: Run) -> None:
    result = run("001089012345", "--json")
    assert result.exit_code == 0
    answer = json.loads(result.stdout)
    assert answer["kind"] == "personal_id" and answer["valid"] is True
    assert (answer["province_code"], answer["sex"]) == ("001", "male")


def test_invalid_hi_card_still_prints_json_and_exits_1(run: Run) -> None:
    result = run("QN4797901234567", "--json")
    assert result.exit_code == 1
    answer = json.loads(result.stdout)
    assert answer["valid"] is False and answer["benefit_level"] == 4


def test_json_output_is_one_object_and_nothing_else(run: Run) -> None:
    result = run("12345", "--json")
    assert result.stdout.count("\n") == 1
    assert json.loads(result.stdout)["kind"] is None


def test_without_json_errors_go_to_stderr_in_plain_words(run: Run) -> None:
    result = run("003089012345")
    assert result.exit_code == 1
    assert "not a known place of birth registration" in result.stderr
    assert "not valid" in result.stdout


def test_without_json_a_valid_card_is_described_readably(run: Run) -> None:
    result = run("HT3010123456789")
    assert result.exit_code == 0
    assert "legacy HI card number" in result.stdout and "benefit level" in result.stdout
    assert result.stderr == ""


def test_missing_value_is_a_usage_error(run: Run) -> None:
    assert run().exit_code == 2


@pytest.mark.parametrize("args", [("-1", "--json"), ("--json", "-1"), ("-001089012345", "--json")])
def test_a_negative_number_is_a_value_not_a_flag(run: Run, args: tuple[str, ...]) -> None:
    """Read as argparse reads it: an identifier of no known shape (exit 1), not a usage error."""
    result = run(*args)
    assert result.exit_code == 1, result.output
    answer = json.loads(result.stdout)
    assert (answer["value"], answer["kind"], answer["valid"]) == (args[args[0] == "--json"], None,
                                                                   False)


def test_a_mistyped_flag_beside_a_negative_number_is_still_a_usage_error(run: Run) -> None:
    assert run("--jsn", "-1").exit_code == 2
    assert run("-1", "-2", "--json").exit_code == 2


def test_without_json_the_birth_registration_place_is_named(run: Run) -> None:
    assert "079 (TP Hồ Chí Minh)" in run("079301000123").stdout


@pytest.mark.parametrize("encoding", ["utf-8", ""])
def test_a_value_that_is_not_utf8_is_answered_in_utf8_json(encoding: str) -> None:
    """A byte of the argument that is not UTF-8 (0xff) is escaped in the JSON (\\udcff), never
    written raw (the answer would not be UTF-8) nor a UnicodeEncodeError under a strict stdout
    encoding (PYTHONIOENCODING=utf-8): one JSON object, exit 1 as for any value of no shape."""
    import os
    import subprocess
    import sys

    code = "import sys\nfrom sibook.cli.main import main\nsys.argv[0] = 'sibook'\nmain()\n"
    env = {**os.environ, "PYTHONIOENCODING": encoding} if encoding else {
        k: v for k, v in os.environ.items() if k != "PYTHONIOENCODING"}
    run = subprocess.run([sys.executable, "-c", code, "ids", "inspect", b"00108\xff", "--json"],
                         capture_output=True, env=env, timeout=120)
    assert run.returncode == 1, run.stderr
    answer = json.loads(run.stdout.decode("utf-8"))
    assert answer["value"] == "00108\udcff" and answer["kind"] is None
    assert answer["valid"] is False and answer["errors"]


@pytest.mark.parametrize(("value", "shown"), [
    ("0123456789", []), ("DN4010123456789", ["participant group", "province code", "SI code"]),
    ("12345", [])])
def test_in_words_only_the_parts_a_kind_has_are_shown(run: Run, value: str,
                                                      shown: list[str]) -> None:
    """The JSON's nulls (an SI code's sex, an HI card's birth year) are not printed as None."""
    out = run(value).stdout
    assert "None" not in out and "birth year" not in out
    assert all(label in out for label in shown)


@pytest.mark.parametrize("value", ["[/x]", "[bold]DN479", "dn4790123456789[/]"])
def test_in_words_a_value_with_brackets_is_shown_as_given(run: Run, value: str) -> None:
    """A value is text, never Rich markup: "[/x]" crashed the table with a MarkupError and
    "[bold]DN479" was shown as 'DN479', a value other than the one given."""
    result = run(value)
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1  # not a crash
    assert repr(value) in result.stdout
    assert "is not an identifier of a known shape" in result.stderr
