"""The book's JSON is exactly what the OpenAPI contract describes: seeded books of every kind
(compulsory and voluntary careers, arrears, HI cards, benefits, defence and public-security
books) validate against ``BookAnswer``, whose models forbid undeclared keys."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, select

from sibook.book import batch
from sibook.book.assemble import content_hash
from sibook.book.schema import BookAnswer
from sibook.core.db import unit_of_work
from sibook.core.schema import metadata
from sibook.seed.service import seed

TODAY = date(2026, 11, 26)


@pytest.fixture
def books(engine: Engine) -> dict[int, dict[str, Any]]:
    seed(engine=engine, people=400, employers=12, today=TODAY, seed=3)
    persons = metadata.tables["persons"]
    with unit_of_work(engine) as s:
        ids = [int(r[0]) for r in s.execute(select(persons.c.person_id))]
        return batch.assemble_many(session=s, person_ids=ids, as_of=TODAY)


def test_every_seeded_book_is_what_the_contract_describes(
        books: dict[int, dict[str, Any]]) -> None:
    def has(key: str) -> bool:
        return any(book.get(key) for book in books.values())

    # the seed reaches every part of the schema worth checking
    assert all(has(k) for k in ("sheets", "ui_periods", "hi_periods", "arrears", "benefits",
                                "voluntary", "restricted"))
    assert any(row.get("unpaid") for b in books.values() for row in b["sheets"])
    for book in books.values():
        BookAnswer.model_validate({"version": 1, "content_hash": content_hash(book),
                                   "prev_hash": None, "book": book})


def test_a_key_the_contract_does_not_describe_is_refused(
        books: dict[int, dict[str, Any]]) -> None:
    book = next(b for b in books.values() if b["benefits"])
    changed = {**book, "benefits": [{**book["benefits"][0], "paid_to": "someone"}]}
    with pytest.raises(ValidationError, match="paid_to"):
        BookAnswer.model_validate({"version": 1, "content_hash": "0" * 64, "prev_hash": None,
                                   "book": changed})
