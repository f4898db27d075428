"""Annulling a wrongly recorded HI visit, on SQLite and PostgreSQL: the visit stays as filed,
the person's list leaves it out while an officer's shows it annulled; annulling again changes
nothing; its key is not filed again; annulments are append-only."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, insert, text
from sqlalchemy.exc import DatabaseError

from sibook.core.db import unit_of_work
from sibook.core.errors import ValidationError
from sibook.core.schema import metadata
from sibook.registry import reading as registry
from sibook.visits.annulments import annul, recorded_person
from sibook.visits.service import VisitConflict, listing
from tests.integration.races import until_one_waits
from tests.integration.test_visits import card, count, file, insured, visit

WRONG = "another patient's claim, filed under this card by mistake"


def annulled(engine: Engine, link: str = "LK0000", reason: str = WRONG) -> dict[str, Any]:
    with unit_of_work(engine) as s:
        person_id = recorded_person(session=s, facility_code="01001", link_code=link)
        assert person_id is not None
        return annul(session=s, person_id=person_id, facility_code="01001", link_code=link,
                     reason=reason, actor="bv-01001")


def listed(engine: Engine, pid: str, *, with_annulled: bool) -> dict[str, Any]:
    with unit_of_work(engine) as s:
        person_id = registry.person_id_of(session=s, personal_id=pid)
        return listing(session=s, person_id=person_id, personal_id=pid,
                       with_annulled=with_annulled)


def test_an_annulled_visit_leaves_the_persons_list_and_shows_annulled_to_officers(
        engine: Engine) -> None:
    a, _ = insured(engine)
    file(engine, [visit(a, 0), visit(a, 1, MA_THE_BHYT=card(0),
                                     NGAY_VAO="202603050800", NGAY_RA="202603050900")])
    answer = annulled(engine)
    assert (answer["annulled"], answer["link_code"], answer["reason"], answer["annulled_by"],
            answer["replayed"]) == (True, "LK0000", WRONG, "bv-01001", False)
    own = listed(engine, a, with_annulled=False)
    assert (own["total"], [v["link_code"] for v in own["visits"]]) == (1, ["LK0001"])
    officers = listed(engine, a, with_annulled=True)
    assert officers["total"] == 2
    assert [(v["link_code"], v["annulment"] and v["annulment"]["reason"])
            for v in officers["visits"]] == [("LK0001", None), ("LK0000", WRONG)]
    assert count(engine) == 2  # the visit stays as filed


def test_annulling_again_changes_nothing_and_answers_the_first_annulment(
        engine: Engine) -> None:
    a, _ = insured(engine)
    file(engine, [visit(a, 0)])
    first = annulled(engine)
    again = annulled(engine, reason="filed twice")
    assert again == {**first, "replayed": True}


def test_an_annulled_key_is_not_filed_again_whatever_its_content(engine: Engine) -> None:
    a, _ = insured(engine)
    file(engine, [visit(a, 0)])
    annulled(engine)
    for content in ({}, {"MA_BENH_CHINH": "J02"}):
        with pytest.raises(VisitConflict) as caught:
            file(engine, [visit(a, 0, **content)])
        [problem] = caught.value.problems
        assert (problem.row, problem.field) == (1, "MA_LK")
        assert "annulled on" in problem.reason and "new MA_LK" in problem.reason


def test_a_refiled_annulled_key_names_the_day_of_its_annulment_in_vietnam(engine: Engine
                                                                         ) -> None:
    """Annulled at 03:00 on 1 April in Hà Nội, 20:00 on 31 March in UTC: the hospital reads
    its own day."""
    a, _ = insured(engine)
    file(engine, [visit(a, 0)])
    with unit_of_work(engine) as s:
        s.execute(insert(metadata.tables["hi_visit_annulments"]).values(
            person_id=registry.person_id_of(session=s, personal_id=a), facility_code="01001",
            link_code="LK0000", reason=WRONG, annulled_by="bv-01001",
            annulled_at=datetime(2026, 3, 31, 20, 0, tzinfo=UTC)))
    with pytest.raises(VisitConflict) as caught:
        file(engine, [visit(a, 0)])
    assert "annulled on 2026-04-01 (Vietnam's date)" in caught.value.problems[0].reason


def test_an_annulment_needs_a_reason(engine: Engine) -> None:
    a, _ = insured(engine)
    file(engine, [visit(a, 0)])
    with pytest.raises(ValidationError) as caught:
        annulled(engine, reason="  ")
    assert caught.value.problems[0].field == "reason"
    assert listed(engine, a, with_annulled=False)["total"] == 1


def test_annulments_are_append_only(engine: Engine) -> None:
    a, _ = insured(engine)
    file(engine, [visit(a, 0)])
    annulled(engine)
    for statement in ("UPDATE hi_visit_annulments SET reason = 'x'",
                      "DELETE FROM hi_visit_annulments"):
        with pytest.raises(DatabaseError), engine.begin() as conn:
            conn.execute(text(statement))
    assert listed(engine, a, with_annulled=False)["total"] == 0


def test_a_visit_annulled_twice_at_the_same_moment_is_annulled_once(engine: Engine) -> None:
    """The second waits for the first's row (PostgreSQL: on its key), then answers it,
    replayed; never a duplicate-key crash."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers itself")
    a, _ = insured(engine)
    file(engine, [visit(a, 0)])
    answers: list[dict[str, Any]] = []
    racer = threading.Thread(target=lambda: answers.append(annulled(engine, reason="second")))
    with unit_of_work(engine) as s:
        person_id = recorded_person(session=s, facility_code="01001", link_code="LK0000")
        assert person_id is not None
        annul(session=s, person_id=person_id, facility_code="01001", link_code="LK0000",
              reason=WRONG, actor="bv-01001")
        racer.start()
        until_one_waits(engine)
    racer.join(timeout=60)
    [second] = answers
    assert (second["reason"], second["replayed"]) == (WRONG, True)
