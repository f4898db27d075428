"""The book PDF shows Vietnamese text: page 1 rendered to an image is not blank."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO

import pytest
from fpdf import FPDF
from PIL import Image

from sibook.book import pdf_images
from sibook.book import render_pdf as module
from sibook.book.render_pdf import FONT, render_pdf
from sibook.signing.qr import qr_png

pdfium = pytest.importorskip("pypdfium2", reason="pip install '.[test]' brings pypdfium2")

BOOK = {
    "header": {"personal_id": "001089012345", "legacy_si_code": "0101234567",
               "full_name": "Nguyễn Thị Hồng", "birth_date": "1989-03-02", "sex": "female",
               "nationality": "VN", "realm": "civil"},
    "sheets": [{"from": "2020-01", "to": None, "months": 83, "kind": "compulsory",
                "employer_code": "0100000116", "employer_name": "Công ty Cổ phần Đồng Á",
                "job_title": "Kế toán viên", "salary_basis": 10_000_000, "allowances": 0,
                "employer": {"retirement_survivorship": 1_400_000, "sickness_maternity": 300_000,
                             "occupational": 50_000, "health": 300_000, "unemployment": 100_000,
                             "total": 2_150_000},
                "employee": {"retirement_survivorship": 800_000, "sickness_maternity": 0,
                             "occupational": 0, "health": 150_000, "unemployment": 100_000,
                             "total": 1_050_000}}],
    "ui_periods": [], "hi_periods": [], "arrears": [], "benefits": [],
    "totals": {"si_months": 83, "si_years": 6, "si_remaining_months": 11, "unpaid_months": 0,
               "ui_months": 0, "ui_reserved_months": 0},
}


@pytest.mark.skipif(not FONT.exists(), reason="fonts-dejavu-core is not installed")
def test_page_one_renders_to_a_non_blank_image(tmp_path: object) -> None:
    pdf = render_pdf(BOOK, version=1, content_hash="ab" * 32, issuer="Bảo hiểm xã hội Việt Nam",
                     issued_at=datetime(2026, 11, 26, tzinfo=UTC).isoformat(),
                     qr_png=qr_png("SIB1:TEST"))
    page = pdfium.PdfDocument(pdf)[0]
    image = page.render(scale=1).to_pil().convert("L")
    dark = sum(image.histogram()[:128])
    assert dark > 0.01 * image.width * image.height  # text and the QR, not an empty page
    text = page.get_textpage().get_text_range()
    assert "NGUYỄN THỊ HỒNG" in text
    assert "Quốc tịch: Việt Nam" in text  # the name, not the code the record holds
    # signed at midnight UTC: 07:00 in Vietnam, written day first
    assert "ký số lúc 26/11/2026 07:00:00 (giờ Việt Nam)" in " ".join(text.split())


@pytest.mark.skipif(not FONT.exists(), reason="fonts-dejavu-core is not installed")
@pytest.mark.parametrize(("public_url", "printed"), [
    (None, "Kiểm tra sổ /portal/verify của cổng"),
    ("https://sobhxh.example.gov.vn", "Kiểm tra sổ https://sobhxh.example.gov.vn/portal/verify")])
def test_the_cover_says_where_to_check_the_book(public_url: str | None, printed: str) -> None:
    pdf = pdfium.PdfDocument(render_pdf(
        BOOK, version=1, content_hash="ab" * 32, issuer="Bảo hiểm xã hội Việt Nam",
        issued_at=datetime(2026, 11, 26, tzinfo=UTC).isoformat(), qr_png=qr_png("SIB1:TEST"),
        public_url=public_url))
    assert printed in " ".join(pdf[0].get_textpage().get_text_range().split())


@pytest.mark.skipif(not FONT.exists(), reason="fonts-dejavu-core is not installed")
def test_a_name_outside_the_vietnamese_glyphs_is_drawn_with_the_whole_font() -> None:
    row = {**BOOK["sheets"][0], "job_title": "Инженер"}  # type: ignore[index]
    book = {**BOOK, "header": {**BOOK["header"], "full_name": "Иван Петров"},  # type: ignore[dict-item]
            "sheets": [row]}
    pdf = pdfium.PdfDocument(render_pdf(
        book, version=1, content_hash="ab" * 32, issuer="Bảo hiểm xã hội Việt Nam",
        issued_at=datetime(2026, 11, 26, tzinfo=UTC).isoformat(), qr_png=qr_png("SIB1:TEST")))
    assert "ИВАН ПЕТРОВ" in pdf[0].get_textpage().get_text_range()
    assert "Инженер, Công ty Cổ phần Đồng Á" in pdf[1].get_textpage().get_text_range()  # a cell


@pytest.mark.skipif(not FONT.exists(), reason="fonts-dejavu-core is not installed")
@pytest.mark.parametrize("text", ["SIB1:TEST", "SIB1:" + "7ZK:A2" * 100], ids=["short", "long"])
def test_the_qr_on_the_cover_has_exactly_the_pixels_of_its_image(text: str) -> None:
    png = qr_png(text, scale=3)
    pdf = pdfium.PdfDocument(render_pdf(
        BOOK, version=1, content_hash="ab" * 32, issuer="Bảo hiểm xã hội Việt Nam",
        issued_at=datetime(2026, 11, 26, tzinfo=UTC).isoformat(), qr_png=png))
    images = [obj for obj in pdf[0].get_objects() if obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE]
    assert len(images) == 1
    drawn = images[0].get_bitmap().to_pil().convert("L")
    assert drawn.tobytes() == Image.open(BytesIO(png)).convert("L").tobytes()


@pytest.mark.parametrize("mode", ["L", "RGB", "1"])
def test_an_image_is_embedded_with_its_pixels_whatever_its_kind(mode: str) -> None:
    """A 1-bit grey PNG goes in as it is; any other kind of image through fpdf2's own path."""
    image = Image.new(mode, (37, 21), "white")
    image.paste(Image.new(mode, (11, 5), "black"), (3, 7))
    png = BytesIO()
    image.save(png, format="PNG")
    pdf = FPDF()
    pdf.add_page()
    pdf_images.image(pdf, png.getvalue(), x=10, y=10, w=37)
    page = pdfium.PdfDocument(bytes(pdf.output()))[0]
    drawn = next(obj for obj in page.get_objects() if obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE)
    assert drawn.get_bitmap().to_pil().convert("L").tobytes() == image.convert("L").tobytes()


@pytest.mark.skipif(not FONT.exists(), reason="fonts-dejavu-core is not installed")
def test_a_long_career_runs_onto_more_sheets_each_with_the_column_headings() -> None:
    book = {**BOOK, "sheets": BOOK["sheets"] * 60}  # type: ignore[operator]
    pdf = pdfium.PdfDocument(render_pdf(
        book, version=1, content_hash="ab" * 32, issuer="Bảo hiểm xã hội Việt Nam",
        issued_at=datetime(2026, 11, 26, tzinfo=UTC).isoformat(), qr_png=qr_png("SIB1:TEST")))
    pages = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    sheets = [text for text in pages if "Kế toán viên, Công ty Cổ phần Đồng Á" in text]
    assert len(sheets) >= 2
    assert all("Chức danh, công việc; tên đơn vị" in text for text in sheets)
    assert sum(text.count("Kế toán viên, Công ty Cổ phần Đồng Á") for text in sheets) == 60


def test_a_section_title_is_never_left_alone_at_the_foot_of_a_page() -> None:
    """With room for its title but not for the heading row and a first row, a section starts
    on the next page: the title goes over with its table."""
    pdf = module._new_pdf("THẺ BẢO HIỂM Y TẾ Mã thẻ Mức hưởng 1 2")
    pdf.add_page()
    pdf.set_y(pdf.h - pdf.b_margin - 12)  # a 7 mm title fits, its table does not
    module._section(pdf, "THẺ BẢO HIỂM Y TẾ", ["Mã thẻ", "Mức hưởng"], [["1", "2"]])
    # On page 2: the title (7 mm), the heading row and the row (5 mm each) and the 3 mm gap;
    # a title left on page 1 would leave 13 mm here.
    assert pdf.page_no() == 2
    assert pdf.get_y() - pdf.t_margin == pytest.approx(7 + 5 + 5 + 3)


@pytest.mark.skipif(not FONT.exists(), reason="fonts-dejavu-core is not installed")
def test_a_voluntary_participants_unpaid_months_are_listed() -> None:
    owed = [{"month": "2026-10", "status": "partly_paid", "due": 660_000, "paid": 60_000},
            {"month": "2026-11", "status": "unpaid", "due": 660_000, "paid": 0}]
    row = {**BOOK["sheets"][0], "kind": "voluntary", "employer": None,  # type: ignore[dict-item]
           "employer_code": None, "employer_name": None, "unpaid": owed}
    book = {**BOOK, "sheets": [row], "voluntary": {"payments": [], "paid": 60_000, "credit": 0}}
    pdf = pdfium.PdfDocument(render_pdf(
        book, version=1, content_hash="ab" * 32, issuer="Bảo hiểm xã hội Việt Nam",
        issued_at=datetime(2026, 11, 26, tzinfo=UTC).isoformat(), qr_png=qr_png("SIB1:TEST")))
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    listed = text[text.index("TỰ NGUYỆN CHƯA ĐÓNG ĐỦ"):]
    assert "10/2026 đóng thiếu 660.000 60.000" in listed
    assert "11/2026 chưa đóng 660.000 0" in listed


@pytest.mark.skipif(not FONT.exists(), reason="fonts-dejavu-core is not installed")
def test_a_book_with_no_contributions_says_so_under_the_sheets_headings() -> None:
    """A person registered with no period yet (a student with an HI card): the sheets' table
    says "Không có." (none) as every other empty section does, not headings over nothing."""
    book = {**BOOK, "sheets": []}
    pdf = pdfium.PdfDocument(render_pdf(
        book, version=1, content_hash="ab" * 32, issuer="Bảo hiểm xã hội Việt Nam",
        issued_at=datetime(2026, 11, 26, tzinfo=UTC).isoformat(), qr_png=qr_png("SIB1:TEST")))
    text = " ".join(" ".join(pdf[i].get_textpage().get_text_range().split())
                    for i in range(len(pdf)))
    sheets = text[text.index("TỜ RỜI"):text.index("BẢO HIỂM THẤT NGHIỆP")]
    assert "Hình thức Không có." in sheets, sheets


@pytest.mark.skipif(not FONT.exists(), reason="fonts-dejavu-core is not installed")
def test_a_restricted_realms_book_says_why_it_shows_no_sheets() -> None:
    header = {**BOOK["header"], "realm": "defence"}  # type: ignore[dict-item]
    book = {**BOOK, "header": header, "sheets": [], "restricted": True}
    pdf = pdfium.PdfDocument(render_pdf(
        book, version=1, content_hash="ab" * 32, issuer="Bảo hiểm xã hội Bộ Quốc phòng",
        issued_at=datetime(2026, 11, 26, tzinfo=UTC).isoformat(), qr_png=qr_png("SIB1:TEST")))
    text = " ".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "bí mật nhà nước" in text and "6 năm 11" in text
    assert "TỜ RỜI" not in text and "BẢO HIỂM THẤT NGHIỆP" not in text


@pytest.mark.skipif(not FONT.exists(), reason="fonts-dejavu-core is not installed")
def test_benefits_are_listed_and_a_long_unbroken_reason_stays_inside_its_cell() -> None:
    reason = "x" * 300  # an agency's longest reason, with no space to break at
    benefits = [
        {"regime": "sickness", "dossier_no": "HS-0001", "received_on": "2026-11-10",
         "status": "settled", "event_from": "2026-11-02", "event_to": "2026-11-06",
         "decided_on": "2026-11-17", "decision_no": "12/QĐ-BHXH", "amount": 2_100_000,
         "days": 5},
        {"regime": "lump_sum", "dossier_no": "HS-0002", "received_on": "2026-11-12",
         "status": "refused", "ground": "before_2025_07", "decided_on": "2026-11-20",
         "decision_no": "13/QĐ-BHXH", "reason": reason}]
    pdf = pdfium.PdfDocument(render_pdf(
        {**BOOK, "benefits": benefits}, version=1, content_hash="ab" * 32,
        issuer="Bảo hiểm xã hội Việt Nam", issued_at=datetime(2026, 11, 26, tzinfo=UTC)
        .isoformat(), qr_png=qr_png("SIB1:TEST")))
    page = pdf[len(pdf) - 1]
    text = page.get_textpage().get_text_range()
    listed = text[text.index("CHẾ ĐỘ ĐÃ ĐỀ NGHỊ"):]
    assert "Ốm đau HS-0001 ngày 10/11/2026 02/11/2026 – 06/11/2026 đã giải quyết" in listed
    assert "2.100.000 đ một lần; 5 ngày\r\nnghỉ" in listed  # wrapped in its cell
    assert "căn cứ Điều 70 khoản 1 điểm e" in listed
    assert listed.replace("\r\n", "").count("x") >= 300  # all of it, wrapped
    textpage = page.get_textpage()
    right = max(textpage.get_charbox(i)[2] for i in range(textpage.count_chars()))
    assert right <= page.get_width()  # nothing runs off the page


@pytest.mark.skipif(not FONT.exists(), reason="fonts-dejavu-core is not installed")
def test_the_ui_and_arrears_tables_name_the_unit_the_sheets_name() -> None:
    """The UI periods and the arrears carry the unit's code only; the print names it, as
    the sheets do, from the sheets."""
    book = {**BOOK,
            "ui_periods": [{"from": "2020-01", "to": None, "months": 83,
                            "employer_code": "0100000116", "salary_basis": 10_000_000}],
            "arrears": [{"month": "2026-10", "employer_code": "0100000116", "status": "unpaid",
                         "withheld": 1_050_000, "employer_due": 3_200_000,
                         "employer_paid": 0}]}
    pdf = pdfium.PdfDocument(render_pdf(
        book, version=1, content_hash="ab" * 32, issuer="Bảo hiểm xã hội Việt Nam",
        issued_at=datetime(2026, 11, 26, tzinfo=UTC).isoformat(), qr_png=qr_png("SIB1:TEST")))
    text = " ".join(" ".join(pdf[i].get_textpage().get_text_range().split())
                    for i in range(len(pdf)))  # a long name wraps in its cell
    assert text.count("Công ty Cổ phần Đồng Á (0100000116)") == 2
