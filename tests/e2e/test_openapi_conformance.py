"""Every answer the API sends is one its OpenAPI declares: the status, the content type for that
status, and for JSON the body's shape. ``assert_conforms`` is the check (the authorisation
matrix runs it on every answer too); the tests below reach the answers the matrix does not: a
body that cannot be parsed, the token endpoint's OAuth errors, sign-in, an unreachable
e-identity provider."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, validators
from sqlalchemy import Engine

from sibook.access import credentials, jwks, oidc_client, ratelimit, tokens
from sibook.access.settings import get_access_settings
from sibook.api.app import create_app
from sibook.core.db import make_engine, unit_of_work
from sibook.ids import make_enterprise_code, make_personal_id
from tests.databases import migrated_sqlite
from tests.servers import app_on

Spec = dict[str, Any]
ISSUER = "http://127.0.0.1:9/idp"  # nothing listens on the discard port: an unreachable issuer
CITIZEN = make_personal_id("001", date(1989, 3, 2), "male", 12345)
NOT_UTF8_JSON = b'{"month": "\xff"}'


# JSON Schema counts 2.0 as an integer; a float where an integer (money, a count) is declared
# is a bug here, so an integer is what Python's JSON reader makes one.
_TYPES = Draft202012Validator.TYPE_CHECKER.redefine(
    "integer", lambda checker, value: isinstance(value, int) and not isinstance(value, bool))
_Validator = validators.extend(Draft202012Validator, type_checker=_TYPES)


def schema_problems(value: Any, schema: Spec, spec: Spec) -> list[str]:
    """Where ``value`` breaks ``schema`` (references into ``spec``'s components), by JSON
    Schema 2020-12, the dialect of OpenAPI 3.1: types, required and undeclared properties,
    enums, bounds, patterns and formats."""
    validator = _Validator({**schema, "components": spec["components"]},
                           format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [f"{error.json_path}: {error.message}" for error in validator.iter_errors(value)]


def assert_conforms(spec: Spec, method: str, path: str, r: httpx2.Response) -> None:
    """``r`` (an answer to ``method path``, ``path`` as the OpenAPI names it) is declared: its
    status, the headers declared for it (a 503's Retry-After), its content type for that
    status (none when none is declared), its JSON shape."""
    where = f"{method} {path} answered {r.status_code}"
    responses = spec["paths"][path][method.lower()]["responses"]
    assert str(r.status_code) in responses, f"{where}, which is not declared"
    declared = responses[str(r.status_code)].get("headers", {})
    missing = [h for h, header in declared.items()
               if h not in r.headers and header.get("required", True)]
    assert missing == [], f"{where} without the declared {missing}"
    content = responses[str(r.status_code)].get("content")
    media = r.headers.get("content-type", "").split(";")[0].strip()
    if not content:
        assert not media and not r.content, f"{where} with a {media!r} body; none is declared"
        return
    assert media in content, f"{where} as {media or 'no content type'}; declared {[*content]}"
    schema = content[media].get("schema")
    if media == "application/json" and schema is not None:
        assert schema_problems(r.json(), schema, spec) == [], f"{where}: {r.text[:300]}"


@dataclass
class Site:
    app: FastAPI
    engine: Engine
    spec: Spec


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp: Path = tmp_path_factory.mktemp("conformance")
    mp = pytest.MonkeyPatch()
    for name, value in {"KEYS_DIR": str(tmp / "keys"), "OIDC_ISSUER": ISSUER,
                        "COOKIE_SECURE": "false", "AUTH_RATE_PER_MINUTE": "100000"}.items():
        mp.setenv(f"SIBOOK_{name}", value)
    get_access_settings.cache_clear()
    ratelimit.reset()
    jwks.forget()
    engine = make_engine(migrated_sqlite(tmp / "conformance.db"))
    app = app_on(engine)
    yield Site(app, engine, app.openapi())
    engine.dispose()
    mp.undo()
    get_access_settings.cache_clear()
    jwks.forget()


@pytest.fixture
def client(site: Site) -> TestClient:
    return TestClient(site.app, raise_server_exceptions=False, follow_redirects=False)


def _url(path: str) -> str:
    return (path.replace("{personal_id}", CITIZEN)
            .replace("{code}", make_enterprise_code(5)).replace("{job_id}", "1"))


BODIES = [(method.upper(), path, next(iter(op["requestBody"]["content"])))
          for path, ops in create_app().openapi()["paths"].items()
          for method, op in ops.items() if "requestBody" in op]


@pytest.mark.parametrize(("method", "path", "media"), BODIES)
def test_a_body_that_cannot_be_parsed_is_a_declared_400(site: Site, client: TestClient,
                                                        method: str, path: str, media: str
                                                        ) -> None:
    # JSON that is not UTF-8, not JSON at all, or sent as a form; multipart without its boundary
    # (a form route reads both kinds)
    broken = ([(NOT_UTF8_JSON, "application/json"), (b'{"month": 2026', "application/json"),
               (b"month=2026-01", "application/x-www-form-urlencoded")]  # curl -d's default
              if media == "application/json" else [(b"--x\r\n", "multipart/form-data")])
    # A form body parses (as raw text), so a route that needs a token may refuse the missing
    # token first; a public route, or JSON that cannot be read at all, is the 400.
    public = {} in site.spec["paths"][path][method.lower()].get("security", [{}])
    for content, content_type in broken:
        r = client.request(method, _url(path), content=content,
                           headers={"Content-Type": content_type})
        token_first = content_type.endswith("urlencoded") and not public
        assert r.status_code in ((400, 401) if token_first else (400,)), r.text
        assert_conforms(site.spec, method, path, r)


@pytest.mark.parametrize(("content", "media"), [
    (b"--x\r\n", "multipart/form-data"),  # no boundary
    (NOT_UTF8_JSON, "application/json"),  # not a form at all
    (b"client_id=acme", "application/x-www-form-urlencoded"),  # no grant_type
])
def test_the_token_endpoint_answers_what_it_cannot_read_as_oauth_invalid_request(
        site: Site, client: TestClient, content: bytes, media: str) -> None:
    r = client.post("/api/v1/auth/token", content=content, headers={"Content-Type": media})
    assert (r.status_code, r.json()) == (400, {"error": "invalid_request"})
    assert_conforms(site.spec, "POST", "/api/v1/auth/token", r)


def test_the_token_endpoint_judges_client_credentials_not_a_bearer_token(
        site: Site, client: TestClient) -> None:
    with unit_of_work(site.engine) as s:
        secret = credentials.create_client(session=s, client=credentials.NewClient(
            "bach-mai-http", "hospital"))
    form = {"grant_type": "client_credentials", "client_id": "bach-mai-http"}
    stray = {"Authorization": "Bearer x"}
    ok = client.post("/api/v1/auth/token", data={**form, "client_secret": secret}, headers=stray)
    wrong = client.post("/api/v1/auth/token", data={**form, "client_secret": "no"}, headers=stray)
    assert ok.status_code == 200 and ok.json()["token_type"] == "Bearer"
    assert (wrong.status_code, wrong.json()) == (401, {"error": "invalid_client"})
    for r in (ok, wrong):
        assert_conforms(site.spec, "POST", "/api/v1/auth/token", r)


@pytest.mark.parametrize(("path", "headers"), [
    ("/api/v1/books/{personal_id}/qr", {}),
    ("/api/v1/books/{personal_id}/qr", {"Authorization": "Bearer garbage"}),
    ("/api/v1/books/{personal_id}/card/qr", {}),
    ("/api/v1/trust-list", {"Authorization": "Bearer garbage"}),
])
def test_a_text_route_refuses_in_json_as_declared(site: Site, client: TestClient, path: str,
                                                 headers: dict[str, str]) -> None:
    r = client.get(_url(path), headers=headers)
    assert r.status_code == 401 and r.headers["content-type"] == "application/json"
    assert_conforms(site.spec, "GET", path, r)


def test_only_a_success_may_be_other_than_json(site: Site) -> None:
    media = {(m.upper(), p, status): [*answer.get("content", {})]
             for p, ops in site.spec["paths"].items() for m, op in ops.items()
             for status, answer in op["responses"].items()}
    assert {k: v for k, v in media.items() if int(k[2]) >= 400 and v != ["application/json"]} == {}
    assert media["GET", "/api/v1/books/{personal_id}/qr", "200"] == ["text/plain"]
    assert media["GET", "/api/v1/trust-list", "200"] == ["application/x-pem-file"]
    assert media["GET", "/api/v1/books/{personal_id}/pdf", "200"] == ["application/pdf"]
    assert media["GET", "/api/v1/books/{personal_id}/card.png", "200"] == ["image/png"]
    assert media["GET", "/api/v1/books/{personal_id}/card/qr", "200"] == ["text/plain"]


ANSWER = {"version": 1, "content_hash": "a" * 64, "prev_hash": None, "book": {}}


@pytest.mark.parametrize(("answer", "problem"), [
    ({**ANSWER, "signed": True}, "'signed' was unexpected"),  # additionalProperties: false
    ({k: v for k, v in ANSWER.items() if k != "prev_hash"}, "'prev_hash' is a required"),
    ({**ANSWER, "version": 1.0}, "1.0 is not of type 'integer'"),  # a float for a count
    ({**ANSWER, "version": 0}, "0 is less than the minimum of 1"),
    ({**ANSWER, "content_hash": "A" * 64}, "does not match '^[0-9a-f]{64}$'"),
    ({**ANSWER, "prev_hash": 7}, "7 is not valid under any of the given schemas"),
])
def test_an_answer_off_its_declared_shape_is_named(site: Site, answer: dict[str, Any],
                                                   problem: str) -> None:
    book = {"$ref": "#/components/schemas/BookAnswer"}
    problems = schema_problems(answer, book, site.spec)
    assert any(problem in p for p in problems), problems


def _objects(schema: Spec, spec: Spec) -> Iterator[tuple[str, Spec]]:
    """Each object schema ``schema`` is or holds, by name, following references."""
    refs = {ref.rsplit("/", 1)[-1] for ref in re.findall(r'"\$ref": "([^"]+)"', json.dumps(schema))}
    for name in sorted(refs):
        found = spec["components"]["schemas"][name]
        yield name, found
        yield from _objects(found, spec)


def test_every_json_body_refuses_a_key_it_does_not_know(site: Site) -> None:
    """A misspelt or unknown key is a 422 naming it, never dropped without a word: each JSON
    body, and each object in it, says so (``additionalProperties: false``)."""
    open_ = {name for _, path, media in BODIES if media == "application/json"
             for method in site.spec["paths"][path]
             for name, schema in _objects(site.spec["paths"][path][method].get(
                 "requestBody", {}).get("content", {}).get(media, {}), site.spec)
             if schema.get("type") == "object" and schema.get("additionalProperties") is not False}
    assert open_ == set()


def test_every_operation_that_takes_a_body_declares_a_400(site: Site) -> None:
    assert all("400" in site.spec["paths"][p][m.lower()]["responses"] for m, p, _ in BODIES)


def _unsigned(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'RS256', 'kid': 'k1'})}.{part(claims)}.c2ln"


def test_an_unreachable_identity_provider_is_a_declared_503(site: Site,
                                                            client: TestClient) -> None:
    # A token naming the e-identity issuer is checked against its keys, which cannot be fetched.
    token = _unsigned({"iss": ISSUER, "personal_id": CITIZEN})
    r = client.get("/api/v1/persons", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 503, r.text
    assert_conforms(site.spec, "GET", "/api/v1/persons", r)


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> None:
    """The e-identity provider's side stubbed: discovery, the code exchange, the ID token's
    verification (test_access_oidc plays the real one over HTTP)."""
    monkeypatch.setattr(jwks, "issuer_metadata", lambda issuer: {
        "authorization_endpoint": f"{issuer}/authorize", "token_endpoint": f"{issuer}/token"})
    # The code the browser brings back stands for the ID token, which here is its claims as JSON.
    monkeypatch.setattr(oidc_client, "_exchange", lambda s, code, verifier: {"id_token": code})
    monkeypatch.setattr(tokens, "verify_oidc", lambda token, s: json.loads(token))


def _sign_in(site: Site, client: TestClient, next_: str = "") -> httpx2.Response:
    start = client.get("/api/v1/auth/login", params={"next": next_} if next_ else {})
    assert start.status_code == 302
    assert_conforms(site.spec, "GET", "/api/v1/auth/login", start)
    query = {k: v[0] for k, v in parse_qs(urlsplit(start.headers["location"]).query).items()}
    claims = {"nonce": query["nonce"], "personal_id": CITIZEN, "acr": "2"}
    return client.get("/api/v1/auth/callback",
                      params={"code": json.dumps(claims), "state": query["state"]})


@pytest.mark.usefixtures("provider")
def test_a_sign_in_from_an_app_ends_with_a_declared_token(site: Site, client: TestClient
                                                          ) -> None:
    r = _sign_in(site, client)
    assert r.status_code == 200 and r.json()["assurance_level"] == 2, r.text
    assert_conforms(site.spec, "GET", "/api/v1/auth/callback", r)


@pytest.mark.usefixtures("provider")
def test_a_sign_in_from_the_portal_ends_with_a_declared_redirect(site: Site, client: TestClient
                                                                 ) -> None:
    r = _sign_in(site, client, next_="/portal/")
    assert (r.status_code, r.headers["location"]) == (303, "/portal/"), r.text
    assert_conforms(site.spec, "GET", "/api/v1/auth/callback", r)


def test_every_parameter_says_what_it_is(site: Site) -> None:
    """A client written from the document alone knows what each parameter means (the ledger's
    ``from`` lists months from it while its summary counts them all)."""
    bare = [f"{m.upper()} {p} {x['name']}" for p, ops in site.spec["paths"].items()
            for m, op in ops.items() for x in op.get("parameters", [])
            if not (x.get("description") or x.get("schema", {}).get("description"))]
    assert bare == []
