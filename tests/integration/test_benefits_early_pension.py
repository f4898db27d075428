"""A pension before the statutory age for a reduced working capacity (Law 41/2024 Art 65, FACTS
§4.1), on SQLite and PostgreSQL: the claim records the assessed loss (and the years in
especially heavy or hazardous jobs), and eligibility allows as many months early as they do,
with 20 years of SI; the decision checks it again, and the book's estimate cuts the rate.

The test unit pays by the state's salary scale here (``STATE``): its workers' averages are
the last years' by the year SI started (Law 41/2024 Art 72(1)), as the figures below are."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from sibook.benefits.domain import Claim, Decision, Regime
from sibook.benefits.service import BenefitConflict
from sibook.book.assemble import content_hash
from sibook.book.estimate import estimate
from sibook.book.render_pdf import render_pdf
from sibook.book.schema import BookAnswer
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.core.schema import metadata
from sibook.signing.qr import qr_png
from tests.integration.ledger_fixtures import setup_workers
from tests.integration.test_benefits import book_of, claim, count, older_worker, settle

# Men born in March 1966 and March 1970 reach 62 in 2027-12 and 2032-03: a pension is paid
# from 2028-01 and 2032-04 (Decree 135/2020). Both worked 2005-01 to 2025-06: 246 months.
BORN_1966, BORN_1970 = date(1966, 3, 15), date(1970, 3, 15)
RECEIVED, STARTS = date(2026, 3, 1), date(2026, 4, 1)  # 21 and 72 months early
# Settled in 2026: salaries revalued by the 2026 coefficients (VSS Official Letter
# 340/BHXH-CSXH, revaluation.csv), so the book's average salary is 10,215,000.

STATE = "state"  # the test unit's salary regime


def pension_claim(dossier: str, loss: int | None = None, hazardous: int | None = None
                  ) -> Claim:
    return Claim(Regime.PENSION, dossier, RECEIVED, STARTS, capacity_loss_percent=loss,
                 hazardous_years=hazardous)


def test_a_pension_21_months_early_is_received_and_settled_with_a_61_percent_loss(
        engine: Engine) -> None:
    """A claim before the statutory age was refused whatever the person's capacity."""
    setup_workers(engine, 0, salary_regime=STATE)
    pid = older_worker(engine, born=BORN_1966)
    with pytest.raises(ValidationError) as plain:
        claim(engine, pid, pension_claim("HS-HT-E1"))
    assert plain.value.problems[0].field == "event_from"
    assert "gives the assessed capacity_loss_percent" in plain.value.problems[0].reason
    got = claim(engine, pid, pension_claim("HS-HT-E2", loss=61))
    assert (got["status"], got["capacity_loss_percent"], got["hazardous_years"]) == \
        ("claimed", 61, None)
    done = settle(engine, pid, "HS-HT-E2", Decision(
        "settled", date(2026, 3, 15), "61/QĐ", monthly_amount=4_392_450,  # 43% x 10,215,000
        from_month=Period(2026, 4)))
    assert done["status"] == "settled" and done["capacity_loss_percent"] == 61


def test_a_loss_of_61_to_81_percent_allows_5_years_early_and_81_percent_10(
        engine: Engine) -> None:
    setup_workers(engine, 0, salary_regime=STATE)
    pid = older_worker(engine, born=BORN_1970)
    with pytest.raises(ValidationError) as moderate:
        claim(engine, pid, pension_claim("HS-HT-E3", loss=80))
    assert moderate.value.problems[0].field == "event_from"
    assert ("72 months early: a loss of 61% to under 81% allows up to 60 months early "
            "(Law 41/2024/QH15 Art 65(1)(a))") in moderate.value.problems[0].reason
    assert claim(engine, pid, pension_claim("HS-HT-E4", loss=81))["status"] == "claimed"


def test_15_years_in_hazardous_jobs_with_a_61_percent_loss_allow_more_than_5_years(
        engine: Engine) -> None:
    setup_workers(engine, 0, salary_regime=STATE)
    pid = older_worker(engine, born=BORN_1970)
    with pytest.raises(ValidationError) as fourteen:
        claim(engine, pid, pension_claim("HS-HT-E5", loss=65, hazardous=14))
    assert "allows up to 60 months early" in fourteen.value.problems[0].reason
    got = claim(engine, pid, pension_claim("HS-HT-E6", loss=65, hazardous=15))
    assert (got["capacity_loss_percent"], got["hazardous_years"]) == (65, 15)


def test_a_loss_under_61_percent_allows_no_early_pension(engine: Engine) -> None:
    setup_workers(engine, 0, salary_regime=STATE)
    pid = older_worker(engine, born=BORN_1966)
    with pytest.raises(ValidationError) as low:
        claim(engine, pid, pension_claim("HS-HT-E7", loss=60, hazardous=20))
    assert low.value.problems[0].field == "capacity_loss_percent"
    assert "a loss of 60% is under the 61%" in low.value.problems[0].reason


def test_an_early_pension_needs_20_years_of_si(engine: Engine) -> None:
    """18 years qualify for a pension at the statutory age (15 do), not before it."""
    setup_workers(engine, 0, salary_regime=STATE)
    pid = older_worker(engine, born=BORN_1966, since=Period(2007, 7))  # 216 months
    with pytest.raises(ValidationError) as short:
        claim(engine, pid, pension_claim("HS-HT-E8", loss=90))
    assert short.value.problems[0].field == "regime"
    assert ("a pension 21 months before retirement age needs 20 years (240 months; "
            "Law 41/2024/QH15 Art 65(1))") in short.value.problems[0].reason


def test_15_years_in_a_hazardous_job_need_20_years_of_si_too(engine: Engine) -> None:
    """Art 65(1)(c): the 15 years are years in the especially hazardous job; the 20 years of SI
    all of Art 65(1) asks are still needed (as ``sibook rules pension`` refuses them)."""
    setup_workers(engine, 0, salary_regime=STATE)
    pid = older_worker(engine, born=BORN_1970, since=Period(2007, 7))  # 216 months
    with pytest.raises(ValidationError) as short:
        claim(engine, pid, pension_claim("HS-HT-E11", loss=65, hazardous=18))
    assert short.value.problems[0].field == "regime"
    assert ("needs 20 years (240 months; Law 41/2024/QH15 Art 65(1))"
            in short.value.problems[0].reason)


def test_the_same_dossier_with_another_assessment_is_a_conflict(engine: Engine) -> None:
    setup_workers(engine, 0, salary_regime=STATE)
    pid = older_worker(engine, born=BORN_1966)
    claim(engine, pid, pension_claim("HS-HT-E9", loss=70, hazardous=16))
    assert claim(engine, pid, pension_claim("HS-HT-E9", loss=70, hazardous=16))["replayed"]
    with pytest.raises(BenefitConflict) as other:
        claim(engine, pid, pension_claim("HS-HT-E9", loss=75, hazardous=16))
    assert other.value.field == "capacity_loss_percent"
    assert count(engine, "benefit_claims") == 1


def test_the_estimate_of_an_early_pension_starts_from_the_claim_with_the_rate_cut(
        engine: Engine) -> None:
    """Art 66(3): 21 months early, 1 year and 9 odd months, cut 2% + 1%; 246 months count as
    20.5 years: 46% for a man, so 43%."""
    setup_workers(engine, 0, salary_regime=STATE)
    pid = older_worker(engine, born=BORN_1966)
    claim(engine, pid, pension_claim("HS-HT-E10", loss=85))
    answer = estimate(book_of(engine, pid), Period(2026, 3))
    assert answer["pension"]["from_month"] == "2026-04"
    assert answer["pension"]["rate_percent"] == 43.0


def test_the_signed_book_carries_a_settled_early_pensions_assessment(engine: Engine) -> None:
    """The book's benefit entry (hashed and signed, the API's book JSON, the PDF) says the loss
    of working capacity and the hazardous-job years the early pension was settled on (the
    signed QR carries the book's totals and hash, not its benefits)."""
    pdfium = pytest.importorskip("pypdfium2", reason="pip install '.[test]' brings pypdfium2")
    setup_workers(engine, 0, salary_regime=STATE)
    pid = older_worker(engine, born=BORN_1970)
    claim(engine, pid, pension_claim("HS-HT-B1", loss=65, hazardous=15))
    settle(engine, pid, "HS-HT-B1", Decision("settled", date(2026, 3, 15), "65/QĐ",
                                            monthly_amount=3_473_100,  # 34% x 10,215,000
                                            from_month=Period(2026, 4)))
    book = book_of(engine, pid)
    entry = next(b for b in book["benefits"] if b["dossier_no"] == "HS-HT-B1")
    assert (entry["status"], entry["capacity_loss_percent"], entry["hazardous_years"]) == \
        ("settled", 65, 15)
    BookAnswer.model_validate({"version": 1, "content_hash": content_hash(book),
                               "prev_hash": None, "book": book})
    pdf = pdfium.PdfDocument(render_pdf(
        book, version=1, content_hash=content_hash(book), issuer="Bảo hiểm xã hội Việt Nam",
        issued_at="2026-03-15T00:00:00+00:00", qr_png=qr_png("SIB1:TEST")))
    text = " ".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    text = text.replace("\r\n", " ")
    assert "suy giảm khả năng lao động 65%" in text
    assert "15 năm làm nghề đặc biệt nặng nhọc, độc hại, nguy hiểm" in text


def test_the_claims_table_keeps_the_assessment_in_its_own_checked_columns(
        engine: Engine) -> None:
    """Migration 0016: the assessment has columns of its own (it was packed into ``ground``),
    and the database refuses a percent no assessment gives, whatever wrote it."""
    setup_workers(engine, 0, salary_regime=STATE)
    pid = older_worker(engine, born=BORN_1970)
    claim(engine, pid, pension_claim("HS-HT-C1", loss=65, hazardous=15))
    claims = metadata.tables["benefit_claims"]
    with engine.connect() as conn:
        row = conn.execute(select(claims.c.ground, claims.c.capacity_loss_percent,
                                  claims.c.hazardous_years)
                           .where(claims.c.dossier_no == "HS-HT-C1")).one()
    assert tuple(row) == (None, 65, 15)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(claims).values(
            person_id=pid, claim_no=99, regime="pension", dossier_no="HS-HT-C2",
            dossier_key="HS-HT-C2", received_on=RECEIVED, event_from=STARTS,
            capacity_loss_percent=101, recorded_by="test"))
