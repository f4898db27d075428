"""What a unit is shown of a worker who has left it: their identity as it was while they
worked for it, never a later one.

The registry keeps no history of a person's name or birth date: a correction (cải chính hộ
tịch) overwrites them, and what it says now may be from after the worker left. The book's
versions keep each as it was recorded (``book_versions``: rows only ever added, each with its
header), so a former employer is shown the header of the newest version recorded by the end of
the worker's last month with it. When none was (a book first recorded after that month, or
never: a career recorded from before the e-book), the registry holds nothing from that time,
and any name or birth date it could give may be a correction made since: the unit is shown
neither (null). It has its own records of whom it employed, and the personal ID still names
them. Built on the shared MetaData's Core tables, as ``scope`` is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sibook.core.moments import as_utc
from sibook.core.period import Period
from sibook.core.schema import metadata
from sibook.core.vietnam_time import VIETNAM

_CHUNK = 1000  # ids a query names, under every backend's parameter limit


@dataclass(frozen=True)
class Identity:
    """The name and birth date a unit is shown of a former worker."""

    full_name: str | None  # None: nothing recorded while the worker was with the unit
    birth_date: date | None


def identities_at_leaving(session: Session, unit_code: str, person_ids: Iterable[int], *,
                          today: date | None = None) -> dict[int, Identity]:
    """Of ``person_ids``, the unit's former workers (every period with it ended before this
    month: not ``scope.still_with``), each with the identity recorded by the end of their last
    month with it (above). Current workers and persons the unit never had are absent: the
    caller shows them as the registry holds them now (or not at all)."""
    left = _last_months(session, unit_code, sorted(set(person_ids)),
                        Period.of(today or date.today()).index)
    return _recorded_by(session, left)


def _last_months(session: Session, unit_code: str, person_ids: list[int], now: int
                 ) -> dict[int, int]:
    """Person id -> the last month (index) of their time with the unit, for those whose
    periods with it all ended before month ``now``."""
    periods, employers = metadata.tables["si_periods"], metadata.tables["employers"]
    still_open = func.count() - func.count(periods.c.to_month)  # periods with no end
    left: dict[int, int] = {}
    for start in range(0, len(person_ids), _CHUNK):
        rows = session.execute(
            select(periods.c.person_id, func.max(periods.c.to_month), still_open)
            .join(employers, employers.c.employer_id == periods.c.employer_id)
            .where(employers.c.code == unit_code,
                   periods.c.person_id.in_(person_ids[start:start + _CHUNK]))
            .group_by(periods.c.person_id))
        left |= {int(pid): int(last) for pid, last, open_ in rows
                 if open_ == 0 and last is not None and last < now}
    return left


def _recorded_by(session: Session, last_months: dict[int, int]) -> dict[int, Identity]:
    """Each person's identity in the newest book version recorded before the month after
    their last one began (Vietnam's midnight), else none (above)."""
    versions = metadata.tables["book_versions"]
    payload = versions.c.payload
    ids = sorted(last_months)
    chosen = dict.fromkeys(ids, Identity(None, None))
    for start in range(0, len(ids), _CHUNK):
        rows = session.execute(
            select(versions.c.person_id, versions.c.created_at,
                   payload[("header", "full_name")].as_string(),
                   payload[("header", "birth_date")].as_string())
            .where(versions.c.person_id.in_(ids[start:start + _CHUNK]))
            .order_by(versions.c.person_id, versions.c.version))
        for pid, created, name, born in rows:
            after = datetime.combine((Period.from_index(last_months[pid]) + 1).first_day,
                                     time(), VIETNAM)
            if as_utc(created) < after:  # versions in order: the last such is the newest
                chosen[pid] = Identity(name, date.fromisoformat(born))
    return chosen
