"""A unit a worker has left sees them as they were while they worked for it: the name and
birth date the book recorded then, never a correction made since (the registry keeps none of
their history, the book's versions do), and none when the book recorded nothing then. Its
current workers, and officers, are shown the registry as it is."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, text, update

from sibook.access.former_workers import Identity, identities_at_leaving
from sibook.access.settings import get_access_settings
from sibook.book import service as book
from sibook.core.config import get_settings
from sibook.core.db import unit_of_work
from sibook.core.period import Period
from sibook.core.schema import metadata
from tests.e2e.test_access_matrix import (
    OWN,
    PRINCIPALS,
    UNIT_A,
    _populate,
    bearer,
    populated_app,
)
from tests.e2e.test_openapi_conformance import assert_conforms

LEFT = Period(2023, 6)  # own's last month at unit A
REGISTERED = ("Person " + OWN, "1989-03-02")
CORRECTED = ("Nguyễn Văn Mới", "1989-03-12")


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, Engine,
                                                                           int]]:
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("SIBOOK_DATABASE_URL", f"sqlite:///{tmp_path / 'former.db'}")
    get_settings.cache_clear()
    app, engine, ids = populated_app(tmp_path / "former.db")
    periods = metadata.tables["si_periods"]
    with unit_of_work(engine) as s:  # own left unit A; paid below the minimum there in 2023
        s.execute(update(periods).where(periods.c.person_id == ids[OWN])
                  .values(to_month=LEFT.index, salary_basis=4_000_000))
    yield TestClient(app), engine, ids[OWN]
    engine.dispose()
    get_settings.cache_clear()
    get_access_settings.cache_clear()


def _recorded(engine: Engine, person_id: int, on: date) -> None:
    """The book, as the registry holds the person now, recorded as a new version on ``on``."""
    with unit_of_work(engine) as s:
        assert book.current_version(session=s, person_id=person_id, as_of=date.today(),
                                    now=datetime(on.year, on.month, on.day, 3, tzinfo=UTC))[1]


def _corrected(engine: Engine, person_id: int) -> None:
    """The name and birth date corrected in the registry (nothing keeps the old ones)."""
    with unit_of_work(engine) as s:
        s.execute(text("UPDATE persons SET full_name = :n, birth_date = :b WHERE person_id = :p"),
                  {"n": CORRECTED[0], "b": date.fromisoformat(CORRECTED[1]), "p": person_id})


def _seen(client: TestClient, who: str) -> list[tuple[str | None, str | None]]:
    """What ``who`` is shown of own's identity, at ``/persons/{id}`` and in ``/persons``."""
    one = client.get(f"/api/v1/persons/{OWN}", headers=bearer(PRINCIPALS[who]))
    listed = client.get("/api/v1/persons", headers=bearer(PRINCIPALS[who]))
    assert one.status_code == listed.status_code == 200, (one.text, listed.text)
    spec = client.app.openapi()  # type: ignore[attr-defined]
    assert_conforms(spec, "GET", "/api/v1/persons/{personal_id}", one)
    assert_conforms(spec, "GET", "/api/v1/persons", listed)
    return [(p["full_name"], p["birth_date"]) for p in (one.json(), *listed.json()["persons"])]


def test_a_former_employer_sees_the_identity_recorded_while_the_worker_was_its_own(
        api: tuple[TestClient, Engine, int]) -> None:
    client, engine, person_id = api
    _recorded(engine, person_id, date(2023, 1, 15))  # while with unit A
    _corrected(engine, person_id)
    _recorded(engine, person_id, date.today())
    assert _seen(client, "employer_a") == [REGISTERED, REGISTERED]
    employer = bearer(PRINCIPALS["employer_a"])
    assert client.get(f"/api/v1/persons/{OWN}", headers=employer).json()["employer"] is None
    assert _seen(client, "clerk_hanoi") == [CORRECTED, CORRECTED]  # the registry as it is
    below = client.get(f"/api/v1/employers/{UNIT_A}/below-minimum?month=2023-01",
                       headers=employer).json()["workers"]
    assert [(w["personal_id"], w["full_name"]) for w in below] == [(OWN, REGISTERED[0])]
    officer = client.get(f"/api/v1/employers/{UNIT_A}/below-minimum?month=2023-01",
                         headers=bearer(PRINCIPALS["clerk_hanoi"])).json()["workers"]
    assert [w["full_name"] for w in officer] == [CORRECTED[0]]


def test_a_book_recorded_only_after_the_worker_left_shows_the_unit_no_identity(
        api: tuple[TestClient, Engine, int]) -> None:
    # Nothing was recorded while the worker was with the unit: whatever the registry says may
    # be a correction made since (here: the first version, recorded after, is the corrected one).
    client, engine, person_id = api
    _corrected(engine, person_id)
    assert _seen(client, "employer_a") == [(None, None), (None, None)]  # no version at all
    _recorded(engine, person_id, (LEFT + 1).first_day)  # Vietnam's 1 July, 10:00
    assert _seen(client, "employer_a") == [(None, None), (None, None)]
    below = client.get(f"/api/v1/employers/{UNIT_A}/below-minimum?month=2023-01",
                       headers=bearer(PRINCIPALS["employer_a"])).json()["workers"]
    assert [(w["personal_id"], w["full_name"]) for w in below] == [(OWN, None)]
    assert _seen(client, "clerk_hanoi") == [CORRECTED, CORRECTED]


def test_the_worker_back_with_the_unit_is_seen_as_the_registry_holds_them_now(
        api: tuple[TestClient, Engine, int]) -> None:
    client, engine, person_id = api
    _recorded(engine, person_id, date(2023, 1, 15))
    _corrected(engine, person_id)
    _recorded(engine, person_id, date.today())
    row: dict[str, Any] = {"person_id": person_id, "seq": 2, "to_month": None,
                           "from_month": Period.of(date.today()).index, "kind": "compulsory",
                           "salary_basis": 10_000_000, "allowances": 0,
                           "occupational_rate_bp": 50}
    with unit_of_work(engine) as s:  # taken on again this month
        unit = s.execute(text("SELECT employer_id FROM employers WHERE code = :c"),
                         {"c": UNIT_A}).scalar_one()
        s.execute(insert(metadata.tables["si_periods"]).values(employer_id=unit, **row))
    assert _seen(client, "employer_a") == [CORRECTED, CORRECTED]


def test_the_identity_at_leaving_is_read_alike_on_both_stores(engine: Engine) -> None:
    # The header read out of the stored JSON (SQLite's json_extract, PostgreSQL's #>>), for
    # the former worker only: a current one (hidden, still at unit A) and a stranger are not.
    ids = _populate(engine)
    periods = metadata.tables["si_periods"]
    with unit_of_work(engine) as s:
        s.execute(update(periods).where(periods.c.person_id == ids[OWN])
                  .values(to_month=LEFT.index))
    _recorded(engine, ids[OWN], date(2023, 6, 30))
    _corrected(engine, ids[OWN])
    _recorded(engine, ids[OWN], date(2023, 7, 1))
    with unit_of_work(engine) as s:
        seen = identities_at_leaving(s, UNIT_A, ids.values())
    assert seen == {ids[OWN]: Identity(REGISTERED[0], date.fromisoformat(REGISTERED[1]))}
