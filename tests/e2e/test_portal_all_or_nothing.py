"""A portal page completes or leaves the database as it was, on SQLite and on PostgreSQL: a page
that wrote (a book version, its logged read, a joining) and then failed rolls all of it back,
as the API does; a refusal of the policy stays in the access log all the same.

The pages' refusals used to be answered inside FastAPI's function-scoped dependencies, so the
unit of work saw a page returned normally and committed what it had written before failing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, insert, select
from starlette.exceptions import HTTPException

from sibook.access.principals import Citizen
from sibook.access.settings import get_access_settings
from sibook.book import issuing, versions
from sibook.core.db import unit_of_work
from sibook.core.errors import NotFoundError
from sibook.core.schema import metadata
from sibook.portal import pages
from sibook.registry import api as registry_api
from sibook.registry import reading as registry
from tests.e2e.test_access_matrix import OWN, _populate, bearer
from tests.e2e.test_portal_pages import NEWCOMER, SITE, signed_in
from tests.servers import app_on

FAILURES = [NotFoundError("nothing here after all"), HTTPException(409, "changed meanwhile")]


@dataclass
class World:
    client: TestClient
    engine: Engine
    ids: dict[str, int]

    def count(self, table: str, **where: Any) -> int:
        t = metadata.tables[table]
        q = select(func.count()).select_from(t)
        for column, value in where.items():
            q = q.where(t.c[column] == value)
        with unit_of_work(self.engine) as s:
            return int(s.scalar(q) or 0)

    def latest(self, personal_id: str) -> int | None:
        with unit_of_work(self.engine) as s:
            found = versions.latest(session=s, person_id=self.ids[personal_id])
        return found.version if found else None


@pytest.fixture
def world(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    get_access_settings.cache_clear()
    ids = _populate(engine)
    with unit_of_work(engine) as s:
        s.execute(insert(metadata.tables["population_citizens"]).values(
            personal_id=NEWCOMER, full_name="Đỗ Thị Mai", birth_date=date(1990, 6, 15),
            sex="female"))
    yield World(TestClient(app_on(engine), raise_server_exceptions=False), engine, ids)
    get_access_settings.cache_clear()


@pytest.mark.parametrize("failure", FAILURES, ids=["not-found", "http"])
def test_issuing_a_book_that_fails_after_recording_its_version_records_nothing(
        world: World, monkeypatch: pytest.MonkeyPatch, failure: Exception) -> None:
    def fails(*_: object) -> None:  # after the version and its logged read were written
        raise failure

    monkeypatch.setattr(pages, "_signed_images", fails)
    logged = world.count("access_log")
    page = signed_in(world.client, OWN).post("/portal/book", headers=SITE,
                                             follow_redirects=False)
    assert page.status_code in (404, 409), page.text
    assert page.headers["content-type"].startswith("text/html")  # the portal's page
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert world.latest(OWN) is None  # no version recorded without its signature
    assert world.count("access_log") == logged  # nor a read that was never shown
    monkeypatch.undo()
    assert world.client.post("/portal/book", headers=SITE,
                             follow_redirects=False).status_code == 303
    assert world.latest(OWN) == 1


@pytest.mark.parametrize("failure", FAILURES, ids=["not-found", "http"])
def test_a_join_that_fails_after_registering_leaves_no_one_registered(
        world: World, monkeypatch: pytest.MonkeyPatch, failure: Exception) -> None:
    join = registry_api.join_voluntary

    def joins_then_fails(*args: Any, **kwargs: Any) -> Any:
        join(*args, **kwargs)  # the person, the book, the voluntary period: all written
        raise failure

    monkeypatch.setattr(registry_api, "join_voluntary", joins_then_fails)
    c = signed_in(world.client, NEWCOMER)
    page = c.post("/portal/voluntary", headers=SITE, follow_redirects=False,
                  data={"income": "5000000", "support_group": "other",
                          "province_code": "01"})
    assert page.status_code in (404, 409), page.text
    with unit_of_work(world.engine) as s:
        assert registry.registered_id(session=s, personal_id=NEWCOMER) is None
    assert "You have no e-SI book yet" in c.get("/portal/book").text  # the form again
    monkeypatch.undo()
    joined = c.post("/portal/voluntary", headers=SITE, follow_redirects=False,
                    data={"income": "5000000", "support_group": "other",
                          "province_code": "01"})
    assert joined.status_code == 303


def test_a_refused_page_still_logs_its_refusal(world: World) -> None:
    """Level 1 is refused by the policy, whose entry is committed before the request's own work
    is rolled back: the page's rollback keeps it."""
    c = signed_in(world.client, OWN)
    c.cookies.set("sibook_session", bearer(Citizen(OWN, 1))["Authorization"][7:],
                  path="/portal")
    forbidden = world.count("access_log", outcome="forbidden")
    page = c.get("/portal/book")
    assert page.status_code == 403 and "level-2" in page.text
    assert world.count("access_log", outcome="forbidden") == forbidden + 1
    assert world.latest(OWN) is None


def test_a_page_that_fails_unexpectedly_says_so_in_the_portals_words(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fault no answer names (a defect) is the portal's page, in Vietnamese, with its
    policy, and changes nothing; what failed is not on the page (the server's log has it)."""
    def fails(*_: object) -> None:  # after the version and its logged read were written
        raise RuntimeError("a defect at line 42 of /srv/sibook/secret.py")

    monkeypatch.setattr(pages, "_signed_images", fails)
    logged = world.count("access_log")
    page = signed_in(world.client, OWN).post("/portal/book", headers=SITE,
                                             follow_redirects=False)
    assert page.status_code == 500
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert "Hệ thống tạm thời không thực hiện được, vui lòng thử lại sau." in page.text
    assert "secret.py" not in page.text and "RuntimeError" not in page.text
    assert world.latest(OWN) is None and world.count("access_log") == logged


def test_the_api_still_answers_an_unexpected_fault_as_before(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The portal's answer to a defect is its pages' only: the API's route is no page."""
    def fails(*_: object, **__: object) -> None:
        raise RuntimeError("a defect")

    monkeypatch.setattr(issuing, "issue_qr", fails)
    answer = world.client.get(f"/api/v1/books/{OWN}/qr", headers=bearer(Citizen(OWN, 2)))
    assert (answer.status_code, answer.text) == (500, "Internal Server Error")
