"""`sibook db upgrade` says where the database is, on one line, without the connection options
the project adds (JIT off, the lock wait) and without a password."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import make_url

from sibook.core import migrate
from sibook.core.db import make_engine, unit_of_work
from sibook.ids import make_personal_id
from sibook.registry import service
from sibook.registry.new_person import NewPerson


@pytest.mark.postgres
def test_upgrade_names_the_database_plainly(pg_server: str, tmp_path: Path) -> None:
    url = make_url(pg_server).set(password="s3cret-not-shown")
    env = {**os.environ, "SIBOOK_DATABASE_URL": url.render_as_string(hide_password=False),
           "SIBOOK_KEYS_DIR": str(tmp_path / "keys"), "COLUMNS": "60"}
    done = subprocess.run([sys.executable, "-m", "sibook.cli.main", "db", "upgrade"],
                          capture_output=True, text=True, env=env, timeout=180, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "s3cret" not in done.stdout
    plain = url.set(query={}).render_as_string()  # the password masked: ***
    assert done.stdout == f"database at {plain} is at revision head\n"


def _upgrade(tmp_path: Path, *revision: str) -> subprocess.CompletedProcess[str]:
    """``sibook db upgrade [REVISION]`` on a SQLite file in ``tmp_path``."""
    env = {**os.environ, "SIBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'sibook.db'}",
           "SIBOOK_KEYS_DIR": str(tmp_path / "keys"), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "sibook.cli.main", "db", "upgrade", *revision],
                          capture_output=True, text=True, env=env, timeout=180, cwd=tmp_path)


def test_upgrade_to_a_revision_no_migration_has_names_it_and_exits_1(tmp_path: Path) -> None:
    done = _upgrade(tmp_path, "00x9")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == "error: REVISION: Can't locate revision identified by '00x9'\n"


def test_upgrade_to_an_earlier_revision_says_the_database_is_later_and_exits_1(
        tmp_path: Path) -> None:
    assert _upgrade(tmp_path, "0010").stdout.endswith(" is at revision 0010\n")
    assert _upgrade(tmp_path).returncode == 0
    done = _upgrade(tmp_path, "0010")
    assert (done.returncode, done.stdout) == (1, "")
    head = ScriptDirectory(str(migrate.MIGRATIONS)).get_current_head()
    assert done.stderr == (f"error: REVISION: the database is at revision {head}, later than "
                           "0010; db upgrade never goes back, nothing was changed\n")


def test_a_command_on_a_database_behind_head_migrates_it_first(tmp_path: Path) -> None:
    """A command checks the database's revision without Alembic when it is current; one behind
    is still brought to head before the command reads it."""
    assert _upgrade(tmp_path, "0010").returncode == 0
    env = {**os.environ, "SIBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'sibook.db'}",
           "SIBOOK_KEYS_DIR": str(tmp_path / "keys")}
    done = subprocess.run([sys.executable, "-m", "sibook.cli.main", "persons", "list", "--json"],
                          capture_output=True, text=True, env=env, timeout=180, cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, '{"persons": []}\n', "")
    head = ScriptDirectory(str(migrate.MIGRATIONS)).get_current_head()
    assert _upgrade(tmp_path, "0010").stderr.startswith(
        f"error: REVISION: the database is at revision {head}, later than 0010;")


def test_upgrade_warns_of_the_civil_persons_a_migration_left_with_no_managing_office(
        tmp_path: Path) -> None:
    """Migration 0017 gives civil persons registered with no managing office one, save a
    birth registered abroad with nothing else known: the operator is told how many."""
    assert _upgrade(tmp_path, "0016").returncode == 0
    born = date(1980, 5, 1)
    engine = make_engine(f"sqlite:///{tmp_path / 'sibook.db'}")
    with unit_of_work(engine) as s:
        for serial, prefix in enumerate(("101", "001")):  # Afghanistan; Hà Nội
            service.register_person(session=s, person=NewPerson(
                personal_id=make_personal_id(prefix, born, "male", serial),
                full_name="Lê Văn An", birth_date=born, sex="male",
                birth_registration_place=prefix))
    engine.dispose()
    done = _upgrade(tmp_path)
    assert (done.returncode, done.stdout.endswith(" is at revision head\n")) == (0, True)
    assert done.stderr.startswith(
        "warning: 0017: 1 civil person(s) still have no managing SI office: their birth was "
        "registered abroad")
    assert done.stderr.count("\n") == 1


def _command(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A command with ``--json`` on the SQLite file ``tmp_path/sibook.db``."""
    env = {**os.environ, "SIBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'sibook.db'}",
           "SIBOOK_KEYS_DIR": str(tmp_path / "keys")}
    return subprocess.run([sys.executable, "-m", "sibook.cli.main", *args, "--json"],
                          capture_output=True, text=True, env=env, timeout=180, cwd=tmp_path)


def test_a_file_that_is_not_a_database_is_a_plain_refusal(tmp_path: Path) -> None:
    """SIBOOK_DATABASE_URL naming a file that is no SQLite database (a CSV saved as
    sibook.db) was a traceback and nothing on stdout."""
    (tmp_path / "sibook.db").write_text("personal_id,full_name\n", encoding="utf-8")
    done = _command(tmp_path, "persons", "list")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    answer = json.loads(done.stdout)
    (problem,) = answer.pop("errors")
    assert answer == {"persons": []} and problem["field"] == "database"
    assert problem["reason"].startswith("SIBOOK_DATABASE_URL cannot be used: sqlite:///")
    assert "is not a database sibook can open (file is not a database)" in problem["reason"]


def test_a_database_a_newer_sibook_migrated_is_a_plain_refusal_and_left_as_it_is(
        tmp_path: Path) -> None:
    """A database at a revision no migration here has (a newer sibook upgraded it) was
    Alembic's traceback; now one refusal naming the revision, and nothing changed."""
    assert _upgrade(tmp_path).returncode == 0
    with sqlite3.connect(tmp_path / "sibook.db") as db:
        db.execute("UPDATE alembic_version SET version_num = '0999'")
    done = _command(tmp_path, "employers", "list")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    (problem,) = json.loads(done.stdout)["errors"]
    assert problem["field"] == "database"
    assert "cannot be migrated by this sibook: Can't locate revision identified by '0999'" in \
        problem["reason"]
    with sqlite3.connect(tmp_path / "sibook.db") as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [("0999",)]


def test_a_sqlite_file_in_a_folder_that_is_not_there_names_the_folder(tmp_path: Path) -> None:
    """SQLite makes the file, not its folder: the refusal was SQLite's "unable to open
    database file", said as a database that "cannot be used now"."""
    env = {**os.environ, "SIBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'sibook.db'}"}
    done = subprocess.run([sys.executable, "-m", "sibook.cli.main", "persons", "list",
                           "--json"], capture_output=True, text=True, env=env, timeout=180,
                          cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    (problem,) = json.loads(done.stdout)["errors"]
    assert problem["field"] == "database"
    assert f"is in the folder {tmp_path / 'data'}, which does not exist; create it" in \
        problem["reason"]
    assert not (tmp_path / "data").exists()


def test_upgrade_of_a_file_that_is_not_a_database_is_a_plain_refusal(tmp_path: Path) -> None:
    """`db upgrade`, the command a user is told to run, was a traceback on such a file."""
    (tmp_path / "sibook.db").write_text("personal_id,full_name\n", encoding="utf-8")
    done = _upgrade(tmp_path)
    assert (done.returncode, done.stdout) == (1, ""), done.stderr
    assert "Traceback" not in done.stderr
    assert "is not a database sibook can open (file is not a database)" in done.stderr


@pytest.mark.postgres
def test_a_postgresql_database_that_is_not_there_says_to_create_it(pg_server: str,
                                                                     tmp_path: Path) -> None:
    """A server without the database the URL names was said as a database that "cannot be
    used now", as if waiting would help; a newcomer is told to create it."""
    url = make_url(pg_server).set(database="sibook_never_created_x")
    env = {**os.environ, "SIBOOK_DATABASE_URL": url.render_as_string(hide_password=False)}
    done = subprocess.run([sys.executable, "-m", "sibook.cli.main", "persons", "list",
                           "--json"], capture_output=True, text=True, env=env, timeout=180,
                          cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    (problem,) = json.loads(done.stdout)["errors"]
    assert problem == {"field": "database", "reason": (
        "SIBOOK_DATABASE_URL names the database sibook_never_created_x, which its server does "
        "not have: create it (createdb sibook_never_created_x) and run the command again; "
        "sibook makes its tables on first use")}


def test_upgrade_of_a_database_a_newer_sibook_migrated_names_the_database(
        tmp_path: Path) -> None:
    """`db upgrade` blamed its REVISION argument (which the user had not even typed) for the
    database's own revision, one no migration here has."""
    assert _upgrade(tmp_path).returncode == 0
    with sqlite3.connect(tmp_path / "sibook.db") as db:
        db.execute("UPDATE alembic_version SET version_num = '0999'")
    done = _upgrade(tmp_path)
    assert (done.returncode, done.stdout) == (1, ""), done.stderr
    assert done.stderr.startswith("error: database: SIBOOK_DATABASE_URL cannot be used: the "
                                  "database is at a revision this sibook has no migration for")
    assert _upgrade(tmp_path, "0999x").stderr.startswith("error: REVISION: Can't locate")


def test_a_command_run_outside_the_checkout_says_it_made_a_new_database(tmp_path: Path) -> None:
    """The default `sibook.db` is of the folder a command runs in: run elsewhere, a command
    answered "no persons" from a new, empty file, never saying it made one. It says so on
    stderr (stdout stays the answer), once: the next command finds the file."""
    env = {k: v for k, v in os.environ.items() if k != "SIBOOK_DATABASE_URL"}
    env["SIBOOK_KEYS_DIR"] = str(tmp_path / "keys")

    def persons_list() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "sibook.cli.main", "persons", "list",
                               "--json"], capture_output=True, text=True, env=env,
                              timeout=180, cwd=tmp_path)

    first = persons_list()
    assert (first.returncode, json.loads(first.stdout)) == (0, {"persons": []}), first.stderr
    assert first.stderr == (f"made a new, empty database {tmp_path / 'sibook.db'} "
                            "(sqlite:///sibook.db, as SIBOOK_DATABASE_URL names it)\n")
    again = persons_list()
    assert (again.returncode, again.stderr) == (0, "")
