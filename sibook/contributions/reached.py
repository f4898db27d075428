"""The workers whose books a change to their unit's record changes, for the access log: a
change of the unit's salary regime or payment method from a month on (their months from then
are priced or fall due otherwise) and a remittance (the months it paid, or moved to other
money, read paid, partly paid or late otherwise). Each is one query, whatever the unit's size:
the log then names them all in one group entry (``audit.append_for``)."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from sibook.contributions.service import unit_periods
from sibook.contributions.store import SIPeriod
from sibook.core.period import Period


def workers_from(*, session: Session, employer_id: int, since: Period) -> list[int]:
    """The persons with a period at the unit reaching ``since`` or later, ascending."""
    periods = unit_periods(employer_id=employer_id, since=since).subquery()
    return list(session.scalars(select(periods.c.person_id).distinct()
                                .order_by(periods.c.person_id)))


def workers_in(*, session: Session, employer_id: int, months: Iterable[int]) -> list[int]:
    """The persons whose periods at the unit cover any of ``months`` (indices), ascending:
    the periods reaching the span of those months are read at once, and each kept if one of
    the months falls inside it."""
    wanted = sorted(set(months))
    if not wanted:
        return []
    rows = session.execute(select(SIPeriod.person_id, SIPeriod.from_month, SIPeriod.to_month)
                           .where(SIPeriod.employer_id == employer_id,
                                  SIPeriod.from_month <= wanted[-1],
                                  SIPeriod.to_month.is_(None)
                                  | (SIPeriod.to_month >= wanted[0])))
    reached = set()
    for person_id, start, end in rows:
        first = bisect_left(wanted, start)  # the first of the months in or after the period
        if first < len(wanted) and (end is None or wanted[first] <= end):
            reached.add(int(person_id))
    return sorted(reached)
