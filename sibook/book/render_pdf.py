"""The book as a PDF laid out like the paper book (FACTS §6.1): a cover with the participant's
header, then the loose contribution sheets (tờ rời), UI/HI periods, unpaid months and totals.

Vietnamese needs a Unicode font embedded in the file: DejaVu Sans from Debian's
fonts-dejavu-core, cut once per process to the Vietnamese glyphs and embedded from objects
prepared once (``sibook.book.fonts``). Text is placed with ``text`` runs measured here (a
table row's runs written at once, ``fonts.texts``), and a table's grid is drawn once a page:
fpdf2's table helper cost ~2 ms a cell, and even its ``cell``, ``get_string_width`` and a
rectangle a cell took most of the time of a book (a 30-year book has ~300 cells). The QR goes
in as its PNG holds it (``sibook.book.pdf_images``). The printed form carries the mark Decree
137/2024 Art 4-5 asks of a data message put on paper: which system issued it, when, and a QR to
check it against the original (FACTS §1.5).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fpdf import FPDF
from fpdf.fonts import TTFFont

from sibook.benefits.domain import GROUNDS, NAMES, Regime
from sibook.book import pdf_images
from sibook.book.assemble import unit_names
from sibook.book.fonts import FAMILY, FONT, FONT_BOLD, FontOutput, add_fonts, texts
from sibook.core.vietnam_time import vietnam_time
from sibook.ids.countries import nationality_vi

__all__ = ["FONT", "FONT_BOLD", "render_pdf"]
SEX = {"male": "Nam", "female": "Nữ"}
KIND = {"compulsory": "Bắt buộc", "foreign": "Bắt buộc (người nước ngoài)",
        "voluntary": "Tự nguyện", "maternity": "Nghỉ thai sản"}
# Sheet columns: (title, width in mm) on a landscape A4 page (277 mm between margins).
SHEET_COLUMNS = (("Từ tháng", 16), ("Đến tháng", 16), ("Số tháng", 12),
                 ("Chức danh, công việc; tên đơn vị", 78), ("Tiền lương", 22),
                 ("Phụ cấp", 18), ("BHXH (HT-TT, ÔĐ-TS, TNLĐ)\nNLĐ / ĐV", 42),
                 ("BHTN\nNLĐ / ĐV", 28), ("BHYT\nNLĐ / ĐV", 30), ("Hình thức", 15))
HEADING_FILL = 235  # grey of a table's heading row
PAD = 1.0  # mm between a cell's border and its text
SI_FUNDS = ("retirement_survivorship", "sickness_maternity", "occupational")


class _BookPDF(FPDF):
    """Every page's foot names whose book, which version and which page: a loose sheet (tờ rời)
    printed from it is still attributable and in order."""

    owner = ""

    def footer(self) -> None:
        if not self.owner:
            return
        self.set_font(FAMILY, "", 7)
        self.set_text_color(90)
        text = f"{self.owner} — trang {self.page_no()}"
        self.text((self.w - _width(self, text)) / 2, self.h - 8, text)  # in the bottom margin
        self.set_text_color(0)


def render_pdf(book: dict[str, Any], *, version: int, content_hash: str, issuer: str,
               issued_at: str, qr_png: bytes, public_url: str | None = None) -> bytes:
    """An unsigned PDF of ``book`` (the payload of one version); signing comes after.
    ``public_url``: the portal's address, printed before its check page's path."""
    pdf = _new_pdf(json.dumps(book, ensure_ascii=False) + issuer)
    header = book["header"]
    pdf.owner = (f"{header['full_name'].upper()} — số định danh {header['personal_id']} — "
                 f"sổ BHXH điện tử, phiên bản {version}")
    _cover(pdf, book, version, content_hash, issuer, issued_at, qr_png, public_url)
    _sheets(pdf, book)
    _periods(pdf, book)
    return bytes(pdf.output(output_producer_class=FontOutput))


def _new_pdf(text: str) -> _BookPDF:
    pdf = _BookPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_title("Sổ bảo hiểm xã hội điện tử")
    pdf.set_creator("sibook")
    add_fonts(pdf, text)
    pdf.set_auto_page_break(auto=True, margin=15)
    return pdf


def _cover(pdf: FPDF, book: dict[str, Any], version: int, content_hash: str, issuer: str,
           issued_at: str, qr_png: bytes, public_url: str | None) -> None:
    h, t = book["header"], book["totals"]
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 13)
    _line(pdf, issuer.upper(), align="C")
    pdf.ln(14)
    pdf.set_font(FAMILY, "B", 22)
    _line(pdf, "SỔ BẢO HIỂM XÃ HỘI", align="C", height=12)
    pdf.set_font(FAMILY, "", 12)
    _line(pdf, f"Số: {h['personal_id']}", align="C")
    pdf.ln(10)
    pdf.set_font(FAMILY, "", 14)  # the paper book's header: black, 14 pt, name in capitals
    for label, value in (("Họ và tên", h["full_name"].upper()),
                         ("Ngày sinh", _date(h["birth_date"])),
                         ("Giới tính", SEX.get(h["sex"], h["sex"])),
                         ("Quốc tịch", nationality_vi(h["nationality"])),
                         ("Số định danh cá nhân", h["personal_id"]),
                         ("Mã số BHXH (cũ)", h["legacy_si_code"] or "—")):
        _line(pdf, f"{label}: {value}", height=9)
    pdf.ln(4)
    pdf.set_font(FAMILY, "", 12)
    _line(pdf, f"Tổng thời gian đóng BHXH: {t['si_years']} năm {t['si_remaining_months']} "
               f"tháng ({t['si_months']} tháng)", height=8)
    _line(pdf, f"Thời gian đóng BHTN: {t['ui_months']} tháng, bảo lưu "
               f"{t['ui_reserved_months']} tháng", height=8)
    if t["unpaid_months"]:
        _line(pdf, f"Tháng chưa đóng đủ (chưa tính): {t['unpaid_months']}", height=8)
    if t.get("si_months_paid_out"):
        _line(pdf, f"Đã hưởng BHXH một lần (không tính lại): {t['si_months_paid_out']} tháng",
              height=8)
    if t.get("ui_months_used"):
        _line(pdf, f"Đã hưởng trợ cấp thất nghiệp (đã dùng): {t['ui_months_used']} tháng BHTN",
              height=8)
    pdf_images.image(pdf, qr_png, x=pdf.w / 2 - 30, y=pdf.get_y() + 6, w=60)
    pdf.set_y(pdf.h - 45)
    pdf.set_font(FAMILY, "", 8)
    note = (f"Phiên bản sổ {version}, mã băm SHA-256 {content_hash}. Bản điện tử do {issuer} "
            f"ký số lúc {_instant(issued_at)}; bản in này là bản chuyển đổi từ thông điệp dữ "
            "liệu của hệ thống sibook (Cơ sở dữ liệu quốc gia về bảo hiểm). Kiểm tra tính "
            f"toàn vẹn: quét mã QR, tải tệp lên trang Kiểm tra sổ {_check_page(public_url)} "
            "hoặc chạy `sibook book verify` với danh sách tin cậy công khai.")
    for text in _wrap(pdf, note, pdf.w - pdf.l_margin - pdf.r_margin, pad=0):
        _line(pdf, text, height=4)


CHECK_PAGE = "/portal/verify"  # the portal's public check page (sibook.portal.pages.check)
RESTRICTED_NOTE = (
    "Người tham gia thuộc Bộ Quốc phòng hoặc Bộ Công an quản lý: quá trình công tác, đơn vị, "
    "chức vụ và tiền lương thuộc bí mật nhà nước, do bộ chủ quản lưu giữ; sổ này chỉ ghi tổng "
    "thời gian đóng bảo hiểm xã hội và bảo hiểm thất nghiệp.")


def _sheets(pdf: FPDF, book: dict[str, Any]) -> None:
    if book.get("restricted"):  # assemble.restricted: no sheets to show, and why
        pdf.add_page()
        _title(pdf, "QUÁ TRÌNH ĐÓNG BẢO HIỂM XÃ HỘI",
               f"{book['header']['full_name'].upper()} — số định danh "
               f"{book['header']['personal_id']}")
        pdf.set_font(FAMILY, "", 11)
        for text in _wrap(pdf, RESTRICTED_NOTE, pdf.w - pdf.l_margin - pdf.r_margin, pad=0):
            _line(pdf, text, height=6)
        return
    pdf.add_page(orientation="landscape")
    _title(pdf, "TỜ RỜI — QUÁ TRÌNH ĐÓNG BẢO HIỂM XÃ HỘI",
           f"{book['header']['full_name'].upper()} — số định danh {book['header']['personal_id']}"
           " — số tiền đóng mỗi tháng (đồng): người lao động / đơn vị")
    _table(pdf, 7, 3.6, [w for _, w in SHEET_COLUMNS], [t for t, _ in SHEET_COLUMNS],
           [_sheet_cells(r) for r in book["sheets"]])
    if not book["sheets"]:  # registered, no period yet: said as every empty section says it
        pdf.set_font(FAMILY, "", 8)
        _line(pdf, "Không có.", height=6)


def _sheet_cells(r: dict[str, Any]) -> list[str]:
    who = ", ".join(x for x in (r["job_title"], r["employer_name"]) if x) or "—"
    ee, er = r["employee"], r["employer"]

    def pair(funds: tuple[str, ...]) -> str:
        if ee is None:  # no law table reaches the month
            return "—"
        theirs = "—" if er is None else _vnd(sum(er[f] for f in funds))  # voluntary: no employer
        return f"{_vnd(sum(ee[f] for f in funds))} / {theirs}"

    return [_month(r["from"]), _month(r["to"]) if r["to"] else "nay", str(r["months"]), who,
            _vnd(r["salary_basis"]), _vnd(r["allowances"]), pair(SI_FUNDS),
            pair(("unemployment",)), pair(("health",)), KIND.get(r["kind"], r["kind"])]


def _periods(pdf: FPDF, book: dict[str, Any]) -> None:
    pdf.ln(4)
    units = unit_names(book)

    def unit(code: str | None) -> str:
        return "—" if code is None else units.get(code, code)

    if not book.get("restricted"):  # a restricted book's UI periods are withheld, not none
        _section(pdf, "QUÁ TRÌNH ĐÓNG BẢO HIỂM THẤT NGHIỆP",
                 ["Từ tháng", "Đến tháng", "Số tháng", "Đơn vị", "Tiền lương"],
                 [[_month(u["from"]), _month(u["to"]) if u["to"] else "nay", str(u["months"]),
                   unit(u["employer_code"]), _vnd(u["salary_basis"])]
                  for u in book["ui_periods"]])
    _section(pdf, "THẺ BẢO HIỂM Y TẾ",
             ["Mã thẻ", "Mức hưởng", "Từ ngày", "Đến ngày", "Nơi ĐK KCB ban đầu"],
             [[c["card_number"], str(c["benefit_level"]), _date(c["valid_from"]),
               _date(c["valid_to"]), c["initial_kcb_place"]] for c in book["hi_periods"]])
    if book.get("restricted"):
        return
    _section(pdf, "THÁNG ĐƠN VỊ ĐÃ KHẤU TRỪ NHƯNG CHƯA ĐÓNG ĐỦ",
             ["Tháng", "Đơn vị", "Tình trạng", "NLĐ đã bị khấu trừ", "Đơn vị phải đóng / đã đóng"],
             [[_month(a["month"]), unit(a["employer_code"]),
               "chưa đóng" if a["status"] == "unpaid" else "đóng thiếu", _vnd(a["withheld"]),
               f"{_vnd(a['employer_due'])} / {_vnd(a['employer_paid'])}"]
              for a in book["arrears"]])
    if "voluntary" in book:  # a voluntary month counts only once paid in full
        paid = book["voluntary"]
        _section(pdf, "CÁC LẦN ĐÓNG BẢO HIỂM XÃ HỘI TỰ NGUYỆN",
                 ["Ngày đóng", "Chứng từ", "Số tiền"],
                 [[_date(p["paid_on"]), p["reference"], _vnd(p["amount"])]
                  for p in paid["payments"]])
        if paid["payments"]:
            _line(pdf, f"Tổng đã đóng {_vnd(paid['paid'])} đồng; số dư chuyển sang các tháng "
                       f"sau {_vnd(paid['credit'])} đồng.", height=6)
            pdf.ln(2)
        _section(pdf, "THÁNG ĐÓNG BẢO HIỂM XÃ HỘI TỰ NGUYỆN CHƯA ĐÓNG ĐỦ",
                 ["Tháng", "Tình trạng", "Phải đóng", "Đã đóng"],
                 [[_month(u["month"]), "chưa đóng" if u["status"] == "unpaid" else "đóng thiếu",
                   _vnd(u["due"]), _vnd(u["paid"])]
                  for r in book["sheets"] for u in r.get("unpaid", ())])
    _section(pdf, "CHẾ ĐỘ ĐÃ ĐỀ NGHỊ VÀ GIẢI QUYẾT",
             ["Chế độ", "Hồ sơ, ngày nhận", "Sự kiện", "Tình trạng", "Quyết định",
              "Chi trả / lý do"],
             [[NAMES[Regime(b["regime"])], f"{b['dossier_no']} ngày {_date(b['received_on'])}",
               benefit_event(b), STATUS[b["status"]],
               f"{b['decision_no']} ngày {_date(b['decided_on'])}" if "decided_on" in b else "",
               _benefit_paid(b)] for b in book["benefits"]])


def benefit_event(b: dict[str, Any]) -> str:
    """The days a benefit is for (leave: first to last day), or a withdrawal's ground; an early
    pension's assessed loss of working capacity (and hazardous-job years) after its start, and
    a maternity leave that follows leave for infertility treatment (its 6 months looked for in
    the 24 before the birth, FACTS §4.4), an occupational disease's name."""
    if "ground" in b:
        return f"căn cứ Điều 70 khoản 1 điểm {GROUNDS[b['ground']][0]}"
    days = [_date(b[k]) for k in ("event_from", "event_to") if k in b]
    assessed = [f"suy giảm khả năng lao động {b['capacity_loss_percent']}%"
                if "capacity_loss_percent" in b else "",
                f"{b['hazardous_years']} năm làm nghề đặc biệt nặng nhọc, độc hại, nguy hiểm"
                if "hazardous_years" in b else "",
                "sau thời gian nghỉ việc điều trị vô sinh" if b.get("infertility_treatment")
                else "", _disease(b)]
    return "; ".join(p for p in (" – ".join(days), *assessed) if p)


def _disease(b: dict[str, Any]) -> str:
    """An occupational disease's name (and form) as Circular 15/2016/TT-BYT words it, or its
    appendix where the law tables do not name it, and the month exposure ended."""
    if "disease_code" not in b:
        return ""
    name = b.get("disease_name") or f"bệnh nghề nghiệp Phụ lục {b['disease_code']}"
    form = f" ({b['disease_form_name']})" if "disease_form_name" in b else ""
    ended = (f", thôi tiếp xúc tháng {_month(b['exposure_ended'])}" if "exposure_ended" in b
             else "")
    return f"{name}{form}{ended}"


def _benefit_paid(b: dict[str, Any]) -> str:
    if b["status"] == "refused":
        return str(b["reason"])
    parts = [f"{_vnd(b['amount'])} đ một lần" if "amount" in b else "",
             f"{_vnd(b['monthly_amount'])} đ/tháng từ {_month(b['from_month'])}"
             + (f" ({b['months']} tháng)" if "months" in b else "")
             if "monthly_amount" in b else "",
             f"{b['days']} ngày nghỉ" if "days" in b else "",
             f"bình quân tiền lương {_vnd(b['average_salary'])} đ"
             if "average_salary" in b else ""]
    return "; ".join(p for p in parts if p)


STATUS = {"claimed": "đang giải quyết", "settled": "đã giải quyết",
          "refused": "không giải quyết"}

# What a section's title needs below it on the same page: its heading row and a first row
# (two lines each at most in these tables), so a title never sits alone at a page's foot.
SECTION_START = 7 + 2 * (2 * 4 + PAD)
SECTION_NONE = 7 + 6  # its title and "Không có."


def _section(pdf: FPDF, title: str, headings: list[str], rows: list[list[str]]) -> None:
    if pdf.will_page_break(SECTION_START if rows else SECTION_NONE):
        pdf.add_page(orientation="landscape" if pdf.w > pdf.h else "portrait")
    pdf.set_font(FAMILY, "B", 10)
    _line(pdf, title, height=7)
    pdf.set_font(FAMILY, "", 8)
    if not rows:
        _line(pdf, "Không có.", height=6)
        pdf.ln(2)
        return
    width = pdf.w - pdf.l_margin - pdf.r_margin
    _table(pdf, 8, 4, [width / len(headings)] * len(headings), headings, rows)
    pdf.ln(3)


def _table(pdf: FPDF, size: float, line_height: float, widths: Sequence[float],
           headings: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A bordered table; the heading row is repeated on each page the table runs onto. Its grid
    is a line under each row and the column lines once a page, not a rectangle a cell (a
    tenth of the time of a book)."""
    pdf.set_font(FAMILY, "B", size)
    heading = [_wrap(pdf, text, w) for text, w in zip(headings, widths, strict=True)]
    pdf.set_font(FAMILY, "", size)
    cells = [[_wrap(pdf, text, w) for text, w in zip(row, widths, strict=True)] for row in rows]
    top = _heading(pdf, size, line_height, widths, heading)
    for row in cells:
        height = max(map(len, row)) * line_height + PAD
        if pdf.will_page_break(height):
            _columns(pdf, widths, top)
            pdf.add_page(orientation="landscape" if pdf.w > pdf.h else "portrait")
            top = _heading(pdf, size, line_height, widths, heading)
        y = pdf.get_y()
        _texts(pdf, line_height, widths, row, y)
        pdf.line(pdf.l_margin, y + height, pdf.l_margin + sum(widths), y + height)
        pdf.set_y(y + height)
    _columns(pdf, widths, top)


def _heading(pdf: FPDF, size: float, line_height: float, widths: Sequence[float],
             cells: Sequence[list[str]]) -> float:
    """The grey heading row, in bold; the y it starts at (the top of the grid on this page)."""
    height = max(map(len, cells)) * line_height + PAD
    y = pdf.get_y()
    pdf.set_fill_color(HEADING_FILL)
    pdf.rect(pdf.l_margin, y, sum(widths), height, style="DF")
    pdf.set_fill_color(0)  # back to the text's colour: else fpdf2 sets it around every text run
    pdf.set_font(FAMILY, "B", size)
    _texts(pdf, line_height, widths, cells, y)
    pdf.set_font(FAMILY, "", size)
    pdf.set_y(y + height)
    return y


def _texts(pdf: FPDF, line_height: float, widths: Sequence[float],
           cells: Sequence[list[str]], y: float) -> None:
    x, runs = pdf.l_margin, []
    for lines, w in zip(cells, widths, strict=True):
        runs += [(x + PAD, y + PAD / 2 + (i + 0.75) * line_height, text)  # baseline at 3/4 of
                 for i, text in enumerate(lines) if text]  # the line, as fpdf2's cells do
        x += w
    texts(pdf, runs)


def _columns(pdf: FPDF, widths: Sequence[float], top: float) -> None:
    """The vertical lines of the grid, from ``top`` down to the last row drawn."""
    x, bottom = pdf.l_margin, pdf.get_y()
    for w in (0, *widths):
        x += w
        pdf.line(x, top, x, bottom)


def _wrap(pdf: FPDF, text: str, width: float, *, pad: float = PAD) -> list[str]:
    """``text`` broken at spaces (and its own line breaks) into lines that fit ``width``."""
    room = width - 2 * pad
    lines: list[str] = []
    for paragraph in text.split("\n"):
        if _width(pdf, paragraph) <= room:
            lines.append(paragraph)
            continue
        space = _width(pdf, " ")  # widths add up: no kerning without shaping
        line, line_width = "", 0.0
        for word in paragraph.split(" "):
            word_width = _width(pdf, word)
            if word_width > room:  # wider than the cell (a long number): broken where it must be
                *parts, word = _pieces(pdf, word, room)
                lines += [line, *parts] if line else parts
                line, word_width = "", _width(pdf, word)
            if line and line_width + space + word_width > room:
                lines.append(line)
                line = ""
            if line:
                line, line_width = f"{line} {word}", line_width + space + word_width
            else:
                line, line_width = word, word_width
        lines.append(line)
    return lines


def _pieces(pdf: FPDF, word: str, room: float) -> list[str]:
    """``word`` cut into pieces that each fit ``room``."""
    pieces, piece = [], ""
    for ch in word:
        if piece and _width(pdf, piece + ch) > room:
            pieces.append(piece)
            piece = ""
        piece += ch
    return [*pieces, piece]


def _width(pdf: FPDF, text: str) -> float:
    """What ``get_string_width`` gives (no shaping, no char spacing), without the copy of the
    graphics state it makes on every call: that was 40% of the time of drawing the pages."""
    font = pdf.current_font
    assert isinstance(font, TTFFont)  # FAMILY is always a TrueType font
    return sum(map(font.cw.__getitem__, map(ord, text))) * pdf.font_size_pt / (1000 * pdf.k)


def _title(pdf: FPDF, title: str, subtitle: str) -> None:
    pdf.set_font(FAMILY, "B", 12)
    _line(pdf, title, align="C", height=7)
    pdf.set_font(FAMILY, "", 9)
    _line(pdf, subtitle, align="C", height=6)
    pdf.ln(2)


def _line(pdf: FPDF, text: str, *, align: str = "L", height: float = 7) -> None:
    """A line of text placed as ``cell(0, height, text, align=align)`` places it, then the next
    line; fpdf2's cell runs its whole text layout for it, a fifth of the time of a book."""
    if pdf.will_page_break(height):
        pdf.add_page(orientation="landscape" if pdf.w > pdf.h else "portrait")
    x, y = pdf.l_margin, pdf.get_y()
    room = pdf.w - pdf.r_margin - x
    dx = (room - _width(pdf, text)) / 2 if align == "C" else pdf.c_margin
    pdf.text(x + dx, y + 0.5 * height + 0.3 * pdf.font_size, text)  # cell's baseline
    pdf.set_xy(x, y + height)


def _vnd(amount: int | None) -> str:
    return "—" if amount is None else f"{amount:,}".replace(",", ".")


def _month(text: str) -> str:
    year, month = text.split("-")
    return f"{month}/{year}"


def _check_page(public_url: str | None) -> str:
    """Where a reader of the paper checks it: the portal's check page at its public address
    (SIBOOK_PUBLIC_URL), or its path on the portal when the address was not given."""
    return f"{public_url}{CHECK_PAGE}" if public_url else f"{CHECK_PAGE} của cổng"


def _instant(text: str) -> str:
    """The signing time (ISO 8601, UTC, as the signed payload holds it) as Vietnamese read a
    time: their own clock, day first."""
    return f"{vietnam_time(datetime.fromisoformat(text))} (giờ Việt Nam)"


def _date(text: str) -> str:
    year, month, day = text.split("-")
    return f"{day}/{month}/{year}"
