"""Registration (TK1-TS): identity checked against the population database, book issued.

A worker is registered by their employer (the registration files a one-line TM declaration for
the start month, so dues fall due at once) or registers themself for voluntary SI.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from itertools import product
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sibook.benefits import records
from sibook.book import service as book
from sibook.contributions import service as contributions
from sibook.contributions.declare import REGISTRATION_BATCH, declare, filed_before
from sibook.core.errors import ConflictError, Problem, SibookError, ValidationError
from sibook.core.period import Period
from sibook.ids.provinces import province_2025
from sibook.law import LAW_41_2024_IN_FORCE, UNNAMED_SUPPORT_GROUP
from sibook.registry import reading, registered_again, service
from sibook.registry.domain import (
    NO_OFFICE,
    birth_province_office,
    office_code_problem,
    provincial_office,
)
from sibook.registry.new_person import NewPerson, person_problems
from sibook.registry.population import (
    PopulationRegistry,
    PopulationUnavailable,
    identity_problems,
)
from sibook.registry.store import Household, HouseholdMember, Person, SIProfile


@dataclass(frozen=True)
class EmploymentStart:
    employer_code: str
    salary: int
    allowances: int = 0
    job_title: str | None = None
    from_month: Period | None = None


@dataclass(frozen=True)
class VoluntaryStart:
    """Voluntary SI asked for: ``support_group`` as the request named it (None: none named)."""

    income: int
    support_group: str | None = None
    from_month: Period | None = None

    @property
    def group(self) -> str:
        """The support group the period opens with: one not named is ``other``, never no
        support, which the law does not know (``UNNAMED_SUPPORT_GROUP``)."""
        return self.support_group or UNNAMED_SUPPORT_GROUP


@dataclass(frozen=True)
class OfficeChoice:
    """How an officer chooses the SI office managing a voluntary participant (``office_for``):
    the one named, else the one managing them already, else ``province``'s (a provincial
    officer's own), else their household's province's, else (``birthplace``) that of the
    province where their birth was registered. A citizen joining themself is asked where they
    live instead (``birthplace`` False)."""

    given: str | None = None
    province: str | None = None
    birthplace: bool = True


class PopulationServiceDown(SibookError):
    """The population database could not be asked; nothing was registered."""


def register(
    *,
    session: Session,
    person: NewPerson,
    population: PopulationRegistry,
    require_match: bool,
    employment: EmploymentStart | None = None,
    voluntary: VoluntaryStart | None = None,
    managing_office: str | None = None,
    today: date | None = None,
    birthplace: bool = True,
    replay_for: Callable[[int], bool] | None = None,
) -> dict[str, Any]:
    """Register a person, their e-SI book issued in the same transaction; ``employment`` (the
    employer's TK1-TS: the first TM line) or ``voluntary`` starts their participation.
    ``managing_office``: the SI office that manages them from now on (named, or a provincial
    officer's: see ``provincial_office``); else an employee's is their employer's province's;
    else (``birthplace``) that of the province where their birth was registered. With none
    known a civil person's registration is refused (``NoOffice``, asked last so that the other
    refusals come first): a person of no province is seen by no provincial clerk. The same
    registration sent again answers the first one's answer (``replayed``) to a caller
    ``replay_for`` says may see the person (None: no one), and is refused (409) naming the
    fields that differ otherwise (``registered_again``)."""
    if employment and voluntary:
        raise ValidationError(
            field="--voluntary",
            reason="a person is registered by an employer or voluntarily, not both",
        )
    if employment:
        # A worker is of their employer's realm: a ministry's unit files for its realm's people
        # only, so a person registered civil by it could never be declared (nor, a civil
        # unit's worker, be hidden in a ministry's realm).
        unit = reading.employer_by_code(session=session, code=employment.employer_code)
        person = replace(person, realm=unit.realm)
        managing_office = managing_office or provincial_office(unit.province_code)
    today = today or date.today()
    again = Again(person, population, employment, voluntary, managing_office, today, replay_for)
    # A number already held (in any realm) is the same 409 before the population database is
    # asked: its answer about the declared identity is for people not yet registered only.
    if (held := service.person_conflict(session, person)) is not None:
        return _registered_again(session, held, again)
    verified = _check_identity(population, person, require_match)
    try:
        person_id = service.register_person(session=session, person=person, today=today)
    except ConflictError:
        # The same number registered at the same moment by another request (the same one sent
        # twice), which PostgreSQL made this one wait for: answered as a request after it.
        if (held := service.person_conflict(session, person)) is None:
            raise
        return _registered_again(session, held, again)
    month = Period.of(today)
    kind = "compulsory" if employment else "voluntary" if voluntary else "registered"
    answer: dict[str, Any] = {}
    if voluntary:
        answer["voluntary"] = _open_voluntary(session, person_id, voluntary, today)
    if employment:  # the start line issues the HI card, as every increase line does
        # Under the name as recorded (``register_person`` strips it), which a registration
        # sent again finds it by whatever stray spaces either was typed with.
        answer["declaration"] = _declare_start(
            session, replace(person, full_name=person.full_name.strip()), employment, month)
        answer["hi_card"] = reading.hi_cards_of(session=session, person_id=person_id
                                                )[-1].card_number
    # A ministry's people are managed by the ministry itself (Decree 164: MoD and MPS keep
    # their books, FACTS §1.2), which no province's SI office is.
    if managing_office is None and person.realm == "civil":
        managing_office = birth_province_office(person.personal_id) if birthplace else None
        if managing_office is None:
            raise NoOffice(field="managing_office", reason=NO_OFFICE)
    session.add(SIProfile(person_id=person_id, participant_type=kind, payment_method="monthly",
                          managing_office=managing_office))
    issued = book.book_of(session=session, person_id=person_id)
    assert issued is not None  # issued by register_person in this transaction
    first, _ = book.current_version(session=session, person_id=person_id, as_of=today)
    return {
        "personal_id": person.personal_id,
        "book_number": issued.book_number,
        "book_status": issued.status,
        "book_version": first.version,
        "participant_type": kind,
        "identity_verified": verified,
        **answer,
        "replayed": False,
    }


@dataclass(frozen=True)
class Again:
    """A registration as ``register`` was asked for it, to compare with the one recorded."""

    person: NewPerson
    population: PopulationRegistry
    employment: EmploymentStart | None
    voluntary: VoluntaryStart | None
    managing_office: str | None
    today: date
    replay_for: Callable[[int], bool] | None


def _registered_again(session: Session, held: Problem, again: Again) -> dict[str, Any]:
    """The answer of the registration of ``again.person``'s number, made before with the same
    content (``replayed``: nothing changed; the caller logs the read); refused naming each
    field that differs. Only to a caller who may see the person (``replay_for``): anyone else
    gets the 409 a held number gets, which says nothing of whom it belongs to."""
    person, today = again.person, again.today
    holder = reading.registered_id(session=session, personal_id=person.personal_id)
    if (held.field != "personal_id" or holder is None or again.replay_for is None
            or not again.replay_for(holder)
            or reading.person_facts(session=session, person_id=holder).realm != person.realm):
        raise service.taken(held)
    if problems := person_problems(person, today=today):
        raise ValidationError(problems)
    differ = registered_again.person_differences(session, holder, person)
    answer: dict[str, Any] = {}
    if again.employment:
        answer, found = _employment_again(session, holder, person, again.employment, today)
        differ += found
    if again.voluntary:
        month = registered_again.voluntary_month(session, holder, again.voluntary.from_month,
                                                 today)
        group, found = registered_again.voluntary_differences(
            registered_again.voluntary_opened(session, holder, month), month=month,
            income=again.voluntary.income, support_group=again.voluntary.support_group)
        differ += found
        answer["voluntary"] = _quoted(session, holder, again.voluntary, month, group)
    kind = ("compulsory" if again.employment else "voluntary" if again.voluntary
            else "registered")
    profile = session.get(SIProfile, holder)
    recorded = {"participant_type": profile and profile.participant_type,
                "managing_office": profile and profile.managing_office}
    given = {"participant_type": kind, "managing_office": again.managing_office}
    differ += registered_again.differences(
        recorded, {k: v for k, v in given.items() if v is not None},
        what=f"personal ID {person.personal_id}", told=lambda _: False)
    registered_again.refuse_if_any(differ)
    issued = book.book_of(session=session, person_id=holder)
    assert issued is not None  # every registered person has one (register_person)
    return {
        "personal_id": person.personal_id,
        "book_number": issued.book_number,
        "book_status": issued.status,
        "book_version": book.first_version(session=session, person_id=holder),
        "participant_type": kind,
        "identity_verified": _identity_known(again.population, person),
        **answer,
        "replayed": True,
    }


def _employment_again(session: Session, person_id: int, person: NewPerson,
                      job: EmploymentStart, today: date) -> tuple[dict[str, Any], list[Problem]]:
    """The start line's filing and HI card, as the worker's first registration answered
    them; else where this start is not the one filed."""
    filed = None
    # The start line holds the name as recorded: one given otherwise (which
    # ``person_differences`` names, or, spaces aside, takes as the same) still filed that
    # start. A start filed before lines were so, under the name as typed, is found by it.
    # Sent again once the month turned (its answer lost at the month's end), it was filed as
    # last month's registration: its first month, or that month for one naming none.
    this = Period.of(today)
    ahead = job.from_month is not None and job.from_month > this  # never last month's
    for name, when in product(
            dict.fromkeys((session.get_one(Person, person_id).full_name, person.full_name)),
            (this,) if ahead else (this, this - 1)):
        data, month = _start_filing(replace(person, full_name=name), job, when)
        filed = filed or filed_before(session=session, data=data, file_name=START_FILE,
                                      employer_code=job.employer_code, month=month,
                                      batch_no=REGISTRATION_BATCH)
    if filed is None:
        unit = reading.employer_by_code(session=session, code=job.employer_code)
        found = registered_again.employment_differences(
            session, person_id, unit.employer_id, salary=job.salary, allowances=job.allowances,
            job_title=job.job_title, from_month=job.from_month or Period.of(today))
        return {}, found or [Problem(field="from_month", reason=(
            "the worker's start was filed for another month"))]
    cards = reading.hi_cards_of(session=session, person_id=person_id)
    return {"declaration": filed, "hi_card": cards[0].card_number}, []


def _identity_known(population: PopulationRegistry, person: NewPerson) -> bool:
    """Whether the population database holds ``person`` as declared (``identity_verified``),
    asked again for a registration sent again, as its first was."""
    try:
        citizen = population.lookup(person.personal_id)
    except PopulationUnavailable as exc:
        raise PopulationServiceDown(f"{exc}; nothing was registered, try again") from exc
    return citizen is not None and not identity_problems(
        citizen, full_name=person.full_name, birth_date=person.birth_date, sex=person.sex)


def join_voluntary(*, session: Session, personal_id: str, population: PopulationRegistry,
                   voluntary: VoluntaryStart, today: date | None = None,
                   province: str | None = None) -> dict[str, Any]:
    """A citizen, signed in with their e-identity, starts voluntary SI themself. Not yet
    registered: they are, from the National Population Database (name, birth date and sex as
    it holds them; the birth registration place is the ID's first three digits), with their
    e-SI book and the voluntary period, in one transaction. Registered (civil realm): their
    voluntary period opens, unless they already participate; the same join sent again (the
    form sent twice) answers as the first did (``replayed``). ``province``: where they say
    they live, whose office manages them unless one does already (``office_for``)."""
    if province is not None and province_2025(province) is None:
        raise ValidationError(field="managing_office", reason=(
            f"{province!r} is not a current province code (34 since 1 July 2025; 01 is Hà "
            "Nội)"))
    # Asked first, said with the rest: a bad month and no province are refused together,
    # not the province on the next try (``register`` asks for the office last).
    lacking = join_office_problem(session=session, personal_id=personal_id, province=province)
    try:
        return _join(session, personal_id, population, voluntary, today, province)
    except ValidationError as exc:
        if lacking is None:
            raise
        others = [] if isinstance(exc, NoOffice) else exc.problems
        raise (ValidationError if others else NoOffice)([*others, lacking]) from None


def join_office_problem(*, session: Session, personal_id: str, province: str | None
                        ) -> Problem | None:
    """Why no SI office would manage ``personal_id`` joining voluntary SI from ``province``
    (``office_for`` as joining chooses: no birthplace, the citizen says where they live),
    in the citizen's terms; None when one would."""
    try:
        office_for(session=session, given=None, province=province, birthplace=False,
                   person_id=reading.registered_id(session=session, personal_id=personal_id))
    except NoOffice:
        return Problem(field="managing_office", reason=(
            "say which province you live in: its SI office manages your voluntary SI (the "
            "registry holds no residence for you)"))
    return None


def _join(session: Session, personal_id: str, population: PopulationRegistry,
          voluntary: VoluntaryStart, today: date | None, province: str | None
          ) -> dict[str, Any]:
    person_id = reading.registered_id(session=session, personal_id=personal_id)
    if person_id is None:
        try:
            citizen = population.lookup(personal_id)
        except PopulationUnavailable as exc:
            raise PopulationServiceDown(f"{exc}; nothing was registered, try again") from exc
        if citizen is None:
            raise ValidationError(field="personal_id", reason=(
                f"{personal_id} is not in the National Population Database: registration "
                "needs the identity it holds"))
        person = NewPerson(personal_id=personal_id, full_name=citizen.full_name,
                           birth_date=citizen.birth_date, sex=citizen.sex,
                           birth_registration_place=personal_id[:3])
        try:
            return register(session=session, person=person, population=population,
                            require_match=True, voluntary=voluntary, today=today,
                            managing_office=province and provincial_office(province),
                            birthplace=False)  # the citizen is asked where they live
        except ConflictError:
            # Registered at the same moment by another request (the form sent twice, a clerk,
            # their employer's TK1-TS), which PostgreSQL made this one wait for: nothing of
            # this one is written yet, and it joins as a registered person does, answered
            # as a request after that one is (started, replayed, or refused as participating).
            person_id = reading.registered_id(session=session, personal_id=personal_id)
            if person_id is None:
                raise
    # Their VNeID level-2 sign-in verified who they are: the answer says so, as a
    # registration checked against the population database does.
    return start_voluntary(session=session, person_id=person_id, personal_id=personal_id,
                           voluntary=voluntary, today=today,
                           office=OfficeChoice(province=province, birthplace=False),
                           identity_verified=True)


def start_voluntary(*, session: Session, person_id: int, personal_id: str,
                    voluntary: VoluntaryStart, today: date | None = None,
                    office: OfficeChoice | None = None, identity_verified: bool = False,
                    ) -> dict[str, Any]:
    """A registered person of the civil realm starts voluntary SI (TK1-TS): from the citizen's
    own sign-in, or at the SI office (someone whose job ended joins, their book already
    issued). Refused while they participate, or with a start inside an earlier period.
    ``office``: how an officer chooses the SI office that manages them from now on; None (the
    citizen themself) leaves the one they have. ``identity_verified``: whether the caller's
    identity was verified (the citizen's own level-2 sign-in); an officer's start checks
    nothing of it, and the answer says so. The same start sent again answers as the first did
    (``replayed``) and writes nothing; with other content it is refused naming what differs
    (``_started_before``)."""
    # Locked: two starts at once (a form sent twice; the citizen and a clerk) would both number
    # the period after the last one. The second waits for the first, then finds it open.
    if session.scalar(select(Person.realm).where(Person.person_id == person_id)
                      .with_for_update()) != "civil":
        raise ConflictError("this person's SI is kept by their ministry", field="personal_id")
    today = today or date.today()
    opened = _started_before(session, person_id, personal_id, voluntary, today, office)
    replayed = opened is not None
    if opened is None:
        opened = _open_voluntary(session, person_id, voluntary, today)
        managing_office = None if office is None else office_for(
            session=session, given=office.given, person_id=person_id,
            province=office.province, birthplace=office.birthplace)
        profile = session.get(SIProfile, person_id)
        if profile is None:
            session.add(SIProfile(person_id=person_id, participant_type="voluntary",
                                  payment_method="monthly", managing_office=managing_office))
        else:
            profile.participant_type = "voluntary"
            profile.managing_office = managing_office or profile.managing_office
    issued = book.book_of(session=session, person_id=person_id)
    assert issued is not None  # every registered person has one (register_person)
    return {"personal_id": personal_id, "book_number": issued.book_number,
            "book_status": issued.status, "book_version": issued.version,
            "participant_type": "voluntary", "identity_verified": identity_verified,
            "voluntary": opened, "replayed": replayed}


def _started_before(session: Session, person_id: int, personal_id: str,
                    voluntary: VoluntaryStart, today: date, office: OfficeChoice | None
                    ) -> dict[str, Any] | None:
    """The first month's quote of the voluntary period this same start opened before (sent
    again: its answer lost, a form sent twice, the citizen and a clerk at once), as a
    registration sent again is answered (``registered_again``): nothing is written. None when
    no voluntary period of the person's starts in its month (a start to make, or to refuse);
    refused (409) naming each field that differs. The office an officer names is compared (it
    would manage them from then on); a citizen's province is not: it only picks an office for
    someone managed by none, which after that start they are not."""
    month = registered_again.voluntary_month(session, person_id, voluntary.from_month, today)
    opened = registered_again.voluntary_opened(session, person_id, month)
    if opened is None:
        return None
    group, differ = registered_again.voluntary_differences(
        opened, month=month, income=voluntary.income, support_group=voluntary.support_group)
    if office is not None and office.given is not None:
        named = office_for(session=session, given=office.given)  # a code refused as ever
        held = session.scalar(select(SIProfile.managing_office)
                              .where(SIProfile.person_id == person_id))
        differ += registered_again.differences({"managing_office": held},
                                               {"managing_office": named},
                                               what=f"personal ID {personal_id}")
    registered_again.refuse_if_any(differ)
    return _quoted(session, person_id, voluntary, month, group)


def _open_voluntary(session: Session, person_id: int, voluntary: VoluntaryStart, today: date
                    ) -> dict[str, Any]:
    """The voluntary period opened, its first month quoted as the book will charge it: the
    state's support only while the months of it the law allows last, counting those the
    person's earlier voluntary periods took (Decree 159/2025)."""
    month = voluntary.from_month or Period.of(today)
    _refuse_if_pensioner(session, person_id, month)
    return contributions.open_voluntary_period(
        session=session, person_id=person_id, month=month, income=voluntary.income,
        support_group=voluntary.group, today=today,
        months_supported=book.voluntary_support_used(session=session, person_id=person_id,
                                                     before=month))


def _refuse_if_pensioner(session: Session, person_id: int, month: Period) -> None:
    """Someone receiving a pension does not join voluntary SI: Law 41/2024/QH15 Art 2(4)(a)
    admits a citizen of 15 or more who is not subject to compulsory SI "và không phải là người
    đang hưởng lương hưu" (read in a full Vietnamese copy of the law, as ``parameters.csv``'s
    ``pension_min_years`` was). A settled pension refuses the start whatever month it pays
    from: the period opened would run on into it. Law 58/2014 Art 2(4), before 2025-07, names
    no such exclusion in the text at hand, so an earlier start is not refused for it."""
    if month < LAW_41_2024_IN_FORCE:  # from it a pensioner is no voluntary participant
        return
    pension = records.settled_pension(session=session, person_id=person_id)
    if pension is None:
        return
    raise ValidationError(field="voluntary", reason=(
        f"dossier {pension.dossier_no} settles a pension for this person (decision "
        f"{pension.decision_no} of {pension.decided_on.isoformat()}, paid from "
        f"{pension.pension_from}): someone receiving a pension does not join voluntary SI "
        "(Law 41/2024/QH15 Art 2(4)(a))"))


def _quoted(session: Session, person_id: int, voluntary: VoluntaryStart, month: Period,
            group: str | None) -> dict[str, Any]:
    """What ``_open_voluntary`` answered for the period it opened from ``month`` with the
    support ``group`` it recorded: for the same start, or registration, sent again."""
    return contributions.voluntary_quote(
        month=month, income=voluntary.income, support_group=group,
        months_supported=book.voluntary_support_used(session=session, person_id=person_id,
                                                     before=month))


def _check_identity(population: PopulationRegistry, person: NewPerson, require: bool) -> bool:
    try:
        citizen = population.lookup(person.personal_id)
    except PopulationUnavailable as exc:
        raise PopulationServiceDown(f"{exc}; nothing was registered, try again") from exc
    if citizen is None:
        if require:
            raise ValidationError(
                field="personal_id",
                reason=(f"{person.personal_id} is not in the National Population Database"),
            )
        return False
    problems = identity_problems(
        citizen, full_name=person.full_name, birth_date=person.birth_date, sex=person.sex
    )
    if problems:
        raise IdentityMismatch(problems)
    return True


class NoOffice(ValidationError):
    """No SI office is known to manage a person (``office_for``, ``register``)."""


class IdentityMismatch(ValidationError):
    """The declared identity is not the population database's: told apart from other
    refusals so that the API can limit how often one caller may try (guessing a birth date)."""


def _declare_start(
    session: Session, person: NewPerson, job: EmploymentStart, month: Period
) -> dict[str, Any]:
    data, declared = _start_filing(person, job, month)
    return declare(session=session, data=data, file_name=START_FILE,
                   employer_code=job.employer_code, month=declared,
                   batch_no=REGISTRATION_BATCH)


START_FILE = "tk1-ts.json"


def _start_filing(person: NewPerson, job: EmploymentStart, month: Period
                  ) -> tuple[bytes, Period]:
    """The one-line list (TM) that declares a worker's start, and the month it is filed for:
    ``month``, or next month for a worker taken on from then."""
    start = job.from_month or month
    # A worker taken on from the 1st of next month is registered ahead, as a D02 list may be
    # filed for next month; the start line is then that month's. Later is refused by its field
    # (the caller gave no "declared month" for a refusal to name).
    if start > month + 1:
        raise ValidationError(field="from_month", reason=(
            f"{start} is more than a month ahead; a worker is registered from next month at "
            "the latest (earlier months are assessed at once)"))
    line = {
        "personal_id": person.personal_id,
        "full_name": person.full_name,
        "case_code": "TM",
        "salary": job.salary,
        "allowances": job.allowances,
        "job_title": job.job_title,
        "from_month": str(start),
    }
    return json.dumps({"lines": [line]}).encode(), max(month, start)


def office_for(*, session: Session, given: str | None, person_id: int | None = None,
               province: str | None = None, birthplace: bool = True) -> str:
    """The SI office that manages a voluntary participant, so that their province's clerks
    see them (``access.scope``): the one ``given``; else the one managing them already; else
    that of ``province`` (a provincial clerk's own); else that of the province they live in,
    by their household, if the registry holds one; else (``birthplace``) that of the province
    where their birth was registered. Refused when none is known: a participant no province
    sees could be served by no provincial office."""
    if given is not None:
        if (problem := office_code_problem(given)) is not None:
            raise ValidationError(field="managing_office", reason=problem)
        return given
    if person_id is not None and (held := session.scalar(
            select(SIProfile.managing_office).where(SIProfile.person_id == person_id))):
        return held
    home = province or (None if person_id is None else session.scalar(
        select(Household.province_code)
        .join(HouseholdMember, HouseholdMember.household_id == Household.household_id)
        .where(HouseholdMember.person_id == person_id)))
    if home is not None:
        return provincial_office(home)
    born = None if person_id is None or not birthplace else session.scalar(
        select(Person.personal_id).where(Person.person_id == person_id))
    if born is None or (office := birth_province_office(born)) is None:
        raise NoOffice(field="managing_office", reason=NO_OFFICE)
    return office
