"""Input PostgreSQL refuses where SQLite stores it (a NUL in a text, a number past an INTEGER
column, a text past a VARCHAR's width) is refused at the edge on both backends, naming the
field: a 422 over HTTP, exit 1 on the command line, never a 500 or a traceback."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from sibook.access import tokens
from sibook.cli.main import app as cli
from sibook.contributions.declare import DeclarationRefused, declare
from sibook.contributions.domain import MAX_SALARY
from sibook.core.db import unit_of_work
from sibook.core.period import Period
from sibook.core.schema import metadata
from tests.integration.ledger_fixtures import EMPLOYER, csv_of, worker_id
from tests.servers import app_on

INTEGER_MAX = 2**31 - 1  # PostgreSQL's INTEGER
NUL = "a\x00b"
WORKER = worker_id(0)  # the one setup_workers registers


@pytest.fixture
def client(configured: Engine) -> TestClient:
    return TestClient(app_on(configured), raise_server_exceptions=False)


def clerk() -> dict[str, str]:
    token = tokens.issue({"sub": "national-clerk", "kind": "officer", "realm": "civil",
                          "province_code": None, "roles": ["approver", "clerk"]})
    return {"Authorization": f"Bearer {token}"}


def fields(r: Any) -> list[str]:
    """The fields a 422 names, in either of the API's shapes."""
    assert r.status_code == 422, r.text
    body = r.json()
    if "errors" in body:
        return [e["field"] for e in body["errors"]]
    return [str(d["loc"][-1]) for d in body["detail"]]


def test_the_largest_salary_taken_is_stored_as_declared(configured: Engine) -> None:
    """Past PostgreSQL's INTEGER (the periods' columns before migration 0018): stored as filed,
    salary and allowances alike, on both backends."""
    assert MAX_SALARY > INTEGER_MAX
    with unit_of_work(configured) as s:
        declare(session=s, data=csv_of([(WORKER, "TM", MAX_SALARY - 1, "2026-01")]),
                file_name="d02.csv", employer_code=EMPLOYER, month=Period(2026, 1))
    periods = metadata.tables["si_periods"]
    with configured.connect() as conn:
        assert conn.execute(select(periods.c.salary_basis)).scalar_one() == MAX_SALARY - 1
        assert conn.execute(select(metadata.tables["ui_periods"].c.salary_basis)
                            ).scalar_one() == MAX_SALARY - 1


def test_a_salary_past_the_plausible_bound_is_refused_by_row_and_field(configured: Engine
                                                                        ) -> None:
    with pytest.raises(DeclarationRefused) as refused, unit_of_work(configured) as s:
        declare(session=s, data=csv_of([(WORKER, "TM", MAX_SALARY + 1, "2026-01")]),
                file_name="d02.csv", employer_code=EMPLOYER, month=Period(2026, 1))
    assert [(p.row, p.field) for p in refused.value.problems] == [(2, "salary")]


def test_an_employer_registers_a_worker_on_3_billion_a_month(client: TestClient) -> None:
    employer = tokens.issue({"sub": "unit", "kind": "employer", "unit_code": EMPLOYER})
    worker = {"personal_id": "001089012345", "full_name": "Nguyễn Văn An",
              "birth_date": "1989-03-02", "sex": "male", "birth_registration_place": "001",
              "from_month": "2026-01"}
    r = client.post(f"/api/v1/employers/{EMPLOYER}/workers",
                    headers={"Authorization": f"Bearer {employer}"},
                    json={**worker, "salary": 3_000_000_000})
    assert r.status_code == 201, r.text
    r = client.post(f"/api/v1/employers/{EMPLOYER}/workers",
                    headers={"Authorization": f"Bearer {employer}"},
                    json={**worker, "personal_id": "001089012346", "salary": MAX_SALARY + 1})
    assert fields(r) == ["salary"]


def test_a_name_with_a_nul_in_a_filing_is_refused_by_row_and_field(configured: Engine
                                                                   ) -> None:
    with pytest.raises(DeclarationRefused) as refused, unit_of_work(configured) as s:
        declare(session=s, data=csv_of([(WORKER, "TM", 10_000_000, "2026-01")],
                                       names={WORKER: NUL}),
                file_name="d02.csv", employer_code=EMPLOYER, month=Period(2026, 1))
    assert [(p.row, p.field) for p in refused.value.problems] == [(2, "full_name")]


@pytest.mark.parametrize("path", [
    "/api/v1/employers/{code}/ledger", "/api/v1/employers/{code}/below-minimum",
    "/api/v1/persons?employer={code}"])
def test_a_unit_code_with_a_nul_is_a_422_naming_it(client: TestClient, path: str) -> None:
    r = client.get(path.format(code="0100%00"), headers=clerk())
    assert fields(r) in (["code"], ["employer"])


def test_a_unit_code_with_a_nul_in_a_payment_url_is_a_422(client: TestClient) -> None:
    r = client.post("/api/v1/employers/a%00b/payments", headers=clerk(),
                    json={"amount": 1000, "reference": "VCB-1", "paid_on": "2026-01-20"})
    assert fields(r) == ["code"]


def test_a_declaration_job_id_with_a_nul_is_no_job(client: TestClient) -> None:
    r = client.get(f"/api/v1/employers/{EMPLOYER}/declaration-jobs/a%00b", headers=clerk())
    assert r.status_code == 404, r.text


def test_a_client_id_with_a_nul_is_an_unknown_client(client: TestClient) -> None:
    r = client.post("/api/v1/auth/token", data={"grant_type": "client_credentials",
                                                "client_id": NUL, "client_secret": "x"})
    assert (r.status_code, r.json()) == (401, {"error": "invalid_client"})


def test_a_household_code_with_a_nul_is_a_422_naming_it(client: TestClient) -> None:
    r = client.post("/api/v1/households", headers=clerk(), json={
        "code": NUL, "address": "1 Phố Huế", "province_code": "01",
        "members": [{"personal_id": WORKER, "relation_to_head": "chủ hộ"}]})
    assert fields(r) == ["code"]


def test_an_annulment_of_a_link_code_with_a_nul_is_a_422_naming_it(client: TestClient
                                                                    ) -> None:
    r = client.post("/api/v1/visits/annulments", headers=clerk(),
                    json={"facility_code": "01001", "link_code": NUL, "reason": "ghi sai"})
    assert fields(r) == ["link_code"]


@pytest.mark.parametrize(("args", "field"), [
    (["x" * 65, "--kind", "officer", "--roles", "clerk"], "CLIENT_ID"),  # as the help names it
    (["hn-clerk", "--kind", "officer", "--roles", "clerk", "--province", "999"],
     "--province"),
])
def test_a_credential_the_table_cannot_hold_exits_1_naming_the_field(
        configured: Engine, args: list[str], field: str) -> None:
    result = CliRunner().invoke(cli, ["access", "add-client", *args, "--json"])
    assert result.exit_code == 1, result.output
    assert [e["field"] for e in json.loads(result.stdout)["errors"]] == [field]


def test_a_unit_registered_with_a_nul_in_its_code_is_a_422_naming_it(client: TestClient
                                                                     ) -> None:
    """Checked before the code is looked up for a registration sent again."""
    r = client.post("/api/v1/employers", headers=clerk(), json={
        "code": "0101" + NUL, "name": "Công ty", "province_code": "01", "region": "I"})
    assert fields(r) == ["code"]


def test_a_unit_code_with_spaces_around_lists_its_workers_as_the_cli_does(client: TestClient
                                                                          ) -> None:
    """``persons list --employer " CODE "`` lists the unit's workers (a code pasted from a
    sheet), its mirror ``?employer=%20CODE%20`` was a 422 by the code's pattern."""
    padded = client.get(f"/api/v1/persons?employer=%20{EMPLOYER}%09", headers=clerk())
    plain = client.get(f"/api/v1/persons?employer={EMPLOYER}", headers=clerk())
    result = CliRunner().invoke(cli, ["persons", "list", "--employer", f" {EMPLOYER}\t",
                                      "--json"])
    assert padded.status_code == plain.status_code == 200, padded.text
    assert result.exit_code == 0, result.output
    assert padded.json() == plain.json() == json.loads(result.stdout)


@pytest.mark.parametrize(("path", "field", "value", "shape"), [
    ("/api/v1/persons?employer=ab%20c", "employer", "ab c",
     "a unit code: 7 to 13 letters and digits"),
    ("/api/v1/employers/abc/ledger", "code", "abc", "a unit code: 7 to 13 letters and digits"),
    ("/api/v1/books/00108901234/pdf", "personal_id", "00108901234", "a 12-digit personal ID"),
    ("/api/v1/persons/%20001089012345", "personal_id", " 001089012345",
     "a 12-digit personal ID"),
])
def test_an_identifier_of_the_wrong_shape_is_refused_in_words_never_by_its_pattern(
        client: TestClient, path: str, field: str, value: str, shape: str) -> None:
    """The 422 said "String should match pattern '^[0-9]{12}$'", which names no shape a
    caller could follow; the month's pattern was already said so in words."""
    r = client.get(path, headers=clerk())
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [{"field": field, "reason": f"must be {shape}, got {value!r}"}]
