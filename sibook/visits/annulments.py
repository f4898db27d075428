"""Annulling a wrongly recorded HI visit (hủy lượt KCB ghi sai): another patient's claim, one
the facility withdrew. The visit stays as it was filed (hi_visits is append-only); a row of
its own annuls it, with why and by whom. The person's own lists leave an annulled visit out;
officers see it, marked annulled. Annulling it again changes nothing and answers the first
annulment (``replayed``); the key (facility, MA_LK) is not filed again after it: a corrected
claim takes a new MA_LK.

Who may annul which visit (the filing facility its own, an officer in scope) is the caller's
to decide before ``annul``: ``recorded_person`` says whose a key's visit is, and a key the
caller may not touch is answered as one nobody filed (``unknown``), naming no person.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sibook.core.errors import NotFoundError, ValidationError
from sibook.core.moments import stamped
from sibook.visits.domain import FACILITY, clipped, link_problem, reason_problem
from sibook.visits.store import HIVisit, HIVisitAnnulment


class UnknownVisit(NotFoundError):
    """No visit the caller may see has this key."""


def unknown(facility_code: str, link_code: str) -> UnknownVisit:
    return UnknownVisit(f"no visit with MA_LK {clipped(link_code)!r} at facility "
                        f"{facility_code}", field="link_code")


def recorded_person(*, session: Session, facility_code: str, link_code: str) -> int | None:
    """The person whose visit has this key; None when no visit has it. A key no file can
    record (a facility code not 5 digits, a control character, a NUL PostgreSQL refuses even
    to look up) is refused."""
    if not FACILITY.fullmatch(facility_code):  # not "no visit with MA_LK ...": it is the code
        raise ValidationError(field="facility_code", reason=(
            f"{clipped(facility_code)!r} is not a facility code (MA_CSKCB: 5 digits)"))
    if problem := link_problem(link_code):
        raise ValidationError(field="link_code", reason=problem)
    return session.scalar(select(HIVisit.person_id).where(
        HIVisit.facility_code == facility_code, HIVisit.link_code == link_code))


def annul(*, session: Session, person_id: int, facility_code: str, link_code: str, reason: str,
          actor: str) -> dict[str, Any]:
    """Annul the person's visit of this key, or answer its annulment when it is annulled
    already (``replayed``: nothing changed, whatever ``reason`` now says)."""
    if problem := reason_problem(reason):
        raise ValidationError(field="reason", reason=problem)
    key = (person_id, facility_code, link_code)
    if session.get(HIVisitAnnulment, key) is None:
        try:
            with session.begin_nested():
                session.execute(insert(HIVisitAnnulment).values(
                    person_id=person_id, facility_code=facility_code, link_code=link_code,
                    reason=reason, annulled_by=actor[:64]))
        except IntegrityError:
            # Annulled at the same moment by another request, which PostgreSQL made this one
            # wait for: its annulment is the answer. Nothing there: another constraint.
            if session.get(HIVisitAnnulment, key, populate_existing=True) is None:
                raise
        else:
            return _answer(_row(session, key), replayed=False)
    return _answer(_row(session, key), replayed=True)


def _row(session: Session, key: tuple[int, str, str]) -> HIVisitAnnulment:
    row = session.get(HIVisitAnnulment, key, populate_existing=True)
    assert row is not None
    return row


def _answer(row: HIVisitAnnulment, *, replayed: bool) -> dict[str, Any]:
    return {"annulled": True, "facility_code": row.facility_code, "link_code": row.link_code,
            **annulment_of(row), "replayed": replayed}


def annulment_of(row: HIVisitAnnulment) -> dict[str, Any]:
    """An annulment as the answers show it."""
    return {"reason": row.reason, "annulled_by": row.annulled_by,
            "annulled_at": stamped(row.annulled_at)}
