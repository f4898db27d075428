"""``sibook book ...`` refusing an unknown person names the field as every command does
(``PERSONAL_ID``, the argument as its usage line names it, as ``ledger show`` and ``visits
list``), not a catch-all ``input``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sibook.cli.main import app
from sibook.core.config import get_settings
from sibook.core.db import default_engine
from tests.databases import migrated_sqlite

UNKNOWN = "001089012345"


@pytest.fixture
def empty_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("SIBOOK_DATABASE_URL", migrated_sqlite(tmp_path / "cli.db"))
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.mark.parametrize("args", [
    ["book", "show", UNKNOWN], ["book", "history", UNKNOWN], ["book", "estimate", UNKNOWN],
    ["book", "export", UNKNOWN, "--pdf", "an.pdf"], ["book", "card", UNKNOWN, "--png", "an.png"],
    ["book", "revoke", UNKNOWN, "--version", "1", "--reason", "fraud"],
    ["book", "reinstate", UNKNOWN, "--version", "1"], ["ledger", "show", UNKNOWN],
])
def test_an_unknown_person_is_refused_by_field(empty_store: Path, args: list[str]) -> None:
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["errors"] == [
        {"field": "PERSONAL_ID", "reason": f"no registered person {UNKNOWN}"}]


@pytest.mark.parametrize(("typed", "reason"), [
    ("01089012345", "no registered person 01089012345: a personal ID is 12 digits, not 11; a "
                    "spreadsheet drops an ID's leading zeros unless its column is text"),
    ("0010890123456", "no registered person 0010890123456: a personal ID is 12 digits, not 13"),
    ("DN4011089012345", "no registered person DN4011089012345: a personal ID is 12 digits"),
])
def test_a_value_that_is_no_personal_id_is_refused_saying_what_one_is(
        empty_store: Path, typed: str, reason: str) -> None:
    """An ID copied from a spreadsheet that took it for a number has lost its leading zero:
    "no registered person" alone sent the clerk looking for a person, not at the number."""
    for args in (["book", "show", typed], ["ledger", "show", typed]):
        result = CliRunner().invoke(app, [*args, "--json"])
        assert result.exit_code == 1, result.output
        assert json.loads(result.stdout)["errors"] == [
            {"field": "PERSONAL_ID", "reason": reason}]


@pytest.mark.parametrize(("args", "field", "reason"), [
    (["book", "export", " ", "--pdf", "an.pdf"], "PERSONAL_ID",
     "no registered person: the personal ID given is empty"),
    (["book", "history", ""], "PERSONAL_ID",
     "no registered person: the personal ID given is empty"),
    (["persons", "list", "--employer", ""], "--employer",
     "no employer: the unit code given is empty"),
])
def test_an_empty_identifier_is_refused_saying_it_is_empty(
        empty_store: Path, args: list[str], field: str, reason: str) -> None:
    """A script's unset variable (``book export "$ID"``) was told "no registered person "
    and nothing after, as if the message were cut short."""
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["errors"] == [{"field": field, "reason": reason}]


def _registered(personal_id: str = UNKNOWN) -> str:
    added = CliRunner().invoke(app, ["persons", "register", "--personal-id", personal_id,
                                     "--name", "Nguyễn Văn An", "--birth-date", "1989-03-02",
                                     "--sex", "male", "--json"])
    assert added.exit_code == 0, added.output
    return personal_id


def _errors(*args: str) -> list[dict[str, str]]:
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 1, result.output
    errors: list[dict[str, str]] = json.loads(result.stdout)["errors"]
    return errors


@pytest.mark.parametrize("args", [
    ["book", "show", UNKNOWN, "--version", "5"],
    ["book", "revoke", UNKNOWN, "--version", "5", "--reason", "fraud"],
    ["book", "reinstate", UNKNOWN, "--version", "5"],
])
def test_a_version_the_book_does_not_have_is_refused_naming_the_flag(
        empty_store: Path, args: list[str]) -> None:
    _registered()
    assert _errors(*args) == [
        {"field": "--version", "reason": f"book {UNKNOWN} has no version 5"}]


def test_a_passphrase_that_does_not_open_the_keys_is_refused_naming_its_setting(
        empty_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _registered()
    made = CliRunner().invoke(app, ["book", "export", UNKNOWN, "--pdf",
                                    str(empty_store / "an.pdf"), "--json"])
    assert made.exit_code == 0, made.output  # the agency's keys, made on first use
    monkeypatch.setenv("SIBOOK_KEY_PASSPHRASE", "not the one the keys were made with")
    get_settings.cache_clear()
    (problem,) = _errors("book", "export", UNKNOWN, "--pdf", str(empty_store / "again.pdf"))
    assert problem["field"] == "SIBOOK_KEY_PASSPHRASE" and "passphrase" in problem["reason"]


def test_an_unknown_unit_of_a_ledger_is_refused_naming_its_code(empty_store: Path) -> None:
    for command in (["ledger", "employer"], ["ledger", "below-minimum"]):
        (problem,) = _errors(*command, "0000000000")
        assert problem["field"] == "CODE", command  # the argument typed, not 'employer'


def test_a_book_file_that_cannot_be_read_is_said_in_plain_words(empty_store: Path) -> None:
    missing = empty_store / "an.pdf"
    result = CliRunner().invoke(app, ["book", "verify", str(missing), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["errors"] == [
        f"cannot verify: {missing}: No such file or directory"]  # not [Errno 2]


def test_a_damaged_certificate_in_the_keys_folder_is_refused_not_a_traceback(
        empty_store: Path) -> None:
    _registered()
    made = CliRunner().invoke(app, ["book", "export", UNKNOWN, "--pdf",
                                    str(empty_store / "an.pdf"), "--json"])
    assert made.exit_code == 0, made.output
    (empty_store / "keys" / "root.cert.pem").write_text("not PEM")
    result = CliRunner().invoke(app, ["book", "export", UNKNOWN, "--pdf",
                                      str(empty_store / "again.pdf"), "--json"])
    assert result.exit_code == 1, result.exception  # was a ValueError out of cryptography
    (problem,) = json.loads(result.stdout)["errors"]
    assert problem["field"] == "SIBOOK_KEYS_DIR" and "not a PEM certificate" in problem["reason"]


def test_a_damaged_private_key_names_the_keys_folder_not_the_passphrase(
        empty_store: Path) -> None:
    _registered()
    made = CliRunner().invoke(app, ["keys", "init", "--json"])
    assert made.exit_code == 0, made.output
    (empty_store / "keys" / "civil.1.key.pem").write_text("not PEM")
    result = CliRunner().invoke(app, ["book", "export", UNKNOWN, "--pdf",
                                      str(empty_store / "again.pdf"), "--json"])
    assert result.exit_code == 1, result.exception
    (problem,) = json.loads(result.stdout)["errors"]
    # Was SIBOOK_KEY_PASSPHRASE, "wrong passphrase?": no passphrase opens a damaged file.
    assert problem["field"] == "SIBOOK_KEYS_DIR" and "damaged" in problem["reason"]


@pytest.mark.parametrize(("args", "keys"), [
    (["ledger", "show", UNKNOWN], {"months": []}),
    (["visits", "list", UNKNOWN], {"visits": [], "total": 0}),
])
def test_a_refused_listing_answers_its_keys_empty(
        empty_store: Path, monkeypatch: pytest.MonkeyPatch, args: list[str],
        keys: dict[str, object]) -> None:
    """``ledger show`` and ``visits list`` refused answer their listing's keys, nothing in
    them, as ``persons list`` and ``benefits list`` do: a person nobody holds, and a database
    setting that names no database."""
    assert json.loads(CliRunner().invoke(app, [*args, "--json"]).stdout) == {**keys, "errors": [
        {"field": "PERSONAL_ID", "reason": f"no registered person {UNKNOWN}"}]}
    monkeypatch.setenv("SIBOOK_DATABASE_URL", "sibook.db")  # a path, not a URL
    get_settings.cache_clear()
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 1, result.output
    answer = json.loads(result.stdout)
    (problem,) = answer.pop("errors")
    assert problem["field"] == "database" and "SIBOOK_DATABASE_URL" in problem["reason"], problem
    assert answer == keys


@pytest.mark.parametrize(("command", "first"), [(["book", "export"], "--pdf"),
                                                 (["book", "card"], "--png")])
def test_one_file_named_for_two_outputs_is_a_usage_error(
        empty_store: Path, monkeypatch: pytest.MonkeyPatch, command: list[str],
        first: str) -> None:
    """``--qr`` naming the file ``--pdf`` (or ``--png``) names, however spelled, would write
    the QR text over the PDF just written while the answer said the PDF was there: flags that
    do not go together, exit 2, nothing written."""
    _registered()
    monkeypatch.chdir(empty_store)
    result = CliRunner().invoke(app, [*command, UNKNOWN, first, "book.out",
                                      "--qr", str(empty_store / "book.out")])
    assert result.exit_code == 2, result.output
    assert f"--qr: names the file {first} names" in result.output, result.output
    assert not (empty_store / "book.out").exists()


def _versions() -> int:
    from sqlalchemy import func, select

    from sibook.book.store import BookVersion
    from sibook.core.db import unit_of_work
    with unit_of_work(default_engine()) as session:
        return session.scalar(select(func.count()).select_from(BookVersion)) or 0


def test_an_output_that_cannot_be_written_leaves_no_file_and_no_version(
        empty_store: Path) -> None:
    """The PDF is written, then the QR cannot be (a directory stands at its path): the export
    refuses naming ``--qr``, removes the PDF it wrote (a signed book of a version the database
    would not hold) and records no new version, which the next export records."""
    _registered()
    started = CliRunner().invoke(app, ["persons", "voluntary", UNKNOWN, "--income", "3000000",
                                       "--office", "01000", "--json"])
    assert started.exit_code == 0, started.output  # the book's facts changed: a new version due
    before = _versions()
    pdf, qr = empty_store / "book.pdf", empty_store / "a-folder"
    qr.mkdir()
    (problem,) = _errors("book", "export", UNKNOWN, "--pdf", str(pdf), "--qr", str(qr))
    assert problem["field"] == "--qr" and "cannot write" in problem["reason"], problem
    assert not pdf.exists()
    assert _versions() == before
    made = CliRunner().invoke(app, ["book", "export", UNKNOWN, "--pdf", str(pdf), "--json"])
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["new_version"] is True and pdf.exists()
    assert _versions() == before + 1
