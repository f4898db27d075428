"""Citizen sign-in end to end over real HTTP: the app and the development identity provider
run in uvicorn on a free loopback port; the test plays the browser."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import Engine

from sibook.access import jwks, ratelimit, tokens
from sibook.access.dev_idp import WRONG, create_dev_idp
from sibook.access.dev_idp_server import load_rsa_key
from sibook.access.oidc_client import COOKIE, COOKIE_PATH, LOGIN_AUDIENCE, SESSION_COOKIE
from sibook.access.settings import get_access_settings
from sibook.core.db import make_engine, unit_of_work
from sibook.ids import make_personal_id
from sibook.registry import service
from sibook.registry.new_person import NewPerson
from tests.databases import migrated_sqlite
from tests.servers import app_on, free_port, serving

AN = make_personal_id("001", date(1989, 3, 2), "male", 12345)
BINH = make_personal_id("079", date(1991, 7, 9), "female", 222)


@dataclass
class Site:
    base: str
    issuer: str
    password: str
    keys_dir: str



def _seed(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        for pid, born, sex, place in ((AN, date(1989, 3, 2), "male", "001"),
                                      (BINH, date(1991, 7, 9), "female", "079")):
            service.register_person(session=s, person=NewPerson(
                personal_id=pid, full_name=f"Person {pid}", birth_date=born, sex=sex,
                birth_registration_place=place))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp: Path = tmp_path_factory.mktemp("oidc")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    password = secrets.token_urlsafe(12)
    mp = pytest.MonkeyPatch()
    for name, value in {"KEYS_DIR": str(tmp / "keys"), "OIDC_ISSUER": f"{base}/dev-idp",
                        "OIDC_REDIRECT_URI": f"{base}/api/v1/auth/callback",
                        "OIDC_CLIENT_SECRET": secrets.token_urlsafe(24),
                        "COOKIE_SECURE": "false", "DEV_IDP_PASSWORD": password,
                        "AUTH_RATE_PER_MINUTE": "1000"}.items():
        mp.setenv(f"SIBOOK_{name}", value)
    get_access_settings.cache_clear()
    jwks.forget()
    ratelimit.reset()
    engine = make_engine(migrated_sqlite(tmp / "oidc.db"))
    _seed(engine)
    app = app_on(engine)
    app.mount("/dev-idp", create_dev_idp(engine=engine))
    with serving(app, port):
        yield Site(base, f"{base}/dev-idp", password, str(tmp / "keys"))
    engine.dispose()
    mp.undo()
    get_access_settings.cache_clear()
    jwks.forget()


def _sign_in(site: Site, personal_id: str, password: str, level: int = 2,
             login: str = "/api/v1/auth/login") -> tuple[httpx2.Client, httpx2.Response]:
    """Play the browser: login -> provider form -> submit -> callback. Returns the last answer."""
    browser = httpx2.Client(base_url=site.base, follow_redirects=False, timeout=10)
    start = browser.get(login)
    assert start.status_code == 302
    form_page = browser.get(start.headers["location"])
    assert form_page.status_code == 200
    hidden = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form_page.text))
    action = re.search(r'action="([^"]+)"', form_page.text)
    assert action is not None
    submitted = browser.post(f"{site.base}{action.group(1)}", data={
        **{k: v.replace("&amp;", "&") for k, v in hidden.items()},
        "personal_id": personal_id, "password": password, "level": str(level)})
    if submitted.status_code != 302:
        return browser, submitted
    return browser, browser.get(submitted.headers["location"])


def test_the_provider_publishes_discovery_and_keys(site: Site) -> None:
    meta = httpx2.get(f"{site.issuer}/.well-known/openid-configuration").json()
    assert meta["issuer"] == site.issuer and "S256" in meta["code_challenge_methods_supported"]
    assert httpx2.get(meta["jwks_uri"]).json()["keys"][0]["kty"] == "RSA"


def test_a_citizen_signs_in_and_sees_their_own_record_and_access_log(site: Site) -> None:
    browser, answer = _sign_in(site, AN, site.password)
    assert answer.status_code == 200, answer.text
    assert answer.json()["assurance_level"] == 2
    auth = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    me = browser.get("/api/v1/me", headers=auth)
    assert me.status_code == 200 and me.json()["personal_id"] == AN
    log = browser.get("/api/v1/me/access-log", headers=auth).json()["entries"]
    assert {e["action"] for e in log} >= {"me.read"} and all(e["actor"] == "you" for e in log)
    assert browser.get(f"/api/v1/persons/{BINH}", headers=auth).status_code == 403


def test_a_portal_sign_in_starts_a_session_and_a_bearer_sign_in_none(site: Site) -> None:
    """The portal's cookie holds a token of a session (its id and sign-in time, carried by
    every renewal); the token answered as JSON belongs to no session, so it is never renewed."""
    before = int(time.time())
    browser, answer = _sign_in(site, AN, site.password,
                               login="/api/v1/auth/login?next=/portal/book")
    assert answer.status_code == 303 and answer.headers["location"] == "/portal/book"
    audience = get_access_settings().access_token_audience
    claims = tokens.verify_own(browser.cookies[SESSION_COOKIE], audience)
    assert len(claims["sid"]) == 32 and before <= claims["auth_time"] <= claims["iat"]
    _, bearer = _sign_in(site, AN, site.password)
    assert not {"sid", "auth_time"} & set(tokens.verify_own(bearer.json()["access_token"],
                                                              audience))


def test_a_level_1_account_signs_in_but_gets_no_personal_data(site: Site) -> None:
    browser, answer = _sign_in(site, AN, site.password, level=1)
    assert answer.status_code == 200 and answer.json()["assurance_level"] == 1
    auth = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    assert browser.get("/api/v1/me", headers=auth).status_code == 403


def test_a_wrong_password_and_an_unknown_id_get_the_same_answer(site: Site) -> None:
    _, wrong = _sign_in(site, BINH, "not the password")
    _, unknown = _sign_in(site, "001099000001", site.password)
    assert wrong.status_code == unknown.status_code == 401
    assert WRONG in wrong.text and WRONG in unknown.text


def test_a_callback_without_the_login_cookie_is_refused(site: Site) -> None:
    r = httpx2.get(f"{site.base}/api/v1/auth/callback?code=abc&state=xyz")
    assert r.status_code == 401


@pytest.mark.parametrize("login_cookie", ["dropped", "expired"])
def test_a_portal_sign_in_left_past_ten_minutes_comes_back_to_a_page_to_start_again(
        site: Site, login_cookie: str) -> None:
    """The browser drops the login cookie after its 10 minutes (or keeps it, its token past
    its expiry): the portal's sign-in page says the sign-in expired, not the API's JSON 401."""
    browser = httpx2.Client(base_url=site.base, follow_redirects=False, timeout=10)
    start = browser.get("/api/v1/auth/login?next=/portal/book")
    form_page = browser.get(start.headers["location"])
    hidden = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form_page.text))
    action = re.search(r'action="([^"]+)"', form_page.text)
    assert action is not None
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    browser.cookies.clear()
    if login_cookie == "expired":
        browser.cookies.set(COOKIE, tokens.issue(
            {"state": state, "nonce": "n", "verifier": "v", "next": "/portal/book"},
            audience=LOGIN_AUDIENCE, ttl=-3600), path=COOKIE_PATH)
    submitted = browser.post(f"{site.base}{action.group(1)}", data={
        **{k: v.replace("&amp;", "&") for k, v in hidden.items()},
        "personal_id": AN, "password": site.password, "level": "2"})
    back = browser.get(submitted.headers["location"])
    assert back.status_code == 303 and back.headers["location"] == "/portal/?timed_out=1"
    page = browser.get(back.headers["location"])
    assert page.status_code == 200 and "The sign-in expired" in page.text
    assert 'href="/api/v1/auth/login?next=/portal/book"' in page.text  # start again
    assert SESSION_COOKIE not in browser.cookies


def _id_token(key: RSAKey, site: Site, **changes: Any) -> str:
    now = int(time.time())
    claims = {"iss": site.issuer, "aud": "sibook", "sub": AN, "personal_id": AN, "acr": "2",
              "iat": now, "exp": now + 300, **changes}
    return jwt.encode({"alg": "RS256", "kid": key.thumbprint()}, claims, key, algorithms=["RS256"])


def test_an_issuer_id_token_is_verified_against_the_jwks(site: Site) -> None:
    key = load_rsa_key(site.keys_dir)
    forged_key = RSAKey.generate_key(2048, private=True)
    cases = {
        "good": (_id_token(key, site), 200),
        "expired": (_id_token(key, site, exp=int(time.time()) - 600), 401),
        "wrong audience": (_id_token(key, site, aud="someone-else"), 401),
        "level 1": (_id_token(key, site, acr="1"), 403),
        "forged": (_id_token(forged_key, site), 401),
    }
    for name, (token, expected) in cases.items():
        # The first answer fetches the issuer's keys from the same server: 5 s (httpx2's
        # default) is too little on a loaded 2-core CI machine.
        r = httpx2.get(f"{site.base}/api/v1/me", headers={"Authorization": f"Bearer {token}"},
                       timeout=60)
        assert r.status_code == expected, name
