"""Reading a D02 file in XLSX: the first visible sheet, streamed by read-only openpyxl, cells
shown as Excel shows them (15 significant digits, a month typed as a date); what the sheet holds
but does not show (a hidden row or column, a merged cell's covered part) is refused, not read."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, time
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

from sibook.contributions.domain import REQUIRED
from sibook.contributions.file_columns import (
    CHUNK_ROWS,
    MAX_COLUMNS,
    Source,
    canonical,
    column_name,
    header,
    not_the_header,
)
from sibook.core.errors import Problem, ValidationError, capped

# Excel's last row. openpyxl yields a blank row for each missing one, so a row numbered far past
# it would be a stall made of a few bytes.
SHEET_ROWS = 1_048_576
# A workbook's parts are compressed: a few hundred kilobytes can unpack to gigabytes, which
# openpyxl reads into memory when they are one cell or the shared strings (a 394 KB file of one
# 400 MB cell took 5 GB and minutes). A real sheet of a declaration's rows packs 5-15 times.
UNPACKED_FLOOR = 16 * 1024 * 1024  # any workbook may unpack to this much
UNPACKED_RATIO = 100  # past the floor, at most this many times the file's own size
CONTENT_TYPES = "[Content_Types].xml"  # the part every Office Open XML file begins with
# Rows of Python objects per frame: a quarter of a CSV's Polars chunk, as openpyxl's rows take
# several times the memory (300,000 rows read in 190 MB, not 340 MB).
SHEET_CHUNK = CHUNK_ROWS // 4
EXCEL_DIGITS = 15  # significant digits of a number in Excel; the stored double has a few more



def read_xlsx(source: Source) -> Iterator[pl.DataFrame]:
    """The sheet's frames; a cell the filing reads that holds no value of its own
    (``Unreadable``), a hidden row or column it would read and a merged range over its cells
    are refused by row and column, every such one of the sheet at once, once the sheet is
    read."""
    sheet = Sheet()
    rows = _sheet_rows(source, sheet)
    # The header is the first row shown: one hidden above it (notes of a template) is no part
    # of the table.
    first, names, _ = next(((n, v, h) for n, v, h in rows
                            if not h and any(_text(c).strip() for c in v)), (0, (), False))
    if not names:
        raise ValidationError(field="file", reason=f"the first sheet{sheet.named} is empty: the "
                              "list is read from the workbook's first sheet only; move it there")
    if unreadable := [Problem(field="header", row=first, reason=c.reason(_ref(first, at)))
                      for at, c in enumerate(names) if isinstance(c, Unreadable)]:
        raise ValidationError(unreadable)
    titles = [_text(c) for c in names]
    # Rows are read MAX_COLUMNS + 1 wide: the header ends at its last title.
    while not titles[-1].strip():
        titles.pop()
    if not set(REQUIRED) <= {column_name(n) for n in titles}:
        raise not_the_header(first, "non-empty row", sheet=(
            f" (the list is read from the first sheet{sheet.named} only)" if sheet.others else ""))
    columns = header(titles, row=first)
    unseen = [Problem(field=c, row=first, reason=f"column {_ref(first, at)[:-len(str(first))]} "
                      f"({titles[at].strip()}) is hidden: the filing would read it though the "
                      "sheet does not show it; show the column (Unhide), or delete it")
              for c, at in columns.items() if at in sheet.hidden_columns]
    # A chunk keeps only the cells the filing reads, in the order of ``columns``, SHEET_CHUNK
    # rows at a time: rows of MAX_COLUMNS + 1 cells held CHUNK_ROWS at a time took 0.5 GB.
    chunk: list[tuple[int, tuple[object, ...]]] = []
    for n, values, hidden in rows:
        cells = tuple(values[at] for at in columns.values())
        if hidden and any(v is not None for v in cells):
            unseen.append(Problem(field="file", row=n, reason=HIDDEN_ROW))
        chunk.append((n, cells))
        if len(chunk) == SHEET_CHUNK:
            unseen += _unreadable(chunk, columns)
            yield from _sheet_frame(chunk, columns)
            chunk = []
    unseen += _unreadable(chunk, columns)
    yield from _sheet_frame(chunk, columns)
    unseen += _merged(sheet.merged, columns, first)
    unseen += [Problem(field="file", reason=(
        f"the sheet {name} holds a list too (its row {n} names the columns), which would not be "
        f"filed: only the first sheet, {sheet.name}, is read; file that list as its own file "
        "(another batch), or delete the sheet")) for name, n in sheet.lists]
    if unseen:
        raise ValidationError(capped(unseen))


HIDDEN_ROW = ("the row is hidden (by a filter or Hide): the filing would read it though the sheet "
              "does not show it; show it (clear the filter, Unhide), and delete it if it is not "
              "to be filed")


@dataclass
class Sheet:
    """What the sheet's file says beside its rows' cells, learnt as it is read: its name and
    how many other visible sheets there are, the hidden columns (0-based; stated before the
    rows) and the merged ranges (stated after them); then which other visible sheets hold a
    list of their own (a sheet of increases and one of decreases), by name and header row."""

    name: str = ""
    others: int = 0
    hidden_columns: set[int] = field(default_factory=set)
    merged: list[Any] = field(default_factory=list)  # openpyxl's MergeCell (a CellRange)
    lists: list[tuple[str, int]] = field(default_factory=list)  # other sheets' header rows

    @property
    def named(self) -> str:
        return f", {self.name}," if self.name else ""


def _merged(ranges: list[Any], columns: dict[str, int], first: int) -> list[Problem]:
    """The merged ranges that would be misread: the value a merged range shows is held by its
    first cell alone, so a cell it covers below the header in a column the filing reads would
    be read as empty (a month merged down over several workers would file the declared month
    for all but the first), and a column title merged across the columns beside it would read
    its first column alone (allowances under one title, the others dropped). A range over one
    row only from a column the filing ignores (a group's heading, "I. Tăng", across the row)
    covers nothing the filing would misread."""
    read = {at + 1: c for c, at in columns.items()}
    problems = []
    for cells in ranges:
        anchor = _ref(cells.min_row, cells.min_col - 1)
        spanned = [col for col in range(cells.min_col, min(cells.max_col, MAX_COLUMNS + 1) + 1)
                   if col in read]
        if cells.min_row <= first <= cells.max_row and cells.min_col in read and \
                cells.max_col > cells.min_col:
            problems.append(Problem(field=read[cells.min_col], row=first, reason=(
                f"cells {cells.coord} are merged: the column {read[cells.min_col]} is read from "
                f"{anchor[:-len(str(cells.min_row))]} alone, and the columns its title spans "
                "beside it not at all; unmerge the title, and give each column its own")))
            continue
        # the first cell the range covers, below the header, in a column the filing reads
        top = max(cells.min_row, first + 1)
        beside = [col for col in spanned if (top, col) != (cells.min_row, cells.min_col)]
        if beside and top <= cells.max_row:
            row, col = top, beside[0]
        elif spanned and top < cells.max_row:
            row, col = top + 1, spanned[0]
        else:
            continue
        if cells.max_row > cells.min_row or cells.min_col in read:
            problems.append(Problem(field=read[col], row=row, reason=(
                f"cells {cells.coord} are merged: their value is held by {anchor} alone, and "
                "the others would be read as empty; unmerge them and write the value in each "
                "cell")))
    return problems


def _text(value: object) -> str:
    return "" if value is None or isinstance(value, Unreadable) else str(value)


def _ref(row: int, at: int) -> str:
    """A cell's name as the spreadsheet shows it (D7), by its row and 0-based column."""
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    return f"{get_column_letter(at + 1)}{row}"


def _unreadable(chunk: list[tuple[int, tuple[object, ...]]],
                columns: dict[str, int]) -> list[Problem]:
    return [Problem(field=c, row=n, reason=cell.reason(_ref(n, at)))
            for n, v in chunk for i, (c, at) in enumerate(columns.items())
            if isinstance(cell := v[i], Unreadable)]


def _sheet_rows(source: Source, sheet: Sheet) -> Iterator[tuple[int, tuple[object, ...], bool]]:
    """The first visible sheet's rows that the file holds, numbered as in the sheet, each
    MAX_COLUMNS + 1 cells wide (one cell far to the right would otherwise widen every row after
    it; cells further right are not read), and whether the row is hidden. A cell whose value
    Excel would not show as typed is an ``Unreadable`` (``_cell_parser``). A hidden sheet is
    passed over: the clerk sees the first tab shown as the first sheet. ``sheet`` learns the
    rest the sheet's file says.

    openpyxl reads a part or a cell only when it reaches it, so a broken one raises anywhere in
    the sheet: a refusal naming the last row read.
    """
    from openpyxl import load_workbook  # type: ignore[import-untyped]  # no stubs shipped

    n = 0
    try:
        _not_a_bomb(source)
        book = load_workbook(
            source if isinstance(source, Path) else io.BytesIO(source),
            read_only=True,
            data_only=True,
        )
        shown = [ws for ws in book.worksheets if ws.sheet_state == "visible"]
        if not shown:  # refused below, as openpyxl's errors
            raise ValueError("every worksheet in it is hidden" if book.worksheets else
                             "it has no worksheet")
        sheet.name, sheet.others = shown[0].title, len(shown) - 1
        for n, values, hidden in _parsed_rows(book, shown[0], sheet):
            yield n, values, hidden
        sheet.lists = [(ws.title, n) for ws in shown[1:] if (n := _list_header(book, ws))]
    except ValidationError:
        raise
    except Exception as exc:  # openpyxl raises many kinds (zip, XML, cell values)
        if isinstance(exc, KeyError) and CONTENT_TYPES in str(exc):
            raise ValidationError(field="file", reason=(
                f"the file is a ZIP archive but not an XLSX workbook (it holds no "
                f"{CONTENT_TYPES}): save the list from the spreadsheet program as Excel "
                "Workbook (.xlsx)")) from exc
        after = f" (after row {n})" if n else ""
        raise ValidationError(
            field="file", reason=f"not a readable XLSX workbook: {exc}{after}"
        ) from exc


def _not_a_bomb(source: Source) -> None:
    """Refuse a workbook whose parts would unpack to more than a declaration's sheet holds. The
    sizes its ZIP directory states bound what is read: Python's ``zipfile`` reads no further."""
    packed = source.stat().st_size if isinstance(source, Path) else len(source)
    with zipfile.ZipFile(source if isinstance(source, Path) else io.BytesIO(source)) as archive:
        unpacked = sum(part.file_size for part in archive.infolist())
    if unpacked > max(UNPACKED_FLOOR, UNPACKED_RATIO * packed):
        raise ValidationError(field="file", reason=(
            f"the workbook unpacks to {unpacked:,} bytes from {packed:,}, more than "
            f"{UNPACKED_RATIO} times its size: no list of workers does; save it again from the "
            "spreadsheet program"))


def _parsed_rows(book: Any, ws: Any, sheet: Sheet
                 ) -> Iterator[tuple[int, tuple[object, ...], bool]]:
    """The rows as openpyxl's read-only sheet parses them, by ``_cell_parser``'s. Its own
    ``iter_rows`` cannot be given another parser, yields a blank row for every row number the
    file skips (a row numbered past a sheet's last would be a stall made of a few bytes), and
    drops a row numbered again without a word; here a row number not after the one before is
    refused."""
    last = 0
    with ws._get_source() as xml:
        parser = _cell_parser()(xml, ws._shared_strings, data_only=True, epoch=book.epoch,
                             date_formats=book._date_formats,
                             timedelta_formats=book._timedelta_formats)
        parser.zero_padded = _zero_padded(book)
        for n, cells in parser.parse():
            if n > SHEET_ROWS:
                raise ValidationError(
                    field="file", row=n, reason=f"a sheet has at most {SHEET_ROWS:,} rows"
                )
            if n <= last:
                raise ValidationError(field="file", row=n, reason=(
                    f"the sheet's row {n} comes after its row {last}: the workbook is damaged; "
                    "open it in a spreadsheet program and save it again"))
            if not last:  # the columns' widths and states come before the first row
                sheet.hidden_columns = _hidden_columns(parser.column_dimensions)
            last = n
            values: list[object] = [None] * (MAX_COLUMNS + 1)
            for cell in cells:
                if 1 <= cell["column"] <= MAX_COLUMNS + 1:
                    values[cell["column"] - 1] = cell["value"]
            yield n, tuple(values), parser.hidden
        if parser.merged_cells is not None:
            sheet.merged = list(parser.merged_cells.mergeCell)


def _list_header(book: Any, ws: Any) -> int:
    """The row of a sheet's header if its first non-empty row names the required columns
    (a list of its own), else 0."""
    for n, values, _ in _parsed_rows(book, ws, Sheet()):
        if titles := {column_name(_text(v)) for v in values if _text(v).strip()}:
            return n if set(REQUIRED) <= titles else 0
    return 0


def _zero_padded(book: Any) -> dict[int, int]:
    """The cell styles whose number format is all zeros (``000000000000``), by the digits they
    show: a column of personal IDs kept as numbers is so formatted to show the leading zeros a
    number has not, and Excel shows, and the clerk sees, 001089012345 for 1089012345."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS  # type: ignore[import-untyped]

    custom = list(book._number_formats)
    padded = {}
    for style, cell in enumerate(book._cell_styles):
        at = cell.numFmtId
        code = custom[at - 164] if 164 <= at < 164 + len(custom) else BUILTIN_FORMATS.get(at, "")
        if re.fullmatch("0+", code):
            padded[style] = len(code)
    return padded


def _hidden_columns(dimensions: dict[str, dict[str, str]]) -> set[int]:
    """The 0-based positions, among those read, of the columns the sheet hides."""
    return {at for d in dimensions.values() if d.get("hidden") in ("1", "true")
            for at in range(int(d["min"]) - 1, min(int(d["max"]), MAX_COLUMNS + 1))}


@dataclass(frozen=True)
class Unreadable:
    """A cell whose value the file does not hold: a formula never calculated (a workbook
    written by a program and never opened in a spreadsheet program reads as empty there), or
    one whose calculation failed (``#REF!``, ``#N/A``, ...), which would read as that text."""

    error: str | None = None

    def reason(self, cell: str) -> str:
        if self.error is None:
            return (f"cell {cell} holds a formula with no computed value (the workbook was "
                    "written by a program and never calculated): open it in a spreadsheet "
                    "program and save it, or write the value itself")
        return (f"cell {cell} holds the error {self.error}, a formula that failed: correct it "
                "in the spreadsheet")


@cache
def _cell_parser() -> type:
    """openpyxl's sheet parser, telling an ``Unreadable`` cell from an empty one or from text
    (imported when a workbook is read: most commands never read one)."""
    from openpyxl.worksheet._reader import (  # type: ignore[import-untyped]
        FORMULA_TAG,
        WorkSheetParser,
    )

    class CellParser(WorkSheetParser):  # type: ignore[misc]
        hidden = False  # whether the row parsed last is hidden
        zero_padded: dict[int, int] = {}  # ``_zero_padded``, set per sheet

        def parse_row(self, element: Any) -> tuple[int, list[dict[str, Any]]]:
            n, cells = super().parse_row(element)
            # openpyxl keeps every row's attributes (a height, a style) for good: a dict a row
            attributes = self.row_dimensions.pop(str(n), {})
            self.hidden = attributes.get("hidden") in ("1", "true")
            return n, cells

        def parse_cell(self, element: Any) -> dict[str, Any]:
            cell: dict[str, Any] = super().parse_cell(element)
            value = cell["value"]
            if cell["data_type"] == "e":
                cell["value"] = Unreadable(str(value))
            elif (width := self.zero_padded.get(cell["style_id"])) and (
                    isinstance(value, int) or isinstance(value, float) and value.is_integer()
            ) and value >= 0:  # 1e400 is a float, infinite: shown and refused as inf
                cell["value"] = str(int(value)).zfill(width)
            elif cell["value"] is None and element.find(FORMULA_TAG) is not None:
                cell["value"] = Unreadable()
            return cell

    return CellParser


def _sheet_frame(
    chunk: list[tuple[int, tuple[object, ...]]], columns: dict[str, int]
) -> Iterator[pl.DataFrame]:
    data: dict[str, list[object]] = {"row": [n for n, _ in chunk]}
    for i, at in enumerate(columns.values()):
        data[f"c{at}"] = [None if v[i] is None or isinstance(v[i], Unreadable) else _cell(v[i])
                          for _, v in chunk]
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
