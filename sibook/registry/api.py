"""HTTP adapter of the registry: persons and households under /api/v1 (employers:
``registry.employers_api``).

Every route declares its action; the access policy decides and logs (sibook.access.policy).
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field

from sibook.access import credentials, hi_checks
from sibook.access.deps import require
from sibook.access.former_workers import Identity
from sibook.access.policy import Action, Guard
from sibook.access.principals import EmployerUnit
from sibook.api.params import HiCardHolderPath, PersonalIdPath, UnitCodePath, UnitCodeQuery
from sibook.api.problems import GUESSING, HELD, HI_GUESSING, SHARED_NUMBER, STARTED
from sibook.core.config import get_settings
from sibook.core.digits import IN_DIGITS
from sibook.core.errors import ConflictError, Problem, RecordedOtherwise, ValidationError
from sibook.core.period import Period
from sibook.ids import inspect
from sibook.registry import reading, registered_again
from sibook.registry.domain import provincial_office
from sibook.registry.population import population_registry
from sibook.registry.registration import (
    EmploymentStart,
    IdentityMismatch,
    OfficeChoice,
    VoluntaryStart,
    office_for,
    register,
)
from sibook.registry.registration import join_voluntary as join
from sibook.registry.registration import start_voluntary as begin_voluntary
from sibook.registry.schemas import (
    Created,
    HouseholdIn,
    JoinIn,
    PersonRegistrationIn,
    VoluntaryStartIn,
    WorkerIn,
)

router = APIRouter(tags=["registry"])

Limit = Annotated[int, Query(ge=1, le=10_000, description="At most this many in the answer"),
                  IN_DIGITS]


def guard(action: Action) -> object:
    return Depends(require(action))


AS_EMPLOYED = ("; to a former employer, as recorded while the person worked for it (the book "
               "version of then), null when nothing was recorded then")


class PersonOut(BaseModel):
    personal_id: str
    full_name: str | None = Field(description="The name" + AS_EMPLOYED)
    birth_date: date | None = Field(description="The birth date" + AS_EMPLOYED)
    employer: str | None = Field(description=(
        "The unit the person works for this month; to an employer, only when that is itself"))


class PersonList(BaseModel):
    persons: list[PersonOut]


def _persons(g: Guard, limit: int, employer_code: str | None, personal_id: str | None = None,
             log: bool = True) -> list[PersonOut]:
    """Persons visible to the caller (policy predicate), with their current employer's code.

    An employer sees a worker's current employer only when it is itself: where a former
    worker works now is not the former employer's business; nor is what their record became
    since they left: it is shown their name and birth date as recorded then.
    """
    rows = reading.list_persons(session=g.session, limit=limit, employer_code=employer_code,
                                personal_id=personal_id, within=g.visible())
    if log:
        g.logged([r.person_id for r in rows])
    own = g.principal.unit_code if isinstance(g.principal, EmployerUnit) else None
    left = g.identities_at_leaving(r.person_id for r in rows)
    return [PersonOut(personal_id=r.personal_id,
                      **dataclasses.asdict(left.get(r.person_id) or Identity(r.full_name,
                                                                             r.birth_date)),
                      employer=r.employer if own is None or r.employer == own else None)
            for r in rows]


@router.get("/persons", response_model=PersonList)
def list_persons(g: Annotated[Guard, guard(Action.PERSON_LIST)], limit: Limit = 100,
                 employer: UnitCodeQuery = None) -> PersonList:
    if employer is not None:
        g.employer(employer, field="employer")
    return PersonList(persons=_persons(g, limit, employer))


@router.get("/persons/{personal_id}", response_model=PersonOut)
def read_person(g: Annotated[Guard, guard(Action.PERSON_READ)], personal_id: PersonalIdPath,
                ) -> PersonOut:
    g.person(personal_id)  # 404 unless visible; logged
    return _persons(g, 1, None, personal_id, log=False)[0]


# The voluntary income is checked as the rules check a salary: its problems, under the body's
# own names (a clerk's registration nests them under "voluntary"; a citizen's joining does not).
VOLUNTARY_FIELDS = {"salary": "voluntary.income", "support": "voluntary.support_group"}
START_FIELDS = {"salary": "income", "support": "support_group", "voluntary": "personal_id",
                "voluntary.from_month": "from_month", "voluntary.income": "income",
                "voluntary.support_group": "support_group"}
JOIN_FIELDS = {**START_FIELDS, "managing_office": "province_code"}  # an officer names the office


def _renamed(exc: Exception, names: dict[str, str]) -> Exception:
    """``exc``'s problems under the body's own names; a refusal naming no field, as it is."""
    if isinstance(exc, ValidationError | RecordedOtherwise):
        return type(exc)([dataclasses.replace(p, field=names.get(p.field, p.field))
                          for p in exc.problems])
    return exc


def _count_if_mismatch(g: Guard, exc: ValidationError) -> None:
    """An identity the population database refused counts against the caller's allowance
    in any 60 minutes (``credentials.identity_allowed``): guessing a birth date takes many tries.
    Committed alone, after the refused work is rolled back."""
    if isinstance(exc, IdentityMismatch):
        # The refused registration is undone (its savepoint), and the transaction still holds
        # the caller's turn (``identity_allowed``): the count is committed before their next
        # registration reads it. A rollback first would let that one read it uncounted.
        credentials.identity_refused(g.session, g.principal.actor_id)
        g.session.commit()


class VoluntaryOpened(BaseModel):
    from_month: str = Field(description="The voluntary period's first month, YYYY-MM")
    income: int = Field(description="The declared monthly income, VND")
    monthly_payable: int = Field(description=(
        "What the participant pays for that month: 22% of the income less the state's support"))
    state_support: int = Field(description="The state's support for that month, VND")
    support_months_left: int = Field(description=(
        "Months from that one on the state's support still lowers what the participant pays: "
        "the law allows 120 in all, the person's earlier voluntary months counted; 0 for a "
        "period recorded without a group (opened when naming none meant no support)"))


class Registered(BaseModel):
    personal_id: str
    book_number: str
    book_status: str
    book_version: int
    participant_type: Literal["registered", "voluntary", "compulsory"] = Field(description=(
        "registered: no participation yet; voluntary: voluntary SI from the month given; "
        "compulsory: an employee, the first month declared"))
    identity_verified: bool = Field(description=(
        "true: the identity was checked against the National Population Database (or, the "
        "citizen joining themself, by their level-2 e-identity) and matched; false: nothing "
        "checked it (the database does not hold the number, or an officer started a person "
        "already registered)"))
    voluntary: VoluntaryOpened | None = Field(default=None, description=(
        "A voluntary participant's start and monthly amount (as `sibook persons register "
        "--voluntary` answers it); null otherwise"))
    replayed: bool = Field(default=False, description=(
        "true: the same registration was made before (a request sent again after its answer "
        "was lost): this is its answer, nothing changed; with other content the number is a "
        "409 naming each field that differs"))


@router.post("/persons", response_model=Registered, status_code=status.HTTP_201_CREATED,
             responses={**HELD, **GUESSING})
def register_person(g: Annotated[Guard, guard(Action.PERSON_REGISTER)],
                    body: PersonRegistrationIn) -> Registered:
    """Register a person (TK1-TS): identity checked against the population database, e-SI
    book issued in the same transaction; with ``voluntary``, as a voluntary participant. The
    ``managing_office``, by default a provincial officer's, manages the person from then on,
    so they stay in its province's sight before they have a household or an employer; a
    national officer names it, else it is that of the province where the person's birth was
    registered (the ID's first three digits; 422 naming ``managing_office`` for a birth
    registered abroad)."""
    # An officer registers into their own realm: a civil clerk cannot create a hidden person.
    realm = getattr(g.principal, "realm", "civil")
    person = dataclasses.replace(body.to_domain(), realm=realm)
    province = getattr(g.principal, "province_code", None)
    v = body.voluntary
    settings = get_settings()
    start = None if v is None else VoluntaryStart(
        v.income, v.support_group, Period.parse(v.from_month) if v.from_month else None)
    if body.managing_office is not None:
        g.province(body.managing_office[:2])
    credentials.identity_allowed(g.session, g.principal.actor_id)
    try:
        office = (province and provincial_office(province) if body.managing_office is None
                  else office_for(session=g.session, given=body.managing_office))
        with g.session.begin_nested():  # a refusal undoes it, the caller's turn still held
            result = register(session=g.session, person=person,
                              population=population_registry(g.session, settings.population_url),
                              require_match=settings.require_population_match, voluntary=start,
                              managing_office=office, replay_for=g.sees)
    except ValidationError as exc:
        _count_if_mismatch(g, exc)
        raise _renamed(exc, VOLUNTARY_FIELDS) from None
    except ConflictError as exc:
        # The same 409 whoever holds the number; the holder (in whatever realm) finds the
        # attempt in their access log, so a probe of a hidden person is seen by their realm.
        holder = reading.registered_id(session=g.session, personal_id=person.personal_id)
        raise g.refuse(exc, "refused", (holder,)) from None
    # A replay changes nothing but answers the person's record (book, start): logged as the
    # first, whoever sends it again (``replayed`` in the answer tells the two apart).
    g.logged([reading.person_id_of(session=g.session, personal_id=person.personal_id,
                                   realm=realm)])
    return Registered(**{k: result[k] for k in Registered.model_fields if k in result})


@router.post("/persons/{personal_id}/voluntary", response_model=Registered,
             status_code=status.HTTP_201_CREATED, responses=STARTED)
def start_voluntary(personal_id: PersonalIdPath, g: Annotated[Guard, guard(
        Action.PERSON_REGISTER)], body: VoluntaryStartIn) -> Registered:
    """At the SI office (a clerk): a registered person starts voluntary SI (TK1-TS), e.g.
    someone whose job ended; ``POST /persons`` with ``voluntary`` is for a person not yet
    registered, ``/me/voluntary`` for the citizen themself. Refused (422, why) while they
    participate or for a start inside an earlier period; 409 for a ministry's person. The
    ``managing_office`` manages them from then on (default: the one that does, else a
    provincial officer's, else their household's province's, else their birth province's;
    none known, a birth registered abroad, is a 422). The same start sent again answers the
    first (``replayed``, nothing changed; logged, as it answers the person's start); with
    other content it is a 409 naming each field that differs."""
    # Visible to the clerk (province, realm); logged below, once answered (a replay too).
    person_id = g.person(personal_id, log=False)
    if body.managing_office is not None:
        g.province(body.managing_office[:2])
    start = VoluntaryStart(body.income, body.support_group,
                           Period.parse(body.from_month) if body.from_month else None)
    try:
        result = begin_voluntary(session=g.session, person_id=person_id,
                                 personal_id=personal_id, voluntary=start,
                                 office=OfficeChoice(body.managing_office, getattr(
                                     g.principal, "province_code", None)))
    except (ValidationError, ConflictError) as exc:  # its checks read the person's periods
        raise g.refuse(_renamed(exc, START_FIELDS), "refused", (person_id,)) from None
    g.logged([person_id])
    return Registered(**{k: result[k] for k in Registered.model_fields if k in result})


@router.post("/me/voluntary", response_model=Registered, status_code=status.HTTP_201_CREATED,
             responses=STARTED)
def join_voluntary(g: Annotated[Guard, guard(Action.VOLUNTARY_JOIN)], body: JoinIn,
                   ) -> Registered:
    """The signed-in citizen (VNeID level 2) joins voluntary SI themself (TK1-TS): registered
    from the National Population Database if they are not yet, their e-SI book issued, and
    the voluntary period opened from ``from_month`` on the declared income, all or nothing.
    The office managing them (kept if one does) is that of ``province_code``, else of their
    household's province; none known is a 422 naming ``province_code``. Payments are recorded
    by the agency from the collector's receipts. The same join sent again (the form sent
    twice) answers the first (``replayed``, nothing changed; logged); with another income,
    support group or first month it is a 409 naming each."""
    personal_id = g.own_personal_id()
    start = VoluntaryStart(body.income, body.support_group,
                           Period.parse(body.from_month) if body.from_month else None)
    try:
        result = join(session=g.session, personal_id=personal_id, voluntary=start,
                      population=population_registry(g.session, get_settings().population_url),
                      province=body.province_code)
    except (ValidationError, ConflictError) as exc:
        # Its checks read the citizen's record, when there is one: logged, refused, as an
        # officer's refused start is (the transaction first, which a conflict may have aborted).
        g.session.rollback()
        registered = reading.registered_id(session=g.session, personal_id=personal_id)
        raise g.refuse(_renamed(exc, JOIN_FIELDS), "refused", (registered,)) from None
    # A replay changes nothing, yet reads the record it answers: logged, as the first.
    g.logged([reading.person_id_of(session=g.session, personal_id=personal_id)])
    return Registered(**{k: result[k] for k in Registered.model_fields if k in result})


class WorkerRegistered(Registered):
    hi_card: str


@router.post("/employers/{code}/workers", response_model=WorkerRegistered,
             status_code=status.HTTP_201_CREATED, responses={**HELD, **GUESSING})
def register_worker(code: UnitCodePath, g: Annotated[Guard, guard(Action.WORKER_REGISTER)],
                    body: WorkerIn) -> WorkerRegistered:
    """TK1-TS by the employer: the worker's identity checked against the population database,
    their e-SI book and HI card issued and the first month declared (a one-line TM), in one
    transaction: a refusal changes nothing. The SI office of the employer's province manages
    the worker from then on (after the job ends too)."""
    g.employer(code)
    start = Period.parse(body.from_month) if body.from_month else None
    settings = get_settings()
    credentials.identity_allowed(g.session, g.principal.actor_id)
    try:
        with g.session.begin_nested():  # a refusal undoes it, the caller's turn still held
            result = register(session=g.session, person=body.to_domain(),
                              population=population_registry(g.session, settings.population_url),
                              require_match=settings.require_population_match,
                              employment=EmploymentStart(code, body.salary, body.allowances,
                                                         body.job_title, start),
                              replay_for=g.sees_now)
    except ConflictError as exc:  # as register_person: the holder sees the attempt
        holder = reading.registered_id(session=g.session, personal_id=body.personal_id)
        raise g.refuse(exc, "refused", (holder,)) from None
    except ValidationError as exc:  # one worker, not a file: the start line's row says nothing
        _count_if_mismatch(g, exc)
        raise ValidationError([dataclasses.replace(p, row=None) for p in exc.problems]
                              ) from None
    # Of the unit's realm (``register``): logged whichever it is, a replay too (its answer is
    # the worker's book and HI card, whoever sends it again).
    g.logged(reading.person_ids_of(session=g.session, personal_ids=[body.personal_id]))
    return WorkerRegistered(**{k: result[k] for k in WorkerRegistered.model_fields
                               if k in result})


class HIValidity(BaseModel):
    """What a health facility may know: whether the card is valid today and the benefit level."""

    personal_id: str | None = Field(description=(
        "The personal ID checked; null when the facility checked by the SI code or the card "
        "number: it learns no identifier the patient did not give"))
    valid: bool
    benefit_level: int | None
    valid_to: date | None
    checked_by: Literal["personal_id", "si_code", "hi_card"] = Field(description=(
        "The kind of number checked, as `ids inspect` reads it"))
    reason: str | None = Field(description=(
        "Why a card number given is not valid although its SI code is held: it is not the card "
        "on record (its group, benefit level or province differs); null otherwise"))


@router.get("/hi-cards/{personal_id}/validity", response_model=HIValidity,
            responses={**SHARED_NUMBER, **HI_GUESSING})
def hi_validity(g: Annotated[Guard, guard(Action.HI_CHECK)], personal_id: HiCardHolderPath,
                ) -> HIValidity:
    """HI check at admission (Decree 188/2025 Art 37-38): validity and benefit level only, by
    the personal ID, or by the card's number when VNeID/VssID or the network fails: the 10-digit
    SI code (the card printed since 1/4/2021) or the legacy 15-character number. A person out of
    the caller's sight (another realm's) answers the 404 of a number nobody holds. A facility's
    failed checks are limited (``access.hi_checks``)."""
    hi_checks.allowed(g.session, g.principal)
    number = inspect(personal_id)
    kind, value = number["kind"], number["value"]
    if kind != "personal_id" and not number["valid"]:  # a 12-digit one stays the 404 it was
        raise ValidationError([Problem(field="personal_id", reason=r) for r in number["errors"]])
    person_id = g.person(value) if kind == "personal_id" else g.holder(value)
    today = date.today()
    current = [c for c in reading.hi_cards_of(session=g.session, person_id=person_id)
               if c.valid_from <= today <= c.valid_to]
    card = current[-1] if current else None
    reason = None
    if card and kind == "hi_card" and (card.group_code, card.benefit_level, card.province_code
                                       ) != (number["group_code"], number["benefit_level"],
                                             number["province_code"]):
        # The SI code is held, the card is not the one on record (an old or altered card):
        # not valid, rather than the 404 of a number nobody holds, which would send the
        # facility after a typo. It admits the patient anyway (Art 37-38) and checks the SI
        # code, which tells no more than this would have. Which part differs is not told, nor
        # is the guess free (``hi_checks``): each part right would be learnt one at a time.
        hi_checks.failed(g.session, g.principal)
        card, reason = None, (f"{value} is not the HI card on record for SI code "
                              f"{number['si_code']} (its group, benefit level or province "
                              "differs): check the SI code or the personal ID")
    return HIValidity(personal_id=value if kind == "personal_id" else None,
                      valid=card is not None,
                      benefit_level=card.benefit_level if card else None,
                      valid_to=card.valid_to if card else None, checked_by=kind, reason=reason)


@router.post("/households", response_model=Created, status_code=status.HTTP_201_CREATED,
             responses=HELD)
def add_household(g: Annotated[Guard, guard(Action.HOUSEHOLD_ADD)], body: HouseholdIn,
                  ) -> Created:
    """Register a household and its members (registered persons; one in another household
    moves to this one). The same registration sent again answers the first (``replayed``,
    nothing changed; each member logged, as by the first); its code with other content, or
    held by another household, is a 409 naming each field that differs."""
    household = body.to_domain()
    g.province(body.province_code)
    members = [reading.registered_id(session=g.session, personal_id=m.personal_id)
               for m in body.members]
    try:
        if all(m is not None and g.sees(m, placing=True) for m in members) and (
                earlier := registered_again.household_again(
                    session=g.session, household=household, in_sight=g.sees)) is not None:
            # It tells who lives together, as the first did: each member logged (one entry).
            g.logged([m for m in members if m is not None])
            return Created(id=earlier, replayed=True)
        for member in body.members:
            g.person(member.personal_id, placing_in=body.province_code)
        household_id, replayed = registered_again.register_household(
            session=g.session, household=household, in_sight=g.sees)
    except RecordedOtherwise as exc:
        # Which of the address and members differ from the household recorded tells of the
        # people living there (only to a clerk who sees them all) and of those sent: in their
        # logs, refused.
        read = {*registered_again.household_members(session=g.session, code=household.code),
                *(m for m in members if m is not None)}
        raise g.refuse(exc, "refused", sorted(read)) from None
    return Created(id=household_id, replayed=replayed)
