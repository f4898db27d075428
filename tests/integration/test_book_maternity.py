"""Months of maternity leave count as contributed with nothing due (FACTS §4.4: a month with 14
working days of leave or more, which is when the employer declares TS): the book shows them as
a row of their own, counted in the totals, up to the law's six months of birth leave; unpaid
leave (KL) does not count."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine

from sibook.book.render_pdf import render_pdf
from sibook.book.schema import Book
from sibook.book.service import assemble_person
from sibook.contributions import queries
from sibook.contributions.declare import declare
from sibook.contributions.payments import post_payment
from sibook.core.db import unit_of_work
from sibook.core.period import Period
from sibook.registry import reading as registry
from sibook.signing.qr import qr_png
from tests.integration.ledger_fixtures import EMPLOYER, csv_of, setup_workers


def _file(engine: Engine, rows: list[tuple[str, str, int | None, str]], month: str) -> None:
    with unit_of_work(engine) as s:
        declare(session=s, data=csv_of(rows), file_name=f"{month}-{rows[0][1]}.csv",
                employer_code=EMPLOYER, month=Period.parse(month))


def _pay(engine: Engine, amount: int, on: date) -> None:
    """The employer pays its dues in full (months in arrears would not count)."""
    with unit_of_work(engine) as s:
        post_payment(session=s, employer_code=EMPLOYER, amount=amount,
                     bank_reference=f"P-{on}", paid_on=on, today=date(2027, 12, 31))


def _book(engine: Engine, personal_id: str, as_of: date) -> dict[str, Any]:
    with unit_of_work(engine) as s:
        person_id = registry.person_id_of(session=s, personal_id=personal_id)
        return assemble_person(session=s, person_id=person_id, as_of=as_of)


def _rows(book: dict[str, Any]) -> list[tuple[str, str | None, str, int]]:
    return [(r["from"], r["to"], r["kind"], r["employee"]["total"]) for r in book["sheets"]]


def test_maternity_months_count_up_to_six_and_unpaid_leave_does_not(engine: Engine) -> None:
    mother, on_leave = setup_workers(engine, 2)
    _file(engine, [(mother, "TM", 10_000_000, "2025-01"), (on_leave, "TM", 10_000_000,
                                                             "2025-01")], "2025-01")
    _file(engine, [(mother, "TS", None, "2025-03"), (on_leave, "KL", None, "2025-03")],
          "2025-03")
    # Back after eight months (a multiple birth's longer leave is not guessed): six count.
    _file(engine, [(mother, "TT", 10_000_000, "2025-11"), (on_leave, "TT", 10_000_000,
                                                             "2025-11")], "2025-11")
    _pay(engine, 8 * 3_200_000, date(2025, 1, 20))  # four months each, paid in full
    book = _book(engine, mother, date(2025, 12, 31))
    assert _rows(book) == [("2025-01", "2025-02", "compulsory", 1_050_000),
                           ("2025-03", "2025-08", "maternity", 0),
                           ("2025-11", None, "compulsory", 1_050_000)]
    assert book["totals"]["si_months"] == 2 + 6 + 2
    assert book["totals"]["ui_months"] == 4  # the law counts the leave for SI
    Book.model_validate(book)
    pdf = render_pdf(book, version=1, content_hash="0" * 64, issuer="BHXH Việt Nam",
                     issued_at="2025-12-31T00:00:00+00:00", qr_png=qr_png("SIB1:TEST"))
    text = " ".join(page.get_textpage().get_text_range()
                    for page in pytest.importorskip("pypdfium2").PdfDocument(pdf))
    assert "Nghỉ thai sản" in " ".join(text.split())  # the row's form, however it wraps
    assert _book(engine, on_leave, date(2025, 12, 31))["totals"]["si_months"] == 4
    with unit_of_work(engine) as s:  # nothing was due for the leave
        months = queries.employer_ledger(session=s, code=EMPLOYER, as_of=date(2025, 12, 31))
    assert [m["month"] for m in months["months"]] == ["2025-01", "2025-02", "2025-11"]


def test_a_leave_not_yet_ended_counts_to_the_book_s_month(engine: Engine) -> None:
    (mother,) = setup_workers(engine, 1)
    _file(engine, [(mother, "TM", 10_000_000, "2026-01")], "2026-01")
    _file(engine, [(mother, "TS", None, "2026-09")], "2026-09")
    _pay(engine, 8 * 3_200_000, date(2026, 1, 20))
    assert _rows(_book(engine, mother, date(2026, 11, 27)))[-1] == (
        "2026-09", "2026-11", "maternity", 0)
    later = _book(engine, mother, date(2027, 6, 30))
    assert _rows(later)[-1] == ("2026-09", "2027-02", "maternity", 0)
    assert later["totals"]["si_months"] == 8 + 6
