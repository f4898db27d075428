"""Why the estimate has no pension (or no amount), in the citizen's words.

The rules engine explains in English, and the API's and CLI's ``pension_note`` keeps that
English (a contract); the portal words the same refusal by its kind, the law table that had no
rule or the field the rules refused, in Vietnamese with its English beside it ("Vietnamese /
English", as the portal's other messages). A kind without its own words here still reads so,
with the kind's code beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sibook import law
from sibook.book.estimate import Shortfall
from sibook.core.period import Period
from sibook.portal.web import counted, month

Say = Callable[[Shortfall, dict[str, Any]], str]


def _paid(book: dict[str, Any]) -> tuple[str, str]:
    """What the book has paid so far, in Vietnamese and in English."""
    months = int(book["totals"]["si_months"])
    years, rest = divmod(months, 12)
    return (f"sổ mới có {years} năm {rest} tháng",
            f"the book has {counted(years, 'year')} {counted(rest, 'month')} so far")


def _too_few_years(s: Shortfall, book: dict[str, Any]) -> str:
    least = law.book().pension_min_years(s.starts).value
    vi, en = _paid(book)
    return (f"Hưởng lương hưu cần đóng BHXH đủ ít nhất {least} năm ({least * 12} tháng); {vi}."
            f" / A pension needs at least {least} years ({least * 12} months) of SI paid; {en}.")


def _early(s: Shortfall, book: dict[str, Any]) -> str:
    needed = int(law.parameter("early_min_years", s.starts).value)
    vi, en = _paid(book)
    return (f"Nghỉ hưu trước tuổi cần đóng BHXH đủ ít nhất {needed} năm; {vi}. / Retiring "
            f"before the retirement age needs at least {needed} years of SI paid; {en}.")


def _when(s: Shortfall) -> Period:
    """The month the missing rule was asked for (a revaluation table's: January of its year)."""
    refused = s.refusal
    return refused.on if isinstance(refused, law.NoRuleInForce) else s.starts


def _on(s: Shortfall) -> str:
    return month(str(_when(s)))


def _kind(s: Shortfall) -> str:
    refused = s.refusal
    if isinstance(refused, law.NoRuleInForce):
        return f"table:{refused.table}"
    return refused.problems[0].field if refused.problems else ""


# By kind: a law table without a rule ("table:<name>"), else the field the rules refused.
SHORTFALL_SAID: dict[str, Say] = {
    "contribution_months": _too_few_years,
    "months_early": _early,
    "months_past_retirement_age": lambda s, b: (
        "Lương hưu hưởng trước tuổi thì không có tháng đóng sau tuổi nghỉ hưu. / A pension "
        "taken before the retirement age has no months paid after that age."),
    "table:pension_rates": lambda s, b: (
        f"Chưa có quy định tính lương hưu bắt đầu hưởng từ tháng {month(str(s.starts))}: "
        "lương hưu tính theo luật có hiệu lực khi bắt đầu hưởng. / There is no rule yet for a "
        f"pension starting in {month(str(s.starts))}: a pension is worked out by the law in "
        "force when it starts."),
    "table:revaluation": lambda s, b: (
        f"Chưa có hệ số trượt giá tiền lương cho người bắt đầu hưởng năm {_when(s).year}, nên "
        "chưa tính được mức bình quân tiền lương. / There are no salary revaluation "
        f"coefficients yet for a pension starting in {_when(s).year}, so the average salary "
        "cannot be worked out yet."),
    "table:averaging_windows": lambda s, b: (
        f"Chưa có quy định số năm tính bình quân tiền lương cho tháng {_on(s)}, nên chưa tính "
        "được mức bình quân tiền lương. / There is no rule yet on how many years the average "
        f"salary covers for {_on(s)}, so the average salary cannot be worked out yet."),
    "table:retirement_age": lambda s, b: (
        "Chưa có quy định tuổi nghỉ hưu áp dụng cho năm sinh của bạn. / There is no rule yet "
        "on the retirement age for your year of birth."),
}


def shortfall_said(s: Shortfall | None, book: dict[str, Any]) -> str | None:
    """The estimate's ``pension_note`` as the portal says it, "Vietnamese / English" (None: the
    estimate misses nothing)."""
    if s is None:
        return None
    kind = _kind(s)
    say = SHORTFALL_SAID.get(kind)
    if say is not None:
        return say(s, book)
    return (f"Quy định của luật chưa đủ để ước tính cho tháng {_on(s)} "
            f"(mã lý do: {kind or 'không rõ'}). / The law's rules do not cover an estimate "
            f"for {_on(s)} yet (reason code: {kind or 'unknown'}).")


# Why a book or an HI card does not check out (the verifier's errors and warnings, in English
# as the API and the CLI keep them), in Vietnamese by the reason's opening words, never by the
# detail after them (a library's, a name, a date); the page shows the English beside it,
# exactly as the API answers it. First match wins. Each reason sibook.signing, the API and
# the HI card's check give has its words here (tests/unit/test_portal_check_reasons.py).
CHECK_VI: tuple[tuple[str, str], ...] = (
    ("revoked:", "Phiên bản này của sổ đã bị cơ quan BHXH thu hồi."),
    ("the document does not match its signature",
     "Tệp đã bị sửa sau khi ký: nội dung không khớp với chữ ký số."),
    ("the PDF was changed after signing", "Tệp PDF đã bị thêm nội dung sau khi ký."),
    ("bad signature", "Chữ ký số không đúng: nội dung không do cơ quan BHXH ký hoặc đã bị sửa."),
    ("the signing certificate was not valid",
     "Chứng thư số dùng để ký không có hiệu lực vào lúc ký."),
    ("the signing certificate does not chain",
     "Chứng thư số dùng để ký không thuộc danh sách tin cậy của cơ quan BHXH."),
    ("certificate ", "Chứng thư số dùng để ký mã QR không có hiệu lực vào lúc cấp mã."),
    ("signed by another realm's key",
     "Được ký bằng khóa của cơ quan BHXH khác: sổ hoặc thẻ của người thuộc một ngành (BHXH Việt "
     "Nam, BHXH Bộ Quốc phòng, BHXH Công an nhân dân) chỉ do chính cơ quan đó ký."),
    ("the signed payload names no realm",
     "Nội dung đã ký không ghi sổ hoặc thẻ thuộc ngành BHXH nào, trong khi khóa đã ký nó chỉ ký "
     "nội dung có ghi: không phải do cơ quan BHXH cấp."),
    ("issued in the future",
     "Thời điểm ký ghi trong tệp là một thời điểm trong tương lai: không phải do cơ quan BHXH "
     "cấp đúng quy trình hoặc đồng hồ của máy ký bị sai."),
    ("unknown key id", "Mã được ký bằng khóa không thuộc danh sách tin cậy của cơ quan BHXH."),
    ("unsupported algorithm",
     "Mã QR được ký bằng thuật toán mà cơ quan BHXH không dùng: không phải mã của cơ quan BHXH."),
    ("a book PDF carries exactly one signature", "Sổ BHXH dạng PDF có đúng một chữ ký số."),
    ("the PDF carries no signature",
     "Tệp PDF không có chữ ký số: không phải sổ BHXH do cơ quan BHXH cấp."),
    ("the PDF carries no /SIBook metadata", "Tệp PDF này không phải sổ BHXH điện tử."),
    ("the signature carries a certificate",
     "Chữ ký số mang theo chứng thư số không có trong danh sách tin cậy của cơ quan BHXH: "
     "đã bị sửa sau khi ký hoặc không do cơ quan BHXH ký."),
    ("the signature's", "Phần chữ ký số của tệp bị hỏng hoặc đã bị sửa sau khi ký."),
    ("the book metadata", "Thông tin sổ ghi trong tệp PDF bị hỏng, không đọc được."),
    ("empty input", "Tệp trống: không có gì để kiểm tra."),
    ("an image (", "Đây là tệp ảnh, không phải nội dung mã QR: hãy gửi văn bản mà mã QR chứa, "
                   "như máy quét đọc được (hoặc tệp PDF của sổ BHXH)."),
    ("a PDF, not QR text", "Đây là tệp PDF, không phải nội dung mã QR của thẻ BHYT: hãy gửi "
                           "văn bản mà mã QR của thẻ chứa, như máy quét đọc được."),
    ("not a PDF and not QR text", "Tệp không phải PDF, cũng không phải nội dung mã QR."),
    ("not a readable PDF", "Tệp PDF bị hỏng, không đọc được."),
    ("not a PDF", "Tệp không phải PDF."),
    ("not QR text", "Nội dung không phải văn bản của mã QR."),
    ("bad prefix", "Đây không phải mã QR của cơ quan BHXH (sổ BHXH hoặc thẻ BHYT)."),
    ("QR text too long", "Nội dung mã QR dài quá mức một mã QR chứa được."),
    ("this is an HI card's QR", "Đây là mã QR của thẻ BHYT, không phải của sổ BHXH."),
    ("this is a book's QR", "Đây là mã QR của sổ BHXH, không phải của thẻ BHYT."),
    ("payload names no personal_id/version",
     "Nội dung đã ký không ghi số định danh và phiên bản sổ, nên không kiểm tra được sổ có bị "
     "thu hồi hay không."),
    ("the card is not valid on", "Thẻ BHYT không có giá trị sử dụng vào ngày kiểm tra."),
    ("upload larger than", "Tệp quá lớn, không phải sổ BHXH hay mã QR."),
    ("cannot verify:", "Hệ thống tạm thời chưa kiểm tra được, vui lòng thử lại sau."),
    ("strict verification refuses it",
     "Danh sách thu hồi của cơ quan BHXH chưa đọc được hoặc đã cũ, nên chưa xác nhận được sổ "
     "không bị thu hồi."),
    ("no revocation list", "Chưa đọc được danh sách thu hồi, nên chưa biết sổ có bị thu hồi."),
    ("the revocation list",
     "Danh sách thu hồi của cơ quan BHXH đã cũ (quá hạn cập nhật hoặc không ghi hạn): phiên "
     "bản sổ bị thu hồi sau khi lập danh sách sẽ chưa có trong đó."),
)
DAMAGED_QR_VI = "Nội dung mã QR bị hỏng, bị cắt ngắn hoặc đã bị sửa."
DAMAGED_QR = ("not base45", "decompress failed", "extra data", "not a COSE_Sign1",
              "the QR text was altered",
              "no key id", "signed claims carry")
OTHER_VI = "Lý do khác (chi tiết bằng tiếng Anh):"


def check_vi(error: str) -> str:
    """One of the verifier's errors (or warnings) in Vietnamese; one it has no words for is
    said as a reason the page gives in English."""
    if error.startswith(DAMAGED_QR):
        return DAMAGED_QR_VI
    for opening, vietnamese in CHECK_VI:
        if error.startswith(opening):
            return vietnamese
    return OTHER_VI
