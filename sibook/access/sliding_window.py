"""At most ``limit`` events of a key in any ``window`` of time, counted in the store's lockout
table (``access_login_failures``, as the sign-in lockout is): it holds across server processes
and restarts, and needs no table of its own.

A sliding window, not a fixed one: a count started over every hour let twice the limit through
around the hour's turn (the limit at 00:59, the limit again at 01:00). Exactly so, the key's
last ``limit`` events are kept, each in a row of its own (a slot beside the key; its
``window_start`` is when the event happened); a new event takes the oldest slot, so a key holds
at most ``limit`` rows however many it counts, and ``credentials.forget_expired`` deletes those
older than every window. Once ``limit`` of them are within the window, the key is stopped until
the earliest of them leaves it: its own row's ``locked_until``, which ``stopped_in_turn`` reads
in one lookup and ``credentials.unlock`` lifts (a key made by ``credentials.client_count``
begins as its client's rows do).

Exact only when a key's events are judged one after the other: the caller holds its turn
(``credentials.take_turn``) from the check to the count.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sibook.access.store import LoginFailures
from sibook.core.db import dialect_insert
from sibook.core.moments import as_utc

SLOT_KEY = 56  # characters of the key a slot's subject keeps (the column holds 64)


def slots(key: str, limit: int) -> list[str]:
    """The subjects of the key's events: never the key itself (":" is no hex digit)."""
    return [f"{key[:SLOT_KEY]}:{n:07x}" for n in range(limit)]


def recent(session: Session, key: str, now: datetime, *, limit: int,
           window: timedelta) -> int:
    """How many of the key's events are within the ``window`` before ``now``."""
    return sum(now - at < window for at in _events(session, key, limit).values())


def count(session: Session, key: str, now: datetime, *, limit: int, window: timedelta,
          events: int = 1) -> datetime | None:
    """Count ``events`` of the key at ``now`` (flushed; the caller commits them); when its stop
    ends, if ``limit`` of its events are within the window now (None: not stopped)."""
    held = _events(session, key, limit)
    taken = sorted(slots(key, limit), key=lambda s: (s in held, held.get(s, now)))[:events]
    if taken:
        # Upserted: a slot another transaction's forget_expired deleted meanwhile comes back.
        _put(session, [{"subject": s, "failures": 1, "window_start": now, "locked_until": None}
                       for s in taken])
    held.update(dict.fromkeys(taken, now))
    within = sorted((at for at in held.values() if now - at < window), reverse=True)
    if len(within) < limit:
        return None
    until = within[limit - 1] + window
    _put(session, [{"subject": key, "failures": len(within), "window_start": now,
                    "locked_until": until}])
    return until


def _events(session: Session, key: str, limit: int) -> dict[str, datetime]:
    """When each of the key's slots last counted an event; the rows held until the transaction
    ends (a deletion of expired rows skips them, ``forget_expired``)."""
    rows = session.execute(select(LoginFailures.subject, LoginFailures.window_start)
                           .where(LoginFailures.subject.in_(slots(key, limit)))
                           .with_for_update())
    return {subject: as_utc(at) for subject, at in rows}


def _put(session: Session, rows: list[dict[str, object]]) -> None:
    insert = dialect_insert(session, LoginFailures).values(rows)
    session.execute(insert.on_conflict_do_update(
        index_elements=[LoginFailures.subject],
        set_={c: insert.excluded[c] for c in ("failures", "window_start", "locked_until")}))
