"""Two requests writing the same thing at the same moment, over HTTP on PostgreSQL (SQLite
serialises writers itself): the first is held just before its commit while the second runs
until it waits on the first's locks (or ends), then the first commits. Whatever the write, one
of them takes effect and the other answers that effect (a replay) or the refusal a request
sent after the first gets (409, or 422 where the first makes it invalid): never a 500, a
second row or a lost write, and every answer is one the OpenAPI declares."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from sibook.access import credentials
from sibook.access.principals import Citizen, EmployerUnit, Hospital, Officer
from sibook.api.app import create_app
from sibook.api.deps import get_session
from sibook.contributions import api as contributions_api
from sibook.contributions import ledger
from sibook.core.config import get_settings
from sibook.core.db import unit_of_work
from sibook.core.schema import metadata
from sibook.ids import make_enterprise_code, make_personal_id
from sibook.registry.population import LocalPopulationRegistry
from tests.e2e.test_access_matrix import OWN, UNIT_A, UNIT_B, _populate, bearer
from tests.e2e.test_openapi_conformance import assert_conforms
from tests.visit_files import claim_file, summary

SPEC = create_app().openapi()
CLERK = Officer("hn-clerk", "civil", "01", frozenset({"clerk"}))
APPROVER = Officer("hn-approver", "civil", "01", frozenset({"approver"}))
EMPLOYER_A = EmployerUnit("acme", UNIT_A)
EMPLOYER_B = EmployerUnit("bee", UNIT_B)

Call = Callable[[TestClient], httpx2.Response]


@dataclass
class _Hold:
    """The app's unit of work per request; the next request armed stops after its route ran
    (its rows written, its locks held) until ``go``."""

    engine: Engine
    lock: threading.Lock = field(default_factory=threading.Lock)
    armed: bool = False
    holding: threading.Event = field(default_factory=threading.Event)
    go: threading.Event = field(default_factory=threading.Event)

    def session(self) -> Iterator[Any]:
        with unit_of_work(self.engine) as s:
            yield s
            with self.lock:
                hold, self.armed = self.armed, False
            if hold:
                self.holding.set()
                self.go.wait(60)


def _waits_or_ends(engine: Engine, racer: threading.Thread, seconds: float = 30) -> None:
    """Until a connection to this database waits on a lock (the second request on the
    first's), or ``racer`` (the second request) ended without waiting."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and racer.is_alive():
        with engine.connect() as conn:
            if conn.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()")).scalar():
                return
        time.sleep(0.05)
    assert not racer.is_alive(), "the second request neither waited nor ended"


@dataclass
class Race:
    app: FastAPI
    engine: Engine
    ids: dict[str, int]
    hold: _Hold

    def at_once(self, first: Call, second: Call) -> tuple[httpx2.Response, httpx2.Response]:
        """The answers to ``first`` and ``second`` sent at the same moment: ``second`` makes its
        checks while ``first`` has written but not yet committed."""
        answers: dict[str, httpx2.Response | BaseException] = {}

        def run(name: str, call: Call) -> None:
            try:
                answers[name] = call(TestClient(self.app, raise_server_exceptions=False))
            except BaseException as exc:  # noqa: BLE001 - asserted below
                answers[name] = exc

        hold = self.hold
        hold.holding.clear()
        hold.go.clear()
        hold.armed = True
        one = threading.Thread(target=run, args=("first", first))
        one.start()
        try:
            while not hold.holding.wait(0.05):
                assert one.is_alive(), f"the first request did not write: {answers['first']}"
            two = threading.Thread(target=run, args=("second", second))
            two.start()
            _waits_or_ends(self.engine, two)
        finally:
            hold.go.set()
            one.join(60)
        two.join(60)
        a, b = answers["first"], answers["second"]
        assert isinstance(a, httpx2.Response), a
        assert isinstance(b, httpx2.Response), b
        return a, b

    def count(self, table: str, where: str = "true", **params: Any) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table} WHERE {where}"),
                                    params).scalar_one())


@pytest.fixture
def race(postgres: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Race]:
    """The access matrix's people on PostgreSQL, served by an app whose requests can be held
    before their commit."""
    monkeypatch.setenv("SIBOOK_KEY_PASSPHRASE", "test passphrase")
    get_settings.cache_clear()
    ids = _populate(postgres)
    app = create_app()
    hold = _Hold(postgres)
    app.dependency_overrides[get_session] = hold.session
    yield Race(app, postgres, ids, hold)


def declared(method: str, path: str, *answers: httpx2.Response) -> list[int]:
    """The answers' status codes, once each is one the OpenAPI declares for ``method path``."""
    for r in answers:
        assert_conforms(SPEC, method, path, r)
    return sorted(r.status_code for r in answers)


# --- declarations ---------------------------------------------------------------------------

FILING = "/api/v1/employers/{code}/declarations"


def filing(data: bytes, *, batch: int = 1) -> Call:
    def call(client: TestClient) -> httpx2.Response:
        return client.post(FILING.format(code=UNIT_A), headers=bearer(EMPLOYER_A),
                           data={"month": "2026-01", "batch": str(batch)},
                           files={"file": ("d02.csv", data, "text/csv")})
    return call


def finished(client: TestClient, location: str) -> dict[str, Any]:
    """A large filing's job once it ended, each poll's answer as the OpenAPI declares it."""
    for _ in range(600):
        r = client.get(location, headers=bearer(EMPLOYER_A))
        assert_conforms(SPEC, "GET", "/api/v1/employers/{code}/declaration-jobs/{job_id}", r)
        if r.json()["status"] not in ("queued", "running"):
            return dict(r.json())
        time.sleep(0.05)
    raise AssertionError(f"still running: {location}")


def adjustment(salary: int) -> bytes:
    return f"personal_id,case_code,salary,from_month\n{OWN},DC,{salary},2026-01\n".encode()


def test_the_same_declaration_posted_twice_at_once_is_filed_once_and_replayed(
        race: Race) -> None:
    first, second = race.at_once(filing(adjustment(11_000_000)), filing(adjustment(11_000_000)))
    assert declared("POST", FILING, first, second) == [201, 201], (first.text, second.text)
    assert (first.json()["replayed"], second.json()["replayed"]) == (False, True)
    assert second.json()["declaration_id"] == first.json()["declaration_id"]
    assert race.count("declarations") == 1


def test_two_declarations_of_one_batch_at_once_file_one_and_refuse_the_other(
        race: Race) -> None:
    first, second = race.at_once(filing(adjustment(11_000_000)), filing(adjustment(12_000_000)))
    assert declared("POST", FILING, first, second) == [201, 409], (first.text, second.text)
    assert "batch 1 of 2026-01 was already filed" in second.text
    assert race.count("declarations") == 1


# --- payments -------------------------------------------------------------------------------

PAYMENT = "/api/v1/employers/{code}/payments"


def payment(amount: int, reference: str) -> Call:
    def call(client: TestClient) -> httpx2.Response:
        return client.post(PAYMENT.format(code=UNIT_A), headers=bearer(CLERK), json={
            "amount": amount, "reference": reference, "paid_on": "2026-02-10"})
    return call


def _dues(race: Race) -> None:
    """UNIT_A owes January 2026 for OWN, on a salary adjusted to 11,000,000."""
    r = filing(adjustment(11_000_000))(TestClient(race.app))
    assert r.status_code == 201, r.text


def test_the_same_payment_posted_twice_at_once_is_one_payment_and_its_replay(
        race: Race) -> None:
    _dues(race)
    first, second = race.at_once(payment(5_000_000, "VCB-1"), payment(5_000_000, "vcb-1"))
    assert declared("POST", PAYMENT, first, second) == [201, 201], (first.text, second.text)
    assert (first.json()["replayed"], second.json()["replayed"]) == (False, True)
    assert second.json()["payment_id"] == first.json()["payment_id"]
    assert second.json()["allocated"] == first.json()["allocated"]
    assert race.count("payments") == 1


def test_two_payments_at_once_pay_the_oldest_dues_once(race: Race) -> None:
    _dues(race)
    first, second = race.at_once(payment(5_000_000, "VCB-1"), payment(7_000_000, "VCB-2"))
    assert declared("POST", PAYMENT, first, second) == [201, 201], (first.text, second.text)
    assert race.count("payments") == 2
    with race.engine.connect() as conn:
        unit = conn.execute(text("SELECT employer_id FROM employers WHERE code = :c"),
                            {"c": UNIT_A}).scalar_one()
        due = ledger.dues_by_month(conn, unit)
        paid = dict(conn.execute(text(
            "SELECT period, sum(amount) FROM payment_allocations GROUP BY period")).all())
        left = ledger.credit(conn, unit)
    assert {m: a for m, a in paid.items() if a > due.get(m, 0)} == {}  # no month paid twice
    assert sum(paid.values()) + left == 12_000_000  # every dong pays a month or is credit


# --- registrations --------------------------------------------------------------------------

NEW = make_personal_id("001", date(1996, 4, 5), "female", 4242)
UNIT_NEW = make_enterprise_code(77)
WORKERS = "/api/v1/employers/{code}/workers"
PERSONS = "/api/v1/persons"
JOIN = "/api/v1/me/voluntary"


def hired(code: str, who: EmployerUnit) -> Call:
    def call(client: TestClient) -> httpx2.Response:
        return client.post(WORKERS.format(code=code), headers=bearer(who), json={
            "personal_id": NEW, "full_name": "Lê Thị Hoa", "birth_date": "1996-04-05",
            "sex": "female", "birth_registration_place": "001", "salary": 9_000_000,
            "job_title": "Kế toán", "from_month": f"{date.today():%Y-%m}"})
    return call


def joined(client: TestClient) -> httpx2.Response:
    return client.post(JOIN, headers=bearer(Citizen(NEW, 2)),
                       json={"income": 3_000_000, "province_code": "01"})


def registered(client: TestClient) -> httpx2.Response:
    return client.post(PERSONS, headers=bearer(CLERK), json={
        "personal_id": NEW, "full_name": "Lê Thị Hoa", "birth_date": "1996-04-05",
        "sex": "female", "birth_registration_place": "001"})


def _in_population(race: Race) -> None:
    with unit_of_work(race.engine) as s:
        s.execute(metadata.tables["population_citizens"].insert().values(
            personal_id=NEW, full_name="Lê Thị Hoa", birth_date=date(1996, 4, 5), sex="female"))


def test_one_worker_taken_on_by_two_employers_at_once_is_one_person_and_one_409(
        race: Race) -> None:
    _in_population(race)
    first, second = race.at_once(hired(UNIT_A, EMPLOYER_A), hired(UNIT_B, EMPLOYER_B))
    assert declared("POST", WORKERS, first, second) == [201, 409], (first.text, second.text)
    assert race.count("persons", "personal_id = :p", p=NEW) == 1
    assert race.count("si_periods s JOIN persons p ON p.person_id = s.person_id",
                      "p.personal_id = :p", p=NEW) == 1


def test_a_worker_taken_on_as_they_join_voluntary_si_is_one_person(race: Race) -> None:
    _in_population(race)
    first, second = race.at_once(hired(UNIT_A, EMPLOYER_A), joined)
    assert_conforms(SPEC, "POST", WORKERS, first)
    assert_conforms(SPEC, "POST", JOIN, second)
    assert (first.status_code, second.status_code) == (201, 422), (first.text, second.text)
    assert second.json()["errors"][0]["reason"] == (
        f"the person already participates (compulsory) since {date.today():%Y-%m}")
    assert race.count("persons", "personal_id = :p", p=NEW) == 1
    assert race.count("si_periods", "kind = 'voluntary'") == 0


@pytest.mark.parametrize("first_path", [JOIN, PERSONS])
def test_a_person_registered_as_an_employer_takes_them_on_is_one_person_and_a_409(
        race: Race, first_path: str) -> None:
    """The citizen's own join, or a clerk's registration, then the employer's TK1-TS: its
    number is registered, the 409 it gets after them."""
    _in_population(race)
    first, second = race.at_once(joined if first_path == JOIN else registered,
                                 hired(UNIT_A, EMPLOYER_A))
    assert_conforms(SPEC, "POST", first_path, first)
    assert_conforms(SPEC, "POST", WORKERS, second)
    assert (first.status_code, second.status_code) == (201, 409), (first.text, second.text)
    assert race.count("persons", "personal_id = :p", p=NEW) == 1
    assert race.count("si_periods", "kind = 'compulsory'") == 3  # the matrix's three


def test_one_person_registered_twice_at_once_is_one_record_and_its_replay(race: Race) -> None:
    """The same registration sent twice (a retry while the first was still running): the
    second waits for the first, then answers it (replayed), as it would after it."""
    first, second = race.at_once(registered, registered)
    assert declared("POST", PERSONS, first, second) == [201, 201], (first.text, second.text)
    assert (first.json()["replayed"], second.json()["replayed"]) == (False, True)
    assert second.json() == {**first.json(), "replayed": True}
    assert race.count("persons", "personal_id = :p", p=NEW) == 1
    assert race.count("book_versions v JOIN persons p ON p.person_id = v.person_id",
                      "p.personal_id = :p", p=NEW) == 1


def test_one_worker_registered_twice_at_once_by_its_employer_is_one_start_and_its_replay(
        race: Race) -> None:
    _in_population(race)
    first, second = race.at_once(hired(UNIT_A, EMPLOYER_A), hired(UNIT_A, EMPLOYER_A))
    assert declared("POST", WORKERS, first, second) == [201, 201], (first.text, second.text)
    assert second.json() == {**first.json(), "replayed": True}
    assert race.count("si_periods s JOIN persons p ON p.person_id = s.person_id",
                      "p.personal_id = :p", p=NEW) == 1


def test_a_citizen_joining_twice_at_once_is_one_person_and_its_replay(race: Race) -> None:
    """The form sent twice: the second waits for the first's registration, then answers it
    (replayed), as it does after it (it was a 422 "already participates"); each answer, the
    citizen's record, is in their log."""
    _in_population(race)
    first, second = race.at_once(joined, joined)
    assert declared("POST", JOIN, first, second) == [201, 201], (first.text, second.text)
    assert second.json() == {**first.json(), "replayed": True}
    assert race.count("persons", "personal_id = :p", p=NEW) == 1
    assert race.count("si_periods", "kind = 'voluntary'") == 1
    assert race.count("access_log l JOIN persons p ON p.person_id = l.person_id",
                      "p.personal_id = :p", p=NEW) == 2


def test_a_citizen_joining_twice_at_once_on_two_incomes_is_one_person_and_a_409(
        race: Race) -> None:
    _in_population(race)

    def on_more(client: TestClient) -> httpx2.Response:
        return client.post(JOIN, headers=bearer(Citizen(NEW, 2)),
                           json={"income": 4_000_000, "province_code": "01"})

    first, second = race.at_once(joined, on_more)
    assert declared("POST", JOIN, first, second) == [201, 409], (first.text, second.text)
    assert [e["field"] for e in second.json()["errors"]] == ["income"]
    assert race.count("si_periods", "kind = 'voluntary' AND salary_basis = 3000000") == 1
    assert race.count("si_periods", "kind = 'voluntary'") == 1


def test_a_citizen_joining_as_a_clerk_registers_them_is_registered_once_and_joins(
        race: Race) -> None:
    """The clerk's registration (no participation) comes first: the citizen's join then
    starts their voluntary SI, as it does after it, not a 409 that loses it."""
    _in_population(race)
    first, second = race.at_once(registered, joined)
    assert_conforms(SPEC, "POST", PERSONS, first)
    assert_conforms(SPEC, "POST", JOIN, second)
    assert (first.status_code, second.status_code) == (201, 201), (first.text, second.text)
    assert second.json()["participant_type"] == "voluntary"
    assert race.count("persons", "personal_id = :p", p=NEW) == 1
    assert race.count("si_periods", "kind = 'voluntary'") == 1


EMPLOYERS = "/api/v1/employers"
REGIME = "/api/v1/employers/{code}/salary-regime"


def employer_added(name: str) -> Call:
    def call(client: TestClient) -> httpx2.Response:
        return client.post(EMPLOYERS, headers=bearer(CLERK), json={
            "code": UNIT_NEW, "name": name, "province_code": "01", "region": "I",
            "payment_cycle": "3", "payment_cycle_from": "2026-01"})
    return call


def test_one_unit_registered_twice_at_once_is_one_unit_and_its_replay(race: Race) -> None:
    first, second = race.at_once(employer_added("Công ty Một"), employer_added("Công ty Một"))
    assert declared("POST", EMPLOYERS, first, second) == [201, 201], (first.text, second.text)
    assert second.json() == {**first.json(), "replayed": True}
    assert race.count("employers", "code = :c", c=UNIT_NEW) == 1


def test_one_unit_code_registered_with_two_names_at_once_is_one_unit_and_a_409_naming_name(
        race: Race) -> None:
    first, second = race.at_once(employer_added("Công ty Một"), employer_added("Công ty Hai"))
    assert declared("POST", EMPLOYERS, first, second) == [201, 409], (first.text, second.text)
    assert second.json() == {"errors": [{"field": "name", "reason": (
        f"employer {UNIT_NEW} was registered with name 'Công ty Một', not 'Công ty Hai'")}]}
    assert race.count("employers", "code = :c", c=UNIT_NEW) == 1


def regime(salary_regime: str) -> Call:
    def call(client: TestClient) -> httpx2.Response:
        return client.put(REGIME.format(code=UNIT_A), headers=bearer(CLERK),
                          json={"salary_regime": salary_regime, "from_month": "2026-01"})
    return call


def test_two_regimes_from_one_month_at_once_leave_the_one_answered_last(race: Race) -> None:
    """The second waits for the first, then replaces it, as a change from a month already
    changed does: neither is a 500, and what stands is what the last answer says."""
    first, second = race.at_once(regime("state"), regime("employer"))
    assert_conforms(SPEC, "PUT", REGIME, first)
    assert_conforms(SPEC, "PUT", REGIME, second)
    assert (first.status_code, second.status_code) == (200, 200), (first.text, second.text)
    history = TestClient(race.app).get(REGIME.format(code=UNIT_A), headers=bearer(CLERK))
    assert history.json()["changes"] == [{"from_month": "2026-01", "salary_regime": "employer"}]


# --- households, voluntary SI ---------------------------------------------------------------

HOUSEHOLDS = "/api/v1/households"
VOLUNTARY = "/api/v1/persons/{personal_id}/voluntary"
VOLUNTARY_PAYMENTS = "/api/v1/persons/{personal_id}/voluntary-payments"


def household(address: str) -> Call:
    def call(client: TestClient) -> httpx2.Response:
        return client.post(HOUSEHOLDS, headers=bearer(CLERK), json={
            "code": "HN7", "address": address, "province_code": "01",
            "members": [{"personal_id": OWN, "relation_to_head": "chủ hộ"}]})
    return call


def test_one_household_registered_twice_at_once_is_one_household(race: Race) -> None:
    first, second = race.at_once(household("Số 1 Hàng Bài"), household("Số 1 Hàng Bài"))
    assert declared("POST", HOUSEHOLDS, first, second) == [201, 201], (first.text, second.text)
    assert second.json() == {**first.json(), "replayed": True}
    assert race.count("households", "code = 'HN7'") == 1


def test_one_household_code_registered_at_two_addresses_at_once_is_one_and_a_409(
        race: Race) -> None:
    """A code held is the 409 a unit code held gets (it was a 422), naming what differs (not
    the address recorded: personal data)."""
    first, second = race.at_once(household("Số 1 Hàng Bài"), household("Số 2 Hàng Bài"))
    assert declared("POST", HOUSEHOLDS, first, second) == [201, 409], (first.text, second.text)
    assert second.json() == {"errors": [{"field": "address", "reason": (
        "household HN7 was registered with another address")}]}
    assert race.count("households", "code = 'HN7'") == 1


def started(client: TestClient) -> httpx2.Response:
    return client.post(VOLUNTARY.format(personal_id=OWN), headers=bearer(CLERK),
                       json={"income": 3_000_000})


def _voluntary(race: Race) -> None:
    """OWN's job ended in 2025: they may join voluntary SI."""
    with unit_of_work(race.engine) as s:
        s.execute(text("UPDATE si_periods SET to_month = :m WHERE person_id = :p"),
                  {"m": 2025 * 12, "p": race.ids[OWN]})


def test_voluntary_si_started_twice_at_once_is_one_period_and_its_replay(race: Race) -> None:
    _voluntary(race)
    first, second = race.at_once(started, started)
    assert declared("POST", VOLUNTARY, first, second) == [201, 201], (first.text, second.text)
    assert second.json() == {**first.json(), "replayed": True}
    assert race.count("si_periods", "kind = 'voluntary'") == 1


def test_a_citizen_and_a_clerk_starting_voluntary_si_at_once_open_one_period(
        race: Race) -> None:
    """The same start from both doors is one start: the clerk's answers the citizen's (as
    the clerk sees it: no identity checked)."""
    _voluntary(race)

    def own(client: TestClient) -> httpx2.Response:
        return client.post(JOIN, headers=bearer(Citizen(OWN, 2)), json={"income": 3_000_000})

    first, second = race.at_once(own, started)
    assert_conforms(SPEC, "POST", JOIN, first)
    assert_conforms(SPEC, "POST", VOLUNTARY, second)
    assert (first.status_code, second.status_code) == (201, 201), (first.text, second.text)
    assert second.json() == {**first.json(), "identity_verified": False, "replayed": True}
    assert race.count("si_periods", "kind = 'voluntary'") == 1


def test_a_filing_taking_on_a_person_as_they_start_voluntary_si_is_a_409(race: Race) -> None:
    _voluntary(race)
    month = f"{date.today():%Y-%m}"
    line = ("personal_id,full_name,case_code,salary,from_month\n"
            f"{OWN},Person {OWN},TM,9000000,{month}\n")

    def filed_tm(client: TestClient) -> httpx2.Response:
        return client.post(FILING.format(code=UNIT_B), headers=bearer(EMPLOYER_B),
                           data={"month": month},
                           files={"file": ("d02.csv", line.encode(), "text/csv")})

    first, second = race.at_once(started, filed_tm)
    assert_conforms(SPEC, "POST", VOLUNTARY, first)
    assert_conforms(SPEC, "POST", FILING, second)
    # Checked against the periods it looked up: refused as a conflict, nothing of it kept;
    # filed again, it is checked against the voluntary period (README, "Declarations").
    assert (first.status_code, second.status_code) == (201, 409), (first.text, second.text)
    assert second.json()["errors"][0]["reason"].startswith("another filing changed")
    assert race.count("si_periods", "kind = 'voluntary'") == 1
    assert race.count("declarations") == 0
    again = filed_tm(TestClient(race.app))
    assert again.status_code == 422, again.text



def paid(amount: int, reference: str) -> Call:
    def call(client: TestClient) -> httpx2.Response:
        return client.post(VOLUNTARY_PAYMENTS.format(personal_id=OWN), headers=bearer(CLERK),
                           json={"amount": amount, "reference": reference,
                                 "paid_on": date.today().isoformat()})
    return call


def test_the_same_voluntary_payment_posted_twice_at_once_is_one_payment(race: Race) -> None:
    _voluntary(race)
    assert started(TestClient(race.app)).status_code == 201
    first, second = race.at_once(paid(660_000, "VNPT-1"), paid(660_000, "VNPT-1"))
    assert declared("POST", VOLUNTARY_PAYMENTS, first, second) == [201, 201], \
        (first.text, second.text)
    assert (first.json()["replayed"], second.json()["replayed"]) == (False, True)
    assert race.count("voluntary_payments") == 1
    first, second = race.at_once(paid(660_000, "VNPT-2"), paid(660_000, "VNPT-3"))
    assert declared("POST", VOLUNTARY_PAYMENTS, first, second) == [201, 201]
    assert sorted(r.json()["payment_no"] for r in (first, second)) == [2, 3]


# --- benefits -------------------------------------------------------------------------------

CLAIMS = "/api/v1/persons/{personal_id}/benefits"
DECISION = CLAIMS + "/{dossier_no}/decision"
SICK = {"regime": "sickness", "dossier_no": "HS-0001", "received_on": "2021-03-20",
        "event_from": "2021-03-01", "event_to": "2021-03-05", "note": "cúm A"}
PAID = {"outcome": "settled", "decided_on": "2021-03-27", "decision_no": "12/QĐ-BHXH",
        "amount": 1_730_000, "days": 5}


def claimed(body: dict[str, Any]) -> Call:
    def call(client: TestClient) -> httpx2.Response:
        return client.post(CLAIMS.format(personal_id=OWN), headers=bearer(CLERK), json=body)
    return call


def decided(body: dict[str, Any]) -> Call:
    def call(client: TestClient) -> httpx2.Response:
        return client.post(DECISION.format(personal_id=OWN, dossier_no="HS-0001"),
                           headers=bearer(APPROVER), json=body)
    return call


def test_one_claim_filed_twice_at_once_is_one_claim_and_its_replay(race: Race) -> None:
    first, second = race.at_once(claimed(SICK), claimed({**SICK, "dossier_no": "hs-0001"}))
    assert declared("POST", CLAIMS, first, second) == [201, 201], (first.text, second.text)
    assert (first.json()["replayed"], second.json()["replayed"]) == (False, True)
    assert race.count("benefit_claims") == 1


def test_one_dossier_with_other_content_at_once_is_one_claim_and_a_409(race: Race) -> None:
    first, second = race.at_once(claimed(SICK), claimed({**SICK, "event_to": "2021-03-06"}))
    assert declared("POST", CLAIMS, first, second) == [201, 409], (first.text, second.text)
    assert race.count("benefit_claims") == 1


def test_two_dossiers_of_one_sick_leave_at_once_are_one_claim_and_a_refusal(
        race: Race) -> None:
    first, second = race.at_once(claimed(SICK), claimed({**SICK, "dossier_no": "HS-0002"}))
    assert declared("POST", CLAIMS, first, second) == [201, 422], (first.text, second.text)
    assert second.json()["errors"][0]["field"] == "event_from"
    assert race.count("benefit_claims") == 1


def test_one_decision_posted_twice_at_once_is_one_decision_and_its_replay(race: Race) -> None:
    assert claimed(SICK)(TestClient(race.app)).status_code == 201
    first, second = race.at_once(decided(PAID), decided(PAID))
    assert declared("POST", DECISION, first, second) == [201, 201], (first.text, second.text)
    assert (first.json()["replayed"], second.json()["replayed"]) == (False, True)
    assert race.count("benefit_decisions") == 1


def test_two_decisions_of_one_claim_at_once_are_one_decision_and_a_409(race: Race) -> None:
    assert claimed(SICK)(TestClient(race.app)).status_code == 201
    refused = {"outcome": "refused", "decided_on": "2021-03-27", "decision_no": "13/QĐ-BHXH",
               "reason": "không đủ điều kiện"}
    first, second = race.at_once(decided(PAID), decided(refused))
    assert declared("POST", DECISION, first, second) == [201, 409], (first.text, second.text)
    assert race.count("benefit_decisions") == 1


# --- visits ---------------------------------------------------------------------------------

VISITS = "/api/v1/visits"
CARD = "DN4010000000001"


def filed(client: TestClient) -> httpx2.Response:
    record = summary(SO_CCCD=OWN, HO_TEN=f"Person {OWN}", MA_THE_BHYT=CARD, MA_LK="LK-1")
    return client.post(VISITS, headers=bearer(Hospital("bach-mai", "01001")),
                       files={"file": ("claims.xml", claim_file([record]), "application/xml")})


def test_one_claim_file_sent_twice_at_once_is_one_visit_and_its_replay(race: Race) -> None:
    with unit_of_work(race.engine) as s:
        s.execute(metadata.tables["hi_cards"].insert().values(
            person_id=race.ids[OWN], seq=1, card_number=CARD, group_code="DN", benefit_level=4,
            province_code="01", initial_kcb_place="01001", valid_from=date(2026, 1, 1),
            valid_to=date(2026, 12, 31)))
    first, second = race.at_once(filed, filed)
    assert declared("POST", VISITS, first, second) == [201, 201], (first.text, second.text)
    assert (first.json()["replayed"], second.json()["replayed"]) == (False, True)
    assert race.count("hi_visits") == 1


# --- book revocations -----------------------------------------------------------------------

REVOCATION = "/api/v1/books/{personal_id}/versions/{version}/revocation"


def revoked(reason: str) -> Call:
    def call(client: TestClient) -> httpx2.Response:
        return client.post(REVOCATION.format(personal_id=OWN, version=1), headers=bearer(APPROVER),
                           json={"reason": reason})
    return call


def reinstated(client: TestClient) -> httpx2.Response:
    return client.delete(REVOCATION.format(personal_id=OWN, version=1), headers=bearer(APPROVER))


def test_a_reinstatement_sent_as_its_revocation_commits_lifts_it(race: Race) -> None:
    """The revocation is signed into the realm's list (under the list's lock) before its
    request ends: the reinstatement finds it and lifts it, and the list says so."""
    client = TestClient(race.app)
    assert client.get(f"/api/v1/books/{OWN}/qr", headers=bearer(CLERK)).status_code == 200
    first, second = race.at_once(revoked("nghi gian lận"), reinstated)
    assert_conforms(SPEC, "POST", REVOCATION, first)
    assert_conforms(SPEC, "DELETE", REVOCATION, second)
    assert (first.status_code, second.status_code) == (201, 200), (first.text, second.text)
    assert client.get("/api/v1/revocations").json()["entries"] == []


def test_the_same_large_declaration_posted_twice_at_once_is_filed_once_and_replayed(
        race: Race, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each is answered 202 and filed by a job of its own; the jobs run at the same moment."""
    monkeypatch.setattr(contributions_api, "ASYNC_BYTES", 10)
    client = TestClient(race.app)
    started = [filing(adjustment(11_000_000))(client) for _ in range(2)]
    assert [r.status_code for r in started] == [202, 202], [r.text for r in started]
    jobs = [finished(client, r.headers["Location"]) for r in started]
    assert sorted((j["status"], j["result"]["replayed"]) for j in jobs) == [
        ("accepted", False), ("accepted", True)], jobs
    assert race.count("declarations") == 1


def test_guesses_sent_at_once_are_stopped_at_the_tenth_as_guesses_sent_one_by_one(
        race: Race, monkeypatch: pytest.MonkeyPatch) -> None:
    """The caller's tenth refused identity is still being checked when their eleventh comes:
    the eleventh waits for it, then is stopped (429) before the population database is asked.
    Checked side by side, a burst of guesses was answered whole, however many it held."""
    _in_population(race)
    guesser = EmployerUnit("guesser", UNIT_A)
    with unit_of_work(race.engine) as s:
        for _ in range(credentials.IDENTITY_MISMATCHES_PER_HOUR - 1):
            credentials.identity_refused(s, guesser.actor_id)
    asked, go = threading.Event(), threading.Event()
    lookup = LocalPopulationRegistry.lookup

    def held_lookup(self: LocalPopulationRegistry, personal_id: str) -> Any:
        if not asked.is_set():  # the tenth guess's: held until the eleventh has come
            asked.set()
            go.wait(60)
        return lookup(self, personal_id)

    monkeypatch.setattr(LocalPopulationRegistry, "lookup", held_lookup)
    answers: dict[int, httpx2.Response] = {}

    def guess(day: int) -> None:
        answers[day] = TestClient(race.app).post(
            WORKERS.format(code=UNIT_A), headers=bearer(guesser), json={
                "personal_id": NEW, "full_name": "Lê Thị Hoa", "birth_date": f"1996-04-{day:02d}",
                "sex": "female", "birth_registration_place": "001", "salary": 9_000_000})

    tenth = threading.Thread(target=guess, args=(10,))
    tenth.start()
    eleventh = threading.Thread(target=guess, args=(11,))
    try:
        assert asked.wait(60), "the tenth guess never asked the population database"
        eleventh.start()
        _waits_or_ends(race.engine, eleventh)
    finally:
        go.set()
        tenth.join(60)
    eleventh.join(60)
    assert_conforms(SPEC, "POST", WORKERS, answers[10])
    assert_conforms(SPEC, "POST", WORKERS, answers[11])
    assert (answers[10].status_code, answers[11].status_code) == (422, 429), \
        (answers[10].text, answers[11].text)
