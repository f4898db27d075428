"""The moments the store stamps (a claim received, a decision, a voluntary payment, a visit
filed or annulled) and a book version's, answered alike on SQLite and PostgreSQL: in UTC
(+00:00) whatever zone the PostgreSQL server tells its times in, and a stamp at whole seconds,
as SQLite's CURRENT_TIMESTAMP keeps it (PostgreSQL's now() has microseconds)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event

from sibook.book import issuing
from sibook.core.db import unit_of_work
from sibook.registry import reading as registry
from tests.integration.ledger_fixtures import setup_workers
from tests.integration.test_benefits import claim, settle, worked
from tests.integration.test_visit_annulments import annulled, listed
from tests.integration.test_visits import file, insured, visit
from tests.integration.test_voluntary_payments import join_voluntarily, pay

STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")


@pytest.fixture
def vietnam_zone(engine: Engine) -> Iterator[Engine]:
    """``engine``, whose PostgreSQL sessions tell times in Vietnam's zone, as a server set up
    there does (its TimeZone taken from the machine's)."""
    def set_zone(dbapi_conn: Any, _record: Any) -> None:
        with dbapi_conn.cursor() as cur:
            cur.execute("SET TIME ZONE 'Asia/Ho_Chi_Minh'")
        dbapi_conn.commit()

    if engine.dialect.name == "postgresql":
        engine.dispose()  # every connection from here on is a new one, set so
        event.listen(engine, "connect", set_zone)
    yield engine


def test_a_claim_and_its_decision_are_stamped_in_utc_at_whole_seconds(
        vietnam_zone: Engine) -> None:
    (pid,) = setup_workers(vietnam_zone, 1)
    worked(vietnam_zone, pid)
    received = claim(vietnam_zone, pid)
    decided = settle(vietnam_zone, pid, "HS-2025-0001")
    stamps = [received["recorded_at"], decided["recorded_at"],
              decided["decision"]["recorded_at"]]
    assert all(STAMP.fullmatch(at) for at in stamps), stamps


def test_a_voluntary_payment_is_stamped_in_utc_at_whole_seconds(vietnam_zone: Engine) -> None:
    pid = join_voluntarily(vietnam_zone)
    posted = pay(vietnam_zone, pid, 594_000, "VNPT-1")
    assert STAMP.fullmatch(posted["recorded_at"]), posted["recorded_at"]


def test_a_visit_is_stamped_filed_and_annulled_in_utc_at_whole_seconds(
        vietnam_zone: Engine) -> None:
    a, _ = insured(vietnam_zone)
    file(vietnam_zone, [visit(a, 0)])
    annulment = annulled(vietnam_zone)["annulled_at"]
    [shown] = listed(vietnam_zone, a, with_annulled=True)["visits"]  # as officers see it
    assert STAMP.fullmatch(shown["filed_at"]), shown["filed_at"]
    assert shown["annulment"]["annulled_at"] == annulment
    assert STAMP.fullmatch(annulment), annulment


def test_a_book_versions_creation_is_answered_in_utc(vietnam_zone: Engine) -> None:
    (pid,) = setup_workers(vietnam_zone, 1)
    with unit_of_work(vietnam_zone) as s:
        person_id = registry.person_id_of(session=s, personal_id=pid)
        versions = issuing.history(s, person_id=person_id, personal_id=pid)["versions"]
    assert versions and all(v["created_at"].endswith("+00:00") for v in versions), versions
