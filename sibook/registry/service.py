"""Use cases of the registry. Keyword-only functions taking the session of a unit of work."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sibook.contributions import cycles
from sibook.contributions import service as contributions
from sibook.core.db import Base
from sibook.core.errors import ConflictError, Problem, ValidationError
from sibook.core.period import Period
from sibook.registry.domain import (
    NO_OFFICE,
    NewEmployer,
    NewHousehold,
    NewPerson,
    birth_province_office,
    employer_problems,
    household_problems,
    office_code_problem,
    payment_cycle_problem,
    person_problems,
    provincial_office,
    recorded_ethnicity,
)
from sibook.registry.store import (
    Contact,
    Employer,
    HICard,
    Household,
    HouseholdMember,
    Person,
    PersonRelation,
    RegistryImport,
    SIProfile,
)

if TYPE_CHECKING:
    from sibook.registry.schemas import RegistryBatch


@dataclass(frozen=True)
class PersonRow:
    person_id: int
    personal_id: str
    full_name: str
    birth_date: date
    employer: str | None


@dataclass(frozen=True)
class EmployerRow:
    code: str
    name: str
    province_code: str
    region: str


def registered_id(*, session: Session, personal_id: str) -> int | None:
    """The internal id of whoever holds ``personal_id``, in any realm: for the registry's own
    checks and logs, never for an answer (visibility is the access layer's)."""
    return session.scalar(select(Person.person_id).where(Person.personal_id == personal_id))


def register_person(*, session: Session, person: NewPerson, today: date | None = None) -> int:
    """Store a new person with contact and relations; returns the internal person_id."""
    problems = person_problems(person, today=today or date.today())
    if problems:
        raise ValidationError(problems)
    if (held := person_conflict(session, person)) is not None:
        raise ConflictError(held)
    ethnicity = recorded_ethnicity(person)
    assert ethnicity is not None  # person_problems refused any other
    row = Person(
        personal_id=person.personal_id,
        legacy_si_code=person.legacy_si_code,
        full_name=person.full_name.strip(),
        birth_date=person.birth_date,
        sex=person.sex,
        ethnicity=ethnicity,
        nationality=person.nationality,
        birth_registration_place=person.birth_registration_place,
        hometown=person.hometown,
        permanent_residence=person.permanent_residence,
        realm=person.realm,
    )
    _insert_unique(session, row, partial(person_conflict, session, person))
    from sibook.book import service as book  # a listing need not load the book's assembly

    book.issue_book(session=session, person_id=row.person_id, personal_id=row.personal_id)
    if person.phone or person.email or person.address:
        session.add(
            Contact(
                person_id=row.person_id,
                phone=person.phone,
                email=person.email,
                address=person.address,
            )
        )
    for rel in person.relations:
        # Linked when the relative is registered here; otherwise kept by name and ID number
        # (a parent who never joined SI is still the parent).
        related = session.scalar(select(Person.person_id).where(
            Person.personal_id == rel.personal_id, Person.realm == person.realm,
        )) if rel.personal_id else None
        session.add(
            PersonRelation(
                person_id=row.person_id,
                relation=rel.relation,
                related_person_id=related,
                full_name=rel.full_name,
                identity_number=rel.personal_id,
            )
        )
    session.flush()
    return row.person_id


def add_household(*, session: Session, household: NewHousehold) -> int:
    """Store a household and its members; every member must already be registered. A person
    belongs to one household: a member of another one moves to this one."""
    problems: list[Problem] = household_problems(household)
    member_ids: list[tuple[int, str]] = []
    seen: set[str] = set()
    for i, m in enumerate(household.members, start=1):
        field = f"members[{i}].personal_id"
        pid = session.scalar(select(Person.person_id).where(Person.personal_id == m.personal_id))
        if pid is None:
            problems.append(Problem(field=field,
                                    reason=f"no registered person has personal ID {m.personal_id}"))
        elif m.personal_id in seen:
            problems.append(Problem(field=field, reason="this person is listed twice"))
        else:
            member_ids.append((pid, m.relation_to_head))
        seen.add(m.personal_id)
    # A code refused for itself (a NUL, which PostgreSQL refuses even to look up) is no one's.
    if all(p.field != "code" for p in problems) and (
            held := _household_conflict(session, household.code)) is not None:
        problems.append(Problem(field="code", reason=held))
    if problems:
        raise ValidationError(problems)
    row = Household(
        code=household.code, address=household.address, province_code=household.province_code
    )
    try:
        _insert_unique(session, row, partial(_household_conflict, session, household.code))
    except ConflictError as exc:  # another transaction's, committed since the check
        raise ValidationError(field="code", reason=str(exc)) from None
    # Locked, in one order: two households placing one person at the same moment would both
    # insert the membership. The second waits for the first, then moves them as it should.
    session.execute(select(Person.person_id).where(Person.person_id.in_(
        [pid for pid, _ in member_ids])).order_by(Person.person_id).with_for_update())
    for pid, relation in member_ids:
        session.merge(
            HouseholdMember(person_id=pid, household_id=row.household_id, relation_to_head=relation)
        )
    session.flush()
    return row.household_id


def add_employer(*, session: Session, employer: NewEmployer) -> int:
    problems = employer_problems(employer)
    if problems:
        raise ValidationError(problems)
    if (held := _employer_conflict(session, employer.code)) is not None:
        raise ConflictError(held)
    row = Employer(
        code=employer.code,
        name=employer.name.strip(),
        province_code=employer.province_code,
        region=employer.region,
        address=employer.address,
        business_type=employer.business_type,
        realm=employer.realm,
    )
    _insert_unique(session, row, partial(_employer_conflict, session, employer.code))
    if employer.payment_cycle != "monthly":  # no row: monthly
        cycles.set_payment_cycle(session=session, employer_id=row.employer_id,
                                 cycle=employer.payment_cycle,
                                 from_month=employer.payment_cycle_from or Period.of(date.today()))
    return row.employer_id


def change_payment_cycle(*, session: Session, code: str, cycle: str, from_month: Period) -> None:
    """The unit pays by ``cycle`` from ``from_month`` on (``contributions.cycles``)."""
    if (reason := payment_cycle_problem(cycle)) is not None:
        raise ValidationError(field="payment_cycle", reason=reason)
    employer = employer_by_code(session=session, code=code, lock=True)
    cycles.set_payment_cycle(session=session, employer_id=employer.employer_id, cycle=cycle,
                             from_month=from_month)


def person_conflict(session: Session, person: NewPerson) -> str | None:
    """Why ``person`` cannot be registered: a number someone already holds (any realm)."""
    if registered_id(session=session, personal_id=person.personal_id) is not None:
        return f"a person with personal ID {person.personal_id} is already registered"
    if person.legacy_si_code and session.scalar(
        select(Person.person_id).where(Person.legacy_si_code == person.legacy_si_code)
    ):
        return f"SI code {person.legacy_si_code} belongs to another person"
    return None


def _employer_conflict(session: Session, code: str) -> str | None:
    if session.scalar(select(Employer.employer_id).where(Employer.code == code)):
        return f"employer {code} is already registered"
    return None


def _household_conflict(session: Session, code: str) -> str | None:
    if session.scalar(select(Household.household_id).where(Household.code == code)):
        return f"household {code} already exists"
    return None


def _insert_unique(session: Session, row: Base, conflict: Callable[[], str | None]) -> None:
    """Insert ``row`` in a savepoint. Another transaction may register the same number between
    the check and this insert (PostgreSQL makes this one wait for it, then refuses the
    duplicate): that is the conflict the check would have found, answered the same way."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        reason = conflict()
        if reason is None:
            raise
        raise ConflictError(reason) from None


def person_id_of(*, session: Session, personal_id: str, realm: str = "civil") -> int:
    """Internal id of a person visible in ``realm``; unknown and hidden look the same."""
    pid = session.scalar(
        select(Person.person_id).where(Person.personal_id == personal_id, Person.realm == realm)
    )
    if pid is None:
        raise ValidationError(field="personal_id", reason=f"no registered person {personal_id}")
    return pid



def person_ids_of(*, session: Session, personal_ids: Iterable[str]) -> list[int]:
    """Internal ids of those of ``personal_ids`` that are registered, in any realm (for the
    access log of a bulk change, not for display)."""
    return list(person_ids_in_realm(session=session, personal_ids=personal_ids,
                                    realm=None).values())


def person_ids_in_realm(*, session: Session, personal_ids: Iterable[str], realm: str | None
                        ) -> dict[str, int]:
    """Internal ids of those of ``personal_ids`` registered in ``realm`` (None: any), by
    personal ID (a bulk read: a facility's claims name thousands). Unknown and other-realm
    look the same."""
    wanted, out = sorted(set(personal_ids)), dict[str, int]()
    in_realm = Person.realm == realm if realm is not None else true()
    for start in range(0, len(wanted), 1000):  # under every backend's parameter limit
        out |= {r[0]: r[1] for r in session.execute(
            select(Person.personal_id, Person.person_id).where(
                Person.personal_id.in_(wanted[start:start + 1000]), in_realm))}
    return out


def list_persons(
    *,
    session: Session,
    limit: int = 100,
    employer_code: str | None = None,
    personal_id: str | None = None,
    within: ColumnElement[bool] | None = None,
    today: date | None = None,
) -> list[PersonRow]:
    """Persons in personal-ID order, with the code of their employer this month.

    ``within`` is the caller's visibility predicate (the access policy's); without one, only
    the civil realm: defence and public-security persons never appear in a civil listing.
    """
    month = Period.of(today or date.today())
    query = select(Person.person_id, Person.personal_id, Person.full_name, Person.birth_date).where(
        Person.realm == "civil" if within is None else within
    )
    if personal_id is not None:
        query = query.where(Person.personal_id == personal_id)
    if employer_code is not None:
        unit = select(Employer.employer_id).where(Employer.code == employer_code)
        # A ministry's unit is absent from a civil listing as its people are (the access
        # policy has already judged a caller who passes ``within``): "no employer", as for an
        # unknown code, never an empty list that tells the unit is there.
        employer_id = session.scalar(unit if within is not None
                                     else unit.where(Employer.realm == "civil"))
        if employer_id is None:
            raise ValidationError(field="employer", reason=f"no employer with code {employer_code}")
        workers = contributions.current_worker_ids(employer_id=employer_id, month=month)
        query = query.where(Person.person_id.in_(workers))
    rows = session.execute(query.order_by(Person.personal_id).limit(limit)).all()
    employer_of = contributions.current_employer_ids(
        session=session, person_ids=[r.person_id for r in rows], month=month
    )
    codes = employer_codes(session=session, employer_ids=set(employer_of.values()))
    return [
        PersonRow(r.person_id, r.personal_id, r.full_name, r.birth_date,
                  codes.get(employer_of.get(r.person_id, -1)))
        for r in rows
    ]


def list_employers(*, session: Session, limit: int = 100, realm: str | None = "civil",
                   ) -> list[EmployerRow]:
    """The employers of ``realm`` (None: every realm, for the operator's own commands)."""
    query = select(Employer.code, Employer.name, Employer.province_code, Employer.region)
    if realm is not None:
        query = query.where(Employer.realm == realm)
    rows = session.execute(query.order_by(Employer.code).limit(limit)).all()
    return [EmployerRow(r.code, r.name, r.province_code, r.region) for r in rows]


def import_batch(*, session: Session, batch: RegistryBatch,
                 content_hash: str | None = None) -> dict[str, Any]:
    """Employers, persons, then households of one file; any problem rolls back the whole file.
    With the file's ``content_hash``, a file imported before answers that import again
    (``replayed``) and changes nothing."""
    if content_hash is not None and (earlier := _imported(session, content_hash)) is not None:
        return earlier
    problems: list[Problem] = []

    def apply(section: str, row: int, step: Callable[[], object]) -> None:
        try:
            with session.begin_nested():
                step()
        except ValidationError as exc:
            problems.extend(
                Problem(field=f"{section}.{p.field}", reason=p.reason, row=row)
                for p in exc.problems
            )
        except ConflictError as exc:
            problems.append(Problem(field=section, reason=str(exc), row=row))

    for row, employer in enumerate(batch.employers, start=1):
        apply(
            "employers", row, partial(add_employer, session=session, employer=employer.to_domain())
        )
    registered: list[int] = []

    def register(person: NewPerson) -> None:
        registered.append(register_person(session=session, person=person))

    for row, person in enumerate(batch.persons, start=1):
        apply("persons", row, partial(register, person.to_domain()))
    for row, household in enumerate(batch.households, start=1):
        apply(
            "households",
            row,
            partial(add_household, session=session, household=household.to_domain()),
        )
    offices, unmanaged = _offices_of(batch)
    problems += unmanaged
    if problems:
        # The same file imported at the same moment by another transaction, which PostgreSQL
        # made this one wait for: its rows are the conflicts, and its import is this one's.
        if content_hash is not None and (earlier := _imported(session, content_hash)) is not None:
            return earlier
        raise ValidationError(problems)
    session.add_all(SIProfile(person_id=p, participant_type="registered", managing_office=o,
                              payment_method="monthly")
                    for p, o in zip(registered, offices, strict=True))
    # After the households: a book's version 1 holds the registration as the file left it.
    from sibook.book import service as book

    book.record_first_versions(session=session, person_ids=registered, as_of=date.today())
    counts = {"employers": len(batch.employers), "persons": len(batch.persons),
              "households": len(batch.households)}
    if content_hash is not None:
        session.add(RegistryImport(content_hash=content_hash, **counts))
        session.flush()
    return {**counts, "replayed": False}


def _offices_of(batch: RegistryBatch) -> tuple[list[str], list[Problem]]:
    """The SI office managing each person of the file: the one named in their row, else that
    of the province of the file's household they live in (the last one listing them, where
    ``add_household`` leaves them). A row with neither is refused by its number: a person no
    province sees is served by no provincial office."""
    home = {m.personal_id: h.province_code for h in batch.households for m in h.members}
    offices: list[str] = []
    problems: list[Problem] = []
    for row, person in enumerate(batch.persons, start=1):
        given, province = person.managing_office, home.get(person.personal_id)
        office = given or (provincial_office(province) if province is not None
                           else birth_province_office(person.personal_id))
        reason = NO_OFFICE if office is None else given and office_code_problem(given)
        if reason or office is None:
            problems.append(Problem(field="persons.managing_office", row=row,
                                    reason=reason or NO_OFFICE))
        else:
            offices.append(office)
    return offices, problems


def _imported(session: Session, content_hash: str) -> dict[str, Any] | None:
    """The answer of the file's earlier import (``replayed``), if it was imported."""
    earlier = session.get(RegistryImport, content_hash)
    if earlier is None:
        return None
    return {"employers": earlier.employers, "persons": earlier.persons,
            "households": earlier.households, "replayed": True}


@dataclass(frozen=True)
class EmployerRef:
    employer_id: int
    code: str
    name: str
    province_code: str
    region: str
    occupational_rate_bp: int
    realm: str = "civil"


def employer_by_code(*, session: Session, code: str, lock: bool = False) -> EmployerRef:
    """The employer with unit code ``code``; ``lock`` serialises its filings and payments."""
    query = select(Employer).where(Employer.code == code)
    row = session.scalars(query.with_for_update() if lock else query).one_or_none()
    if row is None:
        raise ValidationError(field="employer", reason=f"no employer with code {code}")
    return EmployerRef(row.employer_id, row.code, row.name, row.province_code, row.region,
                       row.occupational_rate_bp, row.realm)


def employer_codes(*, session: Session, employer_ids: set[int]) -> dict[int, str]:
    if not employer_ids:
        return {}
    rows = session.execute(
        select(Employer.employer_id, Employer.code).where(Employer.employer_id.in_(employer_ids))
    )
    return {r[0]: r[1] for r in rows}


def employer_refs(*, session: Session, employer_ids: set[int]) -> dict[int, EmployerRef]:
    if not employer_ids:
        return {}
    rows = session.execute(
        select(Employer.employer_id, Employer.code, Employer.name, Employer.province_code,
               Employer.region, Employer.occupational_rate_bp, Employer.realm)
        .where(Employer.employer_id.in_(employer_ids))
    ).all()  # plain rows, not ORM objects: a batch of books reads thousands of employers
    return {r[0]: EmployerRef(*r) for r in rows}


@dataclass(frozen=True)
class PersonFacts:
    """What the book's header shows of a person (group 1)."""

    person_id: int
    personal_id: str
    legacy_si_code: str | None
    full_name: str
    birth_date: date
    sex: str
    nationality: str
    realm: str


@dataclass(frozen=True)
class HICardRow:
    card_number: str
    group_code: str
    benefit_level: int
    province_code: str
    initial_kcb_place: str
    valid_from: date
    valid_to: date


def person_facts(*, session: Session, person_id: int) -> PersonFacts:
    facts = person_facts_many(session=session, person_ids=[person_id]).get(person_id)
    if facts is None:
        raise ValidationError(field="person_id", reason=f"no registered person {person_id}")
    return facts


def person_facts_many(*, session: Session, person_ids: list[int]) -> dict[int, PersonFacts]:
    rows = session.execute(
        select(Person.person_id, Person.personal_id, Person.legacy_si_code, Person.full_name,
               Person.birth_date, Person.sex, Person.nationality, Person.realm)
        .where(Person.person_id.in_(person_ids))
    ).all()  # fetchall: iterating a result fetches row by row
    return {r[0]: PersonFacts(*r) for r in rows}


def hi_cards_of(*, session: Session, person_id: int) -> list[HICardRow]:
    """The person's HI card validity intervals, oldest first."""
    return hi_cards_of_many(session=session, person_ids=[person_id]).get(person_id, [])


def hi_cards_of_many(*, session: Session, person_ids: list[int]) -> dict[int, list[HICardRow]]:
    rows = session.execute(
        select(HICard.person_id, HICard.card_number, HICard.group_code, HICard.benefit_level,
               HICard.province_code, HICard.initial_kcb_place, HICard.valid_from,
               HICard.valid_to)
        .where(HICard.person_id.in_(person_ids))
        .order_by(HICard.person_id, HICard.valid_from, HICard.seq)
    ).all()
    out: dict[int, list[HICardRow]] = {}
    for r in rows:
        out.setdefault(r[0], []).append(HICardRow(*r[1:]))
    return out
