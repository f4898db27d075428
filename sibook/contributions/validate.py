"""Column-wise checks of a declaration frame: shape, types and ranges, with row and field named.

Runs on Polars frames (no per-row Python), so a 100,000-line filing is checked in milliseconds.
Checks that need the database (unknown person, overlapping periods, ...) are in
``staged_checks``.
"""

from __future__ import annotations

import polars as pl

from sibook.contributions.domain import (
    ADJUSTMENTS,
    CASE_CODES,
    FULL_NAME_MAX,
    INCREASES,
    JOB_TITLE_MAX,
    MAX_SALARY,
)
from sibook.core.errors import Problem
from sibook.core.period import MONTH_PATTERN, Period

TYPED = {
    "row": pl.Int64,
    "personal_id": pl.String,
    "full_name": pl.String,
    "case_code": pl.String,
    "job_title": pl.String,
    "salary": pl.Int64,
    "allowances": pl.Int64,
    "from_month": pl.Int32,
    "si_code": pl.String,
}
_NEEDS_PAY = sorted({*INCREASES, *ADJUSTMENTS})

# Money is whole VND. Thousands may be grouped by threes with one separator; a fraction is
# taken only if all zeros (payroll exports write 15000000.00), after a mark other than the
# separator. Rust regex has no backreferences, hence one alternative per separator. "15.000"
# is grouped (15,000 VND), never 15 VND with a fraction: VND amounts have no minor unit.
# Separator -> the decimal marks allowed with it; a space may be a no-break one (U+00A0,
# U+202F), as spreadsheets in Vietnamese or French locales group thousands.
_MARKS = {".": ",", ",": ".", " ": ".,", "\u00a0": ".,", "\u202f": ".,", "_": ".,"}
_GROUPED = {sep: rf"[0-9]{{1,3}}(?:[{sep}][0-9]{{3}})+" for sep in _MARKS}
_WHOLE = rf"^-?(?:[0-9]+|{'|'.join(_GROUPED.values())})$"
_ZERO_FRACTION = (
    rf"^-?(?:[0-9]+[.,]|{'|'.join(f'{g}[{_MARKS[sep]}]' for sep, g in _GROUPED.items())})0+$"
)


_SCIENTIFIC = r"^[0-9](?:[.,][0-9]+)?[eE]\+?[0-9]+$"  # 1.08901E+11, 1,08901E+11


def _vnd_form(cell: pl.Expr) -> pl.Expr:
    """Whether a cell is written in one of the forms above, however large its number."""
    return cell.str.contains(_WHOLE) | cell.str.contains(_ZERO_FRACTION)


def _vnd(cell: pl.Expr) -> pl.Expr:
    """Whole VND from a cell in one of the forms above; null for any other form."""
    digits = (
        pl.when(cell.str.contains(_WHOLE))
        .then(cell)
        .when(cell.str.contains(_ZERO_FRACTION))
        .then(cell.str.replace(r"[.,]0+$", ""))
    )
    return digits.str.replace_all("[., _\u00a0\u202f]", "").cast(pl.Int64, strict=False)


def check_frame(frame: pl.DataFrame, month: Period) -> tuple[pl.DataFrame, list[Problem]]:
    """The frame typed (TYPED columns) and every shape problem found in it."""
    code = pl.col("case_code").str.to_uppercase()
    salary, allowances = _vnd(pl.col("salary")), _vnd(pl.col("allowances"))
    fm = pl.col("from_month")
    fm_ok = fm.str.contains(MONTH_PATTERN)
    from_index = (
        pl.when(fm.is_null())
        .then(pl.lit(month.index))
        .when(fm_ok)
        .then(fm.str.slice(0, 4).cast(pl.Int32) * 12 + fm.str.slice(5, 2).cast(pl.Int32) - 1)
    )
    name = pl.col("full_name")
    typed = frame.with_columns(
        case_code=code, salary=salary, allowances=allowances, from_month=from_index.cast(pl.Int32),
        # A name of spaces is no name given: the person is named by their ID alone.
        full_name=pl.when(name.str.strip_chars() != "").then(name),
    )
    # A cell left empty is missing (one problem, if required); a cell filled in must be valid.
    given = {c: (frame[c].str.len_bytes() > 0).fill_null(False) for c in ("salary", "allowances")}
    pay, extra = typed["salary"], typed["allowances"]
    # A filled-in cell that did not become a number is malformed, or a number past Int64; the
    # (rare) second is told apart only where the first is suspected, off the common path.
    suspect = {c: given[c] & typed[c].is_null() for c in given}
    huge = {c: suspect[c] & frame.select(_vnd_form(pl.col(c)).fill_null(False))[c]
            if suspect[c].any() else suspect[c] for c in given}
    minus = {c: huge[c] & frame[c].str.starts_with("-").fill_null(False)
             if huge[c].any() else huge[c] for c in given}
    checks = [
        (
            "personal_id",
            frame["personal_id"].is_null()
            | ~frame["personal_id"].str.contains(r"^[0-9]{12}$|^[0-9]{10,11}$|" + _SCIENTIFIC)
            .fill_null(False),
            "must be the 12-digit personal ID number",
        ),
        (
            # Excel shows a long number in a General column as 1.08901E+11, and saves it so
            # in CSV: the digits past the sixth are gone from the file.
            "personal_id",
            frame["personal_id"].str.contains(_SCIENTIFIC).fill_null(False),
            "must be the 12-digit personal ID number: it is written in scientific notation, "
            "as a spreadsheet shows a long number, and its last digits are lost; format the "
            "column as text and write the IDs again",
        ),
        (
            # IDs begin with a province code 001-096: a spreadsheet that took the column for
            # numbers wrote them without their leading zeros.
            "personal_id",
            frame["personal_id"].str.contains(r"^[0-9]{11}$").fill_null(False),
            "must be the 12-digit personal ID number: its leading zeros look dropped, as a "
            "spreadsheet does to a column of numbers; format the column as text",
        ),
        (
            # Ten digits are a legacy SI code (a file giving the ma_so_bhxh column alone) or an
            # ID of province 001-009 that lost two zeros. The registry could tell which, but a
            # unit may learn of a person only from its own workers' records: the reason names
            # both readings and looks up neither.
            "personal_id",
            frame["personal_id"].str.contains(r"^[0-9]{10}$").fill_null(False),
            "must be the 12-digit personal ID number (số định danh), which names the worker "
            "since 1 August 2025: 10 digits are a legacy SI code (mã số BHXH), which may stay "
            "in a ma_so_bhxh column beside the ID, or an ID whose two leading zeros a "
            "spreadsheet dropped; write the ID and format the column as text",
        ),
        (
            # The legacy SI code beside the personal ID (or the personal ID again, as software
            # of the transition fills both); whose code it is, the registry says
            # (``staged_checks``).
            "si_code",
            frame["si_code"].is_not_null()
            & ~frame["si_code"].str.contains(r"^[0-9]{10}$").fill_null(False)
            & (frame["si_code"] != frame["personal_id"]).fill_null(True),
            "must be the 10-digit SI code (mã số BHXH) of the person of the row's personal_id, "
            "written as text (a spreadsheet drops a number's leading zeros)",
        ),
        (
            "case_code",
            ~typed["case_code"].is_in(list(CASE_CODES)).fill_null(False),
            f"unknown case code; use one of {', '.join(CASE_CODES)}",
        ),
        (
            "salary",
            typed["case_code"].is_in(_NEEDS_PAY).fill_null(False) & ~given["salary"],
            "required for increases and adjustments, as a whole number of VND",
        ),
        ("salary", suspect["salary"] & ~huge["salary"], "must be a whole number of VND"),
        ("salary", (pay <= 0).fill_null(False) | minus["salary"],
         "must be more than 0"),
        (
            "salary",
            (pay > MAX_SALARY).fill_null(False) | (huge["salary"] & ~minus["salary"]),
            f"above {MAX_SALARY:,} VND a month: not a plausible salary",
        ),
        ("allowances", suspect["allowances"] & ~huge["allowances"],
         "must be a whole number of VND"),
        ("allowances", (extra < 0).fill_null(False) | minus["allowances"],
         "must not be negative"),
        (
            "allowances",
            (extra > MAX_SALARY).fill_null(False) | (huge["allowances"] & ~minus["allowances"]),
            f"above {MAX_SALARY:,} VND a month: not plausible allowances",
        ),
        (
            "allowances",  # each within the bound (so the sum cannot overflow), together above it
            ((pay + extra > MAX_SALARY) & (pay <= MAX_SALARY) & (extra <= MAX_SALARY)).fill_null(
                False
            ),
            f"salary plus allowances above {MAX_SALARY:,} VND a month: not plausible",
        ),
        (
            "job_title",
            (frame["job_title"].str.len_chars() > JOB_TITLE_MAX).fill_null(False),
            f"longer than {JOB_TITLE_MAX} characters",
        ),
        (
            "job_title",  # as the registry refuses in names: a line break breaks every form
            frame["job_title"].str.contains(r"[\p{Cc}\p{Cf}]").fill_null(False),
            "must not contain control characters (line breaks, tabs, ...)",
        ),
        (
            "full_name",
            (frame["full_name"].str.len_chars() > FULL_NAME_MAX).fill_null(False),
            f"longer than {FULL_NAME_MAX} characters",
        ),
        (
            "full_name",  # no registered name holds one; a NUL PostgreSQL refuses to compare
            frame["full_name"].str.contains(r"[\p{Cc}\p{Cf}]").fill_null(False),
            "must not contain control characters (line breaks, tabs, ...)",
        ),
        (
            "from_month",
            frame["from_month"].is_not_null() & typed["from_month"].is_null(),
            "must be a month as YYYY-MM, years 1900 to 2099",
        ),
        (
            "from_month",
            (typed["from_month"] > month.index).fill_null(False),
            f"is after the declared month {month}",
        ),
    ]
    problems: list[Problem] = []
    rows = frame["row"]
    for field, mask, reason in checks:
        for row in rows.filter(mask).to_list():
            problems.append(Problem(field=field, reason=reason, row=row))
    return typed.select(list(TYPED)).cast(TYPED), problems  # type: ignore[arg-type]
