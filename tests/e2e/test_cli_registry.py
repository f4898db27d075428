"""The registry commands of the public contract, run as a user runs them (a real process)."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import URL, create_engine, make_url, text

from sibook.ids import is_valid_personal_id

SIBOOK = [sys.executable, "-m", "sibook.cli.main"]


def run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SIBOOK_DATABASE_URL": f"sqlite:///{db}",
           "SIBOOK_KEYS_DIR": str(db.parent / "keys")}  # the seed makes the agency's keys
    return subprocess.run([*SIBOOK, *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cli") / "sibook.db"
    result = run(db, "seed", "--people", "300", "--employers", "12", "--seed", "4", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["people"] == 300
    return db


def test_persons_list_answers_per_contract(seeded: Path) -> None:
    result = run(seeded, "persons", "list", "--limit", "5", "--json")
    assert result.returncode == 0, result.stderr
    persons = json.loads(result.stdout)["persons"]
    assert len(persons) == 5
    assert set(persons[0]) == {"personal_id", "full_name", "birth_date", "employer"}
    assert all(is_valid_personal_id(p["personal_id"]) for p in persons)
    assert [p["personal_id"] for p in persons] == sorted(p["personal_id"] for p in persons)


def test_persons_list_by_employer_shows_only_its_current_workers(seeded: Path) -> None:
    employers = json.loads(run(seeded, "employers", "list", "--json").stdout)["employers"]
    code = employers[0]["code"]
    persons = json.loads(
        run(seeded, "persons", "list", "--employer", code, "--limit", "1000", "--json").stdout
    )["persons"]
    assert persons and all(p["employer"] == code for p in persons)


def test_a_unit_or_a_person_registered_already_is_refused_naming_the_flag_once(
        seeded: Path) -> None:
    (code,) = [e["code"] for e in json.loads(
        run(seeded, "employers", "list", "--limit", "1", "--json").stdout)["employers"]]
    again = run(seeded, "employers", "add", "--code", code, "--name", "X", "--province", "01",
                "--region", "I", "--json")
    assert again.returncode == 1
    # Registered before with other content: each flag that differs, once ("--name", not
    # "--name: name: ...").
    assert [e["field"] for e in json.loads(again.stdout)["errors"]][:1] == ["--name"]
    ((pid, born),) = [(p["personal_id"], p["birth_date"]) for p in json.loads(
        run(seeded, "persons", "list", "--limit", "1", "--json").stdout)["persons"]]
    sex = "male" if int(pid[3]) % 2 == 0 else "female"  # the ID's century-and-sex digit
    twice = run(seeded, "persons", "register", "--personal-id", pid, "--name", "Lê Văn",
                "--birth-date", born, "--sex", sex, "--json")
    assert twice.returncode == 1
    problems = json.loads(twice.stdout)["errors"]
    assert problems[0]["field"] == "--name" and not problems[0]["reason"].startswith(
        "full_name:"), problems


def test_persons_list_of_an_unknown_employer_names_the_flag(seeded: Path) -> None:
    result = run(seeded, "persons", "list", "--employer", "9999999999", "--json")
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout) == {"persons": [], "errors": [
        {"field": "--employer", "reason": "no employer with code 9999999999"}]}


def test_employers_list_answers_per_contract(seeded: Path) -> None:
    result = run(seeded, "employers", "list", "--limit", "3", "--json")
    employers = json.loads(result.stdout)["employers"]
    assert len(employers) == 3
    assert set(employers[0]) == {"code", "name", "province_code", "region"}
    assert employers[0]["region"] in ("I", "II", "III", "IV")


def test_an_unknown_employer_is_refused_with_exit_1(seeded: Path) -> None:
    result = run(seeded, "persons", "list", "--employer", "0000000000", "--json")
    assert result.returncode == 1
    assert "no employer" in json.loads(result.stdout)["errors"][0]["reason"]


def test_a_bad_flag_is_a_usage_error(seeded: Path) -> None:
    assert run(seeded, "persons", "list", "--limit", "zero").returncode == 2


@pytest.mark.parametrize(("args", "field"), [
    (["persons", "list", "--limit", "zero"], "--limit"),
    (["persons", "list", "--no-such-flag"], "usage"),
    (["ledger", "show"], "PERSONAL_ID"),
    (["no-such-command"], "usage"),
    # a word outside the flag's list (the contract's --region I|II|III|IV) is a bad flag too,
    # in every command alike; add-client's said "client_id: ... already exists" (exit 1)
    (["rules", "contribution", "--month", "2026-01", "--salary", "1", "--region", "V"],
     "--region"),
    (["employers", "add", "--code", "0101234567", "--name", "X", "--province", "01",
      "--region", "I", "--realm", "army"], "--realm"),
    (["employers", "add", "--code", "0101234567", "--name", "X", "--province", "01",
      "--region", "I", "--salary-regime", "mixed"], "--salary-regime"),
    (["persons", "register", "--personal-id", "001089012399", "--name", "Lê Văn", "--birth-date",
      "1989-03-02", "--sex", "m"], "--sex"),
    (["access", "add-client", "audit-x", "--kind", "bank"], "--kind"),
    # a flag this use needs missing, or flags that do not go together
    (["persons", "register", "--personal-id", "001089012399", "--name", "Lê Văn", "--birth-date",
      "1989-03-02", "--sex", "male", "--employer", "0101234567"], "--salary"),
    (["rules", "contribution", "--month", "2026-01", "--salary", "1", "--foreign",
      "--voluntary"], "--voluntary"),
    # a flag this use would drop without a word (the person was registered without it)
    (["persons", "register", "--personal-id", "001089012399", "--name", "Lê Văn", "--birth-date",
      "1989-03-02", "--sex", "male", "--job", "Kế toán"], "--job"),
    (["persons", "register", "--personal-id", "001089012399", "--name", "Lê Văn", "--birth-date",
      "1989-03-02", "--sex", "male", "--voluntary", "--income", "3000000", "--allowances",
      "500000"], "--allowances"),
    (["persons", "register", "--personal-id", "001089012399", "--name", "Lê Văn", "--birth-date",
      "1989-03-02", "--sex", "male", "--from", "2026-01"], "--from"),
])
def test_with_json_a_usage_error_is_exit_2_and_one_json_object_on_stdout(
        seeded: Path, args: list[str], field: str) -> None:
    result = run(seeded, *args, "--json")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "Usage:" in result.stderr
    (problem,) = json.loads(result.stdout)["errors"]
    assert problem["field"] == field and problem["reason"]


@pytest.mark.parametrize(("args", "field"), [
    (["persons", "list", "--employer"], "--employer"),
    (["persons", "list", "--limit", "5", "--employer"], "--employer"),
    (["access", "add-client", "acme", "--kind", "employer", "--unit-code"], "--unit-code"),
])
def test_a_code_flag_given_no_code_is_a_usage_error_not_a_code_named_after_a_flag(
        seeded: Path, args: list[str], field: str) -> None:
    """``--employer --json``: Click takes --json as the unit's code, looks up a unit called
    --json and answers in plain words on stderr; the flag was given no code, a usage error."""
    result = run(seeded, *args, "--json")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (problem,) = json.loads(result.stdout)["errors"]
    assert problem["field"] == field and "got '--json', which is a flag" in problem["reason"]


def test_json_written_with_a_value_still_answers_a_usage_error_in_one_json_object(
        seeded: Path) -> None:
    """``--json=true`` is refused by Click (the flag takes no value): exit 2, and the script
    that asked for JSON reads the reason on stdout as with ``--json``."""
    result = run(seeded, "rules", "late-interest", "--amount", "1000", "--days-late", "61",
                 "--json=true")
    assert result.returncode == 2
    (problem,) = json.loads(result.stdout)["errors"]
    assert problem["field"] == "--json" and "does not take a value" in problem["reason"]


def test_a_declared_file_that_is_missing_is_named_file_as_the_readme_writes_it(
        seeded: Path, tmp_path: Path) -> None:
    """The usage line and the reason said `file`, the JSON field FILE: one name, FILE, as
    the README writes `sibook declare FILE` and the help lists the argument."""
    result = run(seeded, "declare", str(tmp_path / "d02.csv"), "--employer", "0101234567",
                 "--month", "2026-01", "--json")
    assert result.returncode == 2
    (problem,) = json.loads(result.stdout)["errors"]
    assert problem["field"] == "FILE" and problem["reason"].startswith("Invalid value for 'FILE'")
    # one line, as the contract writes it (Click broke it at 80 columns, inside YYYY-MM-DD)
    assert "Usage: sibook declare FILE --employer CODE --month YYYY-MM [OPTIONS]\n" in (
        result.stderr.replace("python -m sibook.cli.main", "sibook"))
    assert "FILE" in run(seeded, "declare", "--help").stdout


@pytest.mark.parametrize("args", [
    ["persons", "list", "--employer", b"010000000\xff"],
    ["book", "history", b"00108901234\xff"],
    ["persons", "register", "--personal-id", "001089012399", "--name", b"L\xff",
     "--birth-date", "1989-03-02", "--sex", "male"],
    ["employers", "add", "--code", "0101234567", "--name", b"X\xff", "--province", "01",
     "--region", "I"],
])
def test_an_argument_that_is_not_utf8_is_a_usage_error_not_a_traceback(
        seeded: Path, args: list[str | bytes]) -> None:
    """A byte that is no UTF-8 character (0xff) in a code or an ID cannot reach the database:
    exit 2 with the reason, in one JSON object with --json, never a UnicodeEncodeError."""
    env = {**os.environ, "SIBOOK_DATABASE_URL": f"sqlite:///{seeded}"}
    result = subprocess.run([*SIBOOK, *args, "--json"], capture_output=True, env=env,
                            timeout=120)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2 and "Traceback" not in stderr, stderr
    (problem,) = json.loads(result.stdout.decode("utf-8"))["errors"]
    assert "not UTF-8" in problem["reason"]


def test_an_invalid_registry_file_changes_nothing(seeded: Path, tmp_path: Path) -> None:
    before = run(seeded, "persons", "list", "--limit", "100000", "--json").stdout
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "persons": [
                    {
                        "personal_id": "001089012345",
                        "full_name": "Nguyễn Văn An",
                        "birth_date": "1989-02-30",
                        "sex": "male",
                        "birth_registration_place": "001",
                    }
                ]
            }
        )
    )
    result = run(seeded, "persons", "import", str(bad))
    assert result.returncode == 1
    assert "row 1, persons.birth_date" in result.stderr
    assert run(seeded, "persons", "list", "--limit", "100000", "--json").stdout == before


def test_registration_problems_name_the_flags_the_user_gave(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    voluntary = run(db, "persons", "register", "--personal-id", "001195004321", "--name",
                    "Trần Thị Bình", "--birth-date", "1995-05-02", "--sex", "female",
                    "--voluntary", "--income", "1", "--office", "01000", "--json")
    assert voluntary.returncode == 1
    problems = json.loads(voluntary.stdout)["errors"]
    assert [p["field"] for p in problems] == ["--income"] and "row" not in problems[0]
    early = run(db, "persons", "register", "--personal-id", "001195004321", "--name",
                "Trần Thị Bình", "--birth-date", "1995-05-02", "--sex", "female",
                "--voluntary", "--income", "3000000", "--from", "2020-01", "--office", "01000",
                "--json")
    assert early.returncode == 1
    assert [p["field"] for p in json.loads(early.stdout)["errors"]] == ["--from"]
    long_name = run(db, "employers", "add", "--code", "0101234567", "--name", "C" * 201,
                    "--province", "01", "--region", "I", "--json")
    assert long_name.returncode == 1
    assert json.loads(long_name.stdout)["errors"][0]["field"] == "--name"
    # An employee's start is filed as a one-line list: its problems name the flags too, with
    # no row number (there is no file), not the list's column and row 1.
    assert run(db, "employers", "add", "--code", "0101234567", "--name", "An Phát",
               "--province", "01", "--region", "I").returncode == 0
    worker = ("persons", "register", "--personal-id", "001089012345", "--name",
              "Nguyễn Văn An", "--birth-date", "1989-03-02", "--sex", "male", "--employer",
              "0101234567", "--json")
    low = run(db, *worker, "--salary", "1000")
    assert low.returncode == 1
    assert json.loads(low.stdout)["errors"] == [{"field": "--salary", "reason": (
        f"1,000 is below the regional minimum wage 5,310,000 for region I in "
        f"{date.today():%Y-%m}")}]
    long_job = run(db, *worker, "--salary", "12000000", "--job", "x" * 121)
    assert long_job.returncode == 1
    assert json.loads(long_job.stdout)["errors"] == [
        {"field": "--job", "reason": "longer than 120 characters"}]
    # A start before the payment deadline's first rule (2020-01) names --from, the flag typed,
    # not the law table's "month".
    early_start = run(db, *worker, "--salary", "12000000", "--from", "2019-11")
    assert early_start.returncode == 1
    assert [p["field"] for p in json.loads(early_start.stdout)["errors"]] == ["--from"]


def test_a_registration_run_again_as_another_kind_of_participant_names_the_flag(
        tmp_path: Path) -> None:
    """An employee registered again with no --employer, or with --voluntary, is refused naming
    the flag the command line has, not the API's participant_type."""
    db = tmp_path / "fresh.db"
    assert run(db, "employers", "add", "--code", "0101234567", "--name", "An Phát",
               "--province", "01", "--region", "I").returncode == 0
    person = ("persons", "register", "--personal-id", "001089012345", "--name",
              "Nguyễn Văn An", "--birth-date", "1989-03-02", "--sex", "male", "--json")
    assert run(db, *person, "--employer", "0101234567", "--salary", "12000000").returncode == 0
    plain = run(db, *person)
    assert plain.returncode == 1
    assert [p["field"] for p in json.loads(plain.stdout)["errors"]] == ["--employer"]
    voluntary = run(db, *person, "--voluntary", "--income", "3000000")
    assert voluntary.returncode == 1
    assert "--voluntary" in [p["field"] for p in json.loads(voluntary.stdout)["errors"]]


def test_a_person_registered_at_the_console_is_managed_by_an_office_named_or_their_employers(
        tmp_path: Path) -> None:
    """The console belongs to no province: the person is managed by the --office named, else an
    employee's by their employer's province's, else by the office of the province where their
    birth was registered (the ID's first three digits), so a provincial clerk sees them; a
    birth registered abroad with nothing else known is refused naming --office."""
    db = tmp_path / "offices.db"

    def plain(pid: str, name: str, born: str, sex: str) -> list[str]:
        return ["persons", "register", "--personal-id", pid, "--name", name, "--birth-date",
                born, "--sex", sex, "--json"]

    abroad = plain("101192000101", "Phạm Thị Dung", "1992-06-06", "female")
    refused = run(db, *abroad)
    assert refused.returncode == 1
    (problem,) = json.loads(refused.stdout)["errors"]
    assert problem["field"] == "--office" and "no SI office" in problem["reason"]
    assert run(db, *abroad, "--office", "79000").returncode == 0
    assert run(db, *plain("001195004321", "Trần Thị Bình", "1995-05-02", "female")
               ).returncode == 0
    assert run(db, "employers", "add", "--code", "0101234567", "--name", "Công ty An",
               "--province", "48", "--region", "I", "--json").returncode == 0
    assert run(db, "persons", "register", "--personal-id", "001089012345", "--name",
               "Nguyễn Văn An", "--birth-date", "1989-03-02", "--sex", "male", "--employer",
               "0101234567", "--salary", "12000000", "--json").returncode == 0
    with sqlite3.connect(db) as conn:
        offices = conn.execute("SELECT p.personal_id, s.managing_office FROM persons p JOIN "
                               "si_profiles s USING (person_id) ORDER BY p.personal_id").fetchall()
    assert offices == [("001089012345", "48000"), ("001195004321", "01000"),
                       ("101192000101", "79000")]


def test_a_start_reported_late_gets_a_card_valid_this_year(tmp_path: Path) -> None:
    db = tmp_path / "late.db"
    assert run(db, "employers", "add", "--code", "0101234567", "--name", "  Công ty An  ",
               "--province", "01", "--region", "I", "--json").returncode == 0
    result = run(db, "persons", "register", "--personal-id", "001089012345", "--name",
                 "Nguyễn Văn An", "--birth-date", "1989-03-02", "--sex", "male", "--employer",
                 "0101234567", "--salary", "12000000", "--from", "2024-01", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    with sqlite3.connect(db) as conn:
        valid_to, name = conn.execute(
            "SELECT valid_to, (SELECT name FROM employers) FROM hi_cards").fetchone()
    assert valid_to >= f"{date.today().year}-12-31" and name == "Công ty An"


def _while_locked(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command run while another writer holds the SQLite write lock longer than the
    command waits for it."""
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        env = {**os.environ, "SIBOOK_DATABASE_URL": f"sqlite:///{db}",
               "SIBOOK_LOCK_WAIT_SECONDS": "0.5"}
        return subprocess.run([*SIBOOK, *args], capture_output=True, text=True, env=env,
                               timeout=120)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_database_locked_past_the_wait_is_a_plain_refusal(seeded: Path) -> None:
    """Exit 1 with the reason as JSON, not a traceback; the answer keeps the command's own
    key, as its other refusals do."""
    result = _while_locked(seeded, "persons", "list", "--json")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    answer = json.loads(result.stdout)
    (problem,) = answer.pop("errors")
    assert problem["field"] == "database" and "locked" in problem["reason"]
    assert answer == {"persons": []}
    text = _while_locked(seeded, "persons", "list")
    assert text.returncode == 1 and text.stdout == "" and "locked" in text.stderr


@pytest.mark.parametrize(("command", "keys"), [
    (("declare", "{file}", "--employer", "{code}", "--month", "2026-01"), {"accepted": False}),
    (("payments", "post", "--employer", "{code}", "--amount", "1000", "--reference", "LOCK-1",
      "--date", "2026-01-05"), {"posted": False}),
    (("employers", "add", "--code", "0109999998", "--name", "Công ty Khóa", "--province", "01",
      "--region", "I"), {"registered": False}),
])
def test_a_busy_database_keeps_the_commands_contract_keys_in_its_answer(
        seeded: Path, tmp_path: Path, command: tuple[str, ...], keys: dict[str, object]
) -> None:
    """A script reads ``accepted`` (``posted``, ``registered``) from every answer of the
    command: a database it cannot use now answers it false, as a refusal of the input does."""
    code = json.loads(run(seeded, "employers", "list", "--limit", "1", "--json").stdout)[
        "employers"][0]["code"]
    d02 = tmp_path / "d02.csv"
    d02.write_text("personal_id,case_code,salary,from_month\n")
    result = _while_locked(seeded, *(a.format(file=d02, code=code) for a in command), "--json")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    answer = json.loads(result.stdout)
    (problem,) = answer.pop("errors")
    assert problem["field"] == "database" and "locked" in problem["reason"]
    assert answer == keys


@pytest.mark.parametrize(("url", "command", "keys"), [
    ("sibook.db", ("persons", "list"), {"persons": []}),  # a path, not a URL
    ("bogus:///sibook.db", ("audit", "verify"), {}),  # a kind no installed driver reads
    # psycopg2 named: sibook ships psycopg (3), which a bare postgresql:// is read through
    ("postgresql+psycopg2://postgres@127.0.0.1:5432/sibook", ("persons", "list"),
     {"persons": []}),
])
def test_a_database_url_that_names_no_database_is_a_plain_refusal(
        tmp_path: Path, url: str, command: tuple[str, ...], keys: dict[str, object]) -> None:
    """A mistyped SIBOOK_DATABASE_URL is said by its name, exit 1 with the command's keys as
    an unreachable database is; it was a traceback and nothing on stdout."""
    result = subprocess.run([*SIBOOK, *command, "--json"], capture_output=True, text=True,
                            env={**os.environ, "SIBOOK_DATABASE_URL": url}, cwd=tmp_path,
                            timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    answer = json.loads(result.stdout)
    (problem,) = answer.pop("errors")
    assert problem["field"] == "database"
    assert problem["reason"].startswith("SIBOOK_DATABASE_URL cannot be used: ")
    assert answer == keys


@pytest.fixture
def pg_database(pg_server: str) -> Iterator[URL]:
    """An empty PostgreSQL database of its own (a command migrates what it opens)."""
    admin_url = make_url(pg_server)
    name = f"sibook_cli_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_a_postgresql_url_without_a_driver_is_read_through_psycopg(
        tmp_path: Path, pg_database: URL, scheme: str) -> None:
    """postgresql:// (SQLAlchemy's psycopg2 by default, not installed) and postgres:// (as
    hosting tools print it) were refused as naming no database: both are PostgreSQL."""
    url = pg_database.set(drivername=scheme).render_as_string(hide_password=False)
    result = subprocess.run([*SIBOOK, "persons", "list", "--json"], capture_output=True,
                            text=True, env={**os.environ, "SIBOOK_DATABASE_URL": url},
                            cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"persons": []}


def _employers_listed_with(tmp_path: Path, name: str, value: str) -> dict[str, Any]:
    """``employers list --json`` run with the setting ``name`` set to ``value``: refused."""
    env = {**os.environ, "SIBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", name: value}
    result = subprocess.run([*SIBOOK, "employers", "list", "--json"], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def test_a_setting_that_cannot_be_read_is_named_not_a_traceback(tmp_path: Path) -> None:
    answer = _employers_listed_with(tmp_path, "SIBOOK_LOCK_WAIT_SECONDS", "two minutes")
    (problem,) = answer.pop("errors")
    assert answer == {"employers": []}  # the command's keys, as in its other refusals
    assert problem["field"] == "SIBOOK_LOCK_WAIT_SECONDS"
    assert problem["reason"].startswith("SIBOOK_LOCK_WAIT_SECONDS cannot be read: ")


def test_a_setting_its_own_check_refuses_is_said_in_that_checks_words(tmp_path: Path) -> None:
    (problem,) = _employers_listed_with(tmp_path, "SIBOOK_PUBLIC_URL",
                                        "sobhxh.example.gov.vn")["errors"]
    assert problem == {"field": "SIBOOK_PUBLIC_URL", "reason": (
        "SIBOOK_PUBLIC_URL cannot be read: must be an http(s) address with a host and no query, "
        "such as https://sobhxh.example.gov.vn, got 'sobhxh.example.gov.vn'")}  # no pydantic


@pytest.mark.parametrize(("name", "value"), [("SIBOOK_DEV_IDP", "maybe"),
                                           ("SIBOOK_OIDC_LEVEL2_ACR", "level 2")])  # not JSON
def test_an_access_setting_that_cannot_be_read_is_named_not_a_traceback(
        tmp_path: Path, name: str, value: str) -> None:
    """serve reads the access part's settings too: they were a pydantic traceback."""
    env = {**os.environ, "SIBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", name: value}
    result = subprocess.run([*SIBOOK, "serve", "--port", "1"], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"{name} cannot be read: " in result.stderr


@pytest.mark.parametrize("day", ["", "20260101", "2026-W01-1", "2026-02-30"])
def test_a_payment_date_not_written_yyyy_mm_dd_is_a_usage_error(seeded: Path, day: str) -> None:
    """An empty --date was taken as today, and date.fromisoformat read 20260101 and week
    dates: a payment posted on a day nobody wrote."""
    code = json.loads(run(seeded, "employers", "list", "--limit", "1", "--json").stdout)[
        "employers"][0]["code"]
    result = run(seeded, "payments", "post", "--employer", code, "--amount", "1000",
                 "--reference", f"T-{day or 'EMPTY'}", "--date", day, "--json")
    assert result.returncode == 2, result.stdout + result.stderr
    (problem,) = json.loads(result.stdout)["errors"]
    assert problem["field"] == "--date" and "YYYY-MM-DD" in problem["reason"]


def test_importing_the_same_file_again_answers_the_first_import(tmp_path: Path) -> None:
    """A re-upload after a crash, or a script's retry: the file landed, and nothing doubles."""
    db, registry = tmp_path / "fresh.db", tmp_path / "registry.json"
    registry.write_text(json.dumps({
        "employers": [{"code": "0101234567", "name": "Công ty TNHH An Phát",
                       "province_code": "01", "region": "I"}],
        "persons": [{"personal_id": "001089012345", "full_name": "Nguyễn Văn An",
                     "birth_date": "1989-03-02", "sex": "male",
                     "birth_registration_place": "001", "managing_office": "01000"}]},
                   ensure_ascii=False),
        encoding="utf-8")
    first = run(db, "persons", "import", str(registry), "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {"imported": True, "employers": 1, "persons": 1,
                                        "households": 0, "replayed": False}
    listed = run(db, "persons", "list", "--json").stdout
    with sqlite3.connect(db) as conn:  # each book's version 1, recorded by the import
        assert conn.execute("SELECT person_id, version FROM book_versions").fetchall() == [
            (1, 1)]
    again = run(db, "persons", "import", str(registry), "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {**json.loads(first.stdout), "replayed": True}
    assert run(db, "persons", "list", "--json").stdout == listed
    # Another file naming the same person is still refused: only the same file replays.
    other = tmp_path / "other.json"
    other.write_text(registry.read_text(encoding="utf-8").replace("An Phát", "An Phát 2"),
                     encoding="utf-8")
    assert run(db, "persons", "import", str(other), "--json").returncode == 1


def test_a_unit_paying_by_the_state_scale_says_so_and_a_ministrys_cannot_say_otherwise(
        tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    school = run(db, "employers", "add", "--code", "0101234567", "--name", "Trường Tiểu học",
                 "--province", "01", "--region", "I", "--salary-regime", "state", "--json")
    assert school.returncode == 0, school.stdout + school.stderr
    assert json.loads(school.stdout)["salary_regime"] == "state"
    firm = run(db, "employers", "add", "--code", "0101234568", "--name", "Công ty An",
               "--province", "01", "--region", "I", "--json")
    assert json.loads(firm.stdout)["salary_regime"] == "employer"
    unit = run(db, "employers", "add", "--code", "0101234569", "--name", "Đơn vị Quân đội",
               "--province", "01", "--region", "I", "--realm", "defence", "--salary-regime",
               "employer", "--json")
    assert unit.returncode == 1
    assert [p["field"] for p in json.loads(unit.stdout)["errors"]] == ["--salary-regime"]
    # The contract's listing keeps its keys.
    listed = json.loads(run(db, "employers", "list", "--json").stdout)["employers"]
    assert [set(e) for e in listed] == [{"code", "name", "province_code", "region"}] * 2


def test_a_worker_registered_by_a_ministrys_unit_is_of_its_realm(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    added = run(db, "employers", "add", "--code", "0101234567", "--name", "Đơn vị Quân đội",
                "--province", "01", "--region", "I", "--realm", "defence", "--json")
    assert added.returncode == 0, added.stdout + added.stderr
    month = f"{date.today():%Y-%m}"
    registered = run(db, "persons", "register", "--personal-id", "001089012345", "--name",
                     "Nguyễn Văn An", "--birth-date", "1989-03-02", "--sex", "male",
                     "--employer", "0101234567", "--salary", "12000000", "--from", month,
                     "--realm", "defence", "--json")
    assert registered.returncode == 0, registered.stdout + registered.stderr
    assert json.loads(registered.stdout)["participant_type"] == "compulsory"
    # Absent from the civil listing, as the ministries' people are.
    assert json.loads(run(db, "persons", "list", "--json").stdout) == {"persons": []}
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT realm FROM persons").fetchall() == [("defence",)]
        assert conn.execute("SELECT action FROM access_log").fetchall() == [
            ("person.register",)]


@pytest.mark.parametrize(("args", "flag"), [
    (("--amount", "0"), "--amount"),
    (("--date", "1994-12-31"), "--date"),  # paid_on to the service and the API
    (("--reference", " "), "--reference"),
])
def test_a_refused_payment_names_the_flag_typed_not_the_services_field(
        seeded: Path, args: tuple[str, str], flag: str) -> None:
    code = json.loads(run(seeded, "employers", "list", "--limit", "1", "--json").stdout)[
        "employers"][0]["code"]
    given = dict(zip(("--amount", "--reference", "--date"), ("1000", "T-FLAG", "2026-01-05"),
                     strict=True)) | {args[0]: args[1]}
    result = run(seeded, "payments", "post", "--employer", code,
                 *(part for pair in given.items() for part in pair), "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    assert json.loads(result.stdout) == {"posted": False, "errors": [
        {"field": flag, "reason": json.loads(result.stdout)["errors"][0]["reason"]}]}
    text = run(seeded, "payments", "post", "--employer", code,
               *(part for pair in given.items() for part in pair))
    assert text.returncode == 1 and f"error: {flag}:" in text.stderr


def test_a_ministrys_worker_has_their_months_read_in_their_realm(seeded: Path) -> None:
    """``ledger show --realm``, as ``benefits list`` and ``book show`` take it: a defence
    person's months are their realm's to read, so without it the console could never."""
    with sqlite3.connect(seeded) as db:
        (soldier,) = db.execute("SELECT personal_id FROM persons WHERE realm = 'defence' "
                                "ORDER BY personal_id LIMIT 1").fetchone()
    hidden = run(seeded, "ledger", "show", soldier, "--json")
    assert hidden.returncode == 1
    assert json.loads(hidden.stdout)["errors"][0]["field"] == "PERSONAL_ID"
    shown = run(seeded, "ledger", "show", soldier, "--realm", "defence", "--json")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    answer = json.loads(shown.stdout)
    assert answer["personal_id"] == soldier and answer["months"]
    assert run(seeded, "ledger", "show", soldier, "--realm", "public_security",
               "--json").returncode == 1


def test_a_registration_says_when_the_population_database_did_not_verify_the_identity(
        seeded: Path, tmp_path: Path) -> None:
    """The README's walk registers An, whom the population database does not hold, noting
    `"identity_verified": false`; without `--json` the answer did not say it."""
    seeded = Path(shutil.copy(seeded, tmp_path / "sibook.db"))  # the module's store unchanged
    with sqlite3.connect(seeded) as db:
        pid, name, born, sex = db.execute(
            "SELECT personal_id, full_name, birth_date, sex FROM population_citizens WHERE "
            "personal_id NOT IN (SELECT personal_id FROM persons) ORDER BY personal_id"
        ).fetchone()
    held = run(seeded, "persons", "register", "--personal-id", pid, "--name", name,
               "--birth-date", born, "--sex", sex)
    assert held.returncode == 0, held.stderr
    assert held.stdout.rstrip().endswith("(active, version 1)"), held.stdout
    unknown = run(seeded, "persons", "register", "--personal-id", "001089012345", "--name",
                  "Nguyễn Văn An", "--birth-date", "1989-03-02", "--sex", "male")
    assert unknown.returncode == 0, unknown.stderr
    assert unknown.stdout.rstrip().endswith(
        "(active, version 1); identity not verified: the population database does not hold "
        "it as given"), unknown.stdout


def test_seed_if_empty_on_a_populated_database_says_what_it_holds(seeded: Path) -> None:
    """`make run PEOPLE=20000` on the demo's sibook.db said "database already populated;
    nothing seeded": not how many, nor how to get the bigger one."""
    again = run(seeded, "seed", "--people", "20000", "--employers", "1000", "--if-empty")
    assert again.returncode == 0, again.stderr
    # 300 and 12 seeded, and what the module's other tests registered since
    assert re.match(r"the database already holds 3\d\d persons and 1\d employers; nothing "
                    r"seeded \(a population of another size is seeded into a fresh database: "
                    r"remove its file", again.stdout), again.stdout
