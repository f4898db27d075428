"""Which persons a principal can see, as SQL predicates over the ``persons`` table.

Built on the shared MetaData's Core tables (not another part's ORM store), so any part's
query — list, count, export — can add ``visible_to(principal)`` to its WHERE clause. Persons of
the defence and public-security realms fail the predicate for everyone outside their realm:
they are absent, not forbidden.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, false, func, or_, select
from sqlalchemy.orm import Session

from sibook.access.principals import (
    CIVIL,
    Anonymous,
    Citizen,
    EmployerUnit,
    Hospital,
    Officer,
    Principal,
)
from sibook.contributions.service import covering
from sibook.core.period import Period
from sibook.core.schema import metadata
from sibook.ids import inspect


def _t(name: str) -> Table:
    return metadata.tables[name]


def persons() -> Table:
    return _t("persons")


def workers_of(unit_code: str) -> Select[tuple[int]]:
    """Persons with any participation period at the unit, current or past."""
    periods, employers = _t("si_periods"), _t("employers")
    return (select(periods.c.person_id)
            .join(employers, employers.c.employer_id == periods.c.employer_id)
            .where(employers.c.code == unit_code))


def still_with(session: Session, unit_code: str, person_id: int) -> bool:
    """Whether the person's period at the unit is open or ends this month or later: one of
    its workers now, or taken on from a later month; not a former worker."""
    periods, employers = _t("si_periods"), _t("employers")
    now = Period.of(date.today()).index
    return session.scalar(
        select(periods.c.person_id)
        .join(employers, employers.c.employer_id == periods.c.employer_id)
        .where(periods.c.person_id == person_id, employers.c.code == unit_code,
               periods.c.to_month.is_(None) | (periods.c.to_month >= now)).limit(1)
    ) is not None


def in_province(province_code: str) -> ColumnElement[bool]:
    """A person belongs to a province by household residence, by current employer, or by the
    SI office managing them (the office that registered them; its code leads with the
    province's two digits)."""
    p, members, households = persons(), _t("household_members"), _t("households")
    periods, employers = _t("si_periods"), _t("employers")
    resident = (select(members.c.person_id)
                .join(households, households.c.household_id == members.c.household_id)
                .where(households.c.province_code == province_code))
    employed = (select(periods.c.person_id)
                .join(employers, employers.c.employer_id == periods.c.employer_id)
                .where(_this_month(periods), employers.c.province_code == province_code))
    return or_(p.c.person_id.in_(resident), p.c.person_id.in_(employed),
               p.c.person_id.in_(_managed(province_code)))


def _this_month(periods: Table) -> ColumnElement[bool]:
    return covering(Period.of(date.today()), periods)


def _managed(province_code: str, *, elsewhere: bool = False) -> Select[tuple[int]]:
    """Persons whose managing SI office is in the province (``elsewhere``: in another one)."""
    profiles = _t("si_profiles")
    office = profiles.c.managing_office
    in_it = func.substr(office, 1, 2) == province_code
    return select(profiles.c.person_id).where(office.is_not(None), ~in_it if elsewhere else in_it)


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """The WHERE clause that keeps only the persons ``principal`` may see."""
    p = persons()
    match principal:
        case Citizen(personal_id=pid):
            return p.c.personal_id == pid
        case Officer(realm=realm, province_code=None):
            return p.c.realm == realm
        case Officer(realm=realm, province_code=str(province)):
            return (p.c.realm == realm) & in_province(province)
        case EmployerUnit(unit_code=code, realm=realm):
            return (p.c.realm == realm) & p.c.person_id.in_(workers_of(code))
        case Hospital():
            return p.c.realm == CIVIL
        case Anonymous():
            return false()
    return false()  # pragma: no cover - the match is exhaustive


def realm_of(session: Session, person_id: int) -> str | None:
    p = persons()
    return session.scalar(select(p.c.realm).where(p.c.person_id == person_id))


def find_person(session: Session, personal_id: str) -> tuple[int, str] | None:
    """(person_id, realm) of whoever holds ``personal_id``, in any realm: for the log only."""
    p = persons()
    row = session.execute(
        select(p.c.person_id, p.c.realm).where(p.c.personal_id == personal_id)
    ).first()
    return (row.person_id, row.realm) if row else None


def find_holder(session: Session, number: str) -> tuple[int, str] | None:
    """(person_id, realm) of the one person ``holders`` finds, None for none or several: for
    the log of a refused HI check, which must never name the wrong person."""
    found = holders(session, number)
    return found[0] if len(found) == 1 else None


def holders(session: Session, number: str) -> list[tuple[int, str]]:
    """(person_id, realm) of whoever, in any realm, holds ``number`` as the HI check at
    admission reads it (the kind ``ids inspect`` reads; surrounding whitespace is no part of
    it): a personal ID; a legacy card number (15 characters) by the card on record carrying
    it; an SI code (10 digits, the number printed on cards since 1/4/2021) by the cards whose
    number ends in it. Cards issued here carry the last 10 digits of the personal ID, seeded
    and older ones the legacy SI code, so one SI code can be two people's: the caller refuses
    several rather than answer for the wrong one. Failing a card, a legacy card number whose
    SI code is held names its holder (the card then is not the one on record), as does an SI
    code held with no card carrying it."""
    return next((found for found in holders_by_rank(session, number) if found), [])


def holders_by_rank(session: Session, number: str) -> list[list[tuple[int, str]]]:
    """``holders``' candidates, best first: those whose card is the number given, those whose
    card carries its SI code, those whose legacy SI code it is. A caller that sees only some
    realms takes the first it sees any of: a hidden person ranked first must not hide the one
    it sees, or the 404 would tell that someone hidden holds the number."""
    answer = inspect(number)
    if answer["kind"] == "personal_id":
        one = find_person(session, answer["value"])
        return [[one] if one else []]
    code = {"si_code": answer["value"], "hi_card": answer.get("si_code")}.get(answer["kind"])
    if code is None:
        return []
    p, cards = persons(), _t("hi_cards")
    # Every personal ID ending in the code (its first two digits are the rest of its birth
    # place's code): a hundred point look-ups on the unique index, never a scan.
    rows = session.execute(
        select(p.c.person_id, p.c.realm, p.c.legacy_si_code, cards.c.card_number)
        .select_from(p.outerjoin(cards, cards.c.person_id == p.c.person_id))
        .where(or_(p.c.legacy_si_code == code,
                   p.c.personal_id.in_([f"{d:02d}{code}" for d in range(100)])))
        .order_by(p.c.person_id)).all()

    def whose(keep: Callable[[Any], bool]) -> list[tuple[int, str]]:
        return list(dict.fromkeys((r.person_id, r.realm) for r in rows if keep(r)))

    card = answer["value"] if answer["kind"] == "hi_card" else None
    return [whose(lambda r: card is not None and r.card_number == card),
            whose(lambda r: r.card_number is not None and r.card_number[-10:] == code),
            whose(lambda r: r.legacy_si_code == code)]


def can_see(session: Session, principal: Principal, person_id: int, *,
            placing: bool = False) -> bool:
    """Whether the person passes ``visible_to``. With ``placing`` (putting the person in a
    household), an officer may also place a person of their realm who belongs to no province
    yet: in no household and not working for a unit of another province. Anyone else stays out
    of sight, or a new household would grab them into the officer's province."""
    p = persons()
    where = visible_to(principal)
    if placing and isinstance(principal, Officer) and principal.province_code is not None:
        periods, employers = _t("si_periods"), _t("employers")
        placed = select(_t("household_members").c.person_id)
        employed_elsewhere = (
            select(periods.c.person_id)
            .join(employers, employers.c.employer_id == periods.c.employer_id)
            .where(_this_month(periods),
                   employers.c.province_code != principal.province_code))
        unattached = (p.c.person_id.not_in(placed) & p.c.person_id.not_in(employed_elsewhere)
                      & p.c.person_id.not_in(_managed(principal.province_code, elsewhere=True)))
        where = (p.c.realm == principal.realm) & (where | unattached)
    found = session.scalar(select(p.c.person_id).where(p.c.person_id == person_id, where))
    return found is not None


def employer_place(session: Session, unit_code: str) -> tuple[str, str] | None:
    """The province and realm of the unit with ``unit_code``; None when there is no such unit."""
    employers = _t("employers")
    row = session.execute(select(employers.c.province_code, employers.c.realm)
                          .where(employers.c.code == unit_code)).first()
    return None if row is None else (row[0], row[1])
