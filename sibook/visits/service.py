"""Filing a facility's claims and reading a person's visits.

A file is applied whole or not at all: every record is checked (its shape, then against the
registry: a registered person of the realm, a card of theirs valid on the admission day), and
one problem anywhere refuses the file, listing every problem by record and field. A record is
keyed by its facility and link code (MA_LK): filed again with the same content it changes
nothing and is counted ``unchanged`` (a retried upload, a month's file sent again); with other
content it is refused, naming the record and the field that differs. A recorded visit is never
rewritten: the assessment's corrections of a claim are the HI fund's, not the person's history;
one recorded wrongly is annulled (``annulments``), and its key is then refused, whatever the
content, naming the annulment.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sibook.core.errors import ConflictError, Problem, SibookError, ValidationError
from sibook.core.moments import stamped
from sibook.core.vietnam_time import VIETNAM, in_vietnam
from sibook.registry import reading as registry
from sibook.registry.domain import same_name
from sibook.visits.annulments import annulment_of
from sibook.visits.domain import VISIT_TYPES, Visit, differences, read_record, shown
from sibook.visits.store import HIVisit, HIVisitAnnulment
from sibook.visits.xml130 import read_claims

# A claim's times (NGAY_VAO, NGAY_RA) are Vietnam's local time whatever the server's zone: a
# discharge is "in the future" by Vietnam's clock (``VIETNAM``).

# A visit's annulment, if any: the annulment row of the same key.
_same: ColumnElement[bool] = and_(HIVisitAnnulment.person_id == HIVisit.person_id,
                                  HIVisitAnnulment.facility_code == HIVisit.facility_code,
                                  HIVisitAnnulment.link_code == HIVisit.link_code)


class ClaimsRefused(ValidationError):
    """The file's records break the rules; ``person_ids``: the registered persons it named,
    whose records its checks read (logged as refused); ``mismatches``: how many of its records
    name a person not as the registry holds them (``_against_registry``), each a guess of whose
    an ID is that a facility's credential has a budget of (``access.hi_checks``);
    ``unchecked_from``: the record whose mismatch was one past that budget, from which on the
    records were not checked against the registry (None: every record was)."""

    def __init__(self, problems: list[Problem], person_ids: Sequence[int],
                 mismatches: int = 0, unchecked_from: int | None = None) -> None:
        super().__init__(problems)
        self.person_ids = list(person_ids)
        self.mismatches = mismatches
        self.unchecked_from = unchecked_from


class VisitConflict(ConflictError):
    """Records filed before under the same facility and link code, with other content."""

    def __init__(self, problems: list[Problem], person_ids: Sequence[int]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems
        self.person_ids = list(person_ids)


class OtherFacility(SibookError):
    """The file is another facility's than the credential that sent it."""


def file_claims(*, session: Session, data: bytes, realm: str, actor: str,
                facility: str | None = None, now: datetime | None = None,
                in_turn: Callable[[], int | None] | None = None
                ) -> tuple[dict[str, Any], list[int]]:
    """Record the visits of a Decision 130 file, all or none; the answer and the persons the
    file named. ``facility``: the only facility the caller may file for (a hospital's
    credential); ``realm``: whose persons the file may name (others are unknown to it);
    ``in_turn``: called once the file is read, before the registry is, answering how many
    mismatches the facility has left (None: no limit), its turn held while this one is judged
    (the parse held no lock). The records are checked in the file's order until one more than
    that: it and those after are not checked against the registry, as checks one at a time
    would have been stopped there."""
    parsed = read_claims(data)
    if facility is not None and parsed.facility_code != facility:
        raise OtherFacility(f"the file is facility {parsed.facility_code}'s; this credential "
                            f"files for facility {facility} only")
    budget = None if in_turn is None else in_turn()
    at = now or datetime.now(VIETNAM).replace(tzinfo=None)
    visits, problems = _read(parsed.records, parsed.facility_code, at)
    problems += parsed.problems  # the records that could not be read, by record
    persons = registry.person_ids_in_realm(
        session=session, personal_ids=[v.personal_id for _, v in visits], realm=realm)
    # A record filed before with the same content is a replay whatever the registry says now
    # (a name corrected since, a card ended): the file sent again answers as the first did.
    on_record = _on_record(session, parsed.facility_code, visits)
    again = _replays(visits, persons, on_record)
    found, mismatched, unchecked_from = _against_registry(
        session, [(row, v) for row, v in visits if row not in again], persons, budget)
    problems += found
    if problems:
        # Records filed before with other content named beside the rest, not once these are
        # mended and the file sent again (its 409 then); the recorded visits' persons were read.
        _, _, conflicts, holders = _compared(parsed.facility_code, visits, persons, on_record)
        named = [f.get("SO_CCCD", "").strip() for _, f in parsed.records]
        raise ClaimsRefused(sorted(problems + conflicts, key=lambda p: p.row or 0), sorted(
            holders | set(registry.person_ids_of(session=session, personal_ids=named))),
                            mismatched, unchecked_from)
    fresh, unchanged = _recorded(session, parsed.facility_code, visits, persons, actor,
                                 on_record)
    answer = {"facility_code": parsed.facility_code, "records": len(visits),
              "recorded": len(fresh), "unchanged": unchanged, "replayed": not fresh}
    return answer, sorted(set(persons.values()))


def _read(records: list[tuple[int, dict[str, str]]], facility: str, now: datetime
          ) -> tuple[list[tuple[int, Visit]], list[Problem]]:
    visits: list[tuple[int, Visit]] = []
    problems: list[Problem] = []
    first: dict[str, int] = {}
    for row, fields in records:
        visit, found = read_record(fields, row, facility, now)
        problems += found
        if visit is None:
            continue
        if visit.link_code in first:
            problems.append(Problem(row=row, field="MA_LK", reason=(
                f"{visit.link_code!r} is the link code of record {first[visit.link_code]} "
                "too: one treatment is one record")))
            continue
        first[visit.link_code] = row
        visits.append((row, visit))
    return visits, problems


def _against_registry(session: Session, visits: list[tuple[int, Visit]],
                      persons: dict[str, int], budget: int | None = None,
                      ) -> tuple[list[Problem], int, int | None]:
    """A registered person of the realm, named as registered, and a card of theirs valid on
    the admission day; the problems, how many rows name a person not as registered (an ID
    nobody in the realm holds, another name, a card not theirs: guesses of an identity; a card
    of theirs not valid that day is not), and the row of the mismatch one past ``budget``,
    where the checks stopped (None: every row was checked)."""
    cards = registry.hi_cards_of_many(session=session, person_ids=list(persons.values()))
    facts = registry.person_facts_many(session=session, person_ids=list(persons.values()))
    out: list[Problem] = []
    mismatched = 0
    for row, v in visits:
        person_id = persons.get(v.personal_id)
        found, mismatch = _registry_problems(
            row, v, None if person_id is None else (facts[person_id].full_name,
                                                    cards.get(person_id, [])))
        if mismatch and mismatched == budget:
            return out, mismatched, row
        out += found
        mismatched += mismatch
    return out, mismatched, None


def _registry_problems(row: int, v: Visit, person: tuple[str, list[registry.HICardRow]] | None,
                       ) -> tuple[list[Problem], bool]:
    """The row's problems against its person as registered (name and cards; None: nobody in
    the realm holds its ID), and whether it names them not as registered."""
    if person is None:
        return [Problem(row=row, field="SO_CCCD", reason=(
            f"no registered person with personal ID {v.personal_id}"))], True
    name, cards = person
    out: list[Problem] = []
    misnamed = not same_name(v.patient_name, name)
    if misnamed:
        # Not the registered name: the file learns only that it differs (it may hold a
        # number it should not, and a name would confirm whose it is).
        out.append(Problem(row=row, field="HO_TEN", reason=(
            f"is not the name registered for personal ID {v.personal_id} (compared "
            "whatever the case, spacing and Unicode composition)")))
    # A card's number, with each span it was valid (one a row: a worker back after it
    # expired is given the same number again, valid from their return).
    theirs: dict[str, list[registry.HICardRow]] = {}
    for c in cards:
        theirs.setdefault(c.card_number.upper(), []).append(c)
    stranger = next((c for c in v.cards if c not in theirs), None)
    if stranger is not None:
        out.append(Problem(row=row, field="MA_THE_BHYT", reason=(
            f"{stranger} is not an HI card of {v.personal_id}")))
        return out, True
    day = v.admitted_at.date()
    if not any(span.valid_from <= day <= span.valid_to
               for c in v.cards for span in theirs[c]):
        spans = ", ".join(f"{c} from {span.valid_from.isoformat()} to "
                          f"{span.valid_to.isoformat()}" for c in v.cards for span in theirs[c])
        out.append(Problem(row=row, field="MA_THE_BHYT", reason=(
            f"not valid on the admission day {day.isoformat()}: {spans}")))
    return out, misnamed


def _recorded(session: Session, facility: str, visits: list[tuple[int, Visit]],
              persons: dict[str, int], actor: str, on_record: OnRecord,
              ) -> tuple[list[Visit], int]:
    """Insert the visits not recorded yet; the ones inserted and how many were unchanged.
    ``on_record``: what the facility had recorded of them when the file was checked."""
    fresh, unchanged = _new_records(facility, visits, persons, on_record)
    while fresh:
        try:
            with session.begin_nested():
                # In key order, whatever the file's: two filings sharing records then wait
                # for each other in turn, never each for the other (a deadlock).
                session.execute(insert(HIVisit), [
                    _row(v, persons[v.personal_id], actor)
                    for v in sorted(fresh, key=lambda v: v.link_code)])
            break
        except IntegrityError:
            # Some of these records filed at the same moment by another request, which
            # PostgreSQL made this one wait for (the same file, or one that shares records
            # with it): compared with what it recorded, as a retry after it would be, and the
            # rest inserted again. Nothing recorded meanwhile: another constraint, raised.
            before = len(fresh)
            fresh, unchanged = _new_records(facility, visits, persons,
                                            _on_record(session, facility, visits))
            if len(fresh) == before:
                raise
    return fresh, unchanged


# The recorded visits by MA_LK, and when those annulled were.
OnRecord = tuple[dict[str, HIVisit], dict[str, datetime]]


def _on_record(session: Session, facility: str, visits: list[tuple[int, Visit]]) -> OnRecord:
    """The facility's recorded visits these records' MA_LK name, and when those annulled were."""
    links = [v.link_code for _, v in visits]
    recorded: dict[str, HIVisit] = {}
    annulled: dict[str, datetime] = {}
    for start in range(0, len(links), 1000):
        for r, at in session.execute(
                select(HIVisit, HIVisitAnnulment.annulled_at).outerjoin(HIVisitAnnulment, _same)
                .where(HIVisit.facility_code == facility,
                       HIVisit.link_code.in_(links[start:start + 1000]))).tuples():
            recorded[r.link_code] = r
            if at is not None:
                annulled[r.link_code] = at
    return recorded, annulled


def _replays(visits: list[tuple[int, Visit]], persons: dict[str, int], on_record: OnRecord,
             ) -> set[int]:
    """The rows recorded before, not annulled, for the same person with the same content."""
    recorded, annulled = on_record
    return {row for row, v in visits
            if (was := recorded.get(v.link_code)) is not None and v.link_code not in annulled
            and was.person_id == persons.get(v.personal_id)
            and not differences(visit_of(was, v.personal_id, v.patient_name), v)}


def _new_records(facility: str, visits: list[tuple[int, Visit]], persons: dict[str, int],
                 on_record: OnRecord) -> tuple[list[Visit], int]:
    """The visits not recorded yet and how many are recorded with the same content; refused
    when any is recorded with other content."""
    fresh, unchanged, conflicts, holders = _compared(facility, visits, persons, on_record)
    if conflicts:
        raise VisitConflict(conflicts, sorted(holders | set(persons.values())))
    return fresh, unchanged


def _compared(facility: str, visits: list[tuple[int, Visit]], persons: dict[str, int],
              on_record: OnRecord) -> tuple[list[Visit], int, list[Problem], set[int]]:
    """The visits not recorded yet, how many are recorded with the same content, the problem
    of each recorded with other content (or annulled) and the persons whose recorded visits
    that read. A visit of a person not in ``persons`` (refused as such) is not compared."""
    recorded, annulled = on_record
    fresh: list[Visit] = []
    conflicts: list[Problem] = []
    holders: set[int] = set()
    unchanged = 0
    for row, v in visits:
        was = recorded.get(v.link_code)
        if was is None:
            fresh.append(v)
            continue
        if v.personal_id not in persons:
            continue
        if v.link_code in annulled:
            holders.add(was.person_id)
            day = in_vietnam(annulled[v.link_code]).date()  # the facility's
            conflicts.append(Problem(row=row, field="MA_LK", reason=(
                f"MA_LK {v.link_code!r} of facility {facility} names a visit annulled on "
                f"{day.isoformat()} (Vietnam's date): an annulled visit is not filed again; a "
                "corrected claim takes a new MA_LK")))
            continue
        if was.person_id != persons[v.personal_id]:
            # Another person's visit: who they are is not the file's to learn (a person of
            # another realm is unknown to it; one of its own it holds already).
            holders.add(was.person_id)
            conflicts.append(Problem(row=row, field="SO_CCCD", reason=(
                f"MA_LK {v.link_code!r} of facility {facility} was recorded for another "
                f"person, not {v.personal_id}: a recorded visit is not rewritten")))
            continue
        before = visit_of(was, v.personal_id, v.patient_name)
        changed = differences(before, v)
        if changed:
            holders.add(was.person_id)
            field = changed[0]
            old, new = (getattr(before, _ATTR[field]), getattr(v, _ATTR[field]))
            conflicts.append(Problem(row=row, field=field, reason=(
                f"MA_LK {v.link_code!r} of facility {facility} was recorded with {field} "
                f"{shown(old)}, not {shown(new)}: a recorded visit is not rewritten")))
        else:
            unchanged += 1
    return fresh, unchanged, conflicts, holders


_ATTR = {"SO_CCCD": "personal_id", "MA_THE_BHYT": "card_text", "NGAY_VAO": "admitted_at",
         "NGAY_RA": "discharged_at", "MA_BENH_CHINH": "diagnosis",
         "MA_LOAI_KCB": "visit_type", "T_TONGCHI_BV": "total_cost", "T_BHTT": "hi_paid",
         "T_BNCCT": "patient_paid"}


def visit_of(row: HIVisit, personal_id: str, patient_name: str) -> Visit:
    """The recorded visit, naming its patient as given (HO_TEN is checked, not kept)."""
    return Visit(row.facility_code, row.link_code, personal_id, patient_name,
                 tuple(row.card_number.split(";")), row.admitted_at, row.discharged_at,
                 row.diagnosis, row.visit_type, row.total_cost, row.hi_paid, row.patient_paid)


def _row(v: Visit, person_id: int, actor: str) -> dict[str, Any]:
    return {"person_id": person_id, "facility_code": v.facility_code, "link_code": v.link_code,
            "card_number": v.card_text, "admitted_at": v.admitted_at,
            "discharged_at": v.discharged_at, "diagnosis": v.diagnosis,
            "visit_type": v.visit_type, "total_cost": v.total_cost, "hi_paid": v.hi_paid,
            "patient_paid": v.patient_paid, "filed_by": actor[:64]}


def listing(*, session: Session, person_id: int, personal_id: str, limit: int | None = None,
            offset: int = 0, with_annulled: bool = False) -> dict[str, Any]:
    """The person's visits, the latest admission first (VssID's KCB history): ``limit`` of
    them (None: all) after the first ``offset``, and how many there are (``total``). Annulled
    visits are left out, as the person reads them; ``with_annulled`` (an officer's read) lists
    them too, each with its annulment."""
    where = [HIVisit.person_id == person_id]
    if not with_annulled:
        where.append(HIVisitAnnulment.person_id.is_(None))
    rows = session.execute(
        select(HIVisit, HIVisitAnnulment).outerjoin(HIVisitAnnulment, _same).where(*where)
        .order_by(HIVisit.admitted_at.desc(), HIVisit.facility_code, HIVisit.link_code)
        .offset(offset).limit(limit)).tuples().all()
    total = session.scalar(select(func.count()).select_from(HIVisit)
                           .outerjoin(HIVisitAnnulment, _same).where(*where)) or 0
    return {"personal_id": personal_id, "total": total,
            "visits": [_answer(r, a) for r, a in rows]}


def _answer(r: HIVisit, annulment: HIVisitAnnulment | None) -> dict[str, Any]:
    return {"facility_code": r.facility_code, "link_code": r.link_code,
            "card_number": r.card_number,
            "admitted_at": r.admitted_at.isoformat(timespec="minutes"),
            "discharged_at": r.discharged_at.isoformat(timespec="minutes"),
            "diagnosis": r.diagnosis, "visit_type": r.visit_type,
            "visit_type_name": VISIT_TYPES.get(r.visit_type, r.visit_type),
            "total_cost": r.total_cost, "hi_paid": r.hi_paid, "patient_paid": r.patient_paid,
            "filed_at": stamped(r.filed_at),
            "annulment": None if annulment is None else annulment_of(annulment)}
