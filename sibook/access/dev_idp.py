"""A small OpenID provider for development and tests; its users are the database's persons
and the citizens of its population database.

Standard endpoints (discovery, JWKS, authorize, token, userinfo) on Authlib's server, with PKCE
and nonce required. Sign in with any such personal ID and the one development password
(SIBOOK_DEV_IDP_PASSWORD, or generated into keys_dir/dev-idp-password and printed). The form
also picks the assurance level, to try a level-1 account. Never run it in production.

Run alone with ``sibook access dev-idp``, or mounted at /dev-idp when SIBOOK_DEV_IDP=1.
"""

from __future__ import annotations

import hmac
import html
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from authlib.oauth2 import OAuth2Error  # type: ignore[import-untyped]
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from sibook.access import credentials, ratelimit, scope
from sibook.access.dev_idp_server import (
    DevClient,
    DevUser,
    Memory,
    StarletteRequest,
    build_server,
    load_rsa_key,
)
from sibook.access.settings import AccessSettings, get_access_settings
from sibook.core.config import secret_made_once
from sibook.core.db import default_engine, unit_of_work
from sibook.core.schema import metadata

WRONG = "Personal ID or password is wrong."  # one message: unknown ID, wrong password, locked
# English, as its words are; an icon of its own (none), so the browser does not ask for
# /favicon.ico, a 404 in the console of the walk through sign-in; a phone's width.
FORM = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<title>sibook dev e-identity</title></head><body>
<h1>Development e-identity (not VNeID)</h1><p style="color:#b00">{error}</p>
<form method="post" action="{action}">{hidden}
<label>Personal ID <input name="personal_id" inputmode="numeric" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<label>Assurance level <select name="level"><option value="2">2</option>
<option value="1">1</option></select></label>
<button type="submit">Sign in</button></form></body></html>"""


def dev_password(s: AccessSettings) -> str:
    if s.dev_idp_password:
        return s.dev_idp_password
    path = Path(s.keys_dir) / "dev-idp-password"
    password = secret_made_once(path, lambda: secrets.token_urlsafe(12).encode()).decode().strip()
    print(f"dev identity provider password (from {path}): {password}", file=sys.stderr)
    return password


def _oauth(request: Request, form: dict[str, str]) -> StarletteRequest:
    return StarletteRequest(request.method, str(request.url), request.headers,  # case-insensitive
                            dict(request.query_params), form)


def _form_page(action: str, params: dict[str, str], error: str = "", status: int = 200,
               ) -> HTMLResponse:
    hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in params.items() if k not in ("personal_id", "password", "level"))
    return HTMLResponse(FORM.format(error=html.escape(error), action=html.escape(action),
                                    hidden=hidden), status_code=status)


def _reply(result: tuple[int, Any, Any]) -> Response:
    status, body, headers = result
    headers = dict(headers or [])
    if status == 302:
        return RedirectResponse(headers["Location"], status_code=302)
    return JSONResponse(body, status_code=status, headers=headers)


def create_dev_idp(*, issuer: str | None = None, engine: Engine | None = None,
                   settings: AccessSettings | None = None) -> FastAPI:
    s = settings or get_access_settings()
    iss = (issuer or s.oidc_issuer).rstrip("/")
    password = dev_password(s)
    key = load_rsa_key(s.keys_dir)
    memory = Memory()
    server = build_server(issuer=iss, key=key, memory=memory, client=DevClient(
        s.oidc_client_id, s.oidc_client_secret, (s.oidc_redirect_uri,)))
    app = FastAPI(title="sibook development identity provider", docs_url=None, openapi_url=None)

    def find_user(session: Session, personal_id: str, level: int) -> DevUser | None:
        """A registered person, or any citizen of the population database: the national
        e-identity is every citizen's, registered for SI or not (so one can join it)."""
        p, citizens = scope.persons(), metadata.tables["population_citizens"]
        name = session.scalar(select(p.c.full_name).where(p.c.personal_id == personal_id))
        if name is None:
            name = session.scalar(select(citizens.c.full_name).where(
                citizens.c.personal_id == personal_id))
        return DevUser(personal_id, name, level) if name is not None else None

    def sign_in(personal_id: str, given: str, level: int) -> DevUser | None:
        key_ = credentials.subject("idp", personal_id)
        now = datetime.now(UTC)
        with unit_of_work(engine or default_engine()) as session:
            if credentials.is_locked(session, key_, now):
                return None
            user = find_user(session, personal_id, level)
            if user is None or not hmac.compare_digest(given.encode(), password.encode()):
                credentials.record_failure(session, key_, now, s)
                return None
            credentials.signed_in(session, key_, now, s)
        return user

    @app.get("/.well-known/openid-configuration")
    def discovery() -> dict[str, Any]:
        return {"issuer": iss, "authorization_endpoint": f"{iss}/authorize",
                "token_endpoint": f"{iss}/token", "userinfo_endpoint": f"{iss}/userinfo",
                "jwks_uri": f"{iss}/jwks.json", "response_types_supported": ["code"],
                "subject_types_supported": ["public"], "scopes_supported": ["openid", "profile"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"], "acr_values_supported": ["1", "2"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic", "client_secret_post", "none"],
                "claims_supported": ["sub", "personal_id", "name", "acr"]}

    @app.get("/jwks.json")
    def jwks() -> dict[str, Any]:
        return {"keys": [{**key.as_dict(private=False), "kid": key.thumbprint(),
                          "alg": "RS256", "use": "sig"}]}

    @app.get("/authorize", response_model=None)
    def authorize_page(request: Request) -> Response:
        try:
            server.get_consent_grant(_oauth(request, {}))
        except OAuth2Error as exc:  # never redirect to an unvalidated redirect_uri
            return JSONResponse({"error": exc.error}, status_code=400)
        return _form_page(str(request.url.path), dict(request.query_params))

    @app.post("/authorize", response_model=None)
    async def authorize(request: Request) -> Response:
        ratelimit.limit(request, "dev-idp")
        form = {k: str(v) for k, v in (await request.form()).items()}
        oauth = _oauth(request, form)
        try:
            grant = server.get_consent_grant(oauth)
        except OAuth2Error as exc:
            return JSONResponse({"error": exc.error}, status_code=400)
        level = 1 if form.get("level") == "1" else 2
        user = sign_in(form.get("personal_id", "")[:12], form.get("password", ""), level)
        if user is None:
            return _form_page(str(request.url.path), form, WRONG, status=401)
        return _reply(server.create_authorization_response(oauth, grant_user=user, grant=grant))

    @app.post("/token")
    async def token(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        return _reply(server.create_token_response(_oauth(request, form)))

    @app.get("/userinfo")
    def userinfo(request: Request) -> Response:
        header = request.headers.get("authorization", "")
        user = memory.user_of_token(header[7:]) if header.lower().startswith("bearer ") else None
        if user is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401,
                                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return JSONResponse({"sub": user.personal_id, "personal_id": user.personal_id,
                             "name": user.full_name, "acr": str(user.level)})

    return app
