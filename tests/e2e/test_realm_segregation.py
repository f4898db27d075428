"""A unit or person of the defence or public-security realm is absent outside it: to a civil
caller, over HTTP and on the command line, the very answer a code or personal ID nobody holds
gets (status or exit code, and body, the value itself aside); the realm's own reach it with the
realm named (its officers' tokens, the commands' ``--realm``). On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from sibook.access import tokens
from sibook.access.principals import Citizen
from sibook.cli.main import app as cli
from sibook.core.db import unit_of_work
from sibook.core.period import Period
from sibook.ids import make_enterprise_code
from sibook.law import UNNAMED_SUPPORT_GROUP
from sibook.registry import registration, service
from sibook.registry.new_employer import NewEmployer
from sibook.registry.new_person import NewPerson
from sibook.registry.population import LocalPopulationRegistry
from sibook.rules import voluntary_dues
from tests.e2e.test_access_matrix import bearer
from tests.integration.ledger_fixtures import EMPLOYER, csv_of, worker_id, worker_name
from tests.servers import app_on

MINISTRY = make_enterprise_code(7171, "01")  # a defence unit in Hà Nội
NOBODYS = make_enterprise_code(7272, "01")  # a code no unit holds
SOLDIER = worker_id(500)  # a defence unit's worker
STRANGER = worker_id(501)  # a personal ID nobody holds
THIS_MONTH = f"{date.today():%Y-%m}"  # not yet due: a payment method may change from it


def run(*args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, [*args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def register(code: str, personal_id: str, *realm: str) -> tuple[int, dict[str, Any]]:
    return run("persons", "register", "--personal-id", personal_id, "--name", worker_name(500),
               "--birth-date", "1990-01-01", "--sex", "male", "--employer", code, "--salary",
               "12000000", "--from", "2026-01", *realm)


@pytest.fixture
def ministry(configured: Engine, tmp_path: Path) -> Engine:
    """``configured`` (a civil unit and its worker) with a defence unit and its soldier."""
    with unit_of_work(configured) as s:
        service.add_employer(session=s, employer=NewEmployer(
            code=MINISTRY, name="Đơn vị 7171", province_code="01", region="I",
            realm="defence"))
        registration.register(
            session=s, person=NewPerson(personal_id=SOLDIER, full_name=worker_name(500),
                                        birth_date=date(1990, 1, 1), sex="male",
                                        birth_registration_place="001"),
            population=LocalPopulationRegistry(s), require_match=False,
            employment=registration.EmploymentStart(MINISTRY, 12_000_000, 0, None,
                                                    Period(2026, 1)))
    return configured


def d02(tmp_path: Path) -> str:
    path = tmp_path / "d02.csv"
    path.write_bytes(csv_of([(SOLDIER, "DC", 13_000_000, "2026-01")]))
    return str(path)


# Each command that names a unit, as a civil operator types it (CODE: the unit's code).
UNIT_COMMANDS = {
    "employers regimes": ("employers", "regimes", "CODE"),
    "employers cycle": ("employers", "cycle", "CODE", "--payment-cycle", "3", "--from",
                        THIS_MONTH),
    "employers regime": ("employers", "regime", "CODE", "--salary-regime", "state", "--from",
                         "2026-01"),
    "ledger employer": ("ledger", "employer", "CODE"),
    "ledger below-minimum": ("ledger", "below-minimum", "CODE", "--month", "2026-01"),
    "payments post": ("payments", "post", "--employer", "CODE", "--amount", "1000",
                      "--reference", "R-7171", "--date", "2026-02-05"),
    "declare": ("declare", "FILE", "--employer", "CODE", "--month", "2026-01"),
    "persons list": ("persons", "list", "--employer", "CODE"),
    "access add-client": ("access", "add-client", "unit-7171", "--kind", "employer",
                          "--unit-code", "CODE"),
}


def typed(command: str, code: str, tmp_path: Path) -> list[str]:
    return [{"CODE": code, "FILE": d02(tmp_path)}.get(a, a) for a in UNIT_COMMANDS[command]]


@pytest.mark.parametrize("command", UNIT_COMMANDS)
def test_a_civil_operator_is_answered_for_a_ministrys_unit_as_for_a_code_nobody_holds(
        ministry: Engine, tmp_path: Path, command: str) -> None:
    """They reached the unit: its pay method and regime changed, its dues and workers read,
    a remittance posted to it, a credential made naming its realm."""
    hidden = run(*typed(command, MINISTRY, tmp_path))
    unknown = run(*typed(command, NOBODYS, tmp_path))
    assert hidden[0] == unknown[0] == 1, hidden
    assert json.dumps(hidden[1]).replace(MINISTRY, "X") == json.dumps(unknown[1]).replace(
        NOBODYS, "X")


@pytest.mark.parametrize("command", [c for c in UNIT_COMMANDS if c != "persons list"])
def test_the_ministrys_unit_is_reached_with_its_realm_named(
        ministry: Engine, tmp_path: Path, command: str) -> None:
    """``--realm defence`` (``persons list`` lists no ministry's people: CONTRACT.md)."""
    code, answer = run(*typed(command, MINISTRY, tmp_path), "--realm", "defence")
    assert code == 0, answer


def test_a_civil_operator_registers_no_worker_for_a_ministrys_unit(ministry: Engine) -> None:
    """Without --realm it made a defence person, hidden from the civil operator who made them;
    with it, the unit's worker is of its realm."""
    hidden, unknown = register(MINISTRY, STRANGER), register(NOBODYS, STRANGER)
    assert hidden[0] == unknown[0] == 1
    assert json.dumps(hidden[1]).replace(MINISTRY, "X") == json.dumps(unknown[1]).replace(
        NOBODYS, "X")
    assert register(MINISTRY, STRANGER, "--realm", "defence")[0] == 0
    assert run("ledger", "show", STRANGER, "--realm", "defence")[0] == 0
    alone = CliRunner().invoke(cli, ["persons", "register", "--personal-id", STRANGER,
                                     "--name", "Lê Văn B", "--birth-date", "1990-01-01",
                                     "--sex", "male", "--realm", "defence"])
    assert alone.exit_code == 2 and "--realm" in alone.output  # names no unit to register


def test_employers_list_lists_a_realms_units_only_with_the_realm_named(
        ministry: Engine) -> None:
    def listed(*realm: str) -> list[str]:
        return [e["code"] for e in run("employers", "list", *realm)[1]["employers"]]

    assert MINISTRY not in listed() and listed()
    assert listed("--realm", "defence") == [MINISTRY]


def officer(realm: str) -> dict[str, str]:
    token = tokens.issue({"sub": f"{realm}-clerk", "kind": "officer", "realm": realm,
                          "province_code": None, "roles": ["approver", "auditor", "clerk"]})
    return {"Authorization": f"Bearer {token}"}


WORKER_BODY = {"personal_id": "001089012345", "full_name": "Nguyễn Văn An",
               "birth_date": "1989-03-02", "sex": "male", "birth_registration_place": "001",
               "salary": 12_000_000}
# (method, path, keyword arguments) of each route that names a unit.
UNIT_ROUTES = {
    "ledger": ("GET", "/api/v1/employers/CODE/ledger", {}),
    "below-minimum": ("GET", "/api/v1/employers/CODE/below-minimum", {}),
    "salary-regime history": ("GET", "/api/v1/employers/CODE/salary-regime", {}),
    "payment-cycle": ("PUT", "/api/v1/employers/CODE/payment-cycle",
                      {"json": {"payment_cycle": "3", "from_month": THIS_MONTH}}),
    "salary-regime": ("PUT", "/api/v1/employers/CODE/salary-regime",
                      {"json": {"salary_regime": "state", "from_month": "2026-01"}}),
    "payments": ("POST", "/api/v1/employers/CODE/payments",
                 {"json": {"amount": 1000, "reference": "R-1", "paid_on": "2026-02-05"}}),
    "declarations": ("POST", "/api/v1/employers/CODE/declarations",
                     {"data": {"month": "2026-01"},
                      "files": {"file": ("d02.csv", csv_of([(SOLDIER, "DC", 13_000_000,
                                                               "2026-01")]))}}),
    "declaration job": ("GET", "/api/v1/employers/CODE/declaration-jobs/job-1", {}),
    "persons of the unit": ("GET", "/api/v1/persons?employer=CODE", {}),
    "workers": ("POST", "/api/v1/employers/CODE/workers", {"json": WORKER_BODY}),
}
# Each route that names a person.
PERSON_ROUTES = [
    "/api/v1/persons/PID", "/api/v1/persons/PID/ledger", "/api/v1/persons/PID/benefits",
    "/api/v1/persons/PID/visits", "/api/v1/persons/PID/voluntary-payments",
    "/api/v1/books/PID", "/api/v1/books/PID/versions", "/api/v1/books/PID/estimate",
    "/api/v1/hi-cards/PID/validity",
]


def answer(client: TestClient, route: tuple[str, str, dict[str, Any]], value: str,
           realm: str = "civil") -> tuple[int, str]:
    method, path, kwargs = route
    r = client.request(method, path.replace("CODE", value).replace("PID", value),
                       headers=officer(realm), **kwargs)
    return r.status_code, r.text.replace(value, "X")


@pytest.mark.parametrize("route", UNIT_ROUTES)
def test_a_civil_officer_is_answered_for_a_ministrys_unit_as_for_a_code_nobody_holds(
        ministry: Engine, route: str) -> None:
    client = TestClient(app_on(ministry), raise_server_exceptions=False)
    hidden = answer(client, UNIT_ROUTES[route], MINISTRY)
    assert hidden == answer(client, UNIT_ROUTES[route], NOBODYS) and hidden[0] == 404
    assert answer(client, UNIT_ROUTES[route], MINISTRY, "defence")[0] != 404 or \
        route == "declaration job"  # the job is unknown, the unit found


@pytest.mark.parametrize("path", PERSON_ROUTES)
def test_a_civil_officer_is_answered_for_a_ministrys_person_as_for_an_id_nobody_holds(
        ministry: Engine, path: str) -> None:
    client = TestClient(app_on(ministry), raise_server_exceptions=False)
    hidden = answer(client, ("GET", path, {}), SOLDIER)
    assert hidden == answer(client, ("GET", path, {}), STRANGER) and hidden[0] == 404
    assert answer(client, ("GET", path, {}), SOLDIER, "defence")[0] == 200


# Each command that names a person, as a civil operator types it (PID: the personal ID).
PERSON_COMMANDS = {
    "ledger show": ("ledger", "show", "PID"),
    "payments voluntary": ("payments", "voluntary", "PID", "--amount", "1000", "--reference",
                           "V-1", "--date", "2026-02-05"),
    "persons voluntary": ("persons", "voluntary", "PID", "--income", "3000000"),
    "benefits list": ("benefits", "list", "PID"),
    "benefits claim": ("benefits", "claim", "PID", "--regime", "sickness", "--dossier",
                       "HS-7171", "--received", "2026-02-01"),
    "book show": ("book", "show", "PID"),
    "book history": ("book", "history", "PID"),
    "book estimate": ("book", "estimate", "PID"),
    "book revoke": ("book", "revoke", "PID", "--version", "1", "--reason", "suspected fraud"),
    "visits list": ("visits", "list", "PID"),
}


@pytest.mark.parametrize("command", PERSON_COMMANDS)
def test_a_civil_operator_is_answered_for_a_ministrys_person_as_for_an_id_nobody_holds(
        ministry: Engine, command: str) -> None:
    def typed(personal_id: str) -> tuple[int, str]:
        code, answer = run(*(personal_id if a == "PID" else a for a in PERSON_COMMANDS[command]))
        return code, json.dumps(answer).replace(personal_id, "X")

    assert typed(SOLDIER) == typed(STRANGER) and typed(SOLDIER)[0] == 1


def test_a_ministrys_voluntary_participant_is_paid_for_and_listed_with_the_realm_named(
        ministry: Engine) -> None:
    """`payments voluntary` had no --realm: a ministry's participant's payment could not be
    posted at the console at all. Without it they are still a personal ID nobody holds."""
    member = worker_id(502)
    with unit_of_work(ministry) as s:
        registration.register(
            session=s, person=NewPerson(personal_id=member, full_name=worker_name(502),
                                        birth_date=date(1990, 1, 1), sex="male",
                                        birth_registration_place="001", realm="defence"),
            population=LocalPopulationRegistry(s), require_match=False,
            voluntary=registration.VoluntaryStart(3_000_000))
    due = voluntary_dues(month=Period.of(date.today()), salary=3_000_000,
                         support=UNNAMED_SUPPORT_GROUP).employee.total  # no group named

    def paid(personal_id: str, *realm: str) -> tuple[int, dict[str, Any]]:
        return run("payments", "voluntary", personal_id, "--amount", str(due), "--reference",
                   "V-7171", "--date", date.today().isoformat(), *realm)

    hidden, unknown = paid(member), paid(STRANGER)
    assert hidden[0] == unknown[0] == 1
    assert json.dumps(hidden[1]).replace(member, "X") == json.dumps(unknown[1]).replace(
        STRANGER, "X")
    code, posted = paid(member, "--realm", "defence")
    assert code == 0, posted
    assert posted["allocated"] == [{"month": THIS_MONTH, "amount": due}]
    code, ledger = run("ledger", "show", member, "--realm", "defence")
    assert code == 0, ledger
    assert [(m["month"], m["kind"], m["status"]) for m in ledger["months"]] == [
        (THIS_MONTH, "voluntary", "paid")]


def test_a_registry_file_places_no_ministrys_person_in_a_household(
        ministry: Engine, tmp_path: Path) -> None:
    """``persons import`` moved a defence person into a civil household, where an unknown ID
    was refused."""
    def imported(personal_id: str) -> tuple[int, str]:
        path = tmp_path / f"{personal_id}.json"
        path.write_text(json.dumps({"households": [{
            "code": "HH-7171", "address": "Hà Nội", "province_code": "01",
            "members": [{"personal_id": personal_id, "relation_to_head": "chủ hộ"}]}]}),
            encoding="utf-8")
        code, answer = run("persons", "import", str(path))
        return code, json.dumps(answer).replace(personal_id, "X")

    assert imported(SOLDIER) == imported(STRANGER) and imported(SOLDIER)[0] == 1


def _unit_token(client: TestClient, *add_client: str) -> dict[str, str]:
    """The bearer of an employer credential made at the console (``access add-client``) and
    exchanged for a token as a unit's payroll script does."""
    made, answer = run("access", "add-client", *add_client)
    assert made == 0, answer
    token = client.post("/api/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": add_client[0],
        "client_secret": answer["secret"]})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def test_a_ministrys_unit_acts_with_its_own_credential_for_its_own_people_only(
        ministry: Engine) -> None:
    """Its credential, made in its realm, was a civil unit's: it saw none of its workers
    (every one of them of its realm) and could file for none of them."""
    client = TestClient(app_on(ministry), raise_server_exceptions=False)
    unit = _unit_token(client, "unit-7171", "--kind", "employer", "--unit-code", MINISTRY,
                       "--realm", "defence")
    assert client.get(f"/api/v1/persons/{SOLDIER}", headers=unit).status_code == 200
    listed = client.get(f"/api/v1/persons?employer={MINISTRY}", headers=unit)
    assert [p["personal_id"] for p in listed.json()["persons"]] == [SOLDIER], listed.text
    assert client.get(f"/api/v1/persons/{SOLDIER}/ledger", headers=unit).status_code == 200
    filed = client.post(f"/api/v1/employers/{MINISTRY}/declarations", headers=unit,
                        data={"month": "2026-01"}, files={"file": ("d02.csv", csv_of(
                            [(SOLDIER, "DC", 13_000_000, "2026-01")]))})
    assert filed.status_code == 201, filed.text
    # The soldier's log has the filing, but not its detail: the unit is the ministry's to keep,
    # as their months and benefits are.
    log = client.get("/api/v1/me/access-log", headers=bearer(Citizen(SOLDIER, 2))).json()
    assert [(e["actor"], e["detail"]) for e in log["entries"]
            if e["action"] == "contribution.declare"] == [("unit-7171", None)]
    # A civil unit's credential still sees no soldier: the answer an unknown ID gets.
    civil = _unit_token(client, "unit-civil", "--kind", "employer", "--unit-code", EMPLOYER)
    assert client.get(f"/api/v1/persons/{SOLDIER}", headers=civil).text == client.get(
        f"/api/v1/persons/{STRANGER}", headers=civil).text.replace(STRANGER, SOLDIER)


@pytest.mark.parametrize(("unit_code", "realm", "named"), [
    (MINISTRY, "defence", worker_id(0)),  # the civil unit's worker
    (EMPLOYER, "civil", SOLDIER)])
def test_a_filing_naming_another_realms_person_is_in_their_log_as_another_realms_units(
        ministry: Engine, unit_code: str, realm: str, named: str) -> None:
    """A unit's filing reads the persons its lines name: one of another realm is refused as a
    number nobody holds, and the attempt is in that person's access log, as a registration of
    them by another realm's unit is, shown as such (the unit's id is its realm's to keep)."""
    client = TestClient(app_on(ministry), raise_server_exceptions=False)
    unit = _unit_token(client, f"unit-{realm}", "--kind", "employer", "--unit-code", unit_code,
                       "--realm", realm)
    filed = client.post(f"/api/v1/employers/{unit_code}/declarations", headers=unit,
                        data={"month": "2026-01"}, files={"file": ("d02.csv", csv_of(
                            [(named, "TM", 13_000_000, "2026-01")]))})
    assert filed.status_code == 422, filed.text
    assert f"no registered person with personal ID {named}" in filed.text
    log = client.get("/api/v1/me/access-log", headers=bearer(Citizen(named, 2)))
    assert log.status_code == 200, log.text
    assert [(e["actor"], e["actor_kind"], e["outcome"], e["detail"])
            for e in log.json()["entries"] if e["action"] == "contribution.declare"] == [
        # nor the unit's code in what the filing was (its realm's to keep too); a soldier's
        # log shows no detail at all (their ministry's to keep)
        ("a unit of another realm", "employer", "refused",
         "month 2026-01; batch 1" if realm == "defence" else None)]
