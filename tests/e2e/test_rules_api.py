"""``POST /api/v1/rules/...``: the CLI's answers over HTTP; refusals are 422 naming the field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from sibook.cli.rules import app as rules_cli
from sibook.core.errors import ValidationError


def _app() -> FastAPI:
    try:
        from sibook.api.app import create_app

        return create_app()
    except ImportError:  # another part of the app is half-built: mount the rules router alone
        from sibook.api.rules import router

        app = FastAPI()
        v1 = APIRouter(prefix="/api/v1")
        v1.include_router(router)
        app.include_router(v1)

        @app.exception_handler(ValidationError)
        async def invalid(_: Request, exc: ValidationError) -> JSONResponse:
            return JSONResponse(status_code=422,
                                content={"errors": [p.as_dict() for p in exc.problems]})

        return app


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(_app())


def post(client: TestClient, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = client.post(f"/api/v1/rules/{path}", json=body)
    return response.status_code, response.json()


def test_contribution(client: TestClient) -> None:
    status, out = post(client, "contribution",
                       {"month": "2026-01", "salary": 10_000_000, "region": "I"})
    assert status == 200
    assert out["employee"]["total"] == 1_050_000 and out["total"] == 3_200_000
    assert out["explain"] and "Decree 293/2025/ND-CP Art 3" in out["sources"]


def test_contribution_with_salary_below_minimum_is_422_naming_salary(client: TestClient) -> None:
    status, out = post(client, "contribution",
                       {"month": "2026-01", "salary": 1_000_000, "region": "I"})
    assert status == 422 and out["errors"][0]["field"] == "salary"


def test_contradictory_kinds_are_422(client: TestClient) -> None:
    status, out = post(client, "contribution", {"month": "2026-01", "salary": 5_000_000,
                                                "voluntary": True, "foreign": True})
    assert status == 422 and out["errors"][0]["field"] == "voluntary"


def test_voluntary_with_a_region_that_does_not_exist_is_422_naming_region(
        client: TestClient) -> None:
    status, out = post(client, "contribution", {"month": "2026-01", "salary": 5_000_000,
                                                "voluntary": True, "support": "poor",
                                                "region": "V"})
    assert status == 422 and out["errors"][0]["field"] == "region"


def test_voluntary_with_a_region_answers_as_without_and_says_it_does_not_apply(
        client: TestClient) -> None:
    body = {"month": "2026-01", "salary": 5_000_000, "voluntary": True, "support": "poor"}
    status, with_region = post(client, "contribution", {**body, "region": "II"})
    assert status == 200
    without = post(client, "contribution", body)[1]
    said, *steps = with_region.pop("explain")
    assert steps == without.pop("explain") and with_region == without
    assert said.startswith("region II does not apply: voluntary SI")


def test_voluntary_without_support_is_the_other_groups_20_percent(client: TestClient) -> None:
    """No ``support`` is ``other`` (FACTS §3.4: everyone is supported, others at 20%), until
    the 120 months of support are used."""
    body = {"month": "2026-01", "salary": 1_500_000, "voluntary": True}
    status, out = post(client, "contribution", body)
    assert status == 200
    assert (out["state_support"], out["employee"]["total"], out["total"]) == (
        66_000, 264_000, 330_000)
    assert out["explain"][0].startswith("no group given: other, 20%")
    status, out = post(client, "contribution", {**body, "months_supported": 120})
    assert status == 200 and out["state_support"] == 0 and out["employee"]["total"] == 330_000


def test_an_empty_support_group_is_refused_as_the_cli_refuses_it_never_read_as_none(
        client: TestClient) -> None:
    """``--support ''`` is a usage error (exit 2); ``"support": ""`` was answered 200 for the
    group other, as if none was named: a script that left its column blank got 20%."""
    body = {"month": "2026-01", "salary": 1_500_000, "voluntary": True, "support": ""}
    status, out = post(client, "contribution", body)
    cli = CliRunner().invoke(rules_cli, ["contribution", "--month", "2026-01", "--salary",
                                         "1500000", "--voluntary", "--support", "", "--json"])
    assert cli.exit_code == 2 and "Invalid value for --support" in cli.output
    assert status == 422 and out["errors"] == [
        {"field": "support", "reason": "unknown value ''; valid: poor, near_poor, "
                                       "ethnic_minority, island, other"}]


def test_malformed_month_is_422_naming_month(client: TestClient) -> None:
    status, out = post(client, "contribution", {"month": "Jan", "salary": 1, "region": "I"})
    assert status == 422 and "month" in str(out)


@pytest.mark.parametrize(("path", "body"), [
    ("contribution", {"month": "2026-13", "salary": 10_000_000, "region": "I"}),
    ("pension", {"sex": "male", "contribution_months": 240, "month": "26-01"}),
    ("late-interest", {"amount": 1, "days_late": 1, "month": "2100-01"}),
])
def test_a_malformed_month_is_refused_in_the_clis_words_never_by_its_pattern(
        client: TestClient, path: str, body: dict[str, Any]) -> None:
    """The API named a month it could not read by FastAPI's "String should match pattern
    '^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$'"; ``--month`` says what to write, and so does it now."""
    import subprocess
    import sys

    status, out = post(client, path, body)
    flags = [arg for key, value in body.items()
             for arg in (f"--{key.replace('_', '-')}", str(value))]
    code = "import sys\nfrom sibook.cli.main import main\nsys.argv[0] = 'sibook'\nmain()\n"
    ran = subprocess.run([sys.executable, "-c", code, "rules", path, *flags, "--json"],
                         capture_output=True, text=True, timeout=120)
    said = f"must be a month as YYYY-MM, years 1900 to 2099, got {body['month']!r}"
    assert status == 422 and ran.returncode == 2, (out, ran.stderr)
    assert json.loads(ran.stdout)["errors"] == [
        {"field": "--month", "reason": f"Invalid value for --month: {said}"}]
    assert out["errors"] == [{"field": "month", "reason": said}]


def test_pension(client: TestClient) -> None:
    status, out = post(client, "pension", {"sex": "female", "contribution_months": 360,
                                           "average_salary": 8_000_000, "month": "2026-01"})
    # 30 years: 75%; 8,000,000 x 75% = 6,000,000
    assert status == 200 and out["rate_percent"] == 75.0 and out["monthly_pension"] == 6_000_000


def test_a_pension_is_priced_by_the_law_of_the_month_it_starts(client: TestClient) -> None:
    """``month`` is the month the pension starts: Law 58/2014 Art 56(2)(a) in 2021 (45% at 19
    years: 20 give 47%), refused before its first month, 2016-01."""
    body = {"sex": "male", "contribution_months": 240}
    status, out = post(client, "pension", body | {"month": "2021-03"})
    assert status == 200 and (out["rate_percent"], out["month"]) == (47.0, "2021-03")
    status, out = post(client, "pension", body | {"month": "2015-12"})
    assert status == 422 and out["errors"][0]["field"] == "month"
    assert "start in 2016-01: nothing is known for 2015-12" in out["errors"][0]["reason"]


def test_an_early_pension_needs_20_years_of_si_whatever_the_job(client: TestClient) -> None:
    """Law 41/2024 Art 65(1): 15 years of SI allow no early pension, and no ``hazardous``
    lowers the 20 years (Art 65(1)(c)'s 15 years are years in the job)."""
    body = {"sex": "male", "contribution_months": 180, "months_early": 12, "month": "2026-11"}
    status, out = post(client, "pension", body)
    assert status == 422 and out["errors"][0]["field"] == "months_early"
    assert "needs 20 years of SI" in out["errors"][0]["reason"]
    status, out = post(client, "pension", body | {"hazardous": True})
    assert status == 422 and "hazardous" in str(out)
    status, out = post(client, "pension", body | {"contribution_months": 240})
    assert status == 200 and out["rate_percent"] == 43.0  # 45% at 20 years - 2% a year early


def test_months_past_retirement_age_earn_the_larger_extra_lump_sum(client: TestClient) -> None:
    """Law 41/2024 Art 68(2): of 33 years the last 2 after the age, at 2 average salaries."""
    body = {"sex": "female", "contribution_months": 396, "average_salary": 10_000_000,
            "month": "2026-01"}
    status, out = post(client, "pension", body | {"months_past_retirement_age": 24})
    assert status == 200 and out["extra_lump_sum"] == 45_000_000
    status, out = post(client, "pension", body | {"months_past_retirement_age": 397})
    assert status == 422 and out["errors"][0]["field"] == "months_past_retirement_age"


@pytest.mark.parametrize("cli", [False, True])
def test_months_past_the_age_of_someone_not_yet_eligible_at_it_are_refused(
        client: TestClient, cli: bool) -> None:
    """31 years, 200 months of them past the age: 172 by then, under the 15 years a pension
    needs, so she was not eligible and Art 68(2)'s 2 average salaries are not hers. The extra
    year above 30 was paid at 2 (20,000,000, not 5,000,000); now the input is refused."""
    body = {"sex": "female", "contribution_months": 372, "average_salary": 10_000_000,
            "month": "2026-01", "months_past_retirement_age": 200}
    if cli:
        flags = [a for k, v in body.items() for a in (f"--{k.replace('_', '-')}", str(v))]
        ran = CliRunner().invoke(rules_cli, ["pension", *flags, "--json"])
        status, out = (422 if ran.exit_code == 1 else ran.exit_code), json.loads(ran.stdout)
    else:
        status, out = post(client, "pension", body)
    assert status == 422, out
    (problem,) = out["errors"]
    assert problem["field"].strip("-").replace("-", "_") == "months_past_retirement_age"
    assert "172 of the 372 months were paid by then" in problem["reason"]
    status, out = post(client, "pension", body | {"months_past_retirement_age": 192})  # 180
    assert status == 200 and out["extra_lump_sum"] == 20_000_000


def test_lump_sum(client: TestClient) -> None:
    status, out = post(client, "lump-sum", {"months_before_2014": 0, "months_from_2014": 24,
                                            "average_salary": 5_000_000, "month": "2026-01"})
    assert status == 200 and out["amount"] == 20_000_000  # 2 x 2 years x 5,000,000


def test_unemployment(client: TestClient) -> None:
    status, out = post(client, "unemployment", {"average_salary": 10_000_000,
                                                "contribution_months": 48, "region": "III",
                                                "termination": "2026-01-31"})
    # 60% x 10,000,000 = 6,000,000; 48 months: 3 + 1 = 4
    assert status == 200 and out == {**out, "monthly_benefit": 6_000_000, "duration_months": 4}


def test_sickness(client: TestClient) -> None:
    status, out = post(client, "sickness", {"salary": 4_800_000, "days": 2,
                                            "years_contributed": 5, "month": "2026-01"})
    assert status == 200 and out["amount"] == 300_000  # 4,800,000 x 75% / 24 x 2


def test_maternity_allowance(client: TestClient) -> None:
    status, out = post(client, "maternity-allowance", {"month": "2026-01", "children": 3})
    assert status == 200 and out["amount"] == 14_040_000  # 2 x 2,340,000 x 3


def test_late_interest(client: TestClient) -> None:
    status, out = post(client, "late-interest", {"amount": 50_000_000, "days_late": 10,
                                                 "month": "2026-01"})
    assert status == 200 and out["interest"] == 150_000 and out["evasion"] is False


@pytest.mark.parametrize("days_late", [0, 10, 61, 400])
def test_nothing_owed_accrues_nothing_and_evades_nothing_at_the_console_and_over_http(
        client: TestClient, days_late: int) -> None:
    """Law 41/2024 Art 40(1) charges 0.03% a day on the amount late: on 0, nothing; Art 38(1)
    and 39(1)(đ) make late payment and evasion an amount not paid, so day 61 is no evasion.
    Answered (200, exit 0), not refused: a ledger month paid in full is answered so too."""
    body = {"amount": 0, "days_late": days_late, "month": "2026-01"}
    status, out = post(client, "late-interest", body)
    cli = CliRunner().invoke(rules_cli, ["late-interest", "--amount", "0", "--days-late",
                                         str(days_late), "--month", "2026-01", "--json"])
    assert status == 200 and cli.exit_code == 0, (out, cli.output)
    for answer in (out, json.loads(cli.stdout)):
        assert (answer["interest"], answer["evasion"]) == (0, False)


def test_unknown_key_is_422(client: TestClient) -> None:
    status, _ = post(client, "late-interest", {"amount": 1, "days_late": 1, "bogus": 1})
    assert status == 422


@pytest.mark.parametrize(("path", "body", "field", "key", "bad"), [
    ("contribution", {"month": "2026-01", "region": "I"}, "salary", "maximum", 10**10 + 1),
    ("contribution", {"month": "2026-01", "salary": 9_000_000}, "region", "enum", "V"),
    ("pension", {"contribution_months": 240}, "sex", "enum", "other"),
    ("maternity-allowance", {"month": "2026-01"}, "children", "maximum", 11),
    ("late-interest", {"amount": 1_000_000}, "days_late", "minimum", -1),
    ("late-interest", {"days_late": 10}, "amount", "minimum", -1),
])
def test_the_openapi_states_the_ranges_the_calculators_refuse(
        client: TestClient, path: str, body: dict[str, Any], field: str, key: str,
        bad: Any) -> None:
    """What the schema declares is what the calculator checks: just past it is refused,
    naming the field, in the calculators' own shape."""
    spec = client.get("/api/v1/openapi.json").json()
    ref = spec["paths"][f"/api/v1/rules/{path}"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]["$ref"].split("/")[-1]
    declared = spec["components"]["schemas"][ref]["properties"][field][key]
    if key == "enum":
        assert bad not in declared
    else:
        assert bad == declared + (1 if key == "maximum" else -1)
    r = client.post(f"/api/v1/rules/{path}", json={**body, field: bad})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, r.text


def test_months_early_is_said_to_be_at_most_the_laws_120(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    declared = spec["components"]["schemas"]["PensionRequest"]["properties"]["months_early"]
    assert "at most 120" in declared["description"] and "Art 65" in declared["description"]
    status, out = post(client, "pension", {"sex": "male", "contribution_months": 300,
                                           "months_early": 121, "month": "2026-01"})
    assert status == 422 and out["errors"][0]["field"] == "months_early"


@pytest.mark.parametrize(("field", "value"), [
    ("voluntary", 0), ("voluntary", "yes"), ("voluntary", "true"),  # a flag is true or false
    ("children", True), ("children", 2.0), ("children", "2"),  # a count is a whole number
])
def test_flags_and_numbers_must_have_their_json_types(client: TestClient, field: str,
                                                        value: Any) -> None:
    r = client.post("/api/v1/rules/maternity-allowance",
                    json={"month": "2026-01", "children": 1, "voluntary": False, field: value})
    assert r.status_code == 422, r.text


def test_retirement(client: TestClient) -> None:
    status, out = post(client, "retirement", {"sex": "male", "birth_date": "1964-03-15"})
    assert status == 200  # 61y3m (born January - September 1964), reached in June 2025
    assert (out["age"], out["retirement_date"], out["pension_from"]) == \
        ("61 years 3 months", "2025-06-30", "2025-07")


def test_retirement_of_an_unknown_sex_is_422_naming_it(client: TestClient) -> None:
    status, out = post(client, "retirement", {"sex": "other", "birth_date": "1964-03-15"})
    assert status == 422 and out["errors"][0]["field"] == "sex"


UNEMPLOYED = {"average_salary": 10_000_000, "contribution_months": 24, "region": "I",
              "termination": "2026-01-10"}


@pytest.mark.parametrize(("path", "body", "field"), [
    ("contribution", {"month": "1990-01", "salary": 10_000_000, "region": "I"}, "month"),
    ("contribution", {"month": "2026-01", "salary": 0, "region": "I"}, "salary"),
    ("unemployment", {**UNEMPLOYED, "termination": "1990-01-10"}, "termination"),
    ("unemployment", {**UNEMPLOYED, "average_salary": -1}, "average_salary"),
    ("pension", {"sex": "male", "contribution_months": 300, "month": "1990-01"}, "month"),
    ("pension", {"sex": "male", "contribution_months": 300, "average_salary": 0},
     "average_salary"),
    ("pension", {"sex": "male", "contribution_months": 300, "months_past_retirement_age": -1},
     "months_past_retirement_age"),
    ("lump-sum", {"months_before_2014": 10, "months_from_2014": 10, "average_salary": 5_000_000,
                  "month": "1990-01"}, "month"),
    ("sickness", {"days": 3, "salary": -1, "years_contributed": 5}, "salary"),
    ("sickness", {"days": 3, "salary": 5_000_000, "years_contributed": 5, "month": "1990-01"},
     "month"),
    ("maternity-allowance", {"children": 1, "month": "1990-01"}, "month"),
    ("late-interest", {"amount": -1, "days_late": 10, "month": "2026-01"}, "amount"),
    ("late-interest", {"amount": 1000, "days_late": 10, "month": "1990-01"}, "month"),
    ("retirement", {"birth_date": "1900-01-01", "sex": "male"}, "birth_date"),
    ("retirement", {"birth_date": "2099-01-01", "sex": "male"}, "birth_date"),  # not yet born
])
def test_a_refusal_is_the_clis_in_the_same_words(client: TestClient, path: str,
                                                  body: dict[str, Any], field: str) -> None:
    """The edge inputs a script tries (a month before the law's tables, money of 0 or less, a
    negative count): the API's 422 names the field where ``sibook rules`` exits 1 naming its
    flag, with the same reason."""
    status, out = post(client, path, body)
    flags = [arg for key, value in body.items()
             for arg in (f"--{key.replace('_', '-')}", str(value))]
    cli = CliRunner().invoke(rules_cli, [path, *flags, "--json"])
    assert status == 422 and cli.exit_code == 1, (out, cli.output)
    assert out["errors"] == [{**problem, "field": problem["field"][2:].replace("-", "_")}
                             for problem in json.loads(cli.stdout)["errors"]]


@pytest.mark.parametrize(("path", "body", "field", "typed"), [
    ("contribution", {"month": "2026-01", "salary": 10_000_000, "region": "II"}, "region", "ii"),
    ("contribution", {"month": "2026-01", "salary": 10_000_000, "region": "III"}, "region",
     "iIi"),
    ("unemployment", {**UNEMPLOYED, "region": "IV"}, "region", "iv"),
    ("pension", {"sex": "female", "contribution_months": 300, "month": "2026-01"}, "sex",
     "Female"),
    ("retirement", {"sex": "male", "birth_date": "1964-03-15"}, "sex", "MALE"),
    ("contribution", {"month": "2026-01", "salary": 3_000_000, "voluntary": True,
                      "support": "poor"}, "support", "POOR"),
    ("contribution", {"month": "2026-01", "salary": 10_000_000, "region": "I",
                      "oa_rate": "reduced"}, "oa_rate", "Reduced"),
    # the spaces around a word pasted from a sheet, which the CLI's flags drop
    ("contribution", {"month": "2026-01", "salary": 10_000_000, "region": "II"}, "region",
     " ii "),
    ("unemployment", {**UNEMPLOYED, "region": "IV"}, "region", "IV\t"),
    ("pension", {"sex": "female", "contribution_months": 300, "month": "2026-01"}, "sex",
     " female"),
    ("contribution", {"month": "2026-01", "salary": 3_000_000, "voluntary": True,
                      "support": "near_poor"}, "support", "near_poor \n"),
])
def test_a_word_of_a_list_is_read_in_any_letter_case_as_the_cli_reads_it(
        client: TestClient, path: str, body: dict[str, Any], field: str, typed: str) -> None:
    """``--region ii`` is II at the console, ``--support POOR`` poor, ``--region " ii "`` II;
    the API refused "ii" and "POOR" (422), and " ii " after that. The schema still lists the
    words as answered, and says any case is read."""
    as_listed, as_typed = post(client, path, body), post(client, path, {**body, field: typed})
    flags = [arg for key, value in {**body, field: typed}.items()
             for arg in ([f"--{key}"] if value is True
                         else [f"--{key.replace('_', '-')}", str(value)])]
    cli = CliRunner().invoke(rules_cli, [path, *flags, "--json"])
    assert as_listed[0] == as_typed[0] == 200 and cli.exit_code == 0, (as_typed, cli.output)
    assert as_typed[1] == as_listed[1] == json.loads(cli.stdout)
    spec = client.get("/api/v1/openapi.json").json()
    ref = spec["paths"][f"/api/v1/rules/{path}"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]["$ref"].split("/")[-1]
    declared = spec["components"]["schemas"][ref]["properties"][field]
    assert body[field] in declared["enum"] and typed not in declared["enum"]
    assert "any letter case" in declared["description"]


@pytest.mark.parametrize(("path", "body"), [
    ("contribution", {"month": "2099-12", "salary": 10_000_000, "region": "I"}),
    ("maternity-allowance", {"month": "2099-12", "children": 1}),
    ("unemployment", {**UNEMPLOYED, "termination": "2099-12-31"}),
])
def test_a_month_after_this_one_is_answered_saying_so(client: TestClient, path: str,
                                                      body: dict[str, Any]) -> None:
    """The law stays in force until replaced: answered (200), with a last step
    naming the newest change the tables used know of."""
    status, out = post(client, path, body)
    assert status == 200, out
    assert out["explain"][-1].startswith("the rules of 2099-12 were asked, a month later")
    assert "later changes are not in the tables" in out["explain"][-1]
