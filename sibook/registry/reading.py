"""What the registry holds, as the other parts read it: a person's internal id from their
personal ID, the facts a book's header shows, HI cards, employers by code or id, and the
listings of persons and employers. Nothing here registers or changes anything
(``service`` does)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.orm import Session

from sibook.contributions import service as contributions
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.registry.store import Employer, HICard, Person, SalaryRegimeChange


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
    salary_regime: str = "employer"  # the API lists it; `employers list` keeps the contract's

    def contract(self) -> dict[str, str]:
        """The keys `sibook employers list --json` answers (CONTRACT.md)."""
        return {"code": self.code, "name": self.name, "province_code": self.province_code,
                "region": self.region}


def registered_id(*, session: Session, personal_id: str) -> int | None:
    """The internal id of whoever holds ``personal_id``, in any realm: for the registry's own
    checks and logs, never for an answer (visibility is the access layer's)."""
    return session.scalar(select(Person.person_id).where(Person.personal_id == personal_id))


def person_id_of(*, session: Session, personal_id: str, realm: str = "civil") -> int:
    """Internal id of a person visible in ``realm``; unknown and hidden look the same."""
    pid = session.scalar(
        select(Person.person_id).where(Person.personal_id == personal_id, Person.realm == realm)
    )
    if pid is None:
        raise ValidationError(field="personal_id", reason=no_person(personal_id))
    return pid


def no_person(personal_id: str) -> str:
    """Why nobody holds ``personal_id``; an empty one (a script's unset variable) is said to
    be empty, not "no registered person " with nothing after."""
    if not personal_id:
        return "no registered person: the personal ID given is empty"
    said = f"no registered person {personal_id}"
    if re.fullmatch(r"[0-9]{12}", personal_id):
        return said
    # Not an ID at all: said so (an API path of this form is refused for its pattern), as a
    # D02 file's cell is: 11 or 10 digits are most often an ID a spreadsheet took for a number.
    count = f", not {len(personal_id)}" if personal_id.isascii() and personal_id.isdigit() else ""
    dropped = ("; a spreadsheet drops an ID's leading zeros unless its column is text"
               if count and len(personal_id) < 12 else "")
    return f"{said}: a personal ID is 12 digits{count}{dropped}"


def no_employer(code: str) -> str:
    """Why no employer has unit code ``code``, an empty one said to be empty."""
    return f"no employer with code {code}" if code else "no employer: the unit code given is empty"


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
            raise ValidationError(field="employer", reason=no_employer(employer_code))
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
    """The employers of ``realm`` (None: every realm, for the operator's own commands), each
    with the salary regime in force this month: the latest change from a month up to this one,
    else the one it was registered with (``registry.regimes``)."""
    changed = (select(SalaryRegimeChange.salary_regime)
               .where(SalaryRegimeChange.employer_id == Employer.employer_id,
                      SalaryRegimeChange.from_month <= Period.of(date.today()).index)
               .order_by(SalaryRegimeChange.from_month.desc()).limit(1).scalar_subquery())
    query = select(Employer.code, Employer.name, Employer.province_code, Employer.region,
                   func.coalesce(changed, Employer.salary_regime).label("salary_regime"))
    if realm is not None:
        query = query.where(Employer.realm == realm)
    rows = session.execute(query.order_by(Employer.code).limit(limit)).all()
    return [EmployerRow(r.code, r.name, r.province_code, r.region, r.salary_regime)
            for r in rows]


@dataclass(frozen=True)
class EmployerRef:
    employer_id: int
    code: str
    name: str
    province_code: str
    region: str
    occupational_rate_bp: int
    realm: str = "civil"
    salary_regime: str = "employer"  # or "state": the unit pays by the state's salary scale
    # Its regime's changes (``registry.regimes``): (Period.index from, state scale), ascending;
    # read by ``employer_refs`` only.
    regime_changes: tuple[tuple[int, bool], ...] = ()


def employer_by_code(*, session: Session, code: str, lock: bool = False,
                     realm: str | None = None) -> EmployerRef:
    """The employer with unit code ``code``; ``lock`` serialises its filings and payments.
    ``realm``: a unit of that realm only, as ``person_id_of`` finds a person: a ministry's unit
    is absent to any other, refused as a code nobody holds (None: any realm, for a caller the
    access policy has judged, ``Guard.employer``)."""
    query = select(Employer).where(Employer.code == code)
    if realm is not None:
        query = query.where(Employer.realm == realm)
    row = session.scalars(query.with_for_update() if lock else query).one_or_none()
    if row is None:
        raise ValidationError(field="employer", reason=no_employer(code))
    return EmployerRef(row.employer_id, row.code, row.name, row.province_code, row.region,
                       row.occupational_rate_bp, row.realm, row.salary_regime)


def hold_units_of(*, session: Session, person_id: int) -> None:
    """Share-lock, until the transaction ends, the units that paid the person's SI periods
    (PostgreSQL's FOR SHARE; SQLite's one writer serialises anyway): a change of a unit's salary
    regime locks the unit for update (``regimes.change_salary_regime``), so it waits for what
    this transaction records on its months, then sees it; one that came first is seen here.
    Taken in unit order, as the closing takes units, and before the person's own row: nothing
    takes a unit while it holds a person (a filing writes its workers' periods and cards without
    taking their rows), so none waits on the other in the opposite order."""
    session.execute(select(Employer.employer_id)
                    .where(Employer.employer_id.in_(contributions.units_of(person_id=person_id)))
                    .order_by(Employer.employer_id).with_for_update(read=True))


def employer_codes(*, session: Session, employer_ids: set[int]) -> dict[int, str]:
    if not employer_ids:
        return {}
    rows = session.execute(
        select(Employer.employer_id, Employer.code).where(Employer.employer_id.in_(employer_ids))
    )
    return {r[0]: r[1] for r in rows}


def unit_names(*, session: Session, codes: set[str], realm: str) -> dict[str, str]:
    """Unit code -> "name (code)" for the units of ``realm`` among ``codes`` (one of another
    realm is absent, as everywhere outside it), as ``book.assemble.unit_names`` names a book's."""
    if not codes:
        return {}
    rows = session.execute(select(Employer.code, Employer.name).where(
        Employer.code.in_(codes), Employer.realm == realm))
    return {code: f"{name} ({code})" for code, name in rows}


def employer_refs(*, session: Session, employer_ids: set[int]) -> dict[int, EmployerRef]:
    """The employers, each with its salary regime's changes, in one query: a unit's changes are
    its rows joined (most units have none: one row each). Plain rows, not ORM objects: a batch
    of books reads thousands of employers."""
    if not employer_ids:
        return {}
    rows = session.execute(
        select(Employer.employer_id, Employer.code, Employer.name, Employer.province_code,
               Employer.region, Employer.occupational_rate_bp, Employer.realm,
               Employer.salary_regime, SalaryRegimeChange.from_month,
               SalaryRegimeChange.salary_regime)
        .outerjoin(SalaryRegimeChange, SalaryRegimeChange.employer_id == Employer.employer_id)
        .where(Employer.employer_id.in_(employer_ids))
        .order_by(Employer.employer_id, SalaryRegimeChange.from_month)
    ).all()
    refs: dict[int, EmployerRef] = {}
    for *unit, from_month, regime in rows:
        ref = refs.get(unit[0]) or EmployerRef(*unit)
        refs[unit[0]] = ref if from_month is None else replace(
            ref, regime_changes=(*ref.regime_changes, (from_month, regime == "state")))
    return refs


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
