"""The columns of a D02 file, whatever its format: a header cell's canonical column (case,
spacing, hyphens and Vietnamese diacritics aside; aliases of payroll software), the header's
checks (a column given twice, one missing, too many), and the frame of canonical string
columns every format's reader ends in (``canonical``)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import polars as pl

from sibook.contributions.domain import ALIASES, COLUMNS, REQUIRED, SI_CODE_ALIAS
from sibook.core.errors import Problem, ValidationError

Source = bytes | Path
CHUNK_ROWS = 200_000  # memory stays flat in file size: frames of this many rows at a time
# Payroll exports of D02-LT carry a few dozen columns; far more is not a declaration. The cap
# bounds the work per column done while the filing holds the employer's lock (when every column
# was checked for blanks, Polars took 27 s over 2,000 and over 15 minutes over 30,000).
MAX_COLUMNS = 100



def column_name(cell: str) -> str:
    """The canonical column a header cell names. Case, spaces, hyphens and Vietnamese
    diacritics aside, as a clerk types them in Excel (``Từ tháng`` is tu_thang, ``From Month``
    from_month): a column not recognised is ignored, so a retroactive month or the allowances
    would otherwise be dropped without a word."""
    name = bare(cell)
    return ALIASES.get(name, name)


def bare(cell: str) -> str:
    """A header cell as written, without case, spacing, hyphens or diacritics."""
    letters = unicodedata.normalize("NFD", cell.strip().lower().replace("đ", "d"))
    bare = "".join(c for c in letters if not unicodedata.combining(c))
    return "_".join(re.split(r"[\s_-]+", bare))


def header(names: list[str], row: int = 1) -> dict[str, int]:
    """The position of each canonical column found in the header.

    Unknown and untitled columns are left out. A column given twice is refused, not resolved:
    either copy could be the one the employer meant, and a guess would file the wrong pay.
    The one exception: the legacy SI code's column beside a personal-ID column is the SI code
    (``SI_CODE_ALIAS``), as files of the transition carry both.
    """
    if len(names) > MAX_COLUMNS:
        raise ValidationError(
            field="header",
            row=row,
            reason=f"has more than {MAX_COLUMNS} columns (blank ones count too); "
            "a declaration has a few dozen",
        )
    found: dict[str, int] = {}
    problems: list[Problem] = []
    for at, cell in enumerate(names):
        column = column_name(cell)
        if column not in COLUMNS:
            if like := _looks_like(bare(cell)):
                problems.append(Problem(field=like, row=row, reason=(
                    f"the column {cell.strip()} is not read, though its name looks like "
                    f"{like}'s: the filing reads one {like} column, {_SAID[like]}; give it "
                    f"under the name {like} and delete the others")))
            continue
        if column == "personal_id" and column in found and "si_code" not in found and \
                (legacy := _legacy_of(names, found[column], at)) is not None:
            # the personal ID is the other of the two
            found["si_code"], found[column] = legacy, found[column] + at - legacy
        elif column in found:
            first, again = names[found[column]].strip(), cell.strip()
            also = f" (as {first} and {again})" if first != again else ""
            problems.append(
                Problem(field=column, reason=f"the column {column} appears twice{also}", row=row)
            )
        else:
            found[column] = at
    problems += [
        Problem(field=c, reason="required column is missing", row=row)
        for c in REQUIRED
        if c not in found
    ]
    if problems:
        raise ValidationError(problems)
    return found


# The columns whose amount or month a column left unread would change without a word: payroll
# sheets split allowances (phụ cấp chức vụ, phụ cấp thâm niên, ...) or give the old pay beside
# the new (mức lương cũ), and a month column may be titled "Từ tháng/năm".
_SAID = {
    "salary": "the whole salary of the month, in VND",
    "allowances": "the sum of every allowance contributions are paid on, in VND",
    "from_month": "the month the line takes effect, YYYY-MM",
}
_NAMES = {name: c for name, c in [*ALIASES.items(), *((c, c) for c in COLUMNS)] if c in _SAID}


def _looks_like(name: str) -> str | None:
    """The money or month column a header cell not recognised looks like (its name begins as
    that column's, or is its singular), if any: such a column is refused, not ignored."""
    for known, column in _NAMES.items():
        if name.startswith((f"{known}_", f"{known}/", f"{known}(")) or \
                known == f"{name}s":
            return column
    return None


def not_the_header(row: int, first: str = "row", *, sheet: str = "") -> ValidationError:
    """The refusal of a file whose first line (XLSX: non-empty row) names no column the filing
    needs: a title above the table, as official templates and payroll exports put there."""
    return ValidationError(field="header", row=row, reason=(
        f"the first {first} must be the column names: {', '.join(REQUIRED)}, and optionally "
        f"{', '.join(c for c in COLUMNS if c not in REQUIRED)}; delete any title above them"
        + sheet))


def _legacy_of(names: list[str], first: int, second: int) -> int | None:
    """Which of two personal-ID columns is the legacy SI code's, if one is and the other
    is not."""
    legacy = [at for at in (first, second) if bare(names[at]) == SI_CODE_ALIAS]
    return legacy[0] if len(legacy) == 1 else None


def canonical(frame: pl.LazyFrame, columns: dict[str, int]) -> pl.LazyFrame:
    """Rows blank in every known column dropped (their numbers are kept by the others), then
    ``row`` + COLUMNS, stripped, in Unicode's composed form (NFC), a blank cell null.
    ``frame`` has ``row`` and raw columns ``c<position>``; only those of ``columns`` are read.

    A blank cell is an empty one however it is written: unquoted, quoted (``""``, as exports
    quoting every field write it), spaces, or ``""`` in JSON.
    """
    # NFC: a keyboard or a Mac's file may write Vietnamese decomposed (e + combining marks);
    # stored so, a job title would not equal the same title typed elsewhere.
    stripped = {c: pl.col(f"c{at}").str.strip_chars().str.normalize("NFC")
                for c, at in columns.items()}
    cells = {c: pl.when(v.str.len_bytes() > 0).then(v) for c, v in stripped.items()}
    filled = pl.any_horizontal([v.is_not_null() for v in cells.values()])
    missing = pl.lit(None, dtype=pl.String)
    return frame.filter(filled).select(
        pl.col("row").cast(pl.Int64), *[cells.get(c, missing).alias(c) for c in COLUMNS]
    )
