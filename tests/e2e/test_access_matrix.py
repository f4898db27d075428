"""The authorisation matrix, generated from the app's route table: every role x every /api/v1
route x own / other / other-realm person. A route that declares no action fails the suite, and
every answer must be one the OpenAPI declares (status, content type, JSON shape)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, routing
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select

from sibook.access import audit, chain, credentials, ratelimit, tokens
from sibook.access.deps import TOKEN_REQUIRED, declared_action
from sibook.access.policy import Action, permits
from sibook.access.principals import (
    Anonymous,
    Citizen,
    EmployerUnit,
    Hospital,
    Officer,
    Principal,
)
from sibook.access.settings import get_access_settings
from sibook.api.app import create_app
from sibook.core.db import make_engine, unit_of_work
from sibook.core.errors import ValidationError
from sibook.core.schema import metadata
from sibook.ids import make_enterprise_code, make_personal_id
from sibook.registry import reading, service
from sibook.registry.new_employer import NewEmployer
from sibook.registry.new_household import HouseholdMemberIn, NewHousehold
from sibook.registry.new_person import NewPerson
from tests.databases import migrated_sqlite
from tests.e2e.test_openapi_conformance import assert_conforms
from tests.servers import app_on

OWN = make_personal_id("001", date(1989, 3, 2), "male", 12345)
OTHER = make_personal_id("079", date(1991, 7, 9), "female", 222)
HIDDEN = make_personal_id("001", date(1985, 1, 1), "male", 777)  # defence realm
UNIT_A, UNIT_B = make_enterprise_code(5), make_enterprise_code(6, "79")

PRINCIPALS: dict[str, Principal] = {
    "anonymous": Anonymous(),
    "citizen": Citizen(OWN, 2),
    "citizen_level1": Citizen(OWN, 1),
    "employer_a": EmployerUnit("acme", UNIT_A),
    "hospital": Hospital("bach-mai"),
    "clerk_hanoi": Officer("hn-clerk", "civil", "01", frozenset({"clerk"})),
    "auditor_national": Officer("auditor", "civil", None, frozenset({"auditor"})),
    "defence_clerk": Officer("mod-clerk", "defence", None, frozenset({"clerk"})),
}
# The specification: whom each principal can see (own works at unit A and lives in Hà Nội;
# other at unit B in province 79; hidden is a defence person who also worked at unit A).
# A hospital checks any civil patient's HI validity (and files its claims, whose file names the
# persons); the defence realm's people stay absent for it like for everyone outside that realm.
SEES = {"employer_a": {OWN}, "clerk_hanoi": {OWN}, "auditor_national": {OWN, OTHER},
        "defence_clerk": {HIDDEN}, "citizen": {OWN}, "hospital": {OWN, OTHER}}


def api_routes(app: FastAPI) -> list[tuple[str, str, Any]]:
    return [(method, rc.path, rc) for rc in routing.iter_route_contexts(app.routes)
            if rc.path.startswith("/api/v1/") and getattr(rc, "dependant", None) is not None
            for method in sorted(rc.methods or ())]


def test_every_api_route_declares_its_action() -> None:
    missing = [f"{m} {p}" for m, p, rc in api_routes(create_app()) if declared_action(rc) is None]
    assert missing == [], f"routes without Depends(require(Action...)): {missing}"


@dataclass
class World:
    client: TestClient
    engine: Engine
    ids: dict[str, int]


def _populate(engine: Engine) -> dict[str, int]:
    periods = metadata.tables["si_periods"]
    with unit_of_work(engine) as s:
        a = service.add_employer(session=s, employer=NewEmployer(
            code=UNIT_A, name="Công ty A", province_code="01", region="I"))
        b = service.add_employer(session=s, employer=NewEmployer(
            code=UNIT_B, name="Công ty B", province_code="79", region="I"))
        ids = {}
        for pid, born, sex, place, realm in (
                (OWN, date(1989, 3, 2), "male", "001", "civil"),
                (OTHER, date(1991, 7, 9), "female", "079", "civil"),
                (HIDDEN, date(1985, 1, 1), "male", "001", "defence")):
            ids[pid] = service.register_person(session=s, person=NewPerson(
                personal_id=pid, full_name=f"Person {pid}", birth_date=born, sex=sex,
                birth_registration_place=place, realm=realm))
        for pid, employer in ((OWN, a), (OTHER, b), (HIDDEN, a)):
            s.execute(insert(periods).values(
                person_id=ids[pid], seq=1, from_month=2020 * 12, to_month=None,
                kind="compulsory", employer_id=employer, salary_basis=10_000_000,
                allowances=0, occupational_rate_bp=50))
        service.add_household(session=s, household=NewHousehold(
            code="HN1", address="Hà Nội", province_code="01",
            members=(HouseholdMemberIn(OWN, "chủ hộ"),)))
    return ids


def populated_app(db: Path) -> tuple[FastAPI, Engine, dict[str, int]]:
    """A fresh database at ``db`` holding the people above, and the app serving it (each
    request's unit of work on that database). Settings must be in place before the call."""
    get_access_settings.cache_clear()
    ratelimit.reset()
    engine = make_engine(migrated_sqlite(db))
    ids = _populate(engine)
    app = app_on(engine)
    return app, engine, ids


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp: Path = tmp_path_factory.mktemp("matrix")
    mp = pytest.MonkeyPatch()
    mp.setenv("SIBOOK_KEYS_DIR", str(tmp / "keys"))
    mp.setenv("SIBOOK_AUTH_RATE_PER_MINUTE", "100000")
    app, engine, ids = populated_app(tmp / "matrix.db")
    periods = metadata.tables["si_periods"]
    with unit_of_work(engine) as s:  # own and hidden paid voluntary SI before they were hired
        for pid in (OWN, HIDDEN):
            s.execute(insert(periods).values(
                person_id=ids[pid], seq=2, from_month=2016 * 12, to_month=2017 * 12 + 11,
                kind="voluntary", employer_id=None, salary_basis=3_000_000, allowances=0,
                occupational_rate_bp=0))
        for seq, pid in enumerate((OWN, OTHER, HIDDEN)):  # a card each, for its QR's route
            s.execute(insert(metadata.tables["hi_cards"]).values(
                person_id=ids[pid], seq=1, card_number=f"DN401012345678{seq}", group_code="DN",
                benefit_level=4, province_code="01", initial_kcb_place="01001",
                valid_from=date(date.today().year, 1, 1),
                valid_to=date(date.today().year, 12, 31)))
    yield World(TestClient(app, raise_server_exceptions=False), engine, ids)
    engine.dispose()
    mp.undo()
    get_access_settings.cache_clear()


def bearer(principal: Principal) -> dict[str, str]:
    claims: dict[str, Any]
    match principal:
        case Anonymous():
            return {}
        case Citizen():
            claims = {"kind": "citizen", "personal_id": principal.personal_id,
                      "level": principal.level}
        case EmployerUnit():
            claims = {"kind": "employer", "unit_code": principal.unit_code}
        case Hospital():
            claims = {"kind": "hospital"} | (
                {"facility_code": principal.facility_code} if principal.facility_code else {})
        case Officer():
            claims = {"kind": "officer", "realm": principal.realm,
                      "province_code": principal.province_code, "roles": sorted(principal.roles)}
    return {"Authorization": f"Bearer {tokens.issue({'sub': principal.actor_id, **claims})}"}


def _targets(path: str) -> tuple[str | None, ...]:
    if "{personal_id}" in path:
        return (OWN, OTHER, HIDDEN)
    if "{code}" in path:
        return (UNIT_A, UNIT_B)
    return (None,)


OPENAPI = create_app().openapi()
# A body the route accepts, for the routes on a person that take one: with an empty body they
# would answer FastAPI's 422 before the person's visibility is decided.
# A claim's dossier number is unique in the country: one per person claimed for.
BODIES: dict[tuple[str, str], Any] = {
    # Paid while their voluntary period (2016-2017) was open: one paid after it ended is
    # refused, no month being left for it.
    ("POST", "/api/v1/persons/{personal_id}/voluntary-payments"): {
        "amount": 100_000, "reference": "MATRIX-1", "paid_on": "2017-12-06"},
    ("POST", "/api/v1/persons/{personal_id}/benefits"): lambda target: {
        "regime": "sickness", "dossier_no": f"MATRIX-{target}", "received_on": "2021-03-20",
        "event_from": "2021-03-01", "event_to": "2021-03-05"},
    ("POST", "/api/v1/persons/{personal_id}/voluntary"): {"income": 3_000_000}}
# Routes whose visible persons may be refused for what their record holds (this world's people
# are employed; a ministry's person starts no voluntary SI), after the person was found: 409 or
# 422, where an unseen one is 404.
REFUSABLE = {("POST", "/api/v1/persons/{personal_id}/voluntary")}
# Each route's declared action, read from one app: building an app a case cost ~0.3 s, over
# 800 cases the module's biggest cost.
ACTIONS = {(m, p): declared_action(rc) for m, p, rc in api_routes(create_app())}
CASES = [(name, m, p, target) for (m, p), action in ACTIONS.items() if action is not None
         for name in PRINCIPALS
         for target in _targets(p)]


@pytest.mark.parametrize(("who", "method", "path", "target"), CASES)
def test_matrix(world: World, who: str, method: str, path: str, target: str | None) -> None:
    principal = PRINCIPALS[who]
    action = ACTIONS[method, path]
    assert action is not None
    url = path.replace("{personal_id}", target or "").replace("{code}", target or "")
    url = re.sub(r"\{[a-z_]+\}", "1", url)  # any other id: a resource that may not exist
    body = BODIES.get((method, path), {}) if method in ("POST", "PUT", "PATCH") else None
    body = body(target) if callable(body) else body
    r = world.client.request(method, url, headers=bearer(principal), json=body)
    assert r.status_code != 500, r.text  # 503 is fine: the e-identity issuer is not up here
    assert_conforms(OPENAPI, method, path, r)
    refusal = permits(principal, action)
    if refusal is not None:
        assert r.status_code == (401 if isinstance(principal, Anonymous) else 403)
    elif target in (OWN, OTHER, HIDDEN):
        done = {201 if method == "POST" else 200} | (
            {409, 422} if (method, path) in REFUSABLE else set())
        expected = done if target in SEES.get(who, set()) else {404}
        assert r.status_code in expected, r.text
    elif "{code}" in path and not isinstance(principal, EmployerUnit | Officer):
        # an employer's filings, payments and ledger are the unit's and its officers' only
        assert r.status_code == 403, r.text
    elif target == UNIT_B and isinstance(principal, EmployerUnit):
        # another unit's data; an empty body may fail validation before the route checks it
        assert r.status_code in ((403, 422) if body is not None else (403,))
    elif action is not Action.PUBLIC:
        # 404: a job or declaration id that does not exist; 403: an officer outside the unit's
        # province. The person dimension above is the strict one.
        allowed = (200, 201, 404, 422) + ((403,) if isinstance(principal, Officer) else ())
        assert r.status_code in allowed, r.text


@pytest.mark.parametrize("who", ["employer_a", "clerk_hanoi", "auditor_national",
                                 "defence_clerk"])
def test_searches_show_exactly_the_persons_in_scope(world: World, who: str) -> None:
    r = world.client.get("/api/v1/persons", headers=bearer(PRINCIPALS[who]))
    assert {p["personal_id"] for p in r.json()["persons"]} == SEES[who]


def test_an_employer_asking_for_another_units_workers_is_forbidden(world: World) -> None:
    r = world.client.get(f"/api/v1/persons?employer={UNIT_B}",
                         headers=bearer(PRINCIPALS["employer_a"]))
    assert r.status_code == 403


@pytest.mark.parametrize(("method", "path"), sorted(
    (m, p) for m, p in ACTIONS if "{personal_id}" in p))
def test_a_hidden_person_and_an_unknown_id_look_the_same(world: World, method: str,
                                                         path: str) -> None:
    """On every route naming a person, to every caller outside the defence realm (the civil
    unit the defence person once worked at too): the status, headers and body an ID nobody
    holds gets, the ID itself aside."""
    unknown = make_personal_id("001", date(1999, 1, 1), "male", 1)
    for who in PRINCIPALS.keys() - {"defence_clerk"}:
        answers = []
        for target in (HIDDEN, unknown):
            url = re.sub(r"\{[a-z_]+\}", "1", path.replace("{personal_id}", target))
            body = BODIES.get((method, path), {}) if method in ("POST", "PUT", "PATCH") else None
            r = world.client.request(method, url, headers=bearer(PRINCIPALS[who]),
                                     json=body(target) if callable(body) else body)
            answers.append((r.status_code, r.text.replace(target, "X"), sorted(
                (k, v) for k, v in r.headers.items() if k not in ("date", "content-length"))))
        assert answers[0] == answers[1], who


def test_the_refused_look_at_a_defence_person_is_logged(world: World) -> None:
    world.client.get(f"/api/v1/persons/{HIDDEN}", headers=bearer(PRINCIPALS["clerk_hanoi"]))
    with unit_of_work(world.engine) as s:
        entries = audit.entries_for_person(session=s, person_id=world.ids[HIDDEN])
    assert any(e.actor_id == "hn-clerk" and e.outcome == "not_found" for e in entries)


def test_registering_a_defence_persons_number_is_a_plain_409_logged_for_their_realm(
        world: World) -> None:
    """One record per number: a civil clerk cannot register it again. The answer is the one
    any number held by someone out of the clerk's sight gets (a civil person of another
    province), naming no realm; the attempt is in the hidden person's access log, so their
    realm sees the probe."""
    def attempt(pid: str, birth: str) -> Any:
        return world.client.post("/api/v1/persons", headers=bearer(PRINCIPALS["clerk_hanoi"]),
                                 json={"personal_id": pid, "full_name": "Lê Văn Quân",
                                       "birth_date": birth, "sex": "male",
                                       "birth_registration_place": "001"})

    hidden, civil = attempt(HIDDEN, "1985-01-01"), attempt(OTHER, "1991-07-09")
    assert (hidden.status_code, civil.status_code) == (409, 409)
    assert hidden.json()["errors"] == [{**e, "reason": e["reason"].replace(OTHER, HIDDEN)}
                                       for e in civil.json()["errors"]]
    with unit_of_work(world.engine) as s:
        entries = audit.entries_for_person(session=s, person_id=world.ids[HIDDEN])
    assert any(e.actor_id == "hn-clerk" and e.outcome == "refused" for e in entries)


def test_a_registered_number_is_the_409_before_the_population_database_is_asked(
        world: World) -> None:
    """An employer that guesses a registered person's birth date learns nothing from the
    population check: the number is held, whatever identity comes with it, and the holder's
    realm sees the attempt."""
    population = metadata.tables["population_citizens"]
    with unit_of_work(world.engine) as s:
        if not s.scalar(select(population.c.personal_id)
                        .where(population.c.personal_id == HIDDEN)):
            s.execute(insert(population).values(personal_id=HIDDEN, full_name="Lê Văn Quân",
                                                birth_date=date(1985, 1, 1), sex="male"))
    r = world.client.post(f"/api/v1/employers/{UNIT_A}/workers",
                          headers=bearer(PRINCIPALS["employer_a"]),
                          json={"personal_id": HIDDEN, "full_name": "Lê Văn Quân",
                                "birth_date": "1985-01-02", "sex": "male",
                                "birth_registration_place": "001", "salary": 9_000_000})
    assert r.status_code == 409, r.text
    with unit_of_work(world.engine) as s:
        entries = audit.entries_for_person(session=s, person_id=world.ids[HIDDEN])
    assert any(e.actor_id == "acme" and e.outcome == "refused" for e in entries)


def test_a_caller_that_keeps_guessing_an_identity_is_stopped(world: World) -> None:
    """Ten identities refused in any 60 minutes, then 429 before the population database is
    asked again, in any server process: the right birth date, found on the eleventh try, is
    not confirmed."""
    stranger = make_personal_id("001", date(2009, 4, 12), "female", 9191)
    population = metadata.tables["population_citizens"]
    with unit_of_work(world.engine) as s:
        s.execute(insert(population).values(personal_id=stranger, full_name="Nguyễn Ngọc Hằng",
                                            birth_date=date(2009, 4, 12), sex="female"))
    guesser = bearer(EmployerUnit("guesser", UNIT_A))

    def attempt(day: int) -> Any:
        return world.client.post(f"/api/v1/employers/{UNIT_A}/workers", headers=guesser, json={
            "personal_id": stranger, "full_name": "Nguyễn Ngọc Hằng",
            "birth_date": f"2009-04-{day:02d}", "sex": "female",
            "birth_registration_place": "001", "salary": 9_000_000})

    try:
        assert [attempt(day).status_code for day in range(1, 11)] == [422] * 10
        ratelimit.reset()  # as a restart or another server process: the count is in the store
        stopped = attempt(12)
        assert stopped.status_code == 429 and int(stopped.headers["Retry-After"]) > 0
        assert_conforms(OPENAPI, "post", "/api/v1/employers/{code}/workers", stopped)
        with unit_of_work(world.engine) as s:
            assert reading.registered_id(session=s, personal_id=stranger) is None
    finally:
        ratelimit.reset()


def test_a_citizen_sees_who_looked_at_their_data_and_nobody_elses(world: World) -> None:
    world.client.get(f"/api/v1/persons/{OWN}", headers={
        **bearer(PRINCIPALS["employer_a"]), "X-Purpose": "payroll check"})
    r = world.client.get("/api/v1/me/access-log", headers=bearer(PRINCIPALS["citizen"]))
    entries = r.json()["entries"]
    assert any(e["actor"] == "acme" and e["purpose"] == "payroll check" for e in entries)
    with unit_of_work(world.engine) as s:
        own_ids = {e.seq for e in audit.entries_for_person(session=s,
                                                           person_id=world.ids[OWN], limit=1000)}
        assert len(own_ids) >= len(entries)
        assert chain.verify(session=s).intact


def test_a_citizens_access_log_shows_another_citizens_attempt_without_their_personal_id(
        world: World) -> None:
    """A citizen who typed someone else's number is in that person's log (a refused attempt
    that named them), but their own personal ID is theirs: not shown to the other person."""
    for prober in (OTHER, HIDDEN):
        assert world.client.get(f"/api/v1/books/{OWN}", headers=bearer(Citizen(prober, 2))
                                ).status_code == 404
    entries = world.client.get("/api/v1/me/access-log", headers=bearer(PRINCIPALS["citizen"])
                               ).json()["entries"]
    others = [e for e in entries if e["actor_kind"] == "citizen" and e["actor"] != "you"]
    assert len(others) >= 2 and {e["outcome"] for e in others} == {"not_found"}
    assert not any(pid in json.dumps(entries) for pid in (OTHER, HIDDEN))


def test_a_citizens_stated_purpose_is_not_written_into_another_persons_log(
        world: World) -> None:
    """A citizen reads their own record only: a purpose they state (X-Purpose) explains
    nothing, and on a number not theirs it put text of their choosing (a phone number to
    call) into that person's access log, shown on the portal; the action's own is logged."""
    bait = "Sổ của bạn bị khóa, gọi 0900 000 000 / call to unlock"
    for level in (2, 1):
        world.client.get(f"/api/v1/books/{OWN}", headers={
            **bearer(Citizen(OTHER, level)), "X-Purpose": bait.encode()})
    entries = world.client.get("/api/v1/me/access-log?limit=1000",
                               headers=bearer(PRINCIPALS["citizen"])).json()["entries"]
    assert not any("0900" in e["purpose"] for e in entries)
    assert any(e["actor"] == "another citizen" and e["outcome"] == "forbidden"
               for e in entries)


def test_a_units_or_facilitys_words_reach_no_log_but_of_what_it_was_allowed(
        world: World) -> None:
    """A unit's X-Purpose on a number not its worker's (a 404) and a health facility's on any
    card it checks put text of their choosing ("call ...") on the person's portal page; their
    action's own purpose is shown instead. An officer's case number and the employer's words
    on its own worker's record stay (``test_a_citizen_sees_who_looked_at_...``)."""
    bait = {"X-Purpose": "So BHXH bi khoa, goi 0900 000 000"}
    assert world.client.get(f"/api/v1/persons/{OTHER}", headers=bearer(
        PRINCIPALS["employer_a"]) | bait).status_code == 404
    assert world.client.get(f"/api/v1/hi-cards/{OTHER}/validity", headers=bearer(
        PRINCIPALS["hospital"]) | bait).status_code == 200
    assert world.client.get(f"/api/v1/persons/{OTHER}", headers=bearer(
        PRINCIPALS["auditor_national"]) | {"X-Purpose": "HS-2026-0001"}).status_code == 200
    entries = world.client.get("/api/v1/me/access-log?limit=1000", headers=bearer(
        Citizen(OTHER, 2))).json()["entries"]
    assert not any("0900" in e["purpose"] for e in entries)
    def purposes(actor: str, outcome: str) -> set[str]:
        return {e["purpose"] for e in entries if (e["actor"], e["outcome"]) == (actor, outcome)}

    assert "read a person's record" in purposes("acme", "not_found")
    assert "check HI validity at a health facility" in purposes("bach-mai", "allowed")
    assert "HS-2026-0001" in purposes("auditor", "allowed")
    with unit_of_work(world.engine) as s:  # the auditors read what was stated
        kept = {e.purpose for e in audit.entries_for_person(
            session=s, person_id=world.ids[OTHER], limit=1000)}
    assert bait["X-Purpose"] in kept


MINISTRY_UNIT = "0100000888"  # a defence unit, registered by the test that needs it


@pytest.mark.parametrize(("prober", "shown", "civil"), [
    (Officer("mod-prober", "defence", None, frozenset({"clerk"})),
     "an officer of another realm", "clerk_hanoi"),
    (EmployerUnit(f"unit-{MINISTRY_UNIT}", MINISTRY_UNIT, "defence"),
     "a unit of another realm", "employer_a")])
def test_a_ministrys_probe_is_in_a_civil_citizens_log_without_its_client_id(
        world: World, prober: Officer | EmployerUnit, shown: str, civil: str) -> None:
    """A defence officer or unit whose credential typed a civil number met the same 404 as
    for a number no one holds; the citizen's log shows the attempt, but the ministry's client
    id is the ministry's to keep (the agency's auditors read it in full): a unit's may name a
    unit that is absent outside its realm."""
    with unit_of_work(world.engine) as s:
        if isinstance(prober, EmployerUnit):
            service.add_employer(session=s, employer=NewEmployer(
                code=MINISTRY_UNIT, name="Đơn vị 888", province_code="01", region="I",
                realm="defence"))
        credentials.create_client(session=s, client=credentials.NewClient(
            prober.client_id, prober.kind, realm="defence",
            unit_code=getattr(prober, "unit_code", None),
            roles=tuple(getattr(prober, "roles", ()))))
    case = {"X-Purpose": "BQP-HS-2026-0417"}  # the ministry's case number: theirs to keep too
    assert world.client.get(f"/api/v1/persons/{OWN}", headers=bearer(prober) | case
                            ).status_code == 404
    assert world.client.get(f"/api/v1/persons/{OWN}", headers=bearer(PRINCIPALS[civil])
                            ).status_code == 200
    entries = world.client.get("/api/v1/me/access-log?limit=1000",
                               headers=bearer(PRINCIPALS["citizen"])).json()["entries"]
    assert prober.client_id not in json.dumps(entries) and "BQP" not in json.dumps(entries)
    probes = [e for e in entries if e["actor"] == shown]
    assert len(probes) == 1 and probes[0]["outcome"] == "not_found"
    assert probes[0]["actor_kind"] == prober.kind
    assert probes[0]["purpose"] == "kept by the other realm"
    # their own realm's, by id
    assert any(e["actor"] == PRINCIPALS[civil].actor_id for e in entries)


def test_a_soldier_sees_their_book_but_not_their_units_and_pay_month_by_month(
        world: World) -> None:
    soldier = bearer(Citizen(HIDDEN, 2))
    assert world.client.get(f"/api/v1/books/{HIDDEN}", headers=soldier).status_code == 200
    r = world.client.get(f"/api/v1/persons/{HIDDEN}/ledger", headers=soldier)
    assert r.status_code == 403 and "kept by their ministry" in r.json()["detail"]
    r = world.client.get(f"/api/v1/persons/{HIDDEN}/voluntary-payments", headers=soldier)
    assert r.status_code == 403 and "kept by their ministry" in r.json()["detail"]
    defence = bearer(PRINCIPALS["defence_clerk"])  # their realm reads the months
    assert world.client.get(f"/api/v1/persons/{HIDDEN}/ledger", headers=defence
                            ).status_code == 200
    with unit_of_work(world.engine) as s:
        entries = audit.entries_for_person(session=s, person_id=world.ids[HIDDEN])
    assert any(e.actor_id == HIDDEN and e.outcome == "forbidden" for e in entries)


def test_only_the_citizen_themself_is_you_in_their_access_log(world: World) -> None:
    namesake = Officer(OWN, "civil", "01", frozenset({"clerk"}))  # a client id like the ID
    assert world.client.get(f"/api/v1/persons/{OWN}", headers=bearer(namesake)).status_code \
        == 200
    entries = world.client.get("/api/v1/me/access-log",
                               headers=bearer(PRINCIPALS["citizen"])).json()["entries"]
    officer = [e for e in entries if e["actor_kind"] == "officer" and e["actor"] in (OWN, "you")]
    assert officer and all(e["actor"] == OWN for e in officer)
    with pytest.raises(ValidationError, match="must not look like a personal ID"), \
            unit_of_work(world.engine) as s:
        credentials.create_client(session=s, client=credentials.NewClient(
            OWN, "officer", province_code="01", roles=("clerk",)))


def test_a_clerk_registers_persons_into_their_own_realm(world: World) -> None:
    pid = make_personal_id("001", date(1990, 5, 5), "male", 4242)
    r = world.client.post("/api/v1/persons", headers=bearer(PRINCIPALS["defence_clerk"]), json={
        "personal_id": pid, "full_name": "Lê Văn Quân", "birth_date": "1990-05-05",
        "sex": "male", "birth_registration_place": "001"})
    assert r.status_code == 201
    persons = metadata.tables["persons"]
    with unit_of_work(world.engine) as s:
        assert s.scalar(select(persons.c.realm).where(persons.c.personal_id == pid)) == "defence"


def test_a_client_may_authenticate_by_http_basic_as_rfc_6749_says(world: World) -> None:
    """RFC 6749 §2.3.1: the client id and secret form-urlencoded, then Basic; read before the
    form's when both are sent."""
    import base64

    from sibook.access import credentials

    with unit_of_work(world.engine) as s:
        secret = credentials.create_client(session=s, client=credentials.NewClient(
            "acme basic+1", "employer", unit_code=UNIT_A))

    def basic(user: str, password: str) -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(
            f"{user}:{password}".encode()).decode()}

    grant = {"grant_type": "client_credentials"}
    ok = world.client.post("/api/v1/auth/token", data=grant,
                           headers=basic("acme+basic%2B1", secret))
    assert ok.status_code == 200 and ok.json()["token_type"] == "Bearer"
    first = world.client.post("/api/v1/auth/token", headers=basic("acme+basic%2B1", "nope"),
                              data={**grant, "client_id": "acme basic+1", "client_secret": secret})
    assert (first.status_code, first.json()) == (401, {"error": "invalid_client"})


def test_client_credentials_give_a_token_and_wrong_ones_a_uniform_401(world: World) -> None:
    from sibook.access import credentials

    with unit_of_work(world.engine) as s:
        secret = credentials.create_client(session=s, client=credentials.NewClient(
            "acme-http", "employer", unit_code=UNIT_A))
    form = {"grant_type": "client_credentials", "client_id": "acme-http"}
    ok = world.client.post("/api/v1/auth/token", data={**form, "client_secret": secret})
    wrong = world.client.post("/api/v1/auth/token", data={**form, "client_secret": "nope"})
    unknown = world.client.post("/api/v1/auth/token", data={
        **form, "client_id": "nobody", "client_secret": "nope"})
    assert ok.status_code == 200 and ok.json()["token_type"] == "Bearer"
    assert (wrong.status_code, wrong.json()) == (unknown.status_code, unknown.json())
    assert wrong.status_code == 401
    r = world.client.get("/api/v1/persons",
                         headers={"Authorization": f"Bearer {ok.json()['access_token']}"})
    assert {p["personal_id"] for p in r.json()["persons"]} == {OWN}


def test_a_revoked_credential_and_every_token_it_holds_are_refused_at_once(
        world: World) -> None:
    """A leaked credential had no way to be ended, and a token it was given kept reading its
    workers for the token's life whatever became of the credential."""
    from sibook.access import credentials

    with unit_of_work(world.engine) as s:
        secret = credentials.create_client(session=s, client=credentials.NewClient(
            "acme-leaked", "employer", unit_code=UNIT_A))
    form = {"grant_type": "client_credentials", "client_id": "acme-leaked",
            "client_secret": secret}
    token = world.client.post("/api/v1/auth/token", data=form).json()["access_token"]
    held = {"Authorization": f"Bearer {token}"}
    assert world.client.get(f"/api/v1/persons/{OWN}", headers=held).status_code == 200
    with unit_of_work(world.engine) as s:
        assert credentials.revoke_client(session=s, client_id="acme-leaked") is True
    refused = world.client.get(f"/api/v1/persons/{OWN}", headers=held)
    assert refused.status_code == 401 and "WWW-Authenticate" in refused.headers
    again = world.client.post("/api/v1/auth/token", data=form)
    assert (again.status_code, again.json()) == (401, {"error": "invalid_client"})
    with unit_of_work(world.engine) as s:  # others' tokens, and tokens of no credential, stand
        assert credentials.revoke_client(session=s, client_id="acme-leaked") is False
    assert world.client.get(f"/api/v1/persons/{OWN}", headers=bearer(
        PRINCIPALS["employer_a"])).status_code == 200


def test_a_request_with_no_token_is_challenged_without_an_error_code(world: World) -> None:
    """RFC 6750 §3.1: a request lacking any authentication information gets the challenge
    alone; one whose token failed gets error="invalid_token"."""
    bare = world.client.get("/api/v1/persons")
    assert (bare.status_code, bare.headers["www-authenticate"]) == (401, "Bearer")
    bad = world.client.get("/api/v1/persons", headers={"Authorization": "Bearer garbage"})
    assert bad.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    out = world.client.post("/api/v1/auth/sign-out")
    assert (out.status_code, out.headers["www-authenticate"]) == (401, "Bearer")


def test_garbage_and_expired_bearers_are_401_and_logged(world: World) -> None:
    for token in ("garbage", tokens.issue({"sub": "x", "kind": "hospital"}, audience="other")):
        r = world.client.get("/api/v1/persons", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    with unit_of_work(world.engine) as s:
        log = metadata.tables["access_log"]
        outcomes = s.scalars(select(log.c.outcome).where(log.c.route == "GET /api/v1/persons"))
        assert "unauthenticated" in set(outcomes)


def test_route_templates_not_urls_are_logged(world: World) -> None:
    with unit_of_work(world.engine) as s:
        routes = set(s.scalars(select(metadata.tables["access_log"].c.route)))
    assert not any(re.search(r"\d{12}", r) for r in routes)


def test_the_openapi_says_which_routes_need_a_token() -> None:
    """Public routes (verify, trust list, revocations, rules, signing in) need no token; every
    other route requires the bearer scheme, and so does signing out (any valid token: it ends
    that token)."""
    # A fresh process: the first app made there is what a server serves.
    made = subprocess.run([sys.executable, "-c", "import json; from sibook.api.app import "
                           "create_app; print(json.dumps(create_app().openapi()))"],
                          capture_output=True, text=True, check=True, timeout=120)
    spec = json.loads(made.stdout)
    for method, path, rc in api_routes(create_app()):
        action = declared_action(rc)
        if action is None or method == "HEAD":
            continue
        security = spec["paths"][path][method.lower()]["security"]
        if action is Action.PUBLIC and not (rc.openapi_extra or {}).get(TOKEN_REQUIRED):
            assert {} in security, (method, path, security)
        else:
            assert security == [{"HTTPBearer": []}], (method, path, security)
