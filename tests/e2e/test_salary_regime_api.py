"""A unit's salary regime over HTTP: its history read as the employers are listed
(``GET /api/v1/employers/{code}/salary-regime``), and a change under a settled benefit refused
with a 409 naming ``from_month``, each answer one the OpenAPI declares."""

from __future__ import annotations

from datetime import date

import httpx2
import pytest
from sqlalchemy import text

from sibook.benefits.domain import Claim, Decision, Regime
from sibook.core.period import Period
from sibook.ids import make_enterprise_code
from tests.e2e import test_contributions_api as contributions_api
from tests.e2e.test_contributions_api import SALARY_REGIME, Api, _clerk
from tests.integration.ledger_fixtures import EMPLOYER
from tests.integration.test_benefits import claim, settle, worked

api = contributions_api.api  # a unit of four workers behind the app, on SQLite


def put(api: Api, body: dict[str, str], code: str = EMPLOYER) -> httpx2.Response:
    return api.conforms("PUT", SALARY_REGIME, api.client.put(
        SALARY_REGIME.format(code=code), headers=_clerk(), json=body))


def get(api: Api, headers: dict[str, str], code: str = EMPLOYER) -> httpx2.Response:
    return api.conforms("GET", SALARY_REGIME, api.client.get(
        SALARY_REGIME.format(code=code), headers=headers))


def test_an_officer_reads_a_units_regimes_over_time(api: Api) -> None:
    """Registered employer-set; on the state's scale from 2020-01, and a change already
    recorded for six months on, not yet in force; "STATE" read as ``employers regime
    --salary-regime STATE`` reads it, and recorded as listed."""
    ahead = str(Period.of(date.today()) + 6)
    for body in ({"salary_regime": "STATE", "from_month": ahead},
                 {"salary_regime": "state", "from_month": "2020-01"}):
        assert put(api, body).status_code == 200
    r = get(api, _clerk())
    assert r.status_code == 200, r.text
    assert r.json() == {
        "code": EMPLOYER, "registered": "employer", "in_force": "state",
        "changes": [{"from_month": "2020-01", "salary_regime": "state"},
                    {"from_month": ahead, "salary_regime": "state"}]}


@pytest.mark.parametrize(("who", "code", "status"), [
    ("employer", EMPLOYER, 403), ("clerk", make_enterprise_code(9898, "01"), 404)])
def test_a_units_regimes_are_an_officers_to_read_and_of_a_unit_someone_holds(
        api: Api, who: str, code: str, status: int) -> None:
    headers = _clerk() if who == "clerk" else api.as_employer()
    assert get(api, headers, code).status_code == status


def test_a_change_under_a_settled_withdrawal_is_a_409_naming_from_month(api: Api) -> None:
    """The worker's 2024-01 to 2025-06 were averaged and paid out in 2025-10: from 2025-07."""
    pid = api.workers[0]
    worked(api.engine, pid)
    claim(api.engine, pid, Claim(Regime.LUMP_SUM, "HS-LS-API", date(2025, 10, 1),
                                 ground="emigration"))
    settle(api.engine, pid, "HS-LS-API", Decision("settled", date(2025, 10, 20), "99/QĐ",
                                                  amount=27_000_000))
    r = put(api, {"salary_regime": "state", "from_month": "2024-06"})
    assert r.status_code == 409, r.text
    [problem] = r.json()["errors"]
    assert problem["field"] == "from_month"
    assert "up to 2025-06: the regime can change from 2025-07 on" in problem["reason"]
    with api.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM employer_salary_regimes")).scalar() == 0
    assert put(api, {"salary_regime": "state", "from_month": "2025-07"}
               ).status_code == 200


def test_a_change_before_the_units_first_month_is_a_422_naming_from_month(api: Api) -> None:
    """The unit's first worker was insured from 2024-01: not from 1990-01, from then on."""
    worked(api.engine, api.workers[0])
    r = put(api, {"salary_regime": "state", "from_month": "1990-01"})
    assert r.status_code == 422, r.text
    [problem] = r.json()["errors"]
    assert problem["field"] == "from_month"
    assert "its regime changes from 2024-01 on" in problem["reason"]
    assert put(api, {"salary_regime": "state", "from_month": "2024-01"}).status_code == 200
