"""The migrations build exactly the schema the models declare, and the last one can be undone."""

from __future__ import annotations

import threading

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from sibook.contributions.declare import declare
from sibook.core import migrate
from sibook.core.db import unit_of_work
from sibook.core.period import Period
from sibook.core.schema import metadata
from tests.integration.ledger_fixtures import EMPLOYER, csv_of, setup_workers
from tests.integration.races import until_one_waits


def test_the_migrated_database_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_the_declaration_jobs_migration_is_undone_and_redone(engine: Engine) -> None:
    cfg = migrate.alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
    assert "declaration_jobs" not in inspect(engine).get_table_names()
    migrate.upgrade(engine)
    assert "declaration_jobs" in inspect(engine).get_table_names()


def test_two_processes_migrating_an_empty_database_at_once_both_end_at_head(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two commands (or servers) started at once on a new database: each migrates first. The
    second waits for the first's commit, then has nothing to do, instead of creating the same
    tables and failing on PostgreSQL's duplicate catalog entries."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's writer lock, taken at BEGIN, serialises them")
    cfg = migrate.alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    migrated, go = threading.Event(), threading.Event()
    upgrade = command.upgrade

    def first_waits_before_its_commit(config: Config, revision: str) -> None:
        upgrade(config, revision)
        if not migrated.is_set():
            migrated.set()
            go.wait(60)

    monkeypatch.setattr(command, "upgrade", first_waits_before_its_commit)
    errors: list[Exception] = []

    def migrate_() -> None:
        try:
            migrate.upgrade(engine)
        except Exception as exc:  # noqa: BLE001 - the test is that nothing is raised
            errors.append(exc)

    first, second = threading.Thread(target=migrate_), threading.Thread(target=migrate_)
    first.start()
    assert migrated.wait(60)
    second.start()
    until_one_waits(engine)
    go.set()
    first.join(60)
    second.join(60)
    assert errors == []
    test_the_migrated_database_matches_the_models(engine)


def test_the_head_read_from_the_migration_files_is_alembics() -> None:
    assert migrate.head_revision() == ScriptDirectory(str(migrate.MIGRATIONS)).get_current_head()


def test_a_database_behind_head_is_brought_there_and_a_current_one_left_alone(
        engine: Engine) -> None:
    """What every command does first: a database at head is used as it is (no Alembic, no
    lock); one a migration behind, or one never migrated, is upgraded as before."""
    assert migrate.at_head(engine)
    cfg = migrate.alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "-1")
    assert not migrate.at_head(engine)
    migrate.ensure_head(engine)
    assert migrate.at_head(engine)
    assert migrate.later_than(engine, "head") is None
    test_the_migrated_database_matches_the_models(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert "alembic_version" in inspect(engine).get_table_names()  # kept, with no row
    assert not migrate.at_head(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    assert not migrate.at_head(engine)
    migrate.ensure_head(engine)
    assert migrate.at_head(engine)
    test_the_migrated_database_matches_the_models(engine)


def test_a_database_holding_a_unit_and_its_payment_upgrades_past_the_employers_columns(
        engine: Engine) -> None:
    """0012 and 0023 add columns to ``employers``, which the ledger's tables refer to: on
    SQLite a copy-and-move of the table is refused by those foreign keys once a row refers to a
    unit, so both add their column in place."""
    cfg = migrate.alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0011")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO employers (employer_id, code, name, province_code, "
                          "region, occupational_rate_bp) VALUES (1, '0100000001', 'Đơn vị', "
                          "'01', 'I', 50)"))
        conn.execute(text("INSERT INTO payments (payment_id, employer_id, amount, "
                          "bank_reference, paid_on, idempotency_key) VALUES (1, 1, 100, 'R1', "
                          "'2026-01-05', 'k1')"))
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT realm, salary_regime FROM employers")).one() == (
            "civil", "employer")
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE employers SET realm = 'elsewhere'"))


def test_the_period_left_from_migration_keeps_the_periods_it_is_undone_and_redone_over(
        engine: Engine) -> None:
    """0029 adds ``si_periods.left_from`` in place; undone (SQLite copies the table to drop
    the column) and redone, a worker's periods stay, the month is empty: the lines that gave
    it are not kept."""
    (an,) = setup_workers(engine, 1)
    with unit_of_work(engine) as s:
        declare(session=s, data=csv_of([(an, "TM", 10_000_000, "2026-01"),
                                        (an, "TS", None, "2026-03"),
                                        (an, "GH", None, "2026-06")]),
                file_name="d02.csv", employer_code=EMPLOYER, month=Period(2026, 6))
    cfg = migrate.alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0028")
    assert "left_from" not in {c["name"] for c in inspect(engine).get_columns("si_periods")}
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT from_month, to_month, closed_by, left_from "
                                 "FROM si_periods")).one() == (
            Period(2026, 1).index, Period(2026, 2).index, "TS", None)
    test_the_migrated_database_matches_the_models(engine)
