"""Each claim and decision is recorded once: the same one again answers the first result and
changes nothing (a retried request, a re-run script); with other content it is refused (409,
naming the field). One person's requests take their turn one after the other."""

from __future__ import annotations

from dataclasses import fields
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from sibook.benefits.domain import Claim, Decision
from sibook.core.errors import ConflictError
from sibook.registry.store import Person
from sibook.visits.domain import clipped


class BenefitConflict(ConflictError):
    """The dossier or decision was recorded before with other content: ``field`` says where;
    ``holder``: the person the dossier is recorded for, when another (the attempt is theirs to
    see in their access log too, as a registration of their number is)."""

    field: str

    def __init__(self, field: str, reason: str, holder: int | None = None) -> None:
        super().__init__(reason)
        self.field = field
        self.holder = holder


def lock_person(session: Session, person_id: int) -> None:
    """Two requests for one person take their numbers one after the other (PostgreSQL; SQLite's
    writer lock serialises them already)."""
    session.scalars(select(Person.person_id).where(Person.person_id == person_id)
                    .with_for_update()).one()


def check_same(what: str, number: str, was: Claim | Decision, given: Claim | Decision, *,
               skip: tuple[str, ...] = ()) -> None:
    for f in fields(was):
        if f.name in skip or f.name == "dossier_no":  # the key itself, compared in upper case
            continue
        old, new = getattr(was, f.name), getattr(given, f.name)
        if old != new:
            raise BenefitConflict(f.name, f"{what} {number} was recorded with {f.name} "
                                          f"{_text(old)}, not {_text(new)}")


def _text(value: object) -> str:
    """A recorded or given value as a conflict names it: a long one cut (``clipped``)."""
    return "none" if value is None else value.isoformat() if isinstance(value, date) \
        else clipped(str(value))
