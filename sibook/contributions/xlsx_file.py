"""Reading a D02 file in XLSX: the first sheet, streamed by read-only openpyxl, cells shown as
Excel shows them (15 significant digits, a month typed as a date)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime, time
from pathlib import Path

import polars as pl

from sibook.contributions.domain import COLUMNS, REQUIRED
from sibook.contributions.file_columns import (
    CHUNK_ROWS,
    MAX_COLUMNS,
    Source,
    canonical,
    column_name,
    header,
)
from sibook.core.errors import ValidationError

# Excel's last row. openpyxl yields a blank row for each missing one, so a row numbered far past
# it would be a stall made of a few bytes.
SHEET_ROWS = 1_048_576
EXCEL_DIGITS = 15  # significant digits of a number in Excel; the stored double has a few more



def read_xlsx(source: Source) -> Iterator[pl.DataFrame]:
    rows = _sheet_rows(source)
    texts = ((n, ["" if v is None else str(v) for v in values]) for n, values in rows)
    first, names = next(((n, t) for n, t in texts if any(c.strip() for c in t)), (0, []))
    if not names:
        raise ValidationError(field="file", reason="the first sheet is empty")
    # Rows are read MAX_COLUMNS + 1 wide: the header ends at its last title.
    while not names[-1].strip():
        names.pop()
    if not set(REQUIRED) <= {column_name(n) for n in names}:
        raise ValidationError(
            field="header",
            row=first,
            reason="the first non-empty row must be the column names: "
            f"{', '.join(REQUIRED)}, and optionally "
            f"{', '.join(c for c in COLUMNS if c not in REQUIRED)}",
        )
    columns = header(names, row=first)
    chunk: list[tuple[int, tuple[object, ...]]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK_ROWS:
            yield from _sheet_frame(chunk, columns)
            chunk = []
    yield from _sheet_frame(chunk, columns)


def _sheet_rows(source: Source) -> Iterator[tuple[int, tuple[object, ...]]]:
    """The first sheet's rows numbered as in the sheet (read-only openpyxl yields a blank tuple
    for every missing row), each MAX_COLUMNS + 1 cells wide: one cell far to the right would
    otherwise widen every row after it. Cells further right are not read.

    openpyxl reads a part or a cell only when it reaches it, so a broken one raises anywhere in
    the sheet: a refusal naming the last row read.
    """
    from openpyxl import load_workbook  # type: ignore[import-untyped]  # no stubs shipped

    n = 0
    try:
        book = load_workbook(
            source if isinstance(source, Path) else io.BytesIO(source),
            read_only=True,
            data_only=True,
        )
        if not book.worksheets:
            raise ValueError("it has no worksheet")  # refused below, like openpyxl's errors
        sheet = book.worksheets[0]
        # The size the file states is not trusted: openpyxl drops the rows past it.
        sheet.reset_dimensions()
        for n, values in enumerate(
            sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True), start=1
        ):
            if n > SHEET_ROWS:
                break
            yield n, values
    except Exception as exc:  # openpyxl raises many kinds (zip, XML, cell values)
        after = f" (after row {n})" if n else ""
        raise ValidationError(
            field="file", reason=f"not a readable XLSX workbook: {exc}{after}"
        ) from exc
    if n > SHEET_ROWS:
        raise ValidationError(
            field="file", row=n, reason=f"a sheet has at most {SHEET_ROWS:,} rows"
        )


def _sheet_frame(
    chunk: list[tuple[int, tuple[object, ...]]], columns: dict[str, int]
) -> Iterator[pl.DataFrame]:
    data: dict[str, list[object]] = {"row": [n for n, _ in chunk]}
    for at in columns.values():
        data[f"c{at}"] = [None if v[at] is None else _cell(v[at]) for _, v in chunk]
    frame = pl.DataFrame(data, schema={c: pl.Int64 if c == "row" else pl.String for c in data})
    frame = canonical(frame.lazy(), columns).collect()
    if frame.height:
        yield frame


def _cell(v: object) -> str:
    if isinstance(v, float) and (shown := float(f"{v:.{EXCEL_DIGITS}g}")).is_integer():
        # Excel stores 10000000 as 10000000.0, and a computed 15000000 * 1.1 as
        # 16500000.000000002: it shows and computes with 15 significant digits, so the clerk
        # sees 16,500,000 and that is the amount (a real fraction, 16500000.5, stays one).
        return str(int(shown))
    if isinstance(v, datetime) and v.time() == time():
        # Excel turns 2026-11 typed into a cell into the date 2026-11-01: that month. Any
        # other day stays a day, which a month column refuses on its row.
        return f"{v:%Y-%m}" if v.day == 1 else f"{v:%Y-%m-%d}"
    return str(v)
