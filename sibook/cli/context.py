"""What commands share: a database that is migrated before it is used, and the access log of
what an operator's command reads or changes of a person."""

from __future__ import annotations

import getpass
import socket
from collections.abc import Iterable

from sqlalchemy import Engine
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from sibook.access import audit
from sibook.access.actions import Action
from sibook.cli.output import DatabaseUrlError
from sibook.core import migrate
from sibook.core.db import default_engine

OPERATOR = "operator"


def ready_engine() -> Engine:
    """The configured database, migrated to head (a no-op when it already is)."""
    engine = configured_engine()
    migrate.ensure_head(engine)
    return engine


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
           outcome: str = "allowed") -> None:
    """Log, in the command's transaction, the persons it read or changed.

    The API's reads go through the access policy and its log; an operator's command bypasses
    the policy (whoever runs it holds the database), but not the log: a citizen sees in their
    access log that an operator exported their book, as they see an officer's read."""
    operator, route = operator_id(), f"cli: sibook {command}"  # once: ~10 us of system calls
    audit.append_many(session=session, accesses=[
        audit.Access(actor_kind=OPERATOR, actor_id=operator, action=action.value, route=route,
                     purpose="operator command", outcome=outcome, person_id=pid)
        for pid in person_ids])

