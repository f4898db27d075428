"""Column-wise checks of a declaration frame: shape, types and ranges, with row and field named.

Runs on Polars frames (no per-row Python), so a 100,000-line filing is checked in milliseconds.
Checks that need the database (unknown person, overlapping periods, ...) are in ``staging``.
"""

from __future__ import annotations

import polars as pl

from sibook.contributions.domain import ADJUSTMENTS, CASE_CODES, INCREASES, MAX_SALARY
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
}
_NEEDS_PAY = sorted({*INCREASES, *ADJUSTMENTS})


def check_frame(frame: pl.DataFrame, month: Period) -> tuple[pl.DataFrame, list[Problem]]:
    """The frame typed (TYPED columns) and every shape problem found in it."""
    code = pl.col("case_code").str.to_uppercase()
    salary = pl.col("salary").str.replace_all(r"[ ,._]", "").cast(pl.Int64, strict=False)
    allowances = pl.col("allowances").str.replace_all(r"[ ,._]", "").cast(pl.Int64, strict=False)
    fm = pl.col("from_month")
    fm_ok = fm.str.contains(MONTH_PATTERN)
    from_index = (
        pl.when(fm.is_null())
        .then(pl.lit(month.index))
        .when(fm_ok)
        .then(fm.str.slice(0, 4).cast(pl.Int32) * 12 + fm.str.slice(5, 2).cast(pl.Int32) - 1)
    )
    typed = frame.with_columns(
        case_code=code, salary=salary, allowances=allowances, from_month=from_index.cast(pl.Int32)
    )
    checks = [
        (
            "personal_id",
            frame["personal_id"].is_null()
            | ~frame["personal_id"].str.contains(r"^\d{12}$").fill_null(False),
            "must be the 12-digit personal ID number",
        ),
        (
            "case_code",
            ~typed["case_code"].is_in(list(CASE_CODES)).fill_null(False),
            f"unknown case code; use one of {', '.join(CASE_CODES)}",
        ),
        (
            "salary",
            typed["case_code"].is_in(_NEEDS_PAY).fill_null(False) & typed["salary"].is_null(),
            "required for increases and adjustments, as a whole number of VND",
        ),
        (
            "salary",
            frame["salary"].is_not_null() & typed["salary"].is_null(),
            "must be a whole number of VND",
        ),
        ("salary", (typed["salary"] <= 0).fill_null(False), "must be more than 0"),
        (
            "salary",
            (typed["salary"] > MAX_SALARY).fill_null(False),
            f"above {MAX_SALARY:,} VND a month: not a plausible salary",
        ),
        (
            "allowances",
            frame["allowances"].is_not_null() & typed["allowances"].is_null(),
            "must be a whole number of VND",
        ),
        ("allowances", (typed["allowances"] < 0).fill_null(False), "must not be negative"),
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
