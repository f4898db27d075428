"""What commands share: a database that is migrated before it is used, and the access log of
what an operator's command reads or changes of a person."""

from __future__ import annotations

import getpass
import socket
import sys
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError
from sqlalchemy.orm import Session

from sibook.access import audit
from sibook.access.actions import Action
from sibook.access.policy import OPERATOR_PURPOSE
from sibook.cli.output import DatabaseUrlError, err_console
from sibook.core import migrate
from sibook.core.db import default_engine

OPERATOR = "operator"


def ready_engine() -> Engine:
    """The configured database, migrated to head (a no-op when it already is): the two steps
    of ``migrate.ensure_head``, each refused in its own words (exit 1, field ``database``),
    not a traceback (see ``opened_engine``; and a database at a revision this sibook has no
    migration for: a newer sibook upgraded it)."""
    engine = configured_engine()
    new_file = _sqlite_file(engine)
    if new_file and new_file.exists() and new_file.stat().st_size:
        new_file = None  # SQLite leaves an empty file where it opened one and wrote nothing
    if _opened(engine):
        return engine
    try:
        migrate.upgrade(engine)
    except Exception as exc:
        alembic = sys.modules.get("alembic.util.exc")  # loaded by the migration just tried
        if alembic is None or not isinstance(exc, alembic.CommandError):
            raise
        raise DatabaseUrlError(f"SIBOOK_DATABASE_URL cannot be used: {_where(engine)} cannot "
                               f"be migrated by this sibook: {exc} (a newer sibook's "
                               "revision?); nothing was changed") from None
    if new_file:  # a command run outside the checkout: the default names a file there
        err_console.print(f"made a new, empty database {new_file} ({_where(engine)}, as "
                          "SIBOOK_DATABASE_URL names it)", markup=False, highlight=False)
    return engine


def opened_engine() -> Engine:
    """The configured database, opened but not migrated (``db upgrade`` migrates it as told):
    a SQLite file whose folder is not there, or a file that is not a database, is refused
    (exit 1, field ``database``), as a URL that names no database is."""
    engine = configured_engine()
    _opened(engine)
    return engine


def _opened(engine: Engine) -> bool:
    """Whether the engine's database is at head."""
    _folder_is_there(engine)
    try:
        return migrate.at_head(engine)
    except DatabaseError as exc:
        if isinstance(exc, OperationalError):  # busy or unreachable: database_problem's words
            raise
        raise DatabaseUrlError(f"SIBOOK_DATABASE_URL cannot be used: {_where(engine)} is not "
                               f"a database sibook can open ({exc.orig}); name a sibook "
                               "database, or a new file, which the first command creates"
                               ) from None


def _folder_is_there(engine: Engine) -> None:
    """A SQLite file is created on first use, its folder is not: a folder that is not there
    is said by its name, not as SQLite's "unable to open database file"."""
    file = _sqlite_file(engine)
    if file is None:
        return
    folder = file.parent
    if not folder.is_dir():
        raise DatabaseUrlError(f"SIBOOK_DATABASE_URL cannot be used: {_where(engine)} is in "
                               f"the folder {folder}, which does not exist; create it first "
                               "(the database file itself is created on first use)")


def _sqlite_file(engine: Engine) -> Path | None:
    """The SQLite file the engine names, absolute (a relative one is of the folder a command
    runs in); None for another store, an in-memory database or a ``file:`` URI."""
    name = engine.url.database
    if engine.dialect.name != "sqlite" or not name or name == ":memory:" or \
            name.startswith("file:"):
        return None
    return Path(name).absolute()


def _where(engine: Engine) -> str:
    """The database's URL as a user wrote it: no password, no options the project adds."""
    return engine.url.set(query={}).render_as_string()


def configured_engine() -> Engine:
    """The database ``SIBOOK_DATABASE_URL`` names; a URL that names none is the command's
    refusal (exit 1, field ``database``), as an unreachable database is, not a traceback."""
    try:
        return default_engine()
    except (ArgumentError, ImportError) as exc:
        # Not a URL, or of a kind SQLAlchemy has no dialect for (NoSuchModuleError is an
        # ArgumentError); or its dialect's driver is not installed (postgresql+psycopg2://:
        # sibook ships psycopg 3, which a bare postgresql:// is read through, see Settings).
        why = (exc if isinstance(exc, ArgumentError)
               else f"the driver it names is not installed ({exc})")
        raise DatabaseUrlError(
            f"SIBOOK_DATABASE_URL cannot be used: {why} (a URL such as sqlite:///sibook.db or "
            "postgresql+psycopg://user@host:5432/sibook)") from None


def operator_id() -> str:
    """Who runs the command: the local account and the host (the operator holds the database
    itself, so no token names them)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (a bare container)
        user = "uid?"
    return f"{user}@{socket.gethostname()}"[:64]


def logged(session: Session, action: Action, command: str, person_ids: Iterable[int], *,
           outcome: str = "allowed", detail: str | None = None) -> None:
    """Log, in the command's transaction, the persons it read or changed.

    The API's reads go through the access policy and its log; an operator's command bypasses
    the policy (whoever runs it holds the database), but not the log: a citizen sees in their
    access log that an operator exported their book, as they see an officer's read.
    ``detail``: what it was about, where the action does not say (``access.details``)."""
    operator, route = operator_id(), f"cli: sibook {command}"
    audit.append_for(session=session, access=audit.Access(
        actor_kind=OPERATOR, actor_id=operator, action=action.value, route=route,
        purpose=OPERATOR_PURPOSE, outcome=outcome, detail=detail), person_ids=person_ids)

