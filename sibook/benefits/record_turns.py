"""A benefit settled and a filing naming its person take turns (PostgreSQL's advisory locks;
SQLite's one writer, each transaction beginning IMMEDIATE, serialises them already).

A settlement reads the person's record and a filing checks its lines against the settled
benefits (``contributions.staged_settled``), each in its own transaction: side by side, neither
sees what the other has not committed. The filing's lock on its unit meets the settlement's on
the units that paid the person (``registry.hold_units_of``), but a unit the person never worked
for is not among those: its line taking the person on in a month the benefit averages was
filed while the benefit was settled on a record without it. So a settlement waits for the
filings naming its person, and they for it, whatever their unit.

A filing takes its turns in one statement, whatever its size, before it reads its persons'
periods (step 1's look-up): a settlement ends an open voluntary period
(``stopped_paying.end_with``), and a look-up read before it committed would end that period
again from the filing's line. The persons' ids fall into ``TURNS`` turns; a small file takes
those its lines' personal IDs are in, shared with every other filing, and a large one all of
them (it names someone of each but by chance), without a look-up of its own. A settlement takes
its person's, exclusively, and so waits only for the filings naming someone of that turn.
Turns are taken in ascending order, and a settlement holds one: no two transactions can each
wait for the other's.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Connection, Integer, cast, func, select, text
from sqlalchemy.orm import Session

# The advisory key is (class, turn), two 32-bit keys: PostgreSQL keeps them apart from the
# single 64-bit keys the migrations and the sign-in limits take.
_CLASS = 1642025  # this project's own number: Decree 164/2025
# Few enough for every turn of a large filing to fit the lock table beside its own (64 slots
# a connection by default); enough for a small filing to leave most settlements waiting on
# none of its turns.
TURNS = 64
# Lines from which a file takes every turn: 1,000 persons spread over 64 turns leave one empty
# about once in 100,000 files, and looking them up would cost a probe a line.
ALL_TURNS_FROM = 1_000
# The persons a small file's lines name, by personal ID (a realm's or not: one turn more).
_NAMED = text("SELECT p.person_id FROM decl_staging s "
              "JOIN persons p ON p.personal_id = s.personal_id").columns(person_id=BigInteger)


def settling(session: Session, person_id: int) -> None:
    """Take ``person_id``'s turn until the transaction ends: a filing naming the person, or
    another in the turn, ends first (its lines then seen), or waits for this settlement (its
    lines then checked against the benefit). Taken before the person's row: a filing may wait
    for that row (an HI card it issues refers to the person)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_CLASS, person_id % TURNS)))


def filing(conn: Connection, lines: int) -> None:
    """Take, shared with other filings, the turns of the persons its ``lines`` staged lines
    (``decl_staging``) name until the transaction ends: called before their periods are read
    (step 1's look-up), so a settlement under way ends first and is read, and one begun later
    waits for the filing."""
    if conn.dialect.name != "postgresql":
        return
    if lines >= ALL_TURNS_FROM:
        turns = select(func.generate_series(0, TURNS - 1).label("turn")).subquery()
    else:
        named = _NAMED.subquery()
        turns = (select(cast(named.c.person_id % TURNS, Integer).label("turn"))
                 .distinct().order_by("turn").subquery())
    conn.execute(select(func.count(func.pg_advisory_xact_lock_shared(_CLASS, turns.c.turn))))
