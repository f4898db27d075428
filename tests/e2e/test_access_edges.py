"""Edges of the access policy the matrix does not reach: placing people in households, officers
acting on employers of other provinces or realms, an employer's view of a worker's ledger, and
bad input that must be a 4xx, never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from sibook.access.principals import Officer
from sibook.access.settings import get_access_settings
from sibook.core.config import get_settings
from sibook.core.db import unit_of_work
from sibook.core.schema import metadata
from tests.e2e.test_access_matrix import (
    OPENAPI,
    OTHER,
    OWN,
    PRINCIPALS,
    UNIT_A,
    UNIT_B,
    bearer,
    populated_app,
)
from tests.e2e.test_openapi_conformance import assert_conforms

HCMC = Officer("hcm-clerk", "civil", "79", frozenset({"clerk"}))


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, Any]]:
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    app, engine, ids = populated_app(tmp_path / "edges.db")
    yield TestClient(app, raise_server_exceptions=False), (engine, ids)
    engine.dispose()
    get_access_settings.cache_clear()


def household(code: str, personal_id: str) -> dict[str, Any]:
    return {"code": code, "address": "Hà Nội", "province_code": "01",
            "members": [{"personal_id": personal_id, "relation_to_head": "chủ hộ"}]}


def test_a_household_cannot_pull_a_person_of_another_province_into_sight(client: Any) -> None:
    c, _ = client
    hanoi, hcmc = bearer(PRINCIPALS["clerk_hanoi"]), bearer(HCMC)
    assert c.get(f"/api/v1/persons/{OTHER}", headers=hanoi).status_code == 404
    grab = c.post("/api/v1/households", headers=hanoi, json=household("GRAB", OTHER))
    assert grab.status_code == 404  # works for a unit in province 79: not the clerk's to place
    assert c.get(f"/api/v1/persons/{OTHER}", headers=hanoi).status_code == 404
    # Their own province's clerk can; a person listed twice is refused by row.
    twice = {**household("HCM1", OTHER), "province_code": "79"}
    twice["members"] *= 2
    r = c.post("/api/v1/households", headers=hcmc, json=twice)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "members[2].personal_id"
    twice["members"] = twice["members"][:1]
    assert c.post("/api/v1/households", headers=hcmc, json=twice).status_code == 201


def test_officers_act_on_the_units_of_their_province_and_realm_only(client: Any) -> None:
    c, _ = client
    hanoi, hcmc = bearer(PRINCIPALS["clerk_hanoi"]), bearer(HCMC)
    defence = bearer(PRINCIPALS["defence_clerk"])
    payment = {"amount": 1_000_000, "reference": "VCB-9", "paid_on": "2026-11-02"}
    line = f"personal_id,case_code,salary,from_month\n{OTHER},DC,12000000,2026-11\n".encode()
    for headers, unit in ((hanoi, UNIT_B), (defence, UNIT_A), (defence, UNIT_B)):
        assert c.post(f"/api/v1/employers/{unit}/payments", headers=headers,
                      json=payment).status_code == 403
        assert c.post(f"/api/v1/employers/{unit}/declarations", headers=headers,
                      data={"month": "2026-11"},
                      files={"file": ("d.csv", line, "text/csv")}).status_code == 403
        assert c.get(f"/api/v1/employers/{unit}/ledger", headers=headers).status_code == 403
    paid = c.post(f"/api/v1/employers/{UNIT_B}/payments", headers=hcmc, json=payment)
    assert paid.status_code == 201
    assert_conforms(OPENAPI, "POST", "/api/v1/employers/{code}/payments", paid)


def test_an_employer_sees_its_own_months_of_a_worker_and_their_summary_only(client: Any
                                                                             ) -> None:
    c, (engine, ids) = client
    periods, employers = metadata.tables["si_periods"], metadata.tables["employers"]
    with unit_of_work(engine) as s:  # before unit A, own worked two years at unit B
        unit_b = s.execute(employers.select().where(employers.c.code == UNIT_B)).one()
        s.execute(insert(periods).values(
            person_id=ids[OWN], seq=0, from_month=2018 * 12, to_month=2019 * 12 + 11,
            kind="compulsory", employer_id=unit_b.employer_id, salary_basis=9_000_000,
            allowances=0, occupational_rate_bp=50))
    as_of = "2026-11-26"
    answers = [c.get(f"/api/v1/persons/{OWN}/ledger?as_of={as_of}", headers=bearer(
        PRINCIPALS[who])) for who in ("auditor_national", "employer_a")]
    for answer in answers:
        assert_conforms(OPENAPI, "GET", "/api/v1/persons/{personal_id}/ledger", answer)
    whole, mine = (answer.json() for answer in answers)
    assert {m["employer"] for m in whole["months"]} == {UNIT_A, UNIT_B}
    assert {m["employer"] for m in mine["months"]} == {UNIT_A}
    assert mine["summary"]["months"] == len(mine["months"]) == whole["summary"]["months"] - 24


@pytest.mark.parametrize(("method", "url", "body"), [
    ("GET", f"/api/v1/persons/{OWN}/ledger?from=2026-13", None),
    ("GET", f"/api/v1/persons/{OWN}/ledger?from=0000-01", None),
    ("GET", f"/api/v1/persons/{OWN}/ledger?as_of=9999-12-31", None),
    ("GET", f"/api/v1/employers/{UNIT_A}/ledger?as_of=0001-01-01", None),
    ("GET", f"/api/v1/employers/{UNIT_A}/ledger?as_of=0", None),  # not Unix time 0
    ("GET", f"/api/v1/persons/{OWN}/voluntary-payments?as_of=20260101", None),
    ("POST", "/api/v1/rules/unemployment", {"average_salary": 1, "contribution_months": 12,
                                            "region": "I", "termination": "2026-1-5"}),
    ("GET", "/api/v1/persons/not-an-id", None),
    ("GET", "/api/v1/books/12345", None),
    ("POST", "/api/v1/rules/sickness", {"salary": 1, "days": float("nan"),
                                        "years_contributed": 1}),
    ("POST", "/api/v1/rules/contribution", {"month": "2026-13", "salary": 10_000_000}),
    # A lone surrogate (a JSON escape can name one) echoed back once made the 422 a 500.
    ("POST", "/api/v1/rules/contribution", {"month": "2026-01\ud800", "salary": 10_000_000}),
])
def test_bad_input_is_a_422_naming_it(client: Any, method: str, url: str,
                                      body: dict[str, Any] | None) -> None:
    c, _ = client
    headers = bearer(PRINCIPALS["auditor_national"])
    content = None
    if body is not None:  # NaN is not JSON; send it as Python's json module writes it
        content = json.dumps(body)
        headers = {**headers, "Content-Type": "application/json"}
    r = c.request(method, url, headers=headers, content=content)
    assert r.status_code == 422, (r.status_code, r.text)


@pytest.mark.parametrize("amount", [True, 1.0, "1000", 10**13])
def test_a_payment_amount_is_a_json_integer_in_range(client: Any, amount: Any) -> None:
    """``true`` once posted a remittance of 1 VND."""
    c, _ = client
    r = c.post(f"/api/v1/employers/{UNIT_A}/payments", headers=bearer(PRINCIPALS["clerk_hanoi"]),
               json={"amount": amount, "reference": "VCB-9", "paid_on": "2026-01-05"})
    assert r.status_code == 422, r.text


@pytest.mark.parametrize(("url", "body"), [
    (f"/api/v1/employers/{UNIT_A}/payments", {"amount": 1, "reference": "R",
                                              "paid_on": 1_767_225_600}),  # Unix time
    ("/api/v1/persons", {"personal_id": OWN, "full_name": "A", "sex": "male",
                         "birth_date": "1850-01-01", "birth_registration_place": "001"}),
])
def test_a_day_is_written_yyyy_mm_dd_within_1900_2099(client: Any, url: str,
                                                      body: dict[str, Any]) -> None:
    c, _ = client
    r = c.post(url, headers=bearer(PRINCIPALS["clerk_hanoi"]), json=body)
    assert r.status_code == 422, (r.status_code, r.text)
    assert "YYYY-MM-DD" in r.text


def test_registration_while_the_population_service_is_down_is_a_503(
        client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    c, _ = client
    monkeypatch.setenv("SIBOOK_POPULATION_URL", "http://127.0.0.1:9")  # nothing listens
    get_settings.cache_clear()
    try:
        r = c.post("/api/v1/persons", headers=bearer(PRINCIPALS["clerk_hanoi"]), json={
            "personal_id": "001090000123", "full_name": "Lê Văn Mới", "birth_date": "1990-01-01",
            "sex": "male", "birth_registration_place": "001"})
    finally:
        get_settings.cache_clear()
    assert r.status_code == 503 and r.headers["Retry-After"] == "60", r.text
    # Plain words: what the HTTP client said (the address, the errno) is in the log only.
    [problem] = r.json()["errors"]
    assert problem == {"field": "population", "reason": (
        "the National Population Database cannot be reached; nothing was registered, try "
        "again later")}
    for detail in ("127.0.0.1", "Errno", "refused", "unreachable"):
        assert detail not in r.text


def test_no_other_site_may_frame_the_pages(client: Any) -> None:
    c, _ = client
    for url in ("/portal/", "/healthz"):
        r = c.get(url, follow_redirects=False)
        assert r.headers["X-Frame-Options"] == "DENY", url
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]


def test_no_cache_keeps_an_answer_to_a_signed_in_caller(client: Any) -> None:
    """A citizen's book or an officer's read of a person holds personal data: a shared proxy or
    the browser's disk cache must not keep it. The public OpenAPI document may be cached."""
    c, _ = client
    for who, url in (("citizen", "/api/v1/me/access-log"), ("clerk_hanoi", "/api/v1/persons"),
                     ("clerk_hanoi", "/api/v1/persons/000000000000")):
        r = c.get(url, headers=bearer(PRINCIPALS[who]))
        assert r.status_code in (200, 404) and r.headers["Cache-Control"] == "no-store", url
    public = c.get("/api/v1/openapi.json")
    assert public.status_code == 200 and "Cache-Control" not in public.headers


def test_another_site_cannot_sign_a_citizen_out(client: Any) -> None:
    c, _ = client
    foreign = c.post("/portal/sign-out", headers={"Origin": "https://evil.example"},
                     follow_redirects=False)
    assert foreign.status_code == 403
    own = c.post("/portal/sign-out", headers={"Origin": "http://testserver"},
                 follow_redirects=False)
    assert own.status_code == 303


def test_signing_out_ends_the_token_not_only_the_cookie(client: Any) -> None:
    """A copy of the session cookie (or the token kept by a script) stops working at sign-out,
    not ten minutes later."""
    c, _ = client
    token = bearer(PRINCIPALS["citizen"])["Authorization"].removeprefix("Bearer ")
    assert c.get(f"/api/v1/books/{OWN}", headers={"Authorization": f"Bearer {token}"}
                 ).status_code == 200
    c.cookies.set("sibook_session", token, path="/portal")
    assert c.get("/portal/book", follow_redirects=False).status_code == 200
    out = c.post("/portal/sign-out", headers={"Origin": "http://testserver"},
                 follow_redirects=False)
    assert out.status_code == 303
    c.cookies.set("sibook_session", token, path="/portal")  # the copy kept aside
    again = c.get("/portal/book", follow_redirects=False)
    assert again.status_code == 303 and "expired=1" in again.headers["location"]
    assert c.get(f"/api/v1/books/{OWN}", headers={"Authorization": f"Bearer {token}"}
                 ).status_code == 401
    other = bearer(PRINCIPALS["citizen"])  # a new sign-in works
    assert c.get(f"/api/v1/books/{OWN}", headers=other).status_code == 200


def test_a_script_ends_its_own_token_at_the_api(client: Any) -> None:
    c, _ = client
    for who, url in (("citizen", f"/api/v1/books/{OWN}"),
                     ("clerk_hanoi", f"/api/v1/persons/{OWN}")):
        headers = bearer(PRINCIPALS[who])
        assert c.get(url, headers=headers).status_code == 200
        assert c.post("/api/v1/auth/sign-out", headers=headers).status_code == 204
        assert c.get(url, headers=headers).status_code == 401, who
        assert c.post("/api/v1/auth/sign-out", headers=headers).status_code == 401
    assert c.post("/api/v1/auth/sign-out").status_code == 401
    # and the OpenAPI says so: a token is required (no anonymous alternative {} listed)
    operation = c.get("/api/v1/openapi.json").json()["paths"]["/api/v1/auth/sign-out"]["post"]
    assert operation["security"] == [{"HTTPBearer": []}]


def test_a_405_names_every_method_of_the_path(client: Any) -> None:
    c, _ = client
    r = c.request("OPTIONS", "/api/v1/employers")
    assert (r.status_code, r.headers["allow"]) == (405, "GET, HEAD, POST")
    r = c.patch(f"/api/v1/books/{OWN}/versions/1/revocation")
    assert (r.status_code, r.headers["allow"]) == (405, "DELETE, POST")


def test_an_unknown_api_path_is_the_declared_404(client: Any) -> None:
    c, _ = client
    r = c.get("/api/v1/no-such-thing/42")
    assert r.status_code == 404
    assert r.json()["errors"][0]["field"] == "path"
    assert "/api/v1/no-such-thing/42" in r.json()["errors"][0]["reason"]
    assert_conforms(c.get("/api/v1/openapi.json").json(), "get", "/api/v1/persons/{personal_id}", r)


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/v1/employers/"), ("POST", "/api/v1/ids/inspect/"),
    ("GET", "/api/v1/trust-list/")])
def test_a_path_with_a_slash_no_operation_has_is_the_declared_404_not_a_redirect(
        client: Any, method: str, path: str) -> None:
    """No operation has the path with a trailing slash: the declared 404 naming it, as any other
    path no operation has, not a 307 (which the OpenAPI declares nowhere) to the one without."""
    c, _ = client
    r = c.request(method, path, json={"value": "001089012345"}, follow_redirects=False)
    assert r.status_code == 404, (r.status_code, r.headers.get("location"))
    assert r.json()["errors"][0]["field"] == "path" and path in r.json()["errors"][0]["reason"]


def test_the_portal_typed_without_its_slash_is_still_found(client: Any) -> None:
    c, _ = client
    r = c.get("/portal", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (307, "/portal/")


def test_an_answer_is_sent_only_after_its_transaction_committed(
        client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read of personal data is logged in the request's transaction: when that cannot
    commit, the caller gets the 503, never the data without its log entry."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    c, _ = client
    headers = bearer(PRINCIPALS["clerk_hanoi"])
    assert c.get(f"/api/v1/persons/{OWN}", headers=headers).status_code == 200

    def fail(self: Session) -> None:
        raise OperationalError("COMMIT", {}, Exception("the disk is full"))

    monkeypatch.setattr(Session, "commit", fail)
    r = c.get(f"/api/v1/persons/{OWN}", headers=headers)
    assert r.status_code == 503 and OWN not in r.text


def _defence_unit(engine: Any) -> str:
    """A unit of the defence ministry, registered: its code."""
    from sibook.registry import service
    from sibook.registry.new_employer import NewEmployer

    with unit_of_work(engine) as s:
        service.add_employer(session=s, employer=NewEmployer(
            code="0100000999", name="Đơn vị 999 thuộc Bộ Quốc phòng", province_code="01",
            region="I", realm="defence"))
    return "0100000999"


def test_registering_a_code_a_ministrys_unit_holds_is_told_as_any_held_code(
        client: Any) -> None:
    """A unit code is one nationwide: a code a defence unit holds cannot be registered again,
    and a civil officer is refused with the plain 409 of a held code, naming neither the realm
    nor the unit, whatever is sent: the ministry unit's own content is no registration sent
    again (no replay, which would confirm it), another content no list of what differs."""
    c, (engine, _) = client
    held = _defence_unit(engine)
    civil = bearer(PRINCIPALS["clerk_hanoi"])

    def register(name: str) -> tuple[int, str]:
        r = c.post("/api/v1/employers", headers=civil, json={
            "code": held, "name": name, "province_code": "01", "region": "I"})
        return r.status_code, r.text.replace(held, "X")

    plain = (409, '{"errors":[{"field":"code","reason":"employer X is already registered"}]}')
    assert register("Công ty Mới") == plain
    assert register("Đơn vị 999 thuộc Bộ Quốc phòng") == plain


def test_a_ministrys_unit_is_absent_outside_its_realm(client: Any) -> None:
    """Its dues would tell its people's pay: a civil officer finds no such unit (the answer an
    unknown code gets), the ministry's own officers act for it."""
    c, (engine, _) = client
    unit = _defence_unit(engine)
    civil, defence = bearer(PRINCIPALS["clerk_hanoi"]), bearer(PRINCIPALS["defence_clerk"])
    hidden = c.get(f"/api/v1/employers/{unit}/ledger", headers=civil)
    unknown = c.get("/api/v1/employers/0100000998/ledger", headers=civil)
    assert (hidden.status_code, hidden.json()["errors"][0]["reason"].replace(unit, "X")) == (
        unknown.status_code, unknown.json()["errors"][0]["reason"].replace("0100000998", "X"))
    assert c.get(f"/api/v1/employers/{unit}/ledger", headers=defence).status_code == 200
    listed = {e["code"] for e in c.get("/api/v1/employers", headers=civil).json()["employers"]}
    assert unit not in listed and UNIT_A in listed
    assert [e["code"] for e in c.get("/api/v1/employers", headers=defence).json()[
        "employers"]] == [unit]
    # A civil unit's code is public: the ministry's officer is told it is not theirs.
    assert c.get(f"/api/v1/employers/{UNIT_A}/ledger", headers=defence).status_code == 403
    added = c.post("/api/v1/employers", headers=defence, json={
        "code": "0100000997", "name": "Đơn vị 997", "province_code": "01", "region": "I"})
    assert added.status_code == 201, added.text
    assert c.get("/api/v1/employers/0100000997/ledger", headers=civil).status_code == 404
    # A region the law does not know is the registry's refusal naming the field.
    bad = c.post("/api/v1/employers", headers=civil, json={
        "code": "0100000996", "name": "Đơn vị 996", "province_code": "01", "region": "V"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "region", bad.text


def test_a_unit_paying_by_the_state_scale_is_registered_so_and_a_ministrys_always_is(
        client: Any) -> None:
    """``salary_regime`` is optional: employer by default, state when the body says so; a
    ministry's unit pays by the state's scale and is refused one its employer sets; a value
    the registry does not know is its 422 naming the field."""
    c, (engine, _) = client
    civil, defence = bearer(PRINCIPALS["clerk_hanoi"]), bearer(PRINCIPALS["defence_clerk"])

    def register(headers: dict[str, str], code: str, **extra: str) -> Any:
        return c.post("/api/v1/employers", headers=headers, json={
            "code": code, "name": "Trường Tiểu học", "province_code": "01", "region": "I",
            **extra})

    assert register(civil, "0100000995", salary_regime="state").status_code == 201
    assert register(civil, "0100000994").status_code == 201
    assert register(defence, "0100000993").status_code == 201
    for refused in (register(civil, "0100000992", salary_regime="mixed"),
                    register(defence, "0100000991", salary_regime="employer")):
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "salary_regime"
    with engine.connect() as conn:
        regimes = dict(conn.execute(metadata.tables["employers"].select().with_only_columns(
            metadata.tables["employers"].c.code, metadata.tables["employers"].c.salary_regime)
        ).all())
    assert (regimes["0100000995"], regimes["0100000994"], regimes["0100000993"]) == (
        "state", "employer", "state")
