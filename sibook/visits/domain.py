"""The pure core of HI visits: a visit as the facility's claim summarises it, and the checks a
claim must pass before the agency keeps it.

A visit is one record of table XML1 ("TONG_HOP", the claim's summary) of Decision 130/QĐ-BYT (as
amended by Decisions 4750/QĐ-BYT and 3176/QĐ-BYT; FACTS §6.5): the facility (MA_CSKCB) and its
link code for the treatment (MA_LK), the patient (SO_CCCD; their name HO_TEN is checked against
the registry, not kept) and the HI card used (MA_THE_BHYT), admission and discharge (NGAY_VAO,
NGAY_RA, ``yyyymmddHHMM`` local time), the main diagnosis (MA_BENH_CHINH, ICD-10), the kind of
visit (MA_LOAI_KCB) and three totals: what the facility charged (T_TONGCHI_BV), what the HI
fund pays (T_BHTT) and the patient's co-payment (T_BNCCT). The drugs, services and results of
XML2-XML15 are the HI assessment's business, not the book's: they are not kept.

The decision writes the totals as numbers of at most 15 characters with 2 decimals (a
co-payment of 20% of a price falls on a fraction of a dong: "79015531.60"); the check that what
is paid does not exceed the charge is made on them exact, and each is kept in whole VND, as all
money here, rounded half up (the co-payment a dong less when both shares rounded up would exceed
the charge rounded).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sibook.core.errors import Problem
from sibook.ids.hi_card import has_hi_card_shape
from sibook.ids.personal_id import personal_id_problems
from sibook.registry.domain import text_problem

# MA_LOAI_KCB, the kind of visit (mã loại hình KCB): the code list of Decision 130/QĐ-BYT's
# annex (XML1 table, as Decision 4750/QĐ-BYT left it), in its words. [S] Not read from the
# decision's PDF: three public HIS exporters' code lists for XML130, written independently (a C#
# ``Descriptions.MaLoaiKCB``, a JavaScript XML130 viewer's ``MA_LOAI_KCB_MAP``, a C#
# ``LoaiKCB130Helper``), agree on these ten codes and names; 10 closes the list. [U] Secondary
# notes report that Decision 1804/QĐ-BYT (2026) replaces this list with 16 codes (11-16: mobile,
# home, family-medicine and remote care, periodic check-ups, screening) by 1 August 2026: not
# checked against its text; a file using them is refused naming MA_LOAI_KCB until it is.
VISIT_TYPES: dict[str, str] = {
    "01": "Khám bệnh",
    "02": "Điều trị ngoại trú",
    "03": "Điều trị nội trú",
    "04": "Điều trị nội trú ban ngày",
    "05": "Điều trị ngoại trú các bệnh mạn tính dài ngày liên tục trong năm, có khám bệnh và "
          "lĩnh thuốc",
    "06": "Điều trị lưu tại Trạm Y tế tuyến xã, Phòng khám đa khoa khu vực",
    "07": "Nhận thuốc theo hẹn (không khám bệnh)",
    "08": "Điều trị ngoại trú các bệnh mạn tính dài ngày liên tục trong năm, có khám bệnh, có "
          "thực hiện các dịch vụ kỹ thuật và/hoặc được sử dụng thuốc",
    "09": "Điều trị nội trú dưới 04 (bốn) giờ",
    "10": "Các trường hợp khác",
}
FACILITY = re.compile(r"^[0-9]{5}$")  # MA_CSKCB: 5 digits, the province's 2 first
# ICD-10: a letter, two digits, then an optional subcategory ("J03", "J03.9", "U07.1").
ICD10 = re.compile(r"^[A-Z][0-9]{2}(?:\.[0-9A-Z]{1,4})?$")
STAMP = re.compile(r"^(19|20)[0-9]{10}$")  # yyyymmddHHMM, years 1900-2099 as every door
MONEY = re.compile(r"^(-?)([0-9]+)(?:\.([0-9]+))?$")
DECIMALS = 2  # a total's decimals in Decision 130's XML1 (number, 15 characters, 2 decimals)
SCALE = 100  # an amount is read in hundredths of a dong: 10 ** DECIMALS
LINK_MAX = 100  # MA_LK: "Chuỗi" of at most 100 characters
REASON_MAX = 500  # why a visit is annulled
CARDS_MAX = 160  # MA_THE_BHYT: several cards of one stay are joined by ";"
MAX_VND = 10**13  # far above any hospital bill, below what a BIGINT holds
ECHO = 40  # characters of a refused value a refusal quotes
Bad = Callable[[str, str], None]  # records a problem: field, reason
NAME_MAX = 255  # HO_TEN: "Chuỗi" of at most 255 characters
REQUIRED = ("MA_LK", "MA_CSKCB", "HO_TEN", "SO_CCCD", "MA_THE_BHYT", "NGAY_VAO", "NGAY_RA",
            "MA_BENH_CHINH", "MA_LOAI_KCB", "T_TONGCHI_BV", "T_BHTT", "T_BNCCT")


@dataclass(frozen=True)
class Visit:
    """One visit (một lượt khám chữa bệnh BHYT), as XML1 summarises it."""

    facility_code: str  # MA_CSKCB
    link_code: str  # MA_LK: the facility's key of the treatment
    personal_id: str  # SO_CCCD
    patient_name: str  # HO_TEN: checked against the registry, not kept
    cards: tuple[str, ...]  # MA_THE_BHYT, upper case
    admitted_at: datetime  # NGAY_VAO
    discharged_at: datetime  # NGAY_RA
    diagnosis: str  # MA_BENH_CHINH
    visit_type: str  # MA_LOAI_KCB
    total_cost: int  # T_TONGCHI_BV
    hi_paid: int  # T_BHTT
    patient_paid: int  # T_BNCCT

    @property
    def card_text(self) -> str:
        return ";".join(self.cards)


def read_record(fields: dict[str, str], row: int, facility: str, now: datetime
                ) -> tuple[Visit | None, list[Problem]]:
    """The visit of one XML1 record (``fields``: its elements' text), or every reason it
    cannot be one, by ``row`` (the record's place in the file) and field."""
    out: list[Problem] = []

    def bad(field: str, reason: str) -> None:
        out.append(Problem(field=field, reason=reason, row=row))

    # Every problem of the record at once: a missing field no longer hides the others'.
    missing = {name for name in REQUIRED if not fields.get(name, "").strip()}
    for name in REQUIRED:
        if name in missing:
            bad(name, "is required and missing or empty")
    fields = {name: fields.get(name, "") for name in REQUIRED}
    link = fields["MA_LK"].strip()
    if "MA_LK" not in missing and (problem := link_problem(link)):
        bad("MA_LK", problem)
    own = fields["MA_CSKCB"].strip()
    if "MA_CSKCB" not in missing and own != facility:
        bad("MA_CSKCB", f"{clipped(own)!r} is not the facility the file is from ({facility})")
    name = " ".join(fields["HO_TEN"].split())
    if "HO_TEN" not in missing and (problem := text_problem(name, NAME_MAX)):
        bad("HO_TEN", problem)
    pid = fields["SO_CCCD"].strip()
    if "SO_CCCD" not in missing and (wrong := personal_id_problems(pid, today=now.date())):
        # Why, as ids inspect says it: "(12 digits)" alone misled for 12 digits whose birth
        # place or birth year cannot be.
        bad("SO_CCCD", f"{clipped(pid)!r} is not a personal ID: "
                       + "; ".join(p.reason for p in wrong))
    cards = tuple(c.strip().upper() for c in fields["MA_THE_BHYT"].split(";") if c.strip())
    if "MA_THE_BHYT" not in missing and (
            len(fields["MA_THE_BHYT"]) > CARDS_MAX or not cards
            or not all(has_hi_card_shape(c) for c in cards)):
        bad("MA_THE_BHYT", "an HI card number is 15 characters (2 letters, 13 digits); several "
                           "cards of one stay are separated by ';'")
    admitted = None if "NGAY_VAO" in missing else _stamp(fields["NGAY_VAO"], "NGAY_VAO", bad)
    discharged = None if "NGAY_RA" in missing else _stamp(fields["NGAY_RA"], "NGAY_RA", bad)
    if admitted and discharged and discharged < admitted:
        bad("NGAY_RA", f"discharge {fields['NGAY_RA'].strip()} is before admission "
                       f"{fields['NGAY_VAO'].strip()}")
    if discharged and discharged > now:
        bad("NGAY_RA", f"{fields['NGAY_RA'].strip()} is in the future: a claim is filed after "
                       "discharge")
    diagnosis = fields["MA_BENH_CHINH"].strip().upper()
    if "MA_BENH_CHINH" not in missing and not ICD10.fullmatch(diagnosis):
        bad("MA_BENH_CHINH", f"{clipped(diagnosis)!r} is not an ICD-10 code (a letter, two digits, "
                             "an optional '.' and subcategory: J03, J03.9)")
    kind = fields["MA_LOAI_KCB"].strip()
    if "MA_LOAI_KCB" not in missing and kind not in VISIT_TYPES:
        bad("MA_LOAI_KCB", f"{clipped(kind)!r} is not a visit type of Decision 130/QĐ-BYT "
                           f"({', '.join(VISIT_TYPES)})")
    total, hi, patient = (None if f in missing else _money(fields[f], f, bad)
                          for f in ("T_TONGCHI_BV", "T_BHTT", "T_BNCCT"))
    if total is not None and hi is not None and patient is not None and hi + patient > total:
        bad("T_BHTT", f"what the HI fund pays ({_shown(hi)}) and the co-payment "
                      f"({_shown(patient)}) exceed the visit's total cost ({_shown(total)})")
    if out or admitted is None or discharged is None or None in (total, hi, patient):
        return None, out
    assert total is not None and hi is not None and patient is not None
    # Each half up, two halves (80,000.50 + 19,999.50 of 100,000) would be a dong above the
    # charge, which paid no more than it: the co-payment gives up that dong.
    charged, fund = _whole(total), _whole(hi)
    return Visit(own, link, pid, name, cards, admitted, discharged, diagnosis, kind, charged,
                 fund, min(_whole(patient), charged - fund)), out


def link_problem(link: str) -> str | None:
    """Why ``link`` cannot be a visit's MA_LK, if it cannot: a file's or an annulment's."""
    return text_problem(link, LINK_MAX)


def reason_problem(reason: str) -> str | None:
    """Why ``reason`` cannot be an annulment's reason, if it cannot."""
    if not reason.strip():
        return "is required: say why the visit is annulled"
    return text_problem(reason, REASON_MAX)


def clipped(value: str) -> str:
    """``value`` as a refusal quotes it: cut to ECHO characters, so that a field of megabytes
    is not sent back whole (nor thousands of them, one a record, in one answer)."""
    return value if len(value) <= ECHO else value[:ECHO] + "…"


def _stamp(text: str, field: str, bad: Bad) -> datetime | None:
    value = text.strip()
    try:
        if not STAMP.fullmatch(value):
            raise ValueError(value)
        return datetime.strptime(value, "%Y%m%d%H%M")
    except ValueError:
        bad(field, f"{clipped(value)!r} is not a time as yyyymmddHHMM, years 1900 to 2099 (e.g. "
                   "202603010842)")
        return None


def _money(text: str, field: str, bad: Bad) -> int | None:
    """An amount in hundredths of a dong: digits, with at most ``DECIMALS`` decimals besides
    trailing zeros ("237300", "237300.00", "79015531.6")."""
    value = text.strip()
    m = MONEY.fullmatch(value)
    if m is None:
        bad(field, f"{clipped(value)!r} is not an amount in VND")
        return None
    fraction: str = (m.group(3) or "").rstrip("0")
    if len(fraction) > DECIMALS:
        bad(field, f"{clipped(value)} has more than {DECIMALS} decimals: Decision 130 writes an "
                   f"amount with {DECIMALS} at most")
        return None
    digits: str = m.group(2).lstrip("0") or "0"
    if len(digits) > len(str(MAX_VND)):  # int() of thousands of digits raises: never tried
        bad(field, f"{len(digits):,} digits is more than any visit costs ({MAX_VND:,})")
        return None
    amount = int(digits) * SCALE + int(fraction.ljust(DECIMALS, "0"))
    if m.group(1) and amount:
        bad(field, f"{clipped(value)} is negative")
        return None
    if amount > MAX_VND * SCALE:
        bad(field, f"{_shown(amount)} is more than any visit costs ({MAX_VND:,})")
        return None
    return amount


def _whole(hundredths: int) -> int:
    """An amount of ``_money`` in whole VND, half up (a non-negative amount)."""
    return (hundredths + SCALE // 2) // SCALE


def _shown(hundredths: int) -> str:
    """An amount of ``_money`` as a refusal says it: 237,300 or 79,015,531.60."""
    whole, cents = divmod(hundredths, SCALE)
    return f"{whole:,}" + (f".{cents:0{DECIMALS}d}" if cents else "")


def differences(was: Visit, now: Visit) -> list[str]:
    """The XML1 fields in which ``now`` differs from the visit recorded as ``was``."""
    pairs = (("SO_CCCD", was.personal_id, now.personal_id),
             ("MA_THE_BHYT", was.card_text, now.card_text),
             ("NGAY_VAO", was.admitted_at, now.admitted_at),
             ("NGAY_RA", was.discharged_at, now.discharged_at),
             ("MA_BENH_CHINH", was.diagnosis, now.diagnosis),
             ("MA_LOAI_KCB", was.visit_type, now.visit_type),
             ("T_TONGCHI_BV", was.total_cost, now.total_cost),
             ("T_BHTT", was.hi_paid, now.hi_paid),
             ("T_BNCCT", was.patient_paid, now.patient_paid))
    return [name for name, old, new in pairs if old != new]


def shown(value: object) -> str:
    """A recorded value as a refusal names it (times as the XML writes them)."""
    return value.strftime("%Y%m%d%H%M") if isinstance(value, datetime) else str(value)
