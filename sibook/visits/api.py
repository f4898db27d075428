"""HTTP adapter of HI visits: a health facility files its claims (Decision 130/QĐ-BYT XML)
and annuls one of its own recorded wrongly, as an officer in scope may; the citizen reads their
own visits, an officer in scope a person's. The access policy decides and logs every read,
filing and annulment (``Guard``); defence and public-security persons stay unknown to a civil
facility's file, as to everyone outside their realm."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, UploadFile, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from sibook.access import hi_checks, scope
from sibook.access.deps import require
from sibook.access.policy import Action, Guard
from sibook.access.principals import CIVIL, Citizen, Forbidden, Hospital, TooManyRequests
from sibook.api.params import OneFile, PersonalIdPath
from sibook.api.problems import CLAIMS_GUESSING, CONFLICT
from sibook.core.digits import IN_DIGITS
from sibook.core.errors import ValidationError
from sibook.visits.annulments import annul, recorded_person, unknown
from sibook.visits.domain import LINK_MAX, REASON_MAX, VISIT_TYPES
from sibook.visits.service import (
    ClaimsRefused,
    OtherFacility,
    VisitConflict,
    file_claims,
    listing,
)

router = APIRouter(tags=["visits"])
Filer = Annotated[Guard, Depends(require(Action.VISIT_FILE))]
Reader = Annotated[Guard, Depends(require(Action.VISIT_READ))]
Annuller = Annotated[Guard, Depends(require(Action.VISIT_ANNUL))]
MINUTE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClaimsFiled(_Strict):
    """A claim file recorded. Records filed before with the same content are counted
    ``unchanged`` and change nothing; ``replayed``: every record was (the file was sent
    before)."""

    accepted: Literal[True] = Field(description="The file was recorded (a refused one is "
                                                "answered 422 or 409, nothing recorded)")
    facility_code: str = Field(description="MA_CSKCB of the file")
    records: int = Field(description="Records (HOSO) in the file")
    recorded: int = Field(description="Visits recorded now")
    unchanged: int = Field(description="Visits recorded before with the same content")
    replayed: bool


class Annulment(_Strict):
    reason: str = Field(description="Why the visit was annulled")
    annulled_by: str = Field(description="The facility's credential or the officer who "
                                         "annulled it")
    annulled_at: str = Field(description="When (UTC, ISO 8601)")


class VisitOut(_Strict):
    facility_code: str = Field(description="MA_CSKCB: the health facility")
    link_code: str = Field(description="MA_LK: the facility's key of the treatment")
    card_number: str = Field(description="MA_THE_BHYT: the HI card used (';' between cards)")
    admitted_at: str = Field(pattern=MINUTE, description="NGAY_VAO, local time")
    discharged_at: str = Field(pattern=MINUTE, description="NGAY_RA, local time")
    diagnosis: str = Field(description="MA_BENH_CHINH: the main diagnosis, ICD-10")
    visit_type: str = Field(description="MA_LOAI_KCB: " + "; ".join(
        f"{k} {v}" for k, v in VISIT_TYPES.items()))
    visit_type_name: str
    total_cost: int = Field(description="T_TONGCHI_BV: what the facility charged, VND")
    hi_paid: int = Field(description="T_BHTT: what the HI fund pays, VND")
    patient_paid: int = Field(description="T_BNCCT: the patient's co-payment, VND")
    filed_at: str = Field(description="When the agency recorded it (UTC, ISO 8601)")
    annulment: Annulment | None = Field(description=(
        "null, or the visit's annulment: an officer's list shows annulled visits marked so; "
        "the person's own list leaves them out"))


class AnnulmentIn(_Strict):
    # The spaces around a pasted code are no part of it, as in a claim file and for
    # ``visits annul``: " LK0001 " was a 404 "no visit with MA_LK ' LK0001 '".
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    facility_code: str = Field(pattern=r"^[0-9]{5}$", description="MA_CSKCB of the visit")
    link_code: str = Field(min_length=1, max_length=LINK_MAX, description="Its MA_LK")
    reason: str = Field(min_length=1, max_length=REASON_MAX, pattern=r"\S",
                        description="Why it is annulled (kept for officers; the person sees "
                                    "the visit gone)")


class Annulled(Annulment):
    """A visit annulled. Annulling it again changes nothing and answers this, ``replayed``
    true (with the first annulment's reason)."""

    annulled: Literal[True]
    facility_code: str
    link_code: str
    replayed: bool


class VisitList(_Strict):
    personal_id: str
    total: int = Field(description="How many visits the person has; ``visits`` holds ``limit`` "
                                   "of them after the first ``offset``")
    visits: list[VisitOut] = Field(description="The latest admission first")


# A person's visits grow for life (a chronic patient's monthly visits; a facility may file
# thousands in one name): read a page at a time.
Limit = Annotated[int, Query(ge=1, le=1000, description="Visits in the answer"), IN_DIGITS]
Offset = Annotated[int, Query(ge=0, le=10**9, description="Latest visits to skip"), IN_DIGITS]


@router.post("/visits", status_code=status.HTTP_201_CREATED, response_model=ClaimsFiled,
             responses={**CONFLICT, **CLAIMS_GUESSING})
def file_visits(g: Filer, file: Annotated[UploadFile, File(
        description="A Decision 130/QĐ-BYT file: GIAMDINHHS, each HOSO's XML1 (TONG_HOP) in "
                    "base64")], _one: OneFile) -> dict[str, Any] | JSONResponse:
    """A health facility files its claims: every record is recorded, or none (422 naming each
    record, as ``row``, and field; 409 for a record filed before with other content). The
    file's MACSKCB must be the credential's facility (403 otherwise). Its records naming a
    person not as registered count against the credential's failed HI checks
    (``access.hi_checks``): past them, 429 (one past them in the file: a 429 naming the
    problems found before it, and every record's own)."""
    facility = g.own_facility()
    hi_checks.allowed(g.session, g.principal)  # a stopped facility's file is not even read
    # End the token check's transaction, which on SQLite holds the store's only write lock,
    # before the upload is read and parsed (as a filing of declarations does).
    g.session.commit()
    try:
        answer, person_ids = file_claims(
            session=g.session, data=file.file.read(), realm=CIVIL, actor=g.principal.actor_id,
            facility=facility, in_turn=lambda: hi_checks.budget(g.session, g.principal))
    except OtherFacility as exc:
        raise g.refuse(Forbidden(str(exc)), "forbidden") from None
    except VisitConflict as exc:  # its checks read the persons' records: logged as refused
        g.refuse(exc, "refused", exc.person_ids or (None,))
        return JSONResponse(status_code=status.HTTP_409_CONFLICT,
                            content={"errors": [p.as_dict() for p in exc.problems]})
    except ClaimsRefused as exc:
        stop = None
        if exc.mismatches:  # counted in the turn ``in_turn`` took: committed before the rollback
            stop = hi_checks.failed(g.session, g.principal, count=exc.mismatches)
            g.session.commit()
        g.refuse(exc, "refused", exc.person_ids or (None,))
        if exc.unchecked_from is None:
            raise exc from None
        return _stopped(exc, exc.unchecked_from, stop)
    except ValidationError as exc:  # the file cannot be read: it named nobody
        raise g.refuse(exc, "refused") from None
    if not answer["replayed"]:  # filed before: a file sent again changes nothing
        g.logged(person_ids)
    return {"accepted": True, **answer}


def _stopped(exc: ClaimsRefused, row: int, stop: TooManyRequests | None) -> JSONResponse:
    """The 429 of a file that spent its credential's failed checks at ``row``: the problems
    found up to there, and every record's own, so the facility can mend its file."""
    return JSONResponse(
        status_code=status.HTTP_429_TOO_MANY_REQUESTS,
        # Stopped by the count just made, unless failures aged out of the window meanwhile.
        headers=stop.headers if stop is not None else {"Retry-After": "1"},
        content={"detail": (
            f"too many failed checks by this credential: record {row} is one past the records "
            "naming a person not as registered it had left, and neither it nor those after "
            "it were checked against the registry; errors lists what was found before it and "
            "each record's own problems; nothing was recorded, send the file again after "
            "Retry-After"), "errors": [p.as_dict() for p in exc.problems]})


@router.post("/visits/annulments", status_code=status.HTTP_201_CREATED,
             response_model=Annulled)
def annul_visit(body: AnnulmentIn, g: Annuller) -> dict[str, Any]:
    """Annul a visit recorded wrongly, by its facility and MA_LK: the facility that filed it
    (for its own facility only; 403 otherwise), or a clerk or approver in scope. The visit
    stays as filed; the person's lists leave it out, officers' show it annulled; its key is
    not filed again (409). 404, naming no person, for a key no visit the caller may see
    has."""
    if isinstance(g.principal, Hospital) and body.facility_code != (own := g.own_facility()):
        raise g.refuse(Forbidden(f"a hospital annuls its own facility's visits only ({own})"),
                       "forbidden")
    person_id = recorded_person(session=g.session, facility_code=body.facility_code,
                                link_code=body.link_code)
    if person_id is None or not scope.can_see(g.session, g.principal, person_id):
        raise g.refuse(unknown(body.facility_code, body.link_code), "not_found", (person_id,))
    try:
        answer = annul(session=g.session, person_id=person_id, facility_code=body.facility_code,
                       link_code=body.link_code, reason=body.reason, actor=g.principal.actor_id)
    except ValidationError as exc:
        raise g.refuse(exc, "refused", (person_id,)) from None
    g.logged([person_id])
    return answer


@router.get("/me/visits", response_model=VisitList)
def my_visits(g: Reader, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    """The signed-in citizen's HI visits (KCB history), the latest first: a visit they never
    made is how fraud in their name shows (FACTS §7.2 item 4)."""
    personal_id = g.own_personal_id()
    return listing(session=g.session, person_id=g.person(personal_id), personal_id=personal_id,
                   limit=limit, offset=offset)


@router.get("/persons/{personal_id}/visits", response_model=VisitList)
def person_visits(personal_id: PersonalIdPath, g: Reader, limit: Limit = 100,
                  offset: Offset = 0) -> dict[str, Any]:
    """A person's HI visits, the latest first (an officer in scope, annulled ones too, marked
    so; or the person, without them)."""
    return listing(session=g.session, person_id=g.person(personal_id), personal_id=personal_id,
                   limit=limit, offset=offset, with_annulled=not isinstance(g.principal, Citizen))
