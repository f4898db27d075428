"""The portal's session: renewed on activity, under a cap from the sign-in, ended whole.

A citizen reading their book used to be sent back to sign in ten minutes after signing in,
however active. Now a page they open with less than half of the session token's life left
answers with a fresh token of the same session (same claims, same ``sid`` and ``auth_time``),
never past ``portal_session_max_seconds`` from the sign-in; signing out refuses the session's
id, so a copy of a token it had before a renewal is refused too. Time is driven by minting
tokens aged (past ``iat`` and ``exp``), never by waiting."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from sibook.access import tokens
from sibook.access.oidc_client import SESSION_COOKIE
from sibook.access.settings import get_access_settings
from tests.e2e.test_access_matrix import OWN, populated_app
from tests.e2e.test_portal_pages import SITE

TTL, CAP = 600, 8 * 3600  # the settings' defaults


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    app, engine, _ = populated_app(tmp_path / "portal-session.db")
    yield TestClient(app, raise_server_exceptions=False)
    engine.dispose()
    get_access_settings.cache_clear()


def session_token(*, age: int, signed_in_ago: int | None = None, level: int = 2,
                  sid: str | None = None) -> str:
    """A portal session's token issued ``age`` seconds ago (its TTL counted from then), in a
    session signed in ``signed_in_ago`` seconds ago (default: when the token was issued)."""
    now = int(time.time())
    return tokens.issue({"sub": OWN, "kind": "citizen", "personal_id": OWN, "level": level,
                         "sid": sid or uuid.uuid4().hex,
                         "auth_time": now - (age if signed_in_ago is None else signed_in_ago)},
                        issued_at=now - age)


def with_cookie(c: TestClient, token: str) -> TestClient:
    """The browser holding this one session cookie (the jar keeps a renewed one apart: it is
    Secure, and the test client's site is plain HTTP)."""
    c.cookies.clear()
    c.cookies.set(SESSION_COOKIE, token, path="/portal")
    return c


def claims_of(token: str) -> dict[str, Any]:
    return tokens.verify_own(token, get_access_settings().access_token_audience)


def session_cookies(r: Response) -> list[str]:
    return [h for h in r.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "=")]


def renewed(r: Response) -> str | None:
    """The token a page answered in a new session cookie, if it did."""
    found = [h.split(";")[0].split("=", 1)[1] for h in session_cookies(r)]
    assert len(found) <= 1
    return found[0].strip('"') or None if found else None


def test_a_page_opened_after_half_the_tokens_life_renews_the_same_session(
        client: TestClient) -> None:
    old = session_token(age=TTL // 2 + 100)
    page = with_cookie(client, old).get("/portal/book")
    assert page.status_code == 200
    new = renewed(page)
    assert new is not None and new != old
    before, after = claims_of(old), claims_of(new)
    for kept in ("sub", "kind", "personal_id", "level", "sid", "auth_time"):
        assert after[kept] == before[kept], kept
    assert after["jti"] != before["jti"]
    assert after["exp"] - after["iat"] == TTL and after["exp"] > before["exp"]
    cookie = session_cookies(page)[0]
    for attribute in ("HttpOnly", "Path=/portal", "SameSite=lax", "Secure", f"Max-Age={TTL}"):
        assert attribute in cookie, cookie
    # The next page, with the new one early in its life, renews nothing.
    again = with_cookie(client, new).get("/portal/visits")
    assert again.status_code == 200 and renewed(again) is None


def test_a_page_opened_in_the_first_half_of_the_tokens_life_renews_nothing(
        client: TestClient) -> None:
    page = with_cookie(client, session_token(age=TTL // 2 - 100)).get("/portal/book")
    assert page.status_code == 200 and session_cookies(page) == []


def test_a_renewal_near_the_cap_ends_at_the_cap(client: TestClient) -> None:
    """The token ends in 200 s: with the cap 300 s away it is renewed to the cap, not for a
    full TTL; with the cap 100 s away, before it ends, nothing later can be given."""
    old = session_token(age=TTL // 2 + 100, signed_in_ago=CAP - 300)
    page = with_cookie(client, old).get("/portal/book")
    new = renewed(page)
    assert page.status_code == 200 and new is not None
    claims = claims_of(new)
    assert claims["exp"] == claims["auth_time"] + CAP > claims_of(old)["exp"]
    assert claims["exp"] - claims["iat"] < TTL
    last = session_token(age=TTL // 2 + 100, signed_in_ago=CAP - 100)
    page = with_cookie(client, last).get("/portal/book")
    assert page.status_code == 200 and session_cookies(page) == []


def test_past_the_cap_the_session_goes_back_to_sign_in(client: TestClient) -> None:
    """Its token is unexpired (issued 5 minutes ago), but the sign-in was over 8 hours ago:
    refused as an expired session is, on the portal and at the API alike."""
    token = session_token(age=300, signed_in_ago=CAP + 60)
    page = with_cookie(client, token).get("/portal/book", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/portal/?expired=1"
    assert all('sibook_session=""' in h for h in session_cookies(page))
    api = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401


def test_sign_out_ends_the_session_and_a_copy_of_a_token_it_had_before_a_renewal(
        client: TestClient) -> None:
    old = session_token(age=TTL // 2 + 100)
    new = renewed(with_cookie(client, old).get("/portal/book"))
    assert new is not None
    assert with_cookie(client, new).post("/portal/sign-out", headers=SITE, follow_redirects=False
                       ).status_code == 303
    copy = with_cookie(client, old).get("/portal/book", follow_redirects=False)
    assert copy.status_code == 303 and copy.headers["location"] == "/portal/?expired=1"
    assert all('sibook_session=""' in h for h in session_cookies(copy))  # not renewed
    for token in (old, new):
        api = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 401


def test_a_scripts_sign_out_of_a_session_token_ends_its_session_too(
        client: TestClient) -> None:
    sid = uuid.uuid4().hex
    older, current = session_token(age=TTL - 60, sid=sid), session_token(age=10, sid=sid)
    ended = client.post("/api/v1/auth/sign-out", headers={"Authorization": f"Bearer {current}"})
    assert ended.status_code == 204
    page = with_cookie(client, older).get("/portal/book", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/portal/?expired=1"


@pytest.mark.parametrize("refused", ["level 1", "form from another site"])
def test_a_refused_page_renews_nothing(client: TestClient, refused: str) -> None:
    level = 1 if refused == "level 1" else 2
    c = with_cookie(client, session_token(age=TTL // 2 + 100, level=level))
    page = (c.get("/portal/book") if level == 1 else
            c.post("/portal/book", headers={"Origin": "https://elsewhere.example"}))
    assert page.status_code == 403 and session_cookies(page) == []


def test_an_api_bearer_token_is_never_renewed(client: TestClient) -> None:
    """At the API, even a session's token (the API reads no cookie); on the portal, a bearer
    token of no session (from the JSON sign-in, put in the cookie by hand) expires as issued."""
    session = session_token(age=TTL // 2 + 100)
    api = client.get("/api/v1/me", headers={"Authorization": f"Bearer {session}"})
    assert api.status_code == 200 and "set-cookie" not in api.headers
    plain = tokens.issue({"sub": OWN, "kind": "citizen", "personal_id": OWN, "level": 2},
                         issued_at=int(time.time()) - TTL // 2 - 100)
    page = with_cookie(client, plain).get("/portal/book")
    assert page.status_code == 200 and session_cookies(page) == []
