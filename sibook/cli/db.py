"""`sibook db ...`: schema migrations."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from alembic.util.exc import CommandError
from rich.markup import escape

from sibook.cli.context import opened_engine
from sibook.cli.output import console, err_console, refuse
from sibook.core import migrate
from sibook.core.errors import Problem

app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


@app.command("upgrade")
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Create or migrate the database named by SIBOOK_DATABASE_URL (SQLite file by default)."""
    engine = opened_engine()
    try:
        with _alembic_warnings_on_stderr():
            migrate.upgrade(engine, revision)
        current = migrate.later_than(engine, revision)
    except CommandError as exc:  # a revision no migration has: Alembic's reason, exit 1
        field = "REVISION" if not migrate.knows(revision) else "database"  # else the database's
        refuse([Problem(field=field, reason=str(exc) if field == "REVISION" else (
            f"SIBOOK_DATABASE_URL cannot be used: the database is at a revision this sibook "
            f"has no migration for ({exc}; a newer sibook's?); nothing was changed"))],
            as_json=False)
    if current is not None:
        refuse([Problem(field="REVISION", reason=(
            f"the database is at revision {current}, later than {revision}; db upgrade never "
            "goes back, nothing was changed"))], as_json=False)
    # The URL without the connection options the project adds (JIT, lock wait), and no password.
    where = engine.url.set(query={}).render_as_string()
    console.print(f"database at {where} is at revision {revision}", markup=False,
                  highlight=False, soft_wrap=True)


class _Warnings(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        err_console.print(f"[yellow]warning:[/yellow] {escape(record.getMessage())}",
                          markup=True, highlight=False)


@contextmanager
def _alembic_warnings_on_stderr() -> Iterator[None]:
    """What a migration tells the operator (0017: the persons it left with no managing
    office) is logged as a warning on Alembic's logger, which Alembic itself leaves silent
    (a NullHandler) unless an alembic.ini configures it: shown on stderr, stdout unchanged."""
    alembic_log, handler = logging.getLogger("alembic"), _Warnings(logging.WARNING)
    alembic_log.addHandler(handler)
    try:
        yield
    finally:
        alembic_log.removeHandler(handler)
