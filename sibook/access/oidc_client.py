"""The project as an OpenID Connect client of the national e-identity (VNeID level 2).

Authorization code flow with PKCE (S256) through Authlib. Security choices:
- ``state`` (CSRF), ``nonce`` (ID-token replay) and the PKCE ``code_verifier`` travel in one
  short-lived (10 min) cookie signed by our key: HttpOnly, SameSite=Lax, path-scoped to the
  auth routes, Secure unless turned off for loopback development. It is signed, not encrypted:
  it only ever sits in the signing-in user's own browser, and PKCE guards against another app
  intercepting the code, which never sees the cookie.
- The ID token is verified against the issuer's JWKS (signature, iss, aud, exp) and its nonce;
  then the personal-ID claim is required and ``acr`` gives the assurance level. Level 1 still
  signs in but the policy refuses it every personal-data action (FACTS §1.2, §5.5).
- The answer is the project's own short-lived citizen token; the issuer's tokens stay here.
  A sign-in started by the citizen portal (``?next=/portal/...``) gets it as a cookie instead:
  HttpOnly, SameSite=Lax, path-scoped to the portal (the API reads only Bearer headers, so the
  cookie never authenticates an API call), and a 303 back to ``next``.
- That cookie's token stays short-lived (``access_token_ttl``) but its session is renewed on
  activity: a portal page the citizen opens, allowed, with less than half the token's life
  left, answers with a fresh token of the same claims, among them the session's id (``sid``)
  and its sign-in time (``auth_time``), carried unchanged. No renewal reaches past
  ``portal_session_max_seconds`` from the sign-in; then the citizen signs in again. Signing out
  refuses the session id, so a copy of any of its tokens is refused too. Bearer tokens
  answered as JSON belong to no session and are never renewed.
"""

from __future__ import annotations

import hmac
import time
import uuid
from typing import Annotated, Any

from authlib.common.security import generate_token  # type: ignore[import-untyped]
from authlib.integrations.base_client import OAuthError  # type: ignore[import-untyped]
from authlib.integrations.httpx_client import OAuth2Client  # type: ignore[import-untyped]
from fastapi import APIRouter, Cookie, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from httpx2 import HTTPError
from pydantic import BaseModel

from sibook.access import jwks, ratelimit, tokens
from sibook.access.deps import require
from sibook.access.policy import Action, Guard
from sibook.access.principals import Unauthenticated
from sibook.access.settings import AccessSettings, get_access_settings
from sibook.api.problems import SIGN_IN, Responses

router = APIRouter(tags=["access"])

COOKIE, COOKIE_PATH, LOGIN_AUDIENCE, LOGIN_TTL = "sibook_login", "/api/v1/auth", "sibook-login", 600
LOGIN_FAILED = "sign-in failed; start again at /api/v1/auth/login"
PublicGuard = Annotated[Guard, Depends(require(Action.PUBLIC))]
PORTAL, SESSION_COOKIE = "/portal", "sibook_session"  # the browser's copy of the citizen token
# Begins the state of a sign-in the portal started: the callback knows it even when the login
# cookie is gone (its 10 minutes passed at the provider), and answers with the portal's page.
PORTAL_STATE = "portal."
# Redirects carry no body: declared without content (the route's response class has no type).
TO_PROVIDER: Responses = {302: {"description": "To the e-identity provider's sign-in page"}}
TO_PORTAL: Responses = {303: {"description": "Back to the portal page in ``next`` (sign-in "
                                             "started there), signed in by an HttpOnly cookie"}}


class CitizenToken(BaseModel):
    """The project's own citizen token, for a sign-in started without ``next``."""

    access_token: str
    token_type: str
    expires_in: int
    assurance_level: int


def set_session_cookie(response: Response, token: str, ttl: int, s: AccessSettings) -> None:
    """The portal's session cookie, at sign-in and at each renewal alike."""
    response.set_cookie(SESSION_COOKIE, token, max_age=ttl, path=PORTAL, httponly=True,
                        secure=s.cookie_secure, samesite="lax")


def renewed_session(token: str, s: AccessSettings) -> tuple[str, int] | None:
    """A fresh token (and its life in seconds) for the portal session of ``token``, one the
    page's guard has just allowed (signed, unexpired, not signed out), when it has less than
    half its life left; None when it is not due yet, ``token`` is of no portal session (a
    bearer token, one of the e-identity provider), or the session's cap is reached."""
    try:
        claims = tokens.verify_own(token, s.access_token_audience, s)
    except Unauthenticated:  # the provider's token: it has no session of ours
        return None
    iat, exp, auth_time = claims.get("iat"), claims.get("exp"), claims.get("auth_time")
    if not (isinstance(claims.get("sid"), str) and isinstance(auth_time, int)
            and isinstance(iat, int) and isinstance(exp, int)):
        return None
    now = int(time.time())
    if (exp - now) * 2 >= exp - iat:
        return None
    ttl = min(s.access_token_ttl, auth_time + s.portal_session_max_seconds - now)
    if ttl <= 0 or now + ttl <= exp:  # the cap: nothing later to give
        return None
    # The same claims (subject, level, session id, sign-in time); a new iat, exp and jti.
    return tokens.issue(claims, s, ttl=ttl, issued_at=now), ttl


def _portal_path(next_: str) -> str | None:
    """``next`` when it is a page of the portal; anything else (another site) is dropped."""
    return next_ if next_ == PORTAL or next_.startswith(PORTAL + "/") else None


def _client(s: AccessSettings) -> Any:
    return OAuth2Client(client_id=s.oidc_client_id, client_secret=s.oidc_client_secret,
                        scope=s.oidc_scope, redirect_uri=s.oidc_redirect_uri,
                        code_challenge_method="S256", timeout=10.0)


@router.get("/auth/login", summary="Sign in with the national e-identity (OIDC + PKCE)",
            status_code=302, response_class=RedirectResponse, responses=TO_PROVIDER | SIGN_IN)
def login(request: Request, _: PublicGuard, next: Annotated[str, Query(description=(
        "A portal page to return to, signed in by a cookie; without it the callback answers "
        "the bearer token as JSON"))] = "") -> RedirectResponse:
    ratelimit.limit(request, "login")
    s = get_access_settings()
    meta = jwks.issuer_metadata(s.oidc_issuer)
    verifier, nonce = generate_token(64), generate_token(32)
    portal_next = _portal_path(next)
    with _client(s) as client:
        url, state = client.create_authorization_url(
            meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce,
            state=(PORTAL_STATE if portal_next else "") + generate_token(48))
    pending = tokens.issue({"state": state, "nonce": nonce, "verifier": verifier,
                            "next": portal_next}, s, audience=LOGIN_AUDIENCE, ttl=LOGIN_TTL)
    response = RedirectResponse(url, status_code=302)
    response.set_cookie(COOKIE, pending, max_age=LOGIN_TTL, path=COOKIE_PATH, httponly=True,
                        secure=s.cookie_secure, samesite="lax")
    return response


def _exchange(s: AccessSettings, code: str, verifier: str) -> dict[str, Any]:
    meta = jwks.issuer_metadata(s.oidc_issuer)
    try:
        with _client(s) as client:
            token: dict[str, Any] = client.fetch_token(
                meta["token_endpoint"], grant_type="authorization_code", code=code,
                code_verifier=verifier)
    except (OAuthError, HTTPError, ValueError) as exc:
        raise Unauthenticated(LOGIN_FAILED) from exc
    return token


def _back_to_portal(why: str) -> Response:
    """A portal sign-in that did not complete goes back to the portal's sign-in page, which
    says ``why`` and offers to start again, not the API's JSON in the citizen's browser.
    Nothing was written before it."""
    response = RedirectResponse(f"{PORTAL}/?{why}=1", status_code=303)
    response.headers["Cache-Control"] = "no-store"
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response


@router.get("/auth/callback", summary="Where the e-identity provider returns the browser",
            response_model=CitizenToken, responses=TO_PORTAL | SIGN_IN)
def callback(request: Request, _: PublicGuard,
             code: Annotated[str, Query(description="The provider's authorization code")] = "",
             state: Annotated[str, Query(description="The state sent at sign-in, returned")] = "",
             sibook_login: Annotated[str | None, Cookie(description=(
                 "The sign-in in progress, set by /auth/login for 10 minutes"))] = None
             ) -> Response:
    ratelimit.limit(request, "login")
    s = get_access_settings()
    try:
        if not sibook_login:  # its 10 minutes passed (the browser dropped it), or none was set
            raise Unauthenticated(LOGIN_FAILED)
        pending = tokens.verify_own(sibook_login, LOGIN_AUDIENCE, s)
    except Unauthenticated:
        if not state.startswith(PORTAL_STATE):
            raise
        return _back_to_portal("timed_out")
    next_ = _portal_path(str(pending.get("next") or ""))
    try:
        if not code or not hmac.compare_digest(str(pending.get("state", "")), state):
            raise Unauthenticated(LOGIN_FAILED)
        token = _exchange(s, code, str(pending["verifier"]))
        claims = tokens.verify_oidc(str(token.get("id_token", "")), s)
        if not hmac.compare_digest(str(claims.get("nonce", "")), str(pending["nonce"])):
            raise Unauthenticated(LOGIN_FAILED)
        citizen = tokens.citizen_from_oidc(claims, s)
    except Unauthenticated:
        if not next_:
            raise
        # A portal sign-in that did not complete (cancelled at the provider, a stale or
        # replayed answer).
        return _back_to_portal("failed")
    claims = {"sub": citizen.personal_id, "kind": "citizen",
              "personal_id": citizen.personal_id, "level": citizen.level}
    response: Response
    if next_:
        response = RedirectResponse(next_, status_code=303)
        session = {"sid": uuid.uuid4().hex, "auth_time": int(time.time())}
        set_session_cookie(response, tokens.issue(claims | session, s), s.access_token_ttl, s)
    else:
        access_token = tokens.issue(claims, s)
        response = JSONResponse({"access_token": access_token, "token_type": "Bearer",
                                 "expires_in": s.access_token_ttl,
                                 "assurance_level": citizen.level})
    response.headers["Cache-Control"] = "no-store"
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response
