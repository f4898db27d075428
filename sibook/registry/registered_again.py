"""A registration sent again, its first answer lost (a crash, a timeout, a re-upload), is
answered as a filing or a payment sent again is: the same content answers what the first
registration answered (``replayed``) and changes nothing (no second row or book version; its
answer, a person's record, is logged as a read by the route that gives it); the same personal
ID, unit code or household code with other content is refused (409, ``RecordedOtherwise``)
naming each field that differs. A record is corrected by the route that changes it, never by
registering it again."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from sibook.contributions import cycles
from sibook.contributions import service as contributions
from sibook.contributions.domain import PAYMENT_CYCLES
from sibook.contributions.service import ParticipationRow
from sibook.core.errors import ConflictError, Problem, RecordedOtherwise
from sibook.core.period import Period
from sibook.law import UNNAMED_SUPPORT_GROUP
from sibook.registry import service
from sibook.registry.new_employer import NewEmployer, employer_problems
from sibook.registry.new_household import NewHousehold, household_problems
from sibook.registry.new_person import NewPerson, recorded_ethnicity
from sibook.registry.store import (
    Contact,
    Employer,
    Household,
    HouseholdMember,
    Person,
    PersonRelation,
)

T = TypeVar("T")


def differences(recorded: Mapping[str, object], given: Mapping[str, object], *,
                what: str, told: Callable[[str], bool] = lambda _: True) -> list[Problem]:
    """One problem per field whose ``given`` value is not the ``recorded`` one; ``told``: the
    fields whose recorded value the reason may say (a person's identity is never said)."""
    return [Problem(field=name, reason=(
        f"{what} was registered with {name} {_text(recorded[name])}, not {_text(value)}"
        if told(name) else f"{what} was registered with another {name}"))
        for name, value in given.items() if recorded[name] != value]


def refuse_if_any(problems: list[Problem]) -> None:
    if problems:
        raise RecordedOtherwise(problems)


def person_differences(session: Session, person_id: int, person: NewPerson) -> list[Problem]:
    """Where ``person`` is not the registration recorded for its personal ID (identity,
    contact, relations), without saying what is recorded: the caller may see the person, but
    the refusal is also logged and read by others."""
    row = session.get_one(Person, person_id)
    contact = session.get(Contact, person_id)
    relations = session.scalars(select(PersonRelation).where(
        PersonRelation.person_id == person_id)).all()
    recorded = {
        "full_name": row.full_name, "birth_date": row.birth_date, "sex": row.sex,
        "birth_registration_place": row.birth_registration_place, "ethnicity": row.ethnicity,
        "nationality": row.nationality, "legacy_si_code": row.legacy_si_code,
        "hometown": row.hometown, "permanent_residence": row.permanent_residence,
        "phone": contact and contact.phone, "email": contact and contact.email,
        "address": contact and contact.address,
        "relations": {(r.relation, r.full_name, r.identity_number) for r in relations},
    }
    given = {
        "full_name": person.full_name.strip(), "birth_date": person.birth_date,
        "sex": person.sex, "birth_registration_place": person.birth_registration_place,
        "ethnicity": recorded_ethnicity(person), "nationality": person.nationality,
        "legacy_si_code": person.legacy_si_code, "hometown": person.hometown,
        "permanent_residence": person.permanent_residence, "phone": person.phone,
        "email": person.email, "address": person.address,
        "relations": {(r.relation, r.full_name, r.personal_id) for r in person.relations},
    }
    return differences(recorded, given, what=f"personal ID {person.personal_id}",
                       told=lambda _: False)


def employment_differences(session: Session, person_id: int, employer_id: int, *,
                           salary: int, allowances: int, job_title: str | None,
                           from_month: Period) -> list[Problem]:
    """Where an employer's registration of a worker is not the start its first registration
    filed: the worker's first period with the unit."""
    first = next((p for p in contributions.si_periods_of(session=session, person_id=person_id)
                  if p.employer_id == employer_id), None)
    if first is None:
        return [Problem(field="employer", reason=(
            "the person was registered, but not taken on by this employer"))]
    return differences(
        {"salary": first.salary_basis, "allowances": first.allowances,
         "job_title": first.job_title, "from_month": str(first.from_month)},
        {"salary": salary, "allowances": allowances, "job_title": job_title,
         "from_month": str(from_month)}, what="the worker's start")


def voluntary_month(session: Session, person_id: int, given: Period | None, today: date
                    ) -> Period:
    """The first month a voluntary registration or start names: the one ``given``, else this
    month; for one naming none while the person's voluntary period from last month runs, last
    month: it is that start sent again once the month turned (its answer lost at the month's
    end), which this month would make a start from another month, refused as participating.
    A period from an earlier month is another start's, refused so still."""
    this = Period.of(today)
    if given is not None:
        return given
    last = this - 1
    running = any(p.kind == "voluntary" and p.to_month is None and p.from_month == last
                  for p in contributions.si_periods_of(session=session, person_id=person_id))
    return last if running else this


def voluntary_opened(session: Session, person_id: int, month: Period
                     ) -> ParticipationRow | None:
    """The person's voluntary period from ``month``: the one a voluntary start from that month
    opened, were it sent again."""
    return next((p for p in contributions.si_periods_of(session=session, person_id=person_id)
                 if p.kind == "voluntary" and p.from_month == month), None)


def voluntary_differences(opened: ParticipationRow | None, *, month: Period, income: int,
                          support_group: str | None) -> tuple[str | None, list[Problem]]:
    """The support group of the voluntary period the first registration or start opened (what
    its answer quoted), and where a voluntary registration or start is not that period. A group
    not named (None) is ``other``, as the first one's was; a period opened when naming none
    meant no support recorded none, which a registration naming none still is. ``opened``:
    the person's voluntary period from ``month`` (``voluntary_opened``)."""
    if opened is None:
        return support_group or UNNAMED_SUPPORT_GROUP, [Problem(
            field="voluntary.from_month", reason=(
                f"the person was registered without a voluntary period from {month}"))]
    recorded = opened.support_group
    asked = None if support_group is None and recorded is None else (
        support_group or UNNAMED_SUPPORT_GROUP)
    return recorded, differences(
        {"voluntary.income": opened.salary_basis, "voluntary.support_group": recorded},
        {"voluntary.income": income, "voluntary.support_group": asked},
        what="the voluntary period")


def _employer_differences(session: Session, row: Employer, e: NewEmployer, today: date
                          ) -> list[Problem]:
    """Where ``e`` is not the unit registered with its code: its fields as registered, and
    the payment method it pays by from the month the registration names (this month by
    default; sent again once the month turned, naming none, the month before if the method
    began then: the registration of last month, its answer lost at the month's end)."""
    changes = cycles.cycles_for(session.connection(), row.employer_id).changes
    this = Period.of(today)
    named = (e.payment_cycle_from,) if e.payment_cycle_from else (this, this - 1)
    start = next((m for m in named if any(since == m for since, _ in changes)), named[0])
    months = next((m for since, m in reversed(changes) if since <= start), 1)
    cycle = next(word for word, n in PAYMENT_CYCLES.items() if n == months)
    began = e.payment_cycle == "monthly" or any(
        since == start and m == months for since, m in changes)
    return differences(
        {"name": row.name, "province_code": row.province_code, "region": row.region,
         "address": row.address, "business_type": row.business_type,
         "salary_regime": row.salary_regime, "payment_cycle": cycle,
         "payment_cycle_from": str(start) if began else "another month"},
        {"name": e.name.strip(), "province_code": e.province_code, "region": e.region,
         "address": e.address, "business_type": e.business_type, "salary_regime": e.regime,
         "payment_cycle": e.payment_cycle, "payment_cycle_from": str(start)},
        what=f"employer {e.code}")


def _household_differences(session: Session, row: Household, h: NewHousehold,
                           in_sight: Callable[[int], bool]) -> list[Problem]:
    members = session.execute(
        select(Person.personal_id, HouseholdMember.relation_to_head, Person.person_id)
        .join(HouseholdMember, HouseholdMember.person_id == Person.person_id)
        .where(HouseholdMember.household_id == row.household_id)).all()
    if not all(in_sight(m.person_id) for m in members):
        # Its code sent by a clerk who does not see all who live there: which fields differ
        # would confirm a guess of its address, so only that the code is held.
        raise service.taken(Problem(field="code",
                                    reason=f"household {h.code} is already registered"))
    return differences(
        {"address": row.address, "province_code": row.province_code,
         "members": {(pid, relation) for pid, relation, _ in members}},
        {"address": h.address, "province_code": h.province_code,
         "members": {(m.personal_id, m.relation_to_head) for m in h.members}},
        # Never what is recorded: a household's address and members are personal data (group
        # 3), and its code may be sent by a clerk who sees none of the people living there.
        what=f"household {h.code}", told=lambda _: False)


def employer_again(*, session: Session, employer: NewEmployer, today: date | None = None
                   ) -> int | None:
    """The unit registered before with ``employer``'s code and content, None when no unit
    holds the code; refused naming what differs. A unit of another realm is the 409 any held
    code gets, naming neither realm nor unit (``service.add_employer``). A registration the
    rules refuse is no one's (None: ``add_employer`` says why; a NUL in the code, which
    PostgreSQL refuses even to look up, included)."""
    if employer_problems(employer):
        return None
    row = session.scalars(select(Employer).where(Employer.code == employer.code)).one_or_none()
    if row is None:
        return None
    if row.realm != employer.realm:
        raise service.taken(Problem(field="code", reason=(
            f"employer {employer.code} is already registered")))
    refuse_if_any(_employer_differences(session, row, employer, today or date.today()))
    return row.employer_id


def household_again(*, session: Session, household: NewHousehold,
                    in_sight: Callable[[int], bool]) -> int | None:
    """The household registered before with ``household``'s code and content, None when no
    household holds the code, or the rules refuse it (``add_household`` says why); refused
    naming what differs to a caller who has all its members ``in_sight``, else as a held
    code."""
    if household_problems(household):
        return None
    row = session.scalars(select(Household).where(Household.code == household.code)
                          ).one_or_none()
    if row is None:
        return None
    refuse_if_any(_household_differences(session, row, household, in_sight))
    return row.household_id


def household_members(*, session: Session, code: str) -> list[int]:
    """The persons recorded in the household holding ``code`` (none if no household does):
    those a 409 naming what differs from it tells of."""
    return list(session.scalars(
        select(HouseholdMember.person_id).join(Household)
        .where(Household.code == code).order_by(HouseholdMember.person_id)))


def once(again: Callable[[], int | None], add: Callable[[], int]) -> tuple[int, bool]:
    """The id of what ``add`` registers, and whether it was registered before (``again``:
    its id when the same was): the same registered at the same moment by another request,
    which PostgreSQL made ``add`` wait for, is answered as a request after it is."""
    if (earlier := again()) is not None:
        return earlier, True
    try:
        return add(), False
    except ConflictError:
        if (earlier := again()) is None:
            raise
        return earlier, True


def register_employer(*, session: Session, employer: NewEmployer) -> tuple[int, bool]:
    """``service.add_employer``, the same registration sent again answered (``once``)."""
    return once(lambda: employer_again(session=session, employer=employer),
                lambda: service.add_employer(session=session, employer=employer))


def register_household(*, session: Session, household: NewHousehold,
                       in_sight: Callable[[int], bool]) -> tuple[int, bool]:
    """``service.add_household``, the same registration sent again answered (``once``)."""
    return once(lambda: household_again(session=session, household=household,
                                        in_sight=in_sight),
                lambda: service.add_household(session=session, household=household))


def _text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, set):
        return "another list"
    return repr(value) if isinstance(value, str) else str(value)
