"""An occupational disease diagnosed after the job ended, on SQLite and PostgreSQL: received
within the guarantee period its appendix of Circular 15/2016/TT-BYT sets after exposure ended
(Law 84/2015/QH13 Art 46(2)), refused after it or when the law tables have no period for the
disease; a work accident after the job, and a claim saying none of it, are refused as before."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from sibook.benefits.domain import Claim, Decision, Regime
from sibook.benefits.service import BenefitConflict
from sibook.book.render_pdf import FONT, render_pdf
from sibook.core.period import Period
from sibook.signing.qr import qr_png
from tests.integration.ledger_fixtures import setup_workers
from tests.integration.test_benefits import book_of, claim, settle, worked
from tests.integration.test_benefits_overlap import refused

# Compulsory SI 2024-01 to 2025-06 (``worked``), then out of the job. Lead anaemia has a
# guarantee period of 3 months (Appendix 8): from the end of 2025-06 to 2025-09-30.
ANAEMIA = Claim(Regime.OCCUPATIONAL, "HS-BNN-1", date(2025, 9, 20), date(2025, 9, 10),
                occupational_kind="disease", disease_code=8, disease_form="inorganic_anaemia")


def out_of_the_job(engine: Engine) -> str:
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid)
    return pid


def test_a_disease_diagnosed_within_its_guarantee_period_is_received(engine: Engine) -> None:
    pid = out_of_the_job(engine)
    got = claim(engine, pid, ANAEMIA)
    assert (got["occupational_kind"], got["disease_code"], got["disease_form"],
            got["exposure_ended"]) == ("disease", 8, "inorganic_anaemia", "2025-06")
    assert got["disease_name"] == "Bệnh nhiễm độc chì nghề nghiệp"
    assert "within the guarantee period of 3 months" in got["guarantee"]
    for cited in ("Circular 15/2016/TT-BYT Appendix 8", "Law 84/2015/QH13 Art 46(2)",
                  "Decree 88/2020/ND-CP Art 5(3)", "last day 2025-09-30"):
        assert cited in got["guarantee"]
    paid = settle(engine, pid, "HS-BNN-1", Decision("settled", date(2025, 10, 1), "5/QĐ-BHXH",
                                                    amount=12_000_000))
    assert paid["status"] == "settled"
    again = claim(engine, pid, ANAEMIA)  # the month the record gave is kept, not asked again
    assert (again["replayed"], again["exposure_ended"]) == (True, "2025-06")
    with pytest.raises(BenefitConflict) as other:
        claim(engine, pid, replace(ANAEMIA, exposure_ended=Period(2025, 5)))
    assert other.value.field == "exposure_ended"


def test_a_diagnosis_after_the_period_is_refused_citing_it(engine: Engine) -> None:
    pid = out_of_the_job(engine)
    field, reason = refused(engine, pid, replace(ANAEMIA, event_from=date(2025, 10, 2),
                                                 received_on=date(2025, 10, 5)))
    assert field == "event_from"
    assert "after the guarantee period of 3 months" in reason
    assert "last day 2025-09-30; Circular 15/2016/TT-BYT Appendix 8" in reason
    # Exposure ended earlier, the claim says: the period runs from that month's end.
    field, reason = refused(engine, pid, replace(ANAEMIA, exposure_ended=Period(2025, 3)))
    assert (field, "last day 2025-06-30" in reason) == ("event_from", True)


def test_the_period_is_per_form_and_may_have_no_limit(engine: Engine) -> None:
    pid = out_of_the_job(engine)
    field, reason = refused(engine, pid, replace(ANAEMIA, disease_form=None))
    assert field == "disease_form"
    assert "inorganic_colic" in reason and "organic_chronic" in reason
    # Glomerulonephritis from inorganic lead: 10 years.
    kidney = claim(engine, pid, replace(ANAEMIA, dossier_no="HS-BNN-2",
                                        disease_form="inorganic_glomerulonephritis",
                                        event_from=date(2026, 3, 1),
                                        received_on=date(2026, 3, 10)))
    assert "10 years" in kidney["guarantee"]
    asbestosis = claim(engine, pid, Claim(
        Regime.OCCUPATIONAL, "HS-BNN-3", date(2026, 3, 10), date(2026, 3, 2),
        occupational_kind="disease", disease_code=2))
    assert "no time limit" in asbestosis["guarantee"]
    assert asbestosis["disease_name"] == "Bệnh bụi phổi amiăng nghề nghiệp"


def test_a_disease_the_tables_have_no_period_for_is_refused_after_the_job(
        engine: Engine) -> None:
    pid = out_of_the_job(engine)
    benzene = Claim(Regime.OCCUPATIONAL, "HS-BNN-4", date(2025, 9, 20), date(2025, 9, 10),
                    occupational_kind="disease", disease_code=9)
    field, reason = refused(engine, pid, benzene)
    assert field == "disease_code"
    assert "no guarantee period in the law tables for disease 9" in reason
    # While in the job it needs no period: received as any claim in compulsory SI.
    in_job = claim(engine, pid, replace(benzene, event_from=date(2025, 5, 10)))
    assert (in_job["exposure_ended"], in_job["guarantee"]) == (None, None)


def test_an_appendix_read_from_another_reproduction_gives_its_period(engine: Engine) -> None:
    """Leptospira (Appendix 29, as thuvienphapluat.vn reproduces it): acute 21 days after the
    end of 2025-06, so to 2025-07-21; COVID-19 (Appendix 35, Circular 02/2023): 28 days."""
    pid = out_of_the_job(engine)
    lepto = Claim(Regime.OCCUPATIONAL, "HS-BNN-5", date(2025, 7, 25), date(2025, 7, 21),
                  occupational_kind="disease", disease_code=29, disease_form="acute")
    got = claim(engine, pid, lepto)
    assert got["disease_name"] == "Bệnh Leptospira nghề nghiệp"
    for cited in ("within the guarantee period of 21 days", "last day 2025-07-21",
                  "Circular 15/2016/TT-BYT Appendix 29, provisional"):
        assert cited in got["guarantee"]
    field, reason = refused(engine, pid, replace(lepto, dossier_no="HS-BNN-6",
                                                 event_from=date(2025, 7, 22)))
    assert field == "event_from"
    assert "after the guarantee period of 21 days" in reason and "2025-07-21" in reason
    covid = Claim(Regime.OCCUPATIONAL, "HS-BNN-7", date(2025, 8, 2), date(2025, 7, 28),
                  occupational_kind="disease", disease_code=35)
    assert "Circular 02/2023/TT-BYT" in claim(engine, pid, covid)["guarantee"]
    field, reason = refused(engine, pid, replace(covid, dossier_no="HS-BNN-8",
                                                 event_from=date(2025, 7, 29)))
    assert (field, "after the guarantee period of 28 days" in reason) == ("event_from", True)


def diagnosed(code: int, form: str, on: date, dossier: str,
              ended: Period | None = None) -> Claim:
    """A disease claim diagnosed ``on`` and received five days later."""
    return Claim(Regime.OCCUPATIONAL, dossier, on + timedelta(days=5), on,
                 occupational_kind="disease", disease_code=code, disease_form=form,
                 exposure_ended=ended)


def test_silicosis_manganese_and_decompression_sickness_are_received_within_their_periods(
        engine: Engine) -> None:
    """Appendices 1, 11 and 19 of Circular 15/2016/TT-BYT: each form's period after the end of
    the month exposure ended, received on its last day and refused the day after."""
    pids = setup_workers(engine, 3)  # one each: a worker claims a regime's days once
    for pid in pids:
        worked(engine, pid)
    cases = (  # exposure ended 2025-06 unless given: 48 and 36 hours run to 2025-07-02
        (1, "acute", "1 year", date(2025, 12, 31), Period(2024, 12)),
        (11, "acute", "48 hours", date(2025, 7, 2), None),
        (19, "acute", "36 hours", date(2025, 7, 2), None))
    for n, (pid, (code, form, period, last, ended)) in enumerate(zip(pids, cases, strict=True)):
        got = claim(engine, pid, diagnosed(code, form, last, f"HS-BNN-2{n}", ended))
        for cited in (f"within the guarantee period of {period}", f"last day {last}",
                      f"Circular 15/2016/TT-BYT Appendix {code}, provisional"):
            assert cited in got["guarantee"], (code, got["guarantee"])
        field, reason = refused(engine, pid, diagnosed(code, form, last + timedelta(days=1),
                                                       f"HS-BNN-3{n}", ended))
        assert field == "event_from", (code, reason)
        assert f"after the guarantee period of {period}" in reason and str(last) in reason
    # The chronic forms run for decades: a diagnosis in 2026 is within them.
    for n, (pid, code, period) in enumerate(((pids[0], 1, "35 years"), (pids[1], 11, "20 years"),
                                             (pids[2], 19, "20 years"))):
        got = claim(engine, pid, diagnosed(code, "chronic", date(2026, 3, 2), f"HS-BNN-4{n}"))
        assert f"within the guarantee period of {period}" in got["guarantee"]
    assert got["disease_name"] == "Bệnh giảm áp nghề nghiệp"


def test_exposure_ends_in_a_month_of_compulsory_si(engine: Engine) -> None:
    pid = out_of_the_job(engine)
    field, reason = refused(engine, pid, replace(ANAEMIA, exposure_ended=Period(2023, 12)))
    assert field == "exposure_ended"
    assert "not in compulsory SI in 2023-12" in reason


def test_a_work_accident_after_the_job_is_refused_as_before(engine: Engine) -> None:
    pid = out_of_the_job(engine)
    accident = Claim(Regime.OCCUPATIONAL, "HS-TNLD-1", date(2025, 9, 20), date(2025, 9, 10))
    for c in (accident, replace(accident, occupational_kind="accident")):
        field, reason = refused(engine, pid, c)
        assert (field, "not in compulsory SI in 2025-09" in reason) == ("event_from", True)


@pytest.mark.skipif(not FONT.exists(), reason="fonts-dejavu-core is not installed")
def test_the_book_names_the_disease_on_the_claims_line(engine: Engine) -> None:
    pdfium = pytest.importorskip("pypdfium2", reason="pip install '.[test]' brings pypdfium2")
    pid = out_of_the_job(engine)
    claim(engine, pid, ANAEMIA)
    book = book_of(engine, pid, date(2025, 9, 25))
    [entry] = book["benefits"]
    assert (entry["disease_name"], entry["disease_form_name"], entry["exposure_ended"]) == (
        "Bệnh nhiễm độc chì nghề nghiệp", "chì vô cơ: thiếu máu", "2025-06")
    pdf = pdfium.PdfDocument(render_pdf(
        book, version=2, content_hash="ab" * 32, issuer="Bảo hiểm xã hội Việt Nam",
        issued_at=datetime(2025, 9, 26, tzinfo=UTC).isoformat(), qr_png=qr_png("SIB1:TEST")))
    text = " ".join("".join(page.get_textpage().get_text_range() for page in pdf).split())
    listed = text[text.index("CHẾ ĐỘ ĐÃ ĐỀ NGHỊ"):]
    assert "Bệnh nhiễm độc chì nghề nghiệp (chì vô cơ: thiếu máu)" in listed
    assert "thôi tiếp xúc tháng 06/2025" in listed
