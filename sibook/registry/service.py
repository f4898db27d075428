"""Use cases of the registry that register or change: persons, households, employers and their
payment method, whole registry files. Keyword-only functions taking the session of a unit of
work; what the registry holds is read through ``reading``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sibook.contributions import cycles
from sibook.contributions.domain import PAYMENT_CYCLES
from sibook.contributions.ledger import dues_by_month
from sibook.contributions.reached import workers_from
from sibook.contributions.statement import deadline_of
from sibook.core.db import Base
from sibook.core.errors import ConflictError, Problem, ValidationError
from sibook.core.period import Period
from sibook.registry.domain import (
    NO_OFFICE,
    birth_province_office,
    change_ahead_problem,
    office_code_problem,
    provincial_office,
)
from sibook.registry.new_employer import NewEmployer, employer_problems, payment_cycle_problem
from sibook.registry.new_household import NewHousehold, household_problems
from sibook.registry.new_person import NewPerson, person_problems, recorded_ethnicity
from sibook.registry.reading import employer_by_code, registered_id
from sibook.registry.store import (
    Contact,
    Employer,
    Household,
    HouseholdMember,
    Person,
    PersonRelation,
    RegistryImport,
    SIProfile,
)

if TYPE_CHECKING:
    from sibook.registry.schemas import RegistryBatch


def register_person(*, session: Session, person: NewPerson, today: date | None = None) -> int:
    """Store a new person with contact and relations; returns the internal person_id."""
    problems = person_problems(person, today=today or date.today())
    if problems:
        raise ValidationError(problems)
    if (held := person_conflict(session, person)) is not None:
        raise taken(held)
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


def add_household(*, session: Session, household: NewHousehold, realm: str | None = None) -> int:
    """Store a household and its members; every member must already be registered. A person
    belongs to one household: a member of another one moves to this one. ``realm``: members
    of that realm only, a person of another refused as an ID nobody holds (None: any, for a
    caller the access policy has judged, ``Guard.person``)."""
    problems: list[Problem] = household_problems(household)
    member_ids: list[tuple[int, str]] = []
    seen: set[str] = set()
    for i, m in enumerate(household.members, start=1):
        field = f"members[{i}].personal_id"
        pid = session.scalar(select(Person.person_id).where(
            Person.personal_id == m.personal_id,
            true() if realm is None else Person.realm == realm))
        if pid is None:
            problems.append(Problem(field=field,
                                    reason=f"no registered person has personal ID {m.personal_id}"))
        elif m.personal_id in seen:
            problems.append(Problem(field=field, reason="this person is listed twice"))
        else:
            member_ids.append((pid, m.relation_to_head))
        seen.add(m.personal_id)
    if problems:
        raise ValidationError(problems)
    # A code held is the 409 any identifier registered twice gets (checked after the code's
    # own problems: a NUL, which PostgreSQL refuses even to look up, is no one's).
    if (held := _household_conflict(session, household.code)) is not None:
        raise taken(held)
    row = Household(
        code=household.code, address=household.address, province_code=household.province_code
    )
    _insert_unique(session, row, partial(_household_conflict, session, household.code))
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
        raise taken(held)
    row = Employer(
        code=employer.code,
        name=employer.name.strip(),
        province_code=employer.province_code,
        region=employer.region,
        address=employer.address,
        business_type=employer.business_type,
        realm=employer.realm,
        salary_regime=employer.regime,
    )
    _insert_unique(session, row, partial(_employer_conflict, session, employer.code))
    if employer.payment_cycle != "monthly":  # no row: monthly
        cycles.set_payment_cycle(session=session, employer_id=row.employer_id,
                                 cycle=employer.payment_cycle,
                                 from_month=employer.payment_cycle_from or Period.of(date.today()))
    return row.employer_id


def change_payment_cycle(*, session: Session, code: str, cycle: str, from_month: Period,
                         today: date | None = None) -> list[int]:
    """The unit pays by ``cycle`` from ``from_month`` on (``contributions.cycles``); the
    persons whose books it changes (the unit's workers from that month on, whose months fall
    due otherwise) are returned, for the access log; none for the method set so from that month
    before, which is answered as it was, whatever has fallen due since. Refused
    from a month the ledger holds dues for that already fell due by the unit's method then:
    the late days, interest and evasion counted on that deadline are history a change of
    method must not rewrite."""
    if (reason := payment_cycle_problem(cycle)) is not None:
        raise ValidationError(field="payment_cycle", reason=reason)
    if (reason := change_ahead_problem(from_month, today or date.today())) is not None:
        raise ValidationError(field="from_month", reason=reason)
    employer = employer_by_code(session=session, code=code, lock=True)
    conn = session.connection()
    if cycles.recorded_from(conn, employer.employer_id, from_month) == PAYMENT_CYCLES[cycle]:
        return []  # set so before (its answer lost): nothing changes, nobody is logged
    owed = min((p for p, due in dues_by_month(conn, employer.employer_id).items()
                if due > 0 and p >= from_month.index), default=None)
    if owed is not None:
        first = Period.from_index(owed)
        due_on = deadline_of(first, cycles.cycles_for(conn, employer.employer_id))
        if due_on < (today or date.today()):
            raise ValidationError(field="from_month", reason=(
                f"{first} is on the ledger and fell due on {due_on.isoformat()} by the unit's "
                "method then: a method is changed from a month not yet due, so the days late, "
                "interest and evasion already counted stay as they were"))
    cycles.set_payment_cycle(session=session, employer_id=employer.employer_id, cycle=cycle,
                             from_month=from_month)
    return workers_from(session=session, employer_id=employer.employer_id, since=from_month)


def person_conflict(session: Session, person: NewPerson) -> Problem | None:
    """Why ``person`` cannot be registered: a number someone already holds (any realm), under
    the field that holds it."""
    if registered_id(session=session, personal_id=person.personal_id) is not None:
        return Problem(field="personal_id", reason=(
            f"a person with personal ID {person.personal_id} is already registered"))
    if person.legacy_si_code and session.scalar(
        select(Person.person_id).where(Person.legacy_si_code == person.legacy_si_code)
    ):
        return Problem(field="legacy_si_code",
                       reason=f"SI code {person.legacy_si_code} belongs to another person")
    return None


def taken(held: Problem) -> ConflictError:
    """The 409 for a number someone holds, naming its field."""
    return ConflictError(held.reason, field=held.field)


def _employer_conflict(session: Session, code: str) -> Problem | None:
    if session.scalar(select(Employer.employer_id).where(Employer.code == code)):
        return Problem(field="code", reason=f"employer {code} is already registered")
    return None


def _household_conflict(session: Session, code: str) -> Problem | None:
    if session.scalar(select(Household.household_id).where(Household.code == code)):
        return Problem(field="code", reason=f"household {code} is already registered")
    return None


def _insert_unique(session: Session, row: Base, conflict: Callable[[], Problem | None]) -> None:
    """Insert ``row`` in a savepoint. Another transaction may register the same number between
    the check and this insert (PostgreSQL makes this one wait for it, then refuses the
    duplicate): that is the conflict the check would have found, answered the same way."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        held = conflict()
        if held is None:
            raise
        raise taken(held) from None


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
            # A registry file is the civil realm's (its persons are registered civil): a
            # ministry's person is absent to it, as to a civil officer.
            partial(add_household, session=session, household=household.to_domain(),
                    realm="civil"),
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
