"""A benefit settled and a filing naming its person take turns (PostgreSQL's advisory locks;
SQLite's one writer, each transaction beginning IMMEDIATE, serialises them already).

A settlement reads the person's record and a filing checks its lines against the settled
benefits (``contributions.staged_settled``), each in its own transaction: side by side, neither
sees what the other has not committed. The filing's lock on its unit meets the settlement's on
the units that paid the person (``registry.hold_units_of``), but a unit the person never worked
for is not among those: its line taking the person on in a month the benefit averages was
filed while the benefit was settled on a record without it. So a settlement waits for the
filings naming its person, and they for it, whatever their unit.

A filing takes its turns in one statement, whatever its size: the persons' ids fall into
``TURNS`` turns, of which it takes those its persons are in (all of them, for a large file),
shared with every other filing; a settlement takes its person's, exclusively, and so waits only
for the filings naming someone of that turn. Turns are taken in ascending order, and a
settlement holds one: no two transactions can each wait for the other's.
"""

from __future__ import annotations

from sqlalchemy import Connection, Integer, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import TextualSelect

# The advisory key is (class, turn), two 32-bit keys: PostgreSQL keeps them apart from the
# single 64-bit keys the migrations and the sign-in limits take.
_CLASS = 1642025  # this project's own number: Decree 164/2025
# Few enough for every turn of a large filing to fit the lock table beside its own (64 slots
# a connection by default); enough for a small filing to leave most settlements waiting on
# none of its turns.
TURNS = 64


def settling(session: Session, person_id: int) -> None:
    """Take ``person_id``'s turn until the transaction ends: a filing naming the person, or
    another in the turn, ends first (its lines then seen), or waits for this settlement (its
    lines then checked against the benefit). Taken before the person's row: a filing may wait
    for that row (an HI card it issues refers to the person)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_CLASS, person_id % TURNS)))


def filing(conn: Connection, persons: TextualSelect) -> None:
    """Take, shared with other filings, the turns of ``persons`` (a query of the filing's
    person ids) until the transaction ends: called before its lines are checked against the
    benefits settled on their records, and before it writes anything a settlement reads."""
    if conn.dialect.name != "postgresql":
        return
    found = persons.subquery()
    turns = (select(cast(found.c.person_id % TURNS, Integer).label("turn"))
             .distinct().order_by("turn").subquery())
    conn.execute(select(func.count(func.pg_advisory_xact_lock_shared(_CLASS, turns.c.turn))))
