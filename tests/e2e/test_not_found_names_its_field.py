"""A 404 of the domain names the input that named what is not there, as its 409s and 422s do:
the path's personal ID, unit code, version or job id, or the query's unit code; never whether
the thing exists out of the caller's sight (the same answer for both)."""

from __future__ import annotations

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
from sibook.ids import make_enterprise_code
from tests.e2e.test_access_matrix import HIDDEN, OWN, PRINCIPALS, UNIT_A, bearer, populated_app
from tests.e2e.test_openapi_conformance import assert_conforms

NOBODY = "001089099999"
MINISTRY_UNIT = make_enterprise_code(9)
NATIONAL = Officer("national", "civil", None, frozenset({"clerk", "approver", "auditor"}))


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    tmp: Path = tmp_path_factory.mktemp("not-found")
    mp = pytest.MonkeyPatch()
    mp.setenv("SIBOOK_KEYS_DIR", str(tmp / "keys"))
    get_settings.cache_clear()
    app, engine, _ = populated_app(tmp / "sibook.db")
    with unit_of_work(engine) as s:  # a defence unit: absent outside its realm
        s.execute(insert(metadata.tables["employers"]).values(
            code=MINISTRY_UNIT, name="Đơn vị quốc phòng", province_code="01", region="I",
            realm="defence"))
    yield TestClient(app, raise_server_exceptions=False), app.openapi()
    engine.dispose()
    mp.undo()
    get_settings.cache_clear()
    get_access_settings.cache_clear()


@pytest.mark.parametrize(("path", "url", "field"), [
    ("/api/v1/persons/{personal_id}", f"/api/v1/persons/{NOBODY}", "personal_id"),
    ("/api/v1/persons/{personal_id}", f"/api/v1/persons/{HIDDEN}", "personal_id"),
    ("/api/v1/books/{personal_id}", f"/api/v1/books/{HIDDEN}", "personal_id"),
    ("/api/v1/persons/{personal_id}/ledger", f"/api/v1/persons/{NOBODY}/ledger", "personal_id"),
    ("/api/v1/books/{personal_id}/versions/{version}", f"/api/v1/books/{OWN}/versions/9",
     "version"),
    ("/api/v1/employers/{code}/ledger", f"/api/v1/employers/{MINISTRY_UNIT}/ledger", "code"),
    ("/api/v1/persons", f"/api/v1/persons?employer={MINISTRY_UNIT}", "employer"),
    ("/api/v1/employers/{code}/declaration-jobs/{job_id}",
     f"/api/v1/employers/{UNIT_A}/declaration-jobs/no-such-job", "job_id"),
])
def test_a_404_names_its_field(api: tuple[TestClient, dict[str, Any]], path: str, url: str,
                               field: str) -> None:
    client, spec = api
    r = client.get(url, headers=bearer(NATIONAL))
    assert r.status_code == 404, r.text
    assert_conforms(spec, "GET", path, r)
    (error,) = r.json()["errors"]
    assert error["field"] == field, error


def test_an_unseen_person_and_nobody_read_the_same(
        api: tuple[TestClient, dict[str, Any]]) -> None:
    client, _ = api
    clerk = bearer(PRINCIPALS["clerk_hanoi"])
    hidden, nobody = (client.get(f"/api/v1/persons/{pid}/ledger", headers=clerk)
                      for pid in (HIDDEN, NOBODY))
    assert (hidden.status_code, hidden.json()) == (nobody.status_code, nobody.json())
