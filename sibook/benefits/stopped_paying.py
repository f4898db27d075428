"""A voluntary participant stops contributing by not paying: nothing they file ends a voluntary
period (an employer's increase does, ``case_sql.ENDS_VOLUNTARY``: they took a job), and no
month of it is owed (Law 41/2024 Art 36; a month counts only once paid, FACTS §3.4).
Their pension starts the month after they stop (Art 101(2)) and a one-time withdrawal is for
someone who has stopped (Art 70(1)): while a voluntary period is open, or covers the month in
question, they are still contributing only when a month from it on is paid, as the book's
voluntary account allocates their payments (``book.voluntary_paid_through``). Once a pension or
a withdrawal is settled the open period ends with it, at its last month paid
(``contributions.end_voluntary_period``), so the book shows it ended and a later start or
filing finds nothing open."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from sibook.book import service as book
from sibook.contributions import service as contributions
from sibook.core.period import Period


def paid_from(session: Session, person_id: int, si: list[contributions.ParticipationRow],
              month: Period, on: date) -> Period | None:
    """The last voluntary month from ``month`` on that payments made by ``on`` pay in full, read
    when a voluntary period of the person's ``si`` (their periods, as the caller read them) is
    open or reaches ``month``; None when none is paid: the person has stopped contributing."""
    voluntary = [p for p in si if p.kind == "voluntary"]
    if not any(p.to_month is None or p.to_month >= month for p in voluntary):
        return None
    return book.voluntary_paid_through(session=session, person_id=person_id,
                                       periods=voluntary, as_of=on, first=month)


def end_with(session: Session, person_id: int, first: Period, on: date) -> None:
    """End the person's open voluntary period before ``first`` (the pension's first month, or a
    withdrawal's decision month) at the last month paid by ``on``: the months after it were not
    paid in their windows (Law 41/2024 Art 36(3)), and with the period ended no payment can pay
    them now (``contributions.voluntary_payments``), so the book would list them as not paid
    for good, though no one owes them (a voluntary month is never owed, FACTS §3.4). A period
    none of whose months is paid is removed: the participant never contributed in it."""
    voluntary = [p for p in contributions.si_periods_of(session=session, person_id=person_id)
                 if p.kind == "voluntary"]
    if not any(p.to_month is None for p in voluntary):
        return
    paid = book.voluntary_paid_before(session=session, person_id=person_id, periods=voluntary,
                                      as_of=on, before=first)
    contributions.end_voluntary_period(session=session, person_id=person_id, last=paid)
