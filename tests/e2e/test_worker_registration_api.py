"""TK1-TS over HTTP: an employer registers the worker it takes on; book, HI card and the first
month's dues in one transaction, and a refusal leaves nothing behind."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select

from sibook.access.principals import Citizen, Officer
from sibook.access.settings import get_access_settings
from sibook.core.config import get_settings
from sibook.core.db import unit_of_work
from sibook.core.period import Period
from sibook.core.schema import metadata
from sibook.ids import make_enterprise_code, make_personal_id
from sibook.registry import reading, service
from sibook.registry.new_employer import NewEmployer
from tests.e2e.test_access_matrix import (
    OPENAPI,
    PRINCIPALS,
    UNIT_A,
    UNIT_B,
    bearer,
    populated_app,
)
from tests.e2e.test_openapi_conformance import assert_conforms

NEW = make_personal_id("001", date(1996, 4, 5), "female", 4242)
THIS_MONTH = f"{date.today():%Y-%m}"


def worker(**changes: Any) -> dict[str, Any]:
    return {"personal_id": NEW, "full_name": "Lê Thị Hoa", "birth_date": "1996-04-05",
            "sex": "female", "birth_registration_place": "001", "salary": 9_000_000,
            "job_title": "Kế toán", "from_month": THIS_MONTH, **changes}


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, Any]]:
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    app, engine, _ = populated_app(tmp_path / "workers.db")
    yield TestClient(app, raise_server_exceptions=False), engine
    engine.dispose()
    get_settings.cache_clear()
    get_access_settings.cache_clear()


def persons(engine: Any) -> int:
    with unit_of_work(engine) as s:
        return int(s.execute(select(func.count()).select_from(metadata.tables["persons"]))
                   .scalar_one())


def test_a_worker_is_managed_by_the_office_of_their_employers_province(
        api: tuple[TestClient, Any]) -> None:
    """So that they stay in its sight once the job ends."""
    client, engine = api
    r = client.post(f"/api/v1/employers/{UNIT_A}/workers",
                    headers=bearer(PRINCIPALS["employer_a"]), json=worker())
    assert r.status_code == 201, r.text
    with unit_of_work(engine) as s:
        province = reading.employer_by_code(session=s, code=UNIT_A).province_code
        office = s.execute(select(metadata.tables["si_profiles"].c.managing_office)).scalar_one()
    assert office == f"{province}000"


def test_an_employer_registers_its_new_worker(api: tuple[TestClient, Any]) -> None:
    client, engine = api
    employer = bearer(PRINCIPALS["employer_a"])
    r = client.post(f"/api/v1/employers/{UNIT_A}/workers", headers=employer, json=worker())
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["personal_id"], body["book_status"], body["book_version"]) == (NEW, "active", 1)
    assert body["hi_card"].startswith("DN401") and body["hi_card"].endswith(NEW[2:])

    clerk = bearer(PRINCIPALS["clerk_hanoi"])
    card = client.get(f"/api/v1/hi-cards/{NEW}/validity", headers=clerk).json()
    assert card["valid"] is True and card["benefit_level"] == 4
    answer = client.get(f"/api/v1/persons/{NEW}/ledger", headers=employer)
    assert_conforms(OPENAPI, "GET", "/api/v1/persons/{personal_id}/ledger", answer)
    ledger = answer.json()
    assert [m["month"] for m in ledger["months"]] == [THIS_MONTH]
    assert ledger["months"][0]["employer"] == UNIT_A

    # Sent again with another post: refused naming it (the same content is its replay).
    again = client.post(f"/api/v1/employers/{UNIT_A}/workers", headers=employer,
                        json=worker(job_title="Thủ quỹ"))
    assert again.status_code == 409
    assert [e["field"] for e in again.json()["errors"]] == ["job_title"]


def test_the_book_as_registered_is_version_1(api: tuple[TestClient, Any]) -> None:
    """Registration records version 1 in its transaction: what changes before the book is
    first read is version 2, and version 1 still shows the book as it was issued."""
    client, engine = api
    r = client.post(f"/api/v1/employers/{UNIT_A}/workers", headers=bearer(
        PRINCIPALS["employer_a"]), json=worker(full_name="Le Thi Hoa"))
    assert r.status_code == 201, r.text
    with unit_of_work(engine) as s:  # the name, corrected before anyone read the book
        s.execute(metadata.tables["persons"].update()
                  .where(metadata.tables["persons"].c.personal_id == NEW)
                  .values(full_name="Lê Thị Hoa"))
    clerk = bearer(PRINCIPALS["clerk_hanoi"])
    history = client.get(f"/api/v1/books/{NEW}/versions", headers=clerk).json()["versions"]
    assert [v["version"] for v in history] == [1, 2]
    first = client.get(f"/api/v1/books/{NEW}/versions/1", headers=clerk).json()["book"]
    assert first["header"]["full_name"] == "Le Thi Hoa"
    assert [row["from"] for row in first["sheets"]] == [THIS_MONTH]


@pytest.mark.parametrize(("who", "unit", "status"), [
    ("employer_a", UNIT_B, 403),  # another unit's worker
    ("citizen", UNIT_A, 403),
    ("hospital", UNIT_A, 403),
    ("anonymous", UNIT_A, 401),
])
def test_only_the_unit_or_a_clerk_registers_its_workers(api: tuple[TestClient, Any], who: str,
                                                        unit: str, status: int) -> None:
    client, engine = api
    before = persons(engine)
    r = client.post(f"/api/v1/employers/{unit}/workers", headers=bearer(PRINCIPALS[who]),
                    json=worker())
    assert r.status_code == status, r.text
    assert persons(engine) == before


def test_a_refused_start_registers_nobody(api: tuple[TestClient, Any]) -> None:
    client, engine = api
    before = persons(engine)
    r = client.post(f"/api/v1/employers/{UNIT_A}/workers",
                    headers=bearer(PRINCIPALS["employer_a"]), json=worker(salary=1_000_000))
    assert r.status_code == 422, r.text
    assert "salary" in str(r.json()["errors"]) and "minimum" in r.text
    assert persons(engine) == before
    assert client.get(f"/api/v1/hi-cards/{NEW}/validity",
                      headers=bearer(PRINCIPALS["clerk_hanoi"])).status_code == 404


def test_a_worker_starting_next_month_is_registered_ahead_and_not_later(
        api: tuple[TestClient, Any]) -> None:
    """A D02 list may be filed for next month: so may the worker taken on from its 1st. A
    start further ahead is refused by its field, and registers nobody."""
    client, engine = api
    employer = bearer(PRINCIPALS["employer_a"])
    this = Period.of(date.today())
    before = persons(engine)
    later = client.post(f"/api/v1/employers/{UNIT_A}/workers", headers=employer,
                        json=worker(from_month=str(this + 2)))
    assert_conforms(OPENAPI, "POST", "/api/v1/employers/{code}/workers", later)
    assert later.status_code == 422, later.text
    assert [e["field"] for e in later.json()["errors"]] == ["from_month"]
    assert persons(engine) == before
    ahead = client.post(f"/api/v1/employers/{UNIT_A}/workers", headers=employer,
                        json=worker(from_month=str(this + 1)))
    assert ahead.status_code == 201, ahead.text
    ledger = client.get(f"/api/v1/persons/{NEW}/ledger?as_of={this + 1}-28", headers=employer)
    assert [m["month"] for m in ledger.json()["months"]] == [str(this + 1)]


def person(**changes: Any) -> dict[str, Any]:
    return {key: value for key, value in worker(**changes).items()
            if key not in ("salary", "job_title", "from_month")}


def test_a_provincial_clerk_sees_whom_they_registered_and_no_other_province_does(
        api: tuple[TestClient, Any]) -> None:
    """No household and no employer yet: the registering office manages the person."""
    client, _ = api
    r = client.post("/api/v1/persons", headers=bearer(PRINCIPALS["clerk_hanoi"]), json=person())
    assert r.status_code == 201, r.text
    assert r.json()["participant_type"] == "registered"
    hcmc = Officer("hcm-clerk", "civil", "79", frozenset({"clerk"}))
    seen = {who: client.get(f"/api/v1/persons/{NEW}", headers=bearer(p)).status_code
            for who, p in (("hanoi", PRINCIPALS["clerk_hanoi"]), ("hcmc", hcmc))}
    assert seen == {"hanoi": 200, "hcmc": 404}


def test_a_clerk_registers_a_voluntary_participant(api: tuple[TestClient, Any]) -> None:
    client, engine = api
    clerk = bearer(PRINCIPALS["clerk_hanoi"])
    before = persons(engine)
    low = client.post("/api/v1/persons", headers=clerk,
                      json=person(voluntary={"income": 100_000}))
    assert low.status_code == 422, low.text
    assert low.json()["errors"][0]["field"] == "voluntary.income"
    assert "rural poverty line" in low.json()["errors"][0]["reason"]
    assert persons(engine) == before
    # Read in any letter case, as the CLI reads --support NEAR_POOR.
    r = client.post("/api/v1/persons", headers=clerk, json=person(voluntary={
        "income": 3_000_000, "support_group": "NEAR_POOR", "from_month": THIS_MONTH}))
    assert r.status_code == 201, r.text
    assert_conforms(OPENAPI, "POST", "/api/v1/persons", r)
    assert r.json()["participant_type"] == "voluntary"
    # As the CLI answers it: what the participant pays a month (22% of 3,000,000 less the
    # near-poor's 40% of 22% x 1,500,000), so they learn it where they registered.
    assert r.json()["voluntary"] == {"from_month": THIS_MONTH, "income": 3_000_000,
                                     "monthly_payable": 528_000, "state_support": 132_000,
                                     "support_months_left": 120}
    statement = client.get(f"/api/v1/persons/{NEW}/voluntary-payments", headers=clerk)
    assert statement.status_code == 200, statement.text
    assert [m["month"] for m in statement.json()["months"]] == [THIS_MONTH]


def test_an_unknown_support_group_is_the_domains_refusal_naming_the_field(
        api: tuple[TestClient, Any]) -> None:
    """A support group the law does not know is refused as the rules refuse it (README: "a
    value the law or the registry refuses (a region, a support group, ...) is the domain's
    422, naming the field"), not in FastAPI's shape; nobody is registered."""
    client, engine = api
    before = persons(engine)
    r = client.post("/api/v1/persons", headers=bearer(PRINCIPALS["clerk_hanoi"]),
                    json=person(voluntary={"income": 3_000_000, "support_group": "rich"}))
    assert r.status_code == 422, r.text
    assert_conforms(OPENAPI, "POST", "/api/v1/persons", r)
    [problem] = r.json()["errors"]
    assert problem["field"] == "voluntary.support_group" and "near_poor" in problem["reason"]
    assert persons(engine) == before
    joined = client.post("/api/v1/me/voluntary", headers=bearer(PRINCIPALS["citizen"]),
                         json={"income": 3_000_000, "support_group": "rich"})
    assert joined.status_code == 422, joined.text
    assert joined.json()["errors"][0]["field"] == "support_group"
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["VoluntaryIn"]
    assert {"enum": ["poor", "near_poor", "ethnic_minority", "island", "other"]}.items() <= \
        schema["properties"]["support_group"]["anyOf"][0].items()
    assert "any letter case" in schema["properties"]["support_group"]["description"]


JOINER = make_personal_id("001", date(1994, 2, 3), "female", 5151)  # in the population DB only


def test_a_citizen_joins_voluntary_si_themself(api: tuple[TestClient, Any]) -> None:
    """Signed in with VNeID level 2, not yet registered: registered from the population
    database, book issued, voluntary period opened; once only."""
    client, engine = api
    with unit_of_work(engine) as s:
        s.execute(insert(metadata.tables["population_citizens"]).values(
            personal_id=JOINER, full_name="Đỗ Thị Mai", birth_date=date(1994, 2, 3),
            sex="female"))
    me = bearer(Citizen(JOINER, 2))
    assert client.post("/api/v1/me/voluntary", headers=bearer(Citizen(JOINER, 1)),
                       json={"income": 3_000_000}).status_code == 403
    low = client.post("/api/v1/me/voluntary", headers=me, json={"income": 10_000})
    assert low.status_code == 422 and low.json()["errors"][0]["field"] == "income"
    before = persons(engine)
    nowhere = client.post("/api/v1/me/voluntary", headers=me, json={"income": 3_000_000})
    assert nowhere.status_code == 422 and persons(engine) == before  # all or nothing
    [problem] = nowhere.json()["errors"]
    assert problem["field"] == "province_code" and "which province you live in" in \
        problem["reason"]
    unknown = client.post("/api/v1/me/voluntary", headers=me,
                          json={"income": 3_000_000, "province_code": "99"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "province_code"
    r = client.post("/api/v1/me/voluntary", headers=me, json={
        "income": 3_000_000, "support_group": "near_poor", "from_month": THIS_MONTH,
        "province_code": "79"})
    assert r.status_code == 201, r.text
    assert (r.json()["participant_type"], r.json()["identity_verified"]) == ("voluntary", True)
    assert r.json()["voluntary"]["monthly_payable"] == 528_000
    assert_conforms(OPENAPI, "POST", "/api/v1/me/voluntary", r)
    assert persons(engine) == before + 1
    own = client.get(f"/api/v1/persons/{JOINER}/voluntary-payments", headers=me)
    assert [m["month"] for m in own.json()["months"]] == [THIS_MONTH]
    assert client.get("/api/v1/me", headers=me).json()["full_name"] == "Đỗ Thị Mai"
    # Managed by the province they live in: its clerks see them, another province's do not.
    assert client.get(f"/api/v1/persons/{JOINER}", headers=bearer(
        PRINCIPALS["clerk_hanoi"])).status_code == 404
    hcmc = Officer("hcm-clerk", "civil", "79", frozenset({"clerk"}))
    assert client.get(f"/api/v1/persons/{JOINER}", headers=bearer(hcmc)).status_code == 200
    # The form sent again: its first answer; without the support group, a 409 naming it.
    again = client.post("/api/v1/me/voluntary", headers=me, json={
        "income": 3_000_000, "support_group": "near_poor", "province_code": "79"})
    assert again.status_code == 201 and again.json() == {**r.json(), "replayed": True}
    other = client.post("/api/v1/me/voluntary", headers=me, json={"income": 3_000_000})
    assert_conforms(OPENAPI, "POST", "/api/v1/me/voluntary", other)
    assert other.status_code == 409 and [e["field"] for e in other.json()["errors"]] == [
        "support_group"]
    assert persons(engine) == before + 1


def test_a_join_with_a_past_month_and_no_province_names_both(
        api: tuple[TestClient, Any]) -> None:
    """The rules' refusal of the month came alone, the province's only on the next try:
    ``register`` asks for the managing office after everything else."""
    client, engine = api
    with unit_of_work(engine) as s:
        s.execute(insert(metadata.tables["population_citizens"]).values(
            personal_id=JOINER, full_name="Đỗ Thị Mai", birth_date=date(1994, 2, 3),
            sex="female"))
    before = persons(engine)
    r = client.post("/api/v1/me/voluntary", headers=bearer(Citizen(JOINER, 2)),
                    json={"income": 3_000_000, "from_month": "2020-01"})
    assert_conforms(OPENAPI, "POST", "/api/v1/me/voluntary", r)
    assert r.status_code == 422 and persons(engine) == before
    assert [e["field"] for e in r.json()["errors"]] == ["from_month", "province_code"], r.text


def test_joining_needs_the_population_database_or_no_open_period(
        api: tuple[TestClient, Any]) -> None:
    client, _ = api
    stranger = client.post("/api/v1/me/voluntary", headers=bearer(Citizen(NEW, 2)),
                           json={"income": 3_000_000})
    assert stranger.status_code == 422
    assert "not in the National Population Database" in stranger.json()["errors"][0]["reason"]
    employed = client.post("/api/v1/me/voluntary", headers=bearer(PRINCIPALS["citizen"]),
                           json={"income": 3_000_000})
    assert employed.status_code == 422, employed.text
    assert employed.json()["errors"][0]["field"] == "personal_id"


def test_a_ministrys_unit_registers_its_worker_into_its_realm(
        api: tuple[TestClient, Any]) -> None:
    """A defence unit files for defence people only: its new worker is of its realm (not civil,
    which its own start line then could not find), absent for civil clerks, logged."""
    client, engine = api
    unit = make_enterprise_code(40)
    with unit_of_work(engine) as s:
        service.add_employer(session=s, employer=NewEmployer(
            code=unit, name="Đơn vị Quân đội", province_code="01", region="I", realm="defence"))
    defence = bearer(PRINCIPALS["defence_clerk"])
    r = client.post(f"/api/v1/employers/{unit}/workers", headers=defence, json=worker())
    assert r.status_code == 201, r.text
    assert_conforms(OPENAPI, "POST", "/api/v1/employers/{code}/workers", r)
    persons_t, log = metadata.tables["persons"], metadata.tables["access_log"]
    with unit_of_work(engine) as s:
        assert s.scalar(select(persons_t.c.realm).where(persons_t.c.personal_id == NEW)
                        ) == "defence"
        assert s.scalar(select(func.count()).select_from(log).where(
            log.c.action == "worker.register", log.c.outcome == "allowed")) == 1
    assert client.get(f"/api/v1/persons/{NEW}", headers=defence).json()["employer"] == unit
    assert client.get(f"/api/v1/persons/{NEW}",
                      headers=bearer(PRINCIPALS["clerk_hanoi"])).status_code == 404


@pytest.mark.parametrize("voluntary", [None, {"income": 3_000_000}])
@pytest.mark.parametrize(("office", "province"), [("79000", "79"), (None, "01")])
def test_a_national_clerk_names_the_office_managing_a_person_or_it_is_their_birth_provinces(
        api: tuple[TestClient, Any], voluntary: dict[str, int] | None, office: str | None,
        province: str) -> None:
    """A national clerk belongs to no province: the office named manages the person (a
    voluntary participant or not), else that of the province where their birth was
    registered (the ID's 001: Hà Nội), so that a province's clerks see them and another
    province's do not."""
    client, engine = api
    national = bearer(Officer("vn-clerk", "civil", None, frozenset({"clerk"})))
    body = person(**({} if voluntary is None else {"voluntary": voluntary}),
                  **({} if office is None else {"managing_office": office}))
    before = persons(engine)
    r = client.post("/api/v1/persons", headers=national, json=body)
    assert r.status_code == 201, r.text
    assert_conforms(OPENAPI, "POST", "/api/v1/persons", r)
    assert persons(engine) == before + 1
    clerks = {"01": PRINCIPALS["clerk_hanoi"],
              "79": Officer("hcm-clerk", "civil", "79", frozenset({"clerk"}))}
    seen = {code: client.get(f"/api/v1/persons/{NEW}", headers=bearer(p)).status_code
            for code, p in clerks.items()}
    assert seen == {code: 200 if code == province else 404 for code in clerks}


def test_a_provincial_clerk_cannot_hand_a_registration_to_another_provinces_office(
        api: tuple[TestClient, Any]) -> None:
    client, engine = api
    before = persons(engine)
    r = client.post("/api/v1/persons", headers=bearer(PRINCIPALS["clerk_hanoi"]),
                    json=person(voluntary={"income": 3_000_000}, managing_office="79000"))
    assert r.status_code == 403, r.text
    assert persons(engine) == before
