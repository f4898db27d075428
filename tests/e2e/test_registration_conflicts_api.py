"""Registering over HTTP: a registration refused because the number is taken names the field that
holds it, as every other refusal of the API does (and as the CLI names ``--code``), and a unit
registered is answered as recorded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sibook.access.settings import get_access_settings
from sibook.core.config import get_settings
from tests.e2e.test_access_matrix import OPENAPI, PRINCIPALS, UNIT_A, bearer, populated_app
from tests.e2e.test_openapi_conformance import assert_conforms
from tests.e2e.test_worker_registration_api import NEW, worker


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    app, engine, _ = populated_app(tmp_path / "conflicts.db")
    yield TestClient(app, raise_server_exceptions=False)
    engine.dispose()
    get_settings.cache_clear()
    get_access_settings.cache_clear()


def refused(answer: Any, method: str, path: str) -> list[dict[str, Any]]:
    assert answer.status_code == 409, answer.text
    assert_conforms(OPENAPI, method, path, answer)
    errors: list[dict[str, Any]] = answer.json()["errors"]
    return errors


def test_a_unit_code_already_registered_names_code(client: TestClient) -> None:
    r = client.post("/api/v1/employers", headers=bearer(PRINCIPALS["clerk_hanoi"]), json={
        "code": UNIT_A, "name": "Công ty khác", "province_code": "01", "region": "I",
        "salary_regime": "state"})
    errors = refused(r, "POST", "/api/v1/employers")
    # Registered before with other content: each field that differs, named by the unit's code.
    assert [e["field"] for e in errors] == ["name", "salary_regime"]
    assert all(UNIT_A in e["reason"] for e in errors)


def test_a_personal_id_already_registered_names_personal_id(client: TestClient) -> None:
    employer = bearer(PRINCIPALS["employer_a"])
    path = f"/api/v1/employers/{UNIT_A}/workers"
    assert client.post(path, headers=employer, json=worker()).status_code == 201
    # A defence clerk, who cannot see the civil worker: the number is held, and no more.
    clerk = bearer(PRINCIPALS["defence_clerk"])
    person = {k: v for k, v in worker().items() if k not in ("salary", "job_title", "from_month")}
    [error] = refused(client.post("/api/v1/persons", headers=clerk, json=person),
                      "POST", "/api/v1/persons")
    assert error["field"] == "personal_id" and NEW in error["reason"]


def test_a_worker_registered_by_the_unit_is_no_plain_registration_sent_again(
        client: TestClient) -> None:
    """A clerk's registration without participation, of a worker the unit registered: not
    the registration recorded (participant_type), never a replay of it."""
    path = f"/api/v1/employers/{UNIT_A}/workers"
    assert client.post(path, headers=bearer(PRINCIPALS["employer_a"]),
                       json=worker()).status_code == 201
    person = {k: v for k, v in worker().items() if k not in ("salary", "job_title", "from_month")}
    errors = refused(client.post("/api/v1/persons", headers=bearer(PRINCIPALS["clerk_hanoi"]),
                                 json=person), "POST", "/api/v1/persons")
    assert [e["field"] for e in errors] == ["participant_type"]


@pytest.mark.parametrize(("given", "recorded"), [({"salary_regime": "state"}, "state"),
                                                 ({}, "employer")])
def test_a_unit_registered_is_answered_as_recorded(client: TestClient, given: dict[str, str],
                                                   recorded: str) -> None:
    """The answer says what the unit was registered as, as `employers add --json` does: a
    client sees the salary regime (and payment method) the pension averages will follow."""
    r = client.post("/api/v1/employers", headers=bearer(PRINCIPALS["clerk_hanoi"]), json={
        "code": "0109999991", "name": "Sở Tư pháp", "province_code": "01", "region": "I",
        **given})
    assert r.status_code == 201, r.text
    assert_conforms(OPENAPI, "POST", "/api/v1/employers", r)
    body = r.json()
    assert body["salary_regime"] == recorded and body["payment_cycle"] == "monthly"
    assert (body["code"], body["name"], body["province_code"], body["region"]) == (
        "0109999991", "Sở Tư pháp", "01", "I")
    assert isinstance(body["id"], int)


def test_a_ministrys_unit_is_answered_as_paying_by_the_state_scale(client: TestClient) -> None:
    r = client.post("/api/v1/employers", headers=bearer(PRINCIPALS["defence_clerk"]), json={
        "code": "0109999992", "name": "Đơn vị 992", "province_code": "01", "region": "I"})
    assert r.status_code == 201, r.text
    assert r.json()["salary_regime"] == "state"


def test_the_units_listed_say_who_sets_their_pay(client: TestClient) -> None:
    """What a unit was registered as is read back: the listing names its salary regime."""
    clerk = bearer(PRINCIPALS["clerk_hanoi"])
    assert client.post("/api/v1/employers", headers=clerk, json={
        "code": "0109999993", "name": "Trường THCS", "province_code": "01", "region": "I",
        "salary_regime": "state"}).status_code == 201
    listed = client.get("/api/v1/employers", headers=clerk)
    assert_conforms(OPENAPI, "GET", "/api/v1/employers", listed)
    regimes = {e["code"]: e["salary_regime"] for e in listed.json()["employers"]}
    assert (regimes["0109999993"], regimes[UNIT_A]) == ("state", "employer")


def test_a_word_of_a_list_is_read_in_any_letter_case_and_recorded_as_listed(
        client: TestClient) -> None:
    """As ``employers add --region iii --payment-cycle Monthly --salary-regime State`` and
    ``persons register --sex Female`` read them: the API refused each (422). Recorded as the
    schema lists them: the worker sent again with "female" is the same registration, replayed."""
    r = client.post("/api/v1/employers", headers=bearer(PRINCIPALS["clerk_hanoi"]), json={
        "code": "0109999994", "name": "Đơn vị 994", "province_code": "01", "region": "iii",
        "payment_cycle": "Monthly", "salary_regime": "State"})
    assert r.status_code == 201, r.text
    assert_conforms(OPENAPI, "POST", "/api/v1/employers", r)
    assert (r.json()["region"], r.json()["payment_cycle"], r.json()["salary_regime"]) == (
        "III", "monthly", "state")
    employer, path = bearer(PRINCIPALS["employer_a"]), f"/api/v1/employers/{UNIT_A}/workers"
    first = client.post(path, headers=employer, json=worker(sex="Female"))
    assert first.status_code == 201, first.text
    again = client.post(path, headers=employer, json=worker())
    assert again.status_code == 201 and again.json()["replayed"] is True, again.text


@pytest.mark.parametrize(("schema", "field", "listed"), [
    ("EmployerIn", "payment_cycle", ["monthly", "3", "6"]),
    ("EmployerIn", "salary_regime", ["employer", "state"]),
    ("PaymentCycleIn", "payment_cycle", ["monthly", "3", "6"]),
    ("SalaryRegimeIn", "salary_regime", ["employer", "state"]),
])
def test_a_units_words_are_listed_as_answered_and_said_to_be_read_in_any_case(
        client: TestClient, schema: str, field: str, listed: list[str]) -> None:
    declared = client.get("/api/v1/openapi.json").json()["components"]["schemas"][schema][
        "properties"][field]
    assert declared["enum"] == listed and "any letter case" in declared["description"]
