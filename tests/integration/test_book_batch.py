"""Batch issuing: the same books as one at a time, recorded as versions and QR-signed."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, func, insert, select

from sibook.book import batch, issuing, service, versions
from sibook.book.assemble import canonical, content_hash
from sibook.core.db import unit_of_work
from sibook.core.period import Period
from sibook.core.schema import metadata
from sibook.seed.service import seed
from sibook.signing.trust_list import TrustList

TODAY = date(2026, 11, 26)


@pytest.fixture
def people(engine: Engine) -> list[int]:
    """Every person of a seeded database, one employer owing more for September 2026, whose
    deadline (10-31, Law 41/2024 Art 34(4)) has passed by TODAY."""
    seed(engine=engine, people=60, employers=6, today=TODAY)
    persons, periods = metadata.tables["persons"], metadata.tables["si_periods"]
    entries = metadata.tables["ledger_entries"]
    september = Period(2026, 9).index
    with unit_of_work(engine) as s:
        employer_id = s.execute(select(periods.c.employer_id).where(
            periods.c.to_month.is_(None), periods.c.kind == "compulsory").limit(1)).scalar_one()
        last_no = s.execute(select(func.coalesce(func.max(entries.c.entry_no), 0)).where(
            entries.c.employer_id == employer_id, entries.c.period == september)).scalar_one()
        amounts = {c.name: 0 for c in entries.c if c.name.startswith(("er_", "ee_"))}
        s.execute(insert(entries).values(  # a correction: the month is now not fully paid
            period=september, employer_id=employer_id, entry_no=last_no + 1, workers=0,
            total=5_000_000, **{**amounts, "er_retirement_survivorship": 5_000_000}))
        return [int(r[0]) for r in s.execute(select(persons.c.person_id)
                                             .order_by(persons.c.person_id))]


def test_batch_books_are_byte_identical_to_single_books(engine: Engine,
                                                        people: list[int]) -> None:
    with unit_of_work(engine) as s:
        many = batch.assemble_many(session=s, person_ids=people, as_of=TODAY)
        single = {pid: service.assemble_person(session=s, person_id=pid, as_of=TODAY)
                  for pid in people}
    assert set(many) == set(people)
    for pid in people:
        assert canonical(many[pid]) == canonical(single[pid])
        assert content_hash(many[pid]) == content_hash(single[pid])
    assert any(book["arrears"] for book in many.values())  # the unpaid month is in both


def test_issuing_records_version_1_and_signs_a_qr_that_verifies(
        engine: Engine, people: list[int], agency: issuing.Agency) -> None:
    with unit_of_work(engine) as s:
        issued = batch.issue_many(session=s, person_ids=people, as_of=TODAY,
                                  signer_for=agency.signer, batch=25)
    assert [i.person_id for i in issued] == people
    assert all(i.created and i.version.version == 1 for i in issued)
    trust = TrustList.from_pem(agency.trust_list().to_pem())
    result = issuing.check(issued[0].qr.encode(), trust, agency.revocations())
    assert result.valid, result.errors
    with unit_of_work(engine) as s:
        stored = versions.latest(session=s, person_id=people[0])
        book = service.book_of(session=s, person_id=people[0])
    assert stored is not None and stored.content_hash == issued[0].version.content_hash
    assert book is not None and book.version == 1


def test_issuing_again_without_changes_keeps_each_version(
        engine: Engine, people: list[int], agency: issuing.Agency) -> None:
    with unit_of_work(engine) as s:
        first = batch.issue_many(session=s, person_ids=people, as_of=TODAY,
                                 signer_for=agency.signer)
    with unit_of_work(engine) as s:
        again = batch.issue_many(session=s, person_ids=people, as_of=TODAY,
                                 signer_for=agency.signer)
        single, created = service.current_version(session=s, person_id=people[0], as_of=TODAY)
    assert not any(i.created for i in again) and not created
    assert [i.version.summary() for i in again] == [i.version.summary() for i in first]
    assert single.summary() == first[0].version.summary()


def test_seeded_careers_since_the_1990s_show_amounts_in_every_compulsory_sheet_row(
        engine: Engine, people: list[int]) -> None:
    """The law tables reach back to 1995-01: no compulsory row of a seeded book is left
    without its amounts (it showed "—" before 2020)."""
    with unit_of_work(engine) as s:
        books = batch.assemble_many(session=s, person_ids=people, as_of=TODAY)
    rows = [r for book in books.values() for r in book["sheets"] if r["kind"] == "compulsory"]
    assert min(r["from"] for r in rows) < "2000-01"
    assert all(r["employer"] is not None and r["employee"] is not None for r in rows)
