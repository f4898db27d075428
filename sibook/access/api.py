"""HTTP adapter of access: the client-credentials token endpoint, ``/me`` and its access log.

The token endpoint speaks OAuth 2.0 (RFC 6749) to its clients: every refusal of its own is
``{"error": ...}`` (§5.2), a request it cannot read included, and it never judges a bearer token
(a client authenticates with its credentials, §2.3.1).
"""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import Annotated, ClassVar
from urllib.parse import unquote_plus

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field
from sqlalchemy import select
from starlette.exceptions import HTTPException

from sibook.access import (
    audit,
    credentials,
    details,
    oidc_client,
    ratelimit,
    revocation,
    scope,
    tokens,
)
from sibook.access.deps import TOKEN_REQUIRED, BearerDep, require
from sibook.access.policy import RULES, Action, Guard
from sibook.access.principals import CIVIL, Citizen, Forbidden, Unauthenticated
from sibook.access.settings import get_access_settings
from sibook.api.deps import Answer, AnsweringRoute, SessionDep
from sibook.api.problems import TOKEN
from sibook.core.digits import IN_DIGITS
from sibook.core.moments import as_utc

router = APIRouter(tags=["access"])
router.include_router(oidc_client.router)

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 §5.1
OTHER_CITIZEN = "another citizen"  # an access log's actor: never another citizen's ID
OTHER_REALM_OFFICER = "an officer of another realm"  # nor a ministry officer's client id
OTHER_REALM_UNIT = "a unit of another realm"  # nor a ministry unit's, absent outside its realm
OTHER_REALM_PURPOSE = "kept by the other realm"  # nor the purpose (a case number) they stated


class TokenOut(BaseModel):
    """RFC 6749 §5.1."""

    access_token: str
    token_type: str
    expires_in: int


class MeOut(BaseModel):
    personal_id: str
    full_name: str
    birth_date: date
    sex: str
    assurance_level: int


class AccessOut(BaseModel):
    at: datetime
    actor_kind: str
    actor: str
    action: str
    route: str
    purpose: str = Field(description=(
        "The purpose an officer stated (X-Purpose), or an employer on what it was allowed, "
        "else the action's own (a health facility's, a unit's refused attempt); \"kept by the "
        "other realm\" for an officer or a unit of another realm, whose case numbers are that "
        "realm's to keep, as their client id"))
    outcome: str
    detail: str | None = Field(None, description=(
        "What it was about where the action alone does not say: \"key value\" parts joined "
        "by \"; \" naming the unit a remittance or a change of its salary regime or payment "
        "method concerns and what changed, the filing (unit, month, batch, declaration), or "
        "the benefit claim or decision (regime, dossier, decision, outcome), "
        "e.g. \"unit 0101234567; payment_cycle 3; from 2026-04\"; without its unit on an "
        "entry of another realm's unit; null on other entries, on every entry logged before "
        "it was kept (migration 0027) and for a person of the defence or public-security "
        "realm"))


class AccessLogOut(BaseModel):
    entries: list[AccessOut]
    next_before: int | None = Field(description=(
        "More entries are older than these: ask again with ?before= this value for the next "
        "page; null on the last page"))


def _oauth_error(status: int, error: str) -> JSONResponse:
    headers = dict(NO_STORE)
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="sibook"'
    return JSONResponse({"error": error}, status_code=status, headers=headers)


async def _unreadable(_: Request, exc: Exception) -> Response | None:
    if isinstance(exc, HTTPException) and exc.status_code != 400:
        return None  # the app's own answer
    return _oauth_error(400, "invalid_request")


class _OAuthRoute(AnsweringRoute):
    """A request the token endpoint cannot read is ``invalid_request`` (RFC 6749 §5.2), not
    FastAPI's ``{"detail"}``: its 400 (a body that cannot be parsed, broken multipart) and its
    422 (a missing or malformed parameter). Answered after the unit of work rolled back, never
    inside it (see ``AnsweringRoute``)."""

    answers: ClassVar[dict[type[Exception], Answer]] = {
        RequestValidationError: _unreadable,
        HTTPException: _unreadable,  # Starlette's own, raised while parsing the body
    }


def _no_bearer() -> None:
    """Stands in for the bearer scheme: the token endpoint reads no bearer token."""


class require_without_bearer(require):
    """``require`` that never reads ``Authorization: Bearer``: a stray (or stale) bearer token
    sent to the token endpoint must not answer for the client credentials, which the route
    judges with an OAuth answer."""

    def __call__(self, request: Request, session: SessionDep, creds: Annotated[
            HTTPAuthorizationCredentials | None, Depends(_no_bearer)]) -> Guard:
        return super().__call__(request, session, None)


def _basic(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        user, _, secret = base64.b64decode(header[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    # Each part form-urlencoded before it was joined (RFC 6749 §2.3.1): "%3A" for a colon.
    return unquote_plus(user), unquote_plus(secret)


token_router = APIRouter(route_class=_OAuthRoute)


@token_router.post("/auth/token", response_model=TokenOut, responses=TOKEN,
                   summary="Client-credentials token for employers, hospitals, officers",
                   description=(
                       "OAuth 2.0 client credentials (RFC 6749 §4.4): `grant_type="
                       "client_credentials`, the client authenticated by HTTP Basic "
                       "(`Authorization: Basic` of `client_id:client_secret`, RFC 6749 "
                       "§2.3.1) or by `client_id` and `client_secret` in the form; Basic is "
                       "read first when both are sent. 401 `invalid_client` alike for an "
                       "unknown client, a wrong secret, a locked one and a revoked one."))
def token(request: Request,
          guard: Annotated[Guard, Depends(require_without_bearer(Action.PUBLIC))],
          grant_type: Annotated[str, Form()], client_id: Annotated[str, Form()] = "",
          client_secret: Annotated[str, Form()] = "") -> JSONResponse:
    ratelimit.limit(request, "token")
    if grant_type != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type")
    client_id, client_secret = _basic(request) or (client_id, client_secret)
    session = guard.session
    row = credentials.authenticate_client(session=session, client_id=client_id[:64],
                                          secret=client_secret[:200],
                                          address=ratelimit.address_of(request))
    if row is None:
        session.commit()  # the failure counts even though the request is refused
        return _oauth_error(401, "invalid_client")  # one answer: unknown, wrong, or locked
    principal = credentials.principal_of(row)
    claims: dict[str, object] = {"sub": row.client_id, "kind": row.kind}
    if row.kind == "employer":
        claims.update(unit_code=row.unit_code, realm=row.realm)
    if row.kind == "hospital" and row.unit_code:
        claims["facility_code"] = row.unit_code
    if row.kind == "officer":
        claims.update(realm=row.realm, province_code=row.province_code,
                      roles=sorted(getattr(principal, "roles", ())))
    access_token = tokens.issue(claims)
    return JSONResponse({"access_token": access_token, "token_type": "Bearer",
                         "expires_in": get_access_settings().access_token_ttl},
                        headers=NO_STORE)


router.include_router(token_router)


@router.post("/auth/sign-out", status_code=204, response_class=Response,
             summary="End the bearer token now: it is refused from then on",
             openapi_extra={TOKEN_REQUIRED: True})  # any valid token, but one
def sign_out(guard: Annotated[Guard, Depends(require(Action.PUBLIC))],
             creds: BearerDep) -> Response:
    """For a script or an app holding a token this service issued (a citizen's, a client's):
    the token stops working at once instead of at its expiry. 401 without a valid token; a
    token of the e-identity provider is the provider's to end."""
    if creds is None:  # a token that was sent has been authenticated by ``require`` already
        raise guard.refuse(Unauthenticated(token_sent=False), "unauthenticated")
    s = get_access_settings()
    if tokens.unverified_issuer(creds.credentials) == s.access_token_issuer:
        revocation.revoke(guard.session,
                          tokens.verify_own(creds.credentials, s.access_token_audience, s))
    return Response(status_code=204)


def _citizen(guard: Guard) -> Citizen:
    if not isinstance(guard.principal, Citizen):  # unreachable past the policy; kept explicit
        raise Forbidden("only a signed-in citizen has a /me")
    return guard.principal


@router.get("/me", response_model=MeOut)
def me(guard: Annotated[Guard, Depends(require(Action.ME_READ))]) -> MeOut:
    citizen = _citizen(guard)
    person_id = guard.person(citizen.personal_id)
    p = scope.persons()
    row = guard.session.execute(
        select(p.c.personal_id, p.c.full_name, p.c.birth_date, p.c.sex)
        .where(p.c.person_id == person_id)
    ).one()
    return MeOut(personal_id=row.personal_id, full_name=row.full_name,
                 birth_date=row.birth_date, sex=row.sex, assurance_level=citizen.level)


@router.get("/me/access-log", response_model=AccessLogOut)
def my_access_log(guard: Annotated[Guard, Depends(require(Action.ME_ACCESS_LOG))],
                  limit: Annotated[int, Query(ge=1, le=1000, description=(
                      "Entries in the answer, newest first")), IN_DIGITS] = 100,
                  before: Annotated[int | None, Query(ge=1, le=2**63 - 1, description=(
                      "Only entries older than this one: the answer's next_before")),
                                    IN_DIGITS] = None,
                  ) -> AccessLogOut:
    """Who looked at my data: every read, change and refused attempt that named me, newest
    first, ``limit`` a page."""
    citizen = _citizen(guard)
    person_id = guard.person(citizen.personal_id)
    # One more than asked: whether a next page exists, without a count of the whole log.
    rows = audit.entries_for_person(session=guard.session, person_id=person_id,
                                    limit=limit + 1, before=before)
    more, rows = len(rows) > limit, rows[:limit]
    realms = credentials.client_realms(
        guard.session, {r.actor_id for r in rows if r.actor_kind in ("officer", "employer")})
    own_realm = scope.realm_of(guard.session, person_id)
    entries = []
    for r in rows:
        foreign = realms.get(r.actor_id, own_realm) != own_realm
        entries.append(AccessOut(
            at=as_utc(r.at), actor_kind=r.actor_kind,
            actor=_actor_shown(r.actor_kind, r.actor_id, citizen.personal_id, foreign=foreign),
            action=r.action, route=r.route, outcome=r.outcome,
            purpose=_purpose_shown(r.actor_kind, r.action, r.outcome, r.purpose,
                                   foreign=foreign),
            # A ministry's person is shown no detail: its units, payments and months are the
            # ministry's to keep, as their months and benefits are (``kept_by_the_ministry``).
            detail=None if own_realm != CIVIL else
            details.without_unit(r.detail) if foreign else r.detail))
    return AccessLogOut(entries=entries, next_before=rows[-1].seq if more else None)


def _purpose_shown(kind: str, action: str, outcome: str, purpose: str, *, foreign: bool
                   ) -> str:
    """The purpose as the person is shown it: an officer's case number as stated, and what
    their employer stated of a read or change it was allowed (of its own worker). Any other
    caller's text is its own choice about someone it may not even reach (a unit's attempt on a
    stranger's number, a refused filing naming them, a health facility's check of anyone's
    card): shown, it would put words of that caller's ("your book is locked, call ...") on the
    agency's page, as a citizen's could (``require`` keeps none of theirs). The action's own
    purpose is shown instead; the log keeps what was stated, for the agency's auditors."""
    if _from_another_realm(kind, foreign):
        return OTHER_REALM_PURPOSE
    if kind == "officer" or (kind == "employer" and outcome == "allowed"):
        return purpose
    action_of = {a.value: a for a in Action}.get(action)
    if kind in ("employer", "hospital") and action_of is not None:
        return RULES[action_of].purpose
    return purpose  # a citizen's is the action's already (``require``); a console command's


def _from_another_realm(kind: str, foreign: bool) -> bool:
    """Whether the entry's actor is an officer or a unit of another realm than the person's."""
    return foreign and kind in ("officer", "employer")


def _actor_shown(kind: str, actor_id: str, own_personal_id: str, *, foreign: bool) -> str:
    """Who acted, as the citizen is shown it: officers, employers and hospitals by their client
    id; the citizen themself as "you"; another citizen (who tried a number not theirs) without
    their personal ID, which is their personal data (the agency's auditors read it in full); an
    officer or a unit of another realm (a ministry's, whose credential typed a number outside
    it) without their id, which is that realm's to keep."""
    if _from_another_realm(kind, foreign):
        return OTHER_REALM_OFFICER if kind == "officer" else OTHER_REALM_UNIT
    if kind != "citizen":
        return actor_id
    return "you" if actor_id == own_personal_id else OTHER_CITIZEN
