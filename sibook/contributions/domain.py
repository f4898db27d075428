"""Pure values of the monthly declaration (danh sách D02-LT) and its case codes (phương án)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sibook.core.period import Period

# FACTS §6.3: the case codes seen on D02-LT. Increases open a period, DC replaces the open one
# with new pay (or re-prices an earlier one's months: ``staged_back_pay``), decreases close it
# from the given month.
INCREASES = {
    "TM": "new increase",
    "TD": "increase, has a book, moving within the province",
    "TC": "increase, has a book, moving from another province",
    "TT": "additional increase",
}
ADJUSTMENTS = {"DC": "salary adjustment"}
DECREASES = {
    "GH": "permanent decrease",
    "KL": "unpaid leave",
    "OF": "sick leave",
    "TS": "maternity",
}
CASE_CODES = {**INCREASES, **ADJUSTMENTS, **DECREASES}

# An employer's payment method (phương thức đóng, ``cycles``): the listed words of a flag and of
# the API, and the months of a cycle each means (Law 41/2024/QH15 Arts 33(1)(b), 34(4)).
PAYMENT_CYCLES = {"monthly": 1, "3": 3, "6": 6}

# The canonical columns every format is read into; aliases are the Vietnamese column names
# employers' payroll software exports (without diacritics, as in D02-LT XML tags).
COLUMNS = (
    "personal_id",
    "full_name",
    "case_code",
    "job_title",
    "salary",
    "allowances",
    "from_month",
    "si_code",
)
REQUIRED = ("personal_id", "case_code")
# The legacy SI code's column (mã số BHXH, 10 digits): from 1 August 2025 the personal ID
# replaces it (FACTS §5.2), and payroll software fills it with the personal ID, so alone it is
# read as the personal ID; beside a personal-ID column it is the SI code (``si_code``), which
# must name the same person.
SI_CODE_ALIAS = "ma_so_bhxh"
ALIASES = {
    "so_dinh_danh": "personal_id",
    "ma_so_bhxh": "personal_id",
    "ho_ten": "full_name",
    "ho_va_ten": "full_name",  # "Họ và tên", the heading of most payroll sheets
    "phuong_an": "case_code",
    "chuc_vu": "job_title",
    "muc_luong": "salary",
    "phu_cap": "allowances",
    "tu_thang": "from_month",
}
# Input sanity bound (10 billion VND a month), not a law value: a figure past it is a typing
# slip, not a contract. The periods hold salaries 64-bit (migration 0018).
MAX_SALARY = 10_000_000_000
JOB_TITLE_MAX = 120  # characters: the width of the periods' column
FULL_NAME_MAX = 120  # characters: the width of the persons' column (a longer name is no one's)


@dataclass(frozen=True)
class DeclarationMeta:
    """What identifies a filing: employer, month, batch (đợt) and the file's content."""

    employer_code: str
    month: Period
    batch_no: int
    content_hash: str
    file_format: str

    @property
    def idempotency_key(self) -> str:
        return f"{self.employer_code}:{self.month}:{self.batch_no}:{self.content_hash}"


def content_hash(source: bytes | Path) -> str:
    """SHA-256 of the file's bytes, read in blocks so a large file is never held in memory."""
    if not isinstance(source, Path):
        return hashlib.sha256(source).hexdigest()
    digest = hashlib.sha256()
    with source.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
