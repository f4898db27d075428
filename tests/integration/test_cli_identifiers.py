"""Every command reads a personal ID or a unit code as ``sibook ids inspect`` reads one: the
whitespace around it (a value pasted from a spreadsheet cell) is no part of it, so the person
``ids inspect " 001089012345 "`` calls valid is the person ``book export`` exports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from sibook.cli.main import app
from tests.integration.ledger_fixtures import EMPLOYER, cli_store

PID = "001089012345"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.delenv("SIBOOK_KEY_PASSPHRASE", raising=False)
    monkeypatch.chdir(tmp_path)
    yield from cli_store(tmp_path, monkeypatch)


def _ok(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    answer: dict[str, object] = json.loads(result.stdout)
    return answer


def test_ids_and_codes_are_read_without_the_spaces_around_them(store: Engine) -> None:
    inspected = _ok("ids", "inspect", f" {PID} ")
    assert (inspected["value"], inspected["valid"]) == (PID, True)
    registered = _ok("persons", "register", "--personal-id", f" {PID}\t", "--name",
                     "Nguyễn Văn An", "--birth-date", "1989-03-02", "--sex", "male",
                     "--employer", f" {EMPLOYER} ", "--salary", "10000000", "--from", "2026-01")
    assert registered["personal_id"] == PID
    listed = _ok("persons", "list", "--employer", f" {EMPLOYER} ")["persons"]
    assert [p["personal_id"] for p in listed] == [PID]  # type: ignore[index,union-attr]
    exported = _ok("book", "export", f" {PID} ", "--pdf", "book.pdf")
    assert exported["personal_id"] == PID
    assert Path("book.pdf").stat().st_size > 0
    assert _ok("ledger", "show", f" {PID} ")["personal_id"] == PID
    assert _ok("ledger", "employer", f"{EMPLOYER} ")["employer"] == EMPLOYER
    assert _ok("visits", "list", f" {PID}")["personal_id"] == PID
    assert _ok("benefits", "list", f" {PID} ")["benefits"] == []


def test_a_client_is_created_and_unlocked_by_ids_and_codes_pasted_with_spaces(
        store: Engine) -> None:
    created = _ok("access", "add-client", " so-xanh-hr\t", "--kind", "employer",
                  "--unit-code", f" {EMPLOYER} ")
    assert created["client_id"] == "so-xanh-hr"
    unlocked = _ok("access", "unlock", " so-xanh-hr ")
    assert unlocked["client_id"] == "so-xanh-hr"
    officer = _ok("access", "add-client", "so-ld-01", "--kind", "officer", "--province", " 01 ",
                  "--roles", "clerk")
    assert officer["client_id"] == "so-ld-01"


@pytest.mark.parametrize("args", [
    ["book", "history", f" {PID} "], ["ledger", "show", f" {PID} "],
    ["visits", "list", f" {PID} "], ["benefits", "list", f" {PID} "],
])
def test_a_person_nobody_holds_is_named_without_the_spaces_typed(
        store: Engine, args: list[str]) -> None:
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 1, result.output
    (problem,) = json.loads(result.stdout)["errors"]
    assert problem["reason"].endswith(PID), problem


def test_in_words_what_was_typed_is_shown_as_text_never_as_rich_markup(store: Engine) -> None:
    """A refusal quoting a code typed with brackets, and a registered name holding them, are
    printed as given: Rich read them as markup, so '[/]' crashed the command with a MarkupError
    traceback instead of the refusal (or the listing)."""
    refused = CliRunner().invoke(app, ["persons", "register", "--personal-id", PID,
                                       "--birth-place", "[/]", "--name", "Nguyễn Văn An",
                                       "--birth-date", "1989-03-02", "--sex", "male"])
    assert isinstance(refused.exception, SystemExit) and refused.exit_code == 1
    assert "unknown province or country code '[/]'" in refused.stderr
    _ok("persons", "register", "--personal-id", PID, "--name", "Nguyễn [/] An",
        "--birth-date", "1989-03-02", "--sex", "male")
    listed = CliRunner().invoke(app, ["persons", "list"])
    assert listed.exit_code == 0, listed.output
    assert "Nguyễn [/] An" in listed.stdout


@pytest.mark.parametrize(("pid", "why"), [
    ("003089012345", "the first three digits 003 are not a known place of birth registration"),
    ("abc", "must contain only the digits 0-9"),
])
def test_a_personal_id_that_cannot_be_is_blamed_not_a_birth_place_never_typed(
        store: Engine, pid: str, why: str) -> None:
    """Without --birth-place the place is the ID's own first digits: the refusal named
    --birth-place, a flag the user never typed, beside the ID's own reason."""
    result = CliRunner().invoke(app, ["persons", "register", "--personal-id", pid, "--name",
                                      "Nguyễn Văn An", "--birth-date", "1989-03-02", "--sex",
                                      "male", "--json"])
    assert result.exit_code == 1, result.output
    errors = json.loads(result.stdout)["errors"]
    assert [e["field"] for e in errors] == ["--personal-id"], errors
    assert why in errors[0]["reason"]
    typed = CliRunner().invoke(app, ["persons", "register", "--personal-id", PID, "--name",
                                     "Nguyễn Văn An", "--birth-date", "1989-03-02", "--sex",
                                     "male", "--birth-place", "003", "--json"])
    assert [e["field"] for e in json.loads(typed.stdout)["errors"]] == ["--birth-place"]
