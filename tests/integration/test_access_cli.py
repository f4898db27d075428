"""``sibook audit verify``: exit 0 on an intact chain, 1 with the first bad seq on a broken one."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from sibook.access import audit, credentials
from sibook.access.principals import TooManyRequests
from sibook.cli.context import operator_id
from sibook.cli.main import app
from sibook.core.config import get_settings
from sibook.core.db import default_engine, unit_of_work
from sibook.registry import reading as registry
from tests.databases import migrated_sqlite
from tests.integration.ledger_fixtures import EMPLOYER, csv_of, setup_workers


@pytest.fixture
def operator_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The operator's machine: a migrated SQLite store and a keys dir, as the commands see them."""
    monkeypatch.setenv("SIBOOK_DATABASE_URL", migrated_sqlite(tmp_path / "cli.db"))
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    engine = default_engine()
    yield engine
    get_settings.cache_clear()


def test_verify_finds_a_single_edited_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIBOOK_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(app, ["audit", "verify", "--json"]).exit_code == 0
        engine = default_engine()
        for n in range(3):
            with unit_of_work(engine) as s:
                audit.append(session=s, access=audit.Access(
                    actor_kind="officer", actor_id="o1", action="person.read",
                    route="GET /api/v1/persons/{personal_id}", purpose="case", person_id=n))
        assert json.loads(runner.invoke(app, ["audit", "verify", "--json"]).stdout)["entries"] == 3
        with engine.begin() as conn:
            conn.execute(text("DROP TRIGGER access_log_no_update"))
            conn.execute(text("UPDATE access_log SET actor_id = 'someone' WHERE seq = 2"))
        result = runner.invoke(app, ["audit", "verify", "--json"])
        assert result.exit_code == 1
        assert json.loads(result.stdout)["first_bad_seq"] == 2
    finally:
        get_settings.cache_clear()


def test_verify_finds_a_person_removed_from_a_group_entry(operator_db: Engine) -> None:
    runner = CliRunner()
    with unit_of_work(operator_db) as s:
        audit.append(session=s, access=audit.Access(
            actor_kind="officer", actor_id="o1", action="person.read",
            route="GET /api/v1/persons/{personal_id}", purpose="case", person_id=1))
        audit.append_for(session=s, access=audit.Access(
            actor_kind="officer", actor_id="o1", action="person.list",
            route="GET /api/v1/persons", purpose="case"), person_ids=[1, 2, 3])
    assert json.loads(runner.invoke(app, ["audit", "verify", "--json"]).stdout)["entries"] == 2
    with operator_db.begin() as conn:
        conn.execute(text("DROP TRIGGER access_log_subjects_no_delete"))
        conn.execute(text("DELETE FROM access_log_subjects WHERE person_id = 2"))
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    assert "BROKEN at entry 2: the persons it names" in result.stderr


def test_verify_finds_an_entrys_detail_edited(operator_db: Engine) -> None:
    """A detail (migration 0027) is in its entry's hash: set on an entry logged without one, or
    changed, ``audit verify`` names that entry."""
    runner = CliRunner()
    with unit_of_work(operator_db) as s:
        for n, detail in ((1, None), (2, "unit 0100000001; payment_cycle 3; from 2026-04")):
            audit.append(session=s, access=audit.Access(
                actor_kind="officer", actor_id="o1", action="employer.change",
                route="PUT /api/v1/employers/{code}/payment-cycle", purpose="case",
                person_id=n, detail=detail))
    assert json.loads(runner.invoke(app, ["audit", "verify", "--json"]).stdout)["entries"] == 2
    with operator_db.begin() as conn:
        conn.execute(text("DROP TRIGGER access_log_no_update"))
        conn.execute(text("UPDATE access_log SET detail = 'unit 0100000001; payment_cycle 6; "
                          "from 2026-04' WHERE seq = 2"))
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    assert "BROKEN at entry 2: content does not match its hash (edited)" in result.stderr
    with operator_db.begin() as conn:  # entry 2 as it was
        conn.execute(text("UPDATE access_log SET detail = 'unit 0100000001; payment_cycle 3; "
                          "from 2026-04' WHERE seq = 2"))
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0
    with operator_db.begin() as conn:  # entry 1, logged without a detail, given one
        conn.execute(text("UPDATE access_log SET detail = 'unit 0100000001' WHERE seq = 1"))
    result = runner.invoke(app, ["audit", "verify", "--json"])
    assert result.exit_code == 1 and json.loads(result.stdout)["first_bad_seq"] == 1


def test_operator_commands_are_logged_for_the_person(operator_db: Engine, tmp_path: Path) -> None:
    """What an operator's command reads or changes of a person lands in the same hash-chained
    log as the API's reads, under the operator's account, so the citizen sees it too."""
    engine = operator_db
    runner = CliRunner()
    an, other = setup_workers(engine, 2)
    (tmp_path / "d02.csv").write_bytes(csv_of([(an, "TM", 10_000_000, "2026-01")]))
    (tmp_path / "bad.csv").write_bytes(csv_of([(an, "TM", 1_000, "2026-01")]))
    refused = runner.invoke(app, ["declare", str(tmp_path / "bad.csv"), "--employer",
                                  EMPLOYER, "--month", "2026-01", "--json"])
    assert refused.exit_code == 1, refused.output
    commands = [
        ["declare", str(tmp_path / "d02.csv"), "--employer", EMPLOYER, "--month", "2026-01"],
        ["declare", str(tmp_path / "d02.csv"), "--employer", EMPLOYER, "--month", "2026-01"],
        ["ledger", "show", an],
        ["persons", "list", "--limit", "1"],
        ["book", "export", an, "--pdf", str(tmp_path / "an.pdf")],
        ["book", "history", an],
    ]
    for command in commands:
        result = runner.invoke(app, [*command, "--json"])
        assert result.exit_code == 0, (command, result.output)
    with unit_of_work(engine) as s:
        mine = audit.entries_for_person(session=s, person_id=registry.person_id_of(
            session=s, personal_id=an))
        theirs = audit.entries_for_person(session=s, person_id=registry.person_id_of(
            session=s, personal_id=other))
    logged = [(e.actor_kind, e.action, e.route, e.outcome) for e in reversed(mine)]
    assert [entry[:3] for entry in logged[1:]] == [  # a replay changes nothing: no entry
        ("operator", "contribution.declare", "cli: sibook declare"),
        ("operator", "contribution.read", "cli: sibook ledger show"),
        ("operator", "person.list", "cli: sibook persons list"),
        ("operator", "book.read", "cli: sibook book export"),
        ("operator", "book.read", "cli: sibook book history"),
    ]
    assert logged[0] == ("operator", "contribution.declare", "cli: sibook declare",
                         "refused")  # the refused filing read the worker's periods
    assert {e.actor_id for e in mine} == {operator_id()}
    assert operator_id().endswith("@" + socket.gethostname())
    assert theirs == []  # not filed, not listed (the list stopped at one), not read
    verified = runner.invoke(app, ["audit", "verify", "--json"])
    assert verified.exit_code == 0 and json.loads(verified.stdout)["entries"] == 6


def test_the_workers_below_a_raised_minimum_are_listed_and_their_reads_logged(
        operator_db: Engine, tmp_path: Path) -> None:
    engine = operator_db
    runner = CliRunner()
    an, _ = setup_workers(engine, 2)
    (tmp_path / "d02.csv").write_bytes(csv_of([(an, "TM", 5_000_000, "2025-12")]))
    assert runner.invoke(app, ["declare", str(tmp_path / "d02.csv"), "--employer",
                               EMPLOYER, "--month", "2025-12"]).exit_code == 0
    listed = runner.invoke(app, ["ledger", "below-minimum", EMPLOYER, "--month", "2026-01",
                                 "--json"])
    assert listed.exit_code == 0, listed.output
    answer = json.loads(listed.stdout)
    assert [(w["personal_id"], w["shortfall"]) for w in answer["workers"]] == [
        (an, 310_000)]
    shown = runner.invoke(app, ["ledger", "below-minimum", EMPLOYER, "--month", "2025-12"])
    assert shown.exit_code == 0 and an not in shown.stdout
    assert " ".join(shown.stdout.split()) == (  # no empty table titled "evasion from ..."
        f"No worker of {EMPLOYER} is paid below the regional minimum (4,960,000 VND, region "
        "I) in 2025-12.")
    with unit_of_work(engine) as s:
        routes = [e.route for e in audit.entries_for_person(
            session=s, person_id=registry.person_id_of(session=s, personal_id=an))]
    assert routes.count("cli: sibook ledger below-minimum") == 1
    unknown = runner.invoke(app, ["ledger", "below-minimum", "0000000000", "--json"])
    assert unknown.exit_code == 1 and json.loads(unknown.stdout)["errors"]


def test_a_household_imported_from_a_file_is_logged_for_each_member(
        operator_db: Engine, tmp_path: Path) -> None:
    """A registry file's household moves its members (registered before the file, or by it)
    to an address: a change of their record, logged for each as the API's POST /households
    logs it."""
    engine = operator_db
    runner = CliRunner()
    an, other = setup_workers(engine, 2)
    file = tmp_path / "registry.json"
    file.write_text(json.dumps({"households": [{
        "code": "HN-IMP", "address": "Số 1 Phố Huế", "province_code": "01",
        "members": [{"personal_id": an, "relation_to_head": "chủ hộ"}]}]}),
        encoding="utf-8")
    result = runner.invoke(app, ["persons", "import", str(file), "--json"])
    assert result.exit_code == 0, result.output
    with unit_of_work(engine) as s:
        mine = audit.entries_for_person(session=s, person_id=registry.person_id_of(
            session=s, personal_id=an))
        theirs = audit.entries_for_person(session=s, person_id=registry.person_id_of(
            session=s, personal_id=other))
    assert [(e.actor_kind, e.action, e.route) for e in mine] == [
        ("operator", "household.add", "cli: sibook persons import")]
    assert theirs == []


def test_a_command_off_a_terminal_prints_its_answer_and_no_progress_bar(
        operator_db: Engine, tmp_path: Path) -> None:
    """A script reading a command's plain output gets the answer from its first line: the
    progress bar is drawn for a person at a terminal only, and on stderr."""
    runner = CliRunner()
    an, _ = setup_workers(operator_db, 2)
    (tmp_path / "d02.csv").write_bytes(csv_of([(an, "TM", 10_000_000, "2026-01")]))
    filed = runner.invoke(app, ["declare", str(tmp_path / "d02.csv"), "--employer", EMPLOYER,
                                "--month", "2026-01"])
    assert filed.exit_code == 0 and filed.stdout.startswith("declaration 1 of"), filed.stdout
    assessed = runner.invoke(app, ["ledger", "assess", "--through", "2026-01"])
    assert assessed.exit_code == 0 and assessed.stdout.startswith("Assessed"), assessed.stdout
    refused = runner.invoke(app, ["seed", "--people", "10", "--employers", "1"])
    assert refused.exit_code == 1 and refused.stdout == "", refused.stdout


def _wrong_secrets(engine: Engine, client_id: str, address: str) -> None:
    for _ in range(5):  # the threshold from one address
        with unit_of_work(engine) as s:
            credentials.authenticate_client(session=s, client_id=client_id, secret="wrong",
                                            address=address)


def test_unlock_says_how_many_locks_it_lifted(operator_db: Engine) -> None:
    """An unlock of an id typed wrong answered "unlocked" as one that lifted a lock did."""
    runner = CliRunner()
    _wrong_secrets(operator_db, "nobody-known", "203.0.113.9")  # a guesser's id is locked too
    _wrong_secrets(operator_db, "nobody-known", "198.51.100.7")
    lifted = runner.invoke(app, ["access", "unlock", "nobody-known", "--json"])
    assert lifted.exit_code == 0, lifted.output
    assert json.loads(lifted.stdout) == {"client_id": "nobody-known", "unlocked": True,
                                         "locks_lifted": 2}
    again = runner.invoke(app, ["access", "unlock", "nobody-known", "--json"])
    assert json.loads(again.stdout)["locks_lifted"] == 0
    said = runner.invoke(app, ["access", "unlock", "nobody-knwon"])
    assert said.exit_code == 0 and "no lock was in force" in said.stdout


def _identities_refused(engine: Engine, client_id: str) -> None:
    """``client_id`` stopped from registering: its identities refused ten times this hour."""
    with unit_of_work(engine) as s:
        for _ in range(credentials.IDENTITY_MISMATCHES_PER_HOUR):
            credentials.identity_refused(s, client_id)


def _may_register(engine: Engine, client_id: str) -> bool:
    with unit_of_work(engine) as s:
        try:
            credentials.identity_allowed(s, client_id)
        except TooManyRequests:
            return False
        return True


def test_unlock_lifts_the_clients_stop_from_registering_and_only_its(
        operator_db: Engine) -> None:
    """A unit's HR clerk stopped for an hour after ten identities the population database
    refused (a typo'd birth date in a batch) could not be let back in before the hour: unlock
    lifted sign-in locks only."""
    _identities_refused(operator_db, "so-xanh-hr")
    _identities_refused(operator_db, "other-unit")
    assert not _may_register(operator_db, "so-xanh-hr")
    lifted = CliRunner().invoke(app, ["access", "unlock", "so-xanh-hr", "--json"])
    assert json.loads(lifted.stdout) == {"client_id": "so-xanh-hr", "unlocked": True,
                                         "locks_lifted": 1}
    assert _may_register(operator_db, "so-xanh-hr")
    assert not _may_register(operator_db, "other-unit")
    with unit_of_work(operator_db) as s:  # its refusals are forgotten, not only the stop
        credentials.identity_refused(s, "so-xanh-hr")
    assert _may_register(operator_db, "so-xanh-hr")


@pytest.mark.parametrize(("typed", "reason"), [
    ("", "must not be empty"),  # a script's unset variable
    ("   ", "must not be empty"),
    ("acme\tco", "must not contain control characters (line breaks, tabs, ...)"),
    ("x" * 65, "is 65 characters long; at most 64"),
])
def test_unlock_of_an_id_no_client_can_have_is_refused_naming_the_argument(
        operator_db: Engine, typed: str, reason: str) -> None:
    """It answered "unlocked" (exit 0) for an empty id, as for one typed right."""
    refused = CliRunner().invoke(app, ["access", "unlock", typed, "--json"])
    assert refused.exit_code == 1, refused.output
    assert json.loads(refused.stdout) == {"unlocked": False, "errors": [
        {"field": "CLIENT_ID", "reason": reason}]}


def test_a_client_id_taken_already_is_refused_naming_the_argument(operator_db: Engine) -> None:
    runner = CliRunner()
    add = ["access", "add-client", "bv-bach-mai", "--kind", "hospital", "--json"]
    assert runner.invoke(app, add).exit_code == 0
    again = runner.invoke(app, add)
    assert again.exit_code == 1
    (problem,) = json.loads(again.stdout)["errors"]
    assert problem["field"] == "CLIENT_ID" and "already exists" in problem["reason"]


@pytest.mark.parametrize(("kind", "flags", "named"), [
    # An officer "for a unit" would act nationwide: an officer reads no unit code.
    ("officer", ["--unit-code", "0101234567", "--roles", "clerk"], "--unit-code"),
    ("employer", ["--unit-code", "0101234567", "--roles", "clerk"], "--roles"),
    ("employer", ["--unit-code", "0101234567", "--province", "01"], "--province"),
    ("hospital", ["--unit-code", "01001", "--realm", "defence"], "--realm"),
])
def test_a_flag_the_credentials_kind_does_not_read_is_a_usage_error_not_dropped(
        operator_db: Engine, kind: str, flags: list[str], named: str) -> None:
    result = CliRunner().invoke(app, ["access", "add-client", "x-client", "--kind", kind,
                                      *flags])
    assert result.exit_code == 2, result.output  # Click's usage error, naming the flag
    assert f"Invalid value for {named}: is for " in result.output
    with unit_of_work(operator_db) as s:  # nothing was created
        assert s.get(credentials.PrincipalCredential, "x-client") is None


def test_seeding_a_database_that_holds_people_names_the_database(operator_db: Engine) -> None:
    setup_workers(operator_db, 1)
    refused = CliRunner().invoke(app, ["seed", "--people", "10", "--employers", "1", "--json"])
    assert refused.exit_code == 1
    (problem,) = json.loads(refused.stdout)["errors"]
    assert problem["field"] == "SIBOOK_DATABASE_URL" and "already holds" in problem["reason"]


def test_revoke_client_ends_a_credential(operator_db: Engine) -> None:
    """`sibook access revoke-client`: the credential's secret is refused from then on (and its
    tokens, ``test_access_matrix``); again, it says it was already; an id no client has is
    refused naming CLIENT_ID."""
    with unit_of_work(operator_db) as s:
        secret = credentials.create_client(session=s, client=credentials.NewClient(
            "hn-clerk-9", "officer", province_code="01", roles=("clerk",)))
    runner = CliRunner()
    ended = runner.invoke(app, ["access", "revoke-client", "hn-clerk-9", "--json"])
    assert ended.exit_code == 0, ended.output
    assert json.loads(ended.stdout) == {"client_id": "hn-clerk-9", "revoked": True,
                                        "was_active": True}
    with unit_of_work(operator_db) as s:
        assert credentials.authenticate_client(session=s, client_id="hn-clerk-9",
                                               secret=secret) is None
    again = runner.invoke(app, ["access", "revoke-client", "hn-clerk-9"])
    assert again.exit_code == 0 and "hn-clerk-9 revoked (it was already)" in again.stdout
    unknown = runner.invoke(app, ["access", "revoke-client", "nobody-known", "--json"])
    assert unknown.exit_code == 1
    answer = json.loads(unknown.stdout)
    assert answer["revoked"] is False
    assert [e["field"] for e in answer["errors"]] == ["CLIENT_ID"], answer
