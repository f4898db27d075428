"""Maternity after leave for infertility treatment (FACTS §4.4), on SQLite and PostgreSQL: the
mother's 6 months of contributions are looked for in the 24 months before the birth, not 12,
when her claim says so; the claim keeps it, and only a mother's maternity claim says it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine

from sibook.benefits.domain import Claim, Regime
from sibook.book.render_pdf import FONT, render_pdf
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.signing.qr import qr_png
from tests.integration.ledger_fixtures import setup_workers
from tests.integration.test_benefits import START, book_of, claim, older_worker, worked

# SI 2024-01 to 2024-05, then leave for treatment; a leave from 2025-06: none of the 5 months
# is in the 10 before it, all are in the 22.
LEAVE = Claim(Regime.MATERNITY, "HS-TS-31", date(2025, 6, 20), date(2025, 6, 1),
              date(2025, 11, 30))


def test_after_infertility_treatment_the_six_months_are_looked_for_in_two_years(
        engine: Engine) -> None:
    setup_workers(engine, 1)  # the employer
    pid = older_worker(engine, date(1994, 4, 4), "female", START, Period(2024, 5))
    with pytest.raises(ValidationError) as year:
        claim(engine, pid, LEAVE)
    assert year.value.problems[0].field == "event_from"
    assert "0 months of compulsory SI paid from 2024-08 to 2025-05" in year.value.problems[0].reason
    treated = replace(LEAVE, infertility_treatment=True)
    assert claim(engine, pid, treated)["infertility_treatment"] is True
    again = claim(engine, pid, treated)  # the claim keeps it: the same dossier again
    assert (again["replayed"], again["infertility_treatment"]) == (True, True)


@pytest.mark.skipif(not FONT.exists(), reason="fonts-dejavu-core is not installed")
def test_the_book_pdf_shows_a_leave_after_infertility_treatment(engine: Engine) -> None:
    """The book's benefits table says so on the claim's line, and only on it."""
    pdfium = pytest.importorskip("pypdfium2", reason="pip install '.[test]' brings pypdfium2")
    setup_workers(engine, 1)
    pid = older_worker(engine, date(1994, 4, 4), "female", START, Period(2025, 5))
    claim(engine, pid, replace(LEAVE, infertility_treatment=True))
    claim(engine, pid, Claim(Regime.SICKNESS, "HS-OD-31", date(2025, 3, 10), date(2025, 3, 2),
                             date(2025, 3, 6)))
    pdf = pdfium.PdfDocument(render_pdf(
        book_of(engine, pid, date(2025, 6, 20)), version=2, content_hash="ab" * 32,
        issuer="Bảo hiểm xã hội Việt Nam", issued_at=datetime(2025, 6, 21, tzinfo=UTC)
        .isoformat(), qr_png=qr_png("SIB1:TEST")))
    text = " ".join("".join(page.get_textpage().get_text_range() for page in pdf).split())
    listed = text[text.index("CHẾ ĐỘ ĐÃ ĐỀ NGHỊ"):]
    assert listed.count("điều trị vô sinh") == 1
    maternity = listed[listed.index("Thai sản HS-TS-31"):]
    assert maternity.index("điều trị vô sinh") < maternity.index("đang giải quyết")


def test_two_years_still_need_four_months_on_record(engine: Engine) -> None:
    setup_workers(engine, 1)
    pid = older_worker(engine, date(1994, 5, 5), "female", Period(2023, 1), Period(2023, 9))
    with pytest.raises(ValidationError) as few:  # 2023-08 and 09 only in 2023-08 to 2025-05
        claim(engine, pid, replace(LEAVE, infertility_treatment=True))
    assert few.value.problems[0].field == "event_from"
    assert "2 months of compulsory SI paid from 2023-08 to 2025-05" in few.value.problems[0].reason
    assert "24 months before the birth (after infertility treatment)" in \
        few.value.problems[0].reason


def test_a_father_or_another_regime_does_not_claim_infertility_treatment(
        engine: Engine) -> None:
    (father,) = setup_workers(engine, 1)
    worked(engine, father)
    for c, why in ((Claim(Regime.MATERNITY, "HS-TS-32", date(2025, 3, 10), date(2025, 3, 2),
                          date(2025, 3, 6), infertility_treatment=True), "a father's days"),
                   (Claim(Regime.SICKNESS, "HS-OD-32", date(2025, 3, 10), date(2025, 3, 2),
                          date(2025, 3, 6), infertility_treatment=True), "sickness")):
        with pytest.raises(ValidationError) as no:
            claim(engine, father, c)
        assert no.value.problems[0].field == "infertility_treatment"
        assert why in no.value.problems[0].reason
