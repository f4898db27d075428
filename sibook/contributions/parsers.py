"""One parser per format (CSV, XLSX, JSON) into one frame of canonical string columns.

Every value stays a string here: typing and range checks happen column-wise in ``validate``, so
a bad cell becomes a named problem rather than a parser crash. ``row`` is the line a person sees
in the file (header = row 1 for CSV; the sheet's own row number for XLSX; the first object =
row 1 for JSON). Blank lines are skipped without renumbering the others. (A CSV cell quoted
across lines makes its record one row: Polars numbers records, not physical lines.)

Only the known columns (COLUMNS, by name or alias) are read; cells under any other column
(notes, a row's ordinal number) are ignored, and a row with nothing in the known ones is blank.
Whatever a parser raises on a broken or hostile file becomes a refusal saying why.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, time
from pathlib import Path
from typing import IO

import polars as pl

from sibook.contributions.domain import ALIASES, COLUMNS, REQUIRED, SI_CODE_ALIAS
from sibook.core.errors import Problem, ValidationError

FORMATS = ("csv", "xlsx", "json")
CHUNK_ROWS = 200_000  # memory stays flat in file size: frames of this many rows at a time
# Payroll exports of D02-LT carry a few dozen columns; far more is not a declaration. The cap
# bounds the work per column done while the filing holds the employer's lock (when every column
# was checked for blanks, Polars took 27 s over 2,000 and over 15 minutes over 30,000).
MAX_COLUMNS = 100
HEADER_CHARS = 65_536  # a CSV header is read at most this far: far beyond 100 column names
# Excel's last row. openpyxl yields a blank row for each missing one, so a row numbered far past
# it would be a stall made of a few bytes.
SHEET_ROWS = 1_048_576
EXCEL_DIGITS = 15  # significant digits of a number in Excel; the stored double has a few more


def detect_format(name: str) -> str:
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValidationError(
            field="file", reason=f"unknown format .{suffix}; use CSV, XLSX or JSON"
        )
    return suffix


Source = bytes | Path


def read_frames(source: Source, fmt: str) -> Iterator[pl.DataFrame]:
    """Frames of at most CHUNK_ROWS rows with columns ``row`` + COLUMNS (all strings).

    A CSV or XLSX file given as a path is streamed: memory stays flat in the file's size.
    A JSON filing is read whole (it is meant for short lists; large ones come as CSV).
    """
    if fmt == "csv":
        yield from _csv(source)
    elif fmt == "xlsx":
        yield from _xlsx(source)
    elif fmt == "json":
        yield from _json(_bytes(source))
    else:
        raise ValidationError(field="file", reason=f"unknown format {fmt!r}; use csv, xlsx or json")


def _name(cell: str) -> str:
    """The canonical column a header cell names. Case, spaces, hyphens and Vietnamese
    diacritics aside, as a clerk types them in Excel (``Từ tháng`` is tu_thang, ``From Month``
    from_month): a column not recognised is ignored, so a retroactive month or the allowances
    would otherwise be dropped without a word."""
    name = _bare(cell)
    return ALIASES.get(name, name)


def _bare(cell: str) -> str:
    """A header cell as written, without case, spacing, hyphens or diacritics."""
    letters = unicodedata.normalize("NFD", cell.strip().lower().replace("đ", "d"))
    bare = "".join(c for c in letters if not unicodedata.combining(c))
    return "_".join(re.split(r"[\s_-]+", bare))


def _header(names: list[str], row: int = 1) -> dict[str, int]:
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
        column = _name(cell)
        if column not in COLUMNS:
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


def _legacy_of(names: list[str], first: int, second: int) -> int | None:
    """Which of two personal-ID columns is the legacy SI code's, if one is and the other
    is not."""
    legacy = [at for at in (first, second) if _bare(names[at]) == SI_CODE_ALIAS]
    return legacy[0] if len(legacy) == 1 else None


def _canonical(frame: pl.LazyFrame, columns: dict[str, int]) -> pl.LazyFrame:
    """Rows blank in every known column dropped (their numbers are kept by the others), then
    ``row`` + COLUMNS, stripped, a blank cell null. ``frame`` has ``row`` and raw columns
    ``c<position>``; only those of ``columns`` are read.

    A blank cell is an empty one however it is written: unquoted, quoted (``""``, as exports
    quoting every field write it), spaces, or ``""`` in JSON.
    """
    stripped = {c: pl.col(f"c{at}").str.strip_chars() for c, at in columns.items()}
    cells = {c: pl.when(v.str.len_bytes() > 0).then(v) for c, v in stripped.items()}
    filled = pl.any_horizontal([v.is_not_null() for v in cells.values()])
    missing = pl.lit(None, dtype=pl.String)
    return frame.filter(filled).select(
        pl.col("row").cast(pl.Int64), *[cells.get(c, missing).alias(c) for c in COLUMNS]
    )


def _bytes(source: Source) -> bytes:
    return source.read_bytes() if isinstance(source, Path) else source


def _open(source: Source) -> IO[str]:
    raw = source.open("rb") if isinstance(source, Path) else io.BytesIO(source)
    # utf-8-sig: spreadsheet programs put a byte-order mark before the first column name
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def _csv(source: Source) -> Iterator[pl.DataFrame]:
    names, eol = _csv_header(source)
    columns = _header(names)
    scan = pl.scan_csv(
        source if isinstance(source, Path) else io.BytesIO(source),
        schema={f"c{at}": pl.String for at in range(len(names))},
        encoding="utf8",
        eol_char=eol,
        row_index_name="row",
        row_index_offset=2,  # the header is row 1; Polars counts blank lines, as we want
    )
    lines = 0
    counts = _field_counts(source)
    try:
        for frame in _canonical(scan, columns).collect_batches(chunk_size=CHUNK_ROWS):
            lines += frame.height
            if short := _short_rows(frame, columns, counts, len(names)):
                raise ValidationError(short)
            if frame.height:
                yield frame
    except pl.exceptions.PolarsError as exc:
        # Polars names neither the row nor the count; find the ragged rows to say which.
        unreadable = Problem(field="file", reason=f"not a readable UTF-8 CSV: {exc}")
        raise ValidationError(
            _ragged(source, len(names)) or _not_utf8(source) or _unclosed_quote(source)
            or [unreadable]
        ) from exc
    if lines == 0:
        raise ValidationError(field="file", reason="the CSV has no lines under its header")


def _csv_header(source: Source) -> tuple[list[str], str]:
    """The header's cells, and the line end Polars must be told: it ends lines at LF (and CRLF)
    only, so a file whose lines end in CR alone (old Mac exports) would be one line to it.

    The header is read here, not by Polars, which renames a repeated column (salary,
    salary_duplicated_0) instead of saying so; Polars then reads the cells by position.
    """
    lines: list[str] = []
    try:
        with _open(source) as text:
            names = next(csv.reader(_header_lines(text, lines)), [])
    except (UnicodeDecodeError, csv.Error) as exc:
        unreadable = Problem(field="file", reason=f"not a readable UTF-8 CSV: {exc}")
        raise ValidationError(_not_utf8(source) or [unreadable]) from exc
    if not names and lines:
        raise ValidationError(field="header", row=1, reason="is a blank line; the first line "
                              "must be the column names")
    if not names:
        raise ValidationError(field="file", reason="the CSV is empty")
    # Excel where the decimal mark is a comma (Vietnamese Windows) saves CSV with semicolons:
    # the header is then one column, and "personal_id is missing" would puzzle whoever sees it.
    if len(names) == 1 and (mark := next((m for m in ";\t|" if m in names[0]), None)):
        raise ValidationError(field="header", row=1, reason=f"the columns are separated by "
                              f"{mark!r}, not commas: save the file as CSV UTF-8 (comma "
                              "delimited)")
    return names, "\r" if lines[-1].endswith("\r") else "\n"


def _header_lines(text: IO[str], lines: list[str]) -> Iterator[str]:
    """``text``'s lines, each with its own end and kept in ``lines`` (a quoted column name may
    span several); a header longer than HEADER_CHARS is refused before more is read."""
    left = HEADER_CHARS
    while line := text.readline(left + 1):
        if len(line) > left:
            raise ValidationError(
                field="header", row=1, reason=f"is longer than {HEADER_CHARS:,} characters"
            )
        left -= len(line)
        lines.append(line)
        yield line


def _short_rows(
    frame: pl.DataFrame, columns: dict[str, int], counts: Iterator[tuple[int, int]], width: int
) -> list[Problem]:
    """The frame's rows that end before the last column the filing reads: a row cut short is
    refused, not read as blanks (which would file a retroactive line from the declared month).
    Polars reads a missing cell as an empty one, so the rows blank in that column are counted
    again by ``csv``, off the common path; a row may stop before columns the filing ignores.
    """
    last = max(columns, key=columns.__getitem__)
    problems: list[Problem] = []
    for row in frame.filter(pl.col(last).is_null())["row"].to_list():
        for n, count in counts:
            if n == row:
                if count <= columns[last]:
                    lacks = min((at, c) for c, at in columns.items() if at >= count)[1]
                    problems.append(Problem(field=lacks, row=row, reason=f"has no cell: the row "
                                            f"has {count} fields, the header has {width}"))
                break
    return problems


def _field_counts(source: Source) -> Iterator[tuple[int, int]]:
    """(row, number of fields) of each CSV record, the header being row 1; opened only once
    asked for."""
    try:
        with _open(source) as text:
            yield from ((n, len(r)) for n, r in enumerate(csv.reader(text), start=1))
    except (UnicodeDecodeError, csv.Error):
        return  # Polars read the rows asked about: a record past them is not ours to judge


def _not_utf8(source: Source) -> list[Problem]:
    """The first line that is not UTF-8 (a file saved as Windows-1258, UTF-16, ...), by its
    number in the file: a second pass, only for a refused file. No UTF-8 character holds the
    byte of a line end, so the bytes split into lines as the text would."""
    with source.open("rb") if isinstance(source, Path) else io.BytesIO(source) as raw:
        for n, line in enumerate(raw, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                return [Problem(field="file", row=n, reason=f"line {n} is not UTF-8 text "
                                f"(byte {line[exc.start]:#04x}); save the file as CSV UTF-8")]
    return []


def _unclosed_quote(source: Source) -> list[Problem]:
    """The row whose quoted cell runs to the end of the file (its closing quote lost), which
    Polars reports as a cell it cannot parse, with advice on its own settings."""
    rows = 0
    try:
        with _open(source) as text:
            for _ in csv.reader(text, strict=True):
                rows += 1
    except csv.Error as exc:
        if str(exc) == "unexpected end of data":
            return [Problem(field="file", row=rows + 1, reason="a quoted cell opened on this row "
                            'is never closed (a " is missing)')]
    except UnicodeDecodeError:
        pass
    return []


def _ragged(source: Source, width: int) -> list[Problem]:
    """The rows with more fields than the header: a second pass, only for a refused file."""
    try:
        with _open(source) as text:
            return [
                Problem(field="file", reason=f"has {len(r)} fields, the header has {width}", row=n)
                for n, r in enumerate(csv.reader(text), start=1)
                if len(r) > width
            ]
    except (UnicodeDecodeError, csv.Error):
        return []


def _xlsx(source: Source) -> Iterator[pl.DataFrame]:
    rows = _sheet_rows(source)
    texts = ((n, ["" if v is None else str(v) for v in values]) for n, values in rows)
    first, names = next(((n, t) for n, t in texts if any(c.strip() for c in t)), (0, []))
    if not names:
        raise ValidationError(field="file", reason="the first sheet is empty")
    # Rows are read MAX_COLUMNS + 1 wide: the header ends at its last title.
    while not names[-1].strip():
        names.pop()
    if not set(REQUIRED) <= {_name(n) for n in names}:
        raise ValidationError(
            field="header",
            row=first,
            reason="the first non-empty row must be the column names: "
            f"{', '.join(REQUIRED)}, and optionally "
            f"{', '.join(c for c in COLUMNS if c not in REQUIRED)}",
        )
    columns = _header(names, row=first)
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
    frame = _canonical(frame.lazy(), columns).collect()
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


class _Object(dict[str, object]):
    """A JSON object that keeps the names of the keys it was given more than once (a plain
    dict keeps the last value without a word)."""

    def __init__(self, pairs: list[tuple[str, object]]) -> None:
        super().__init__(pairs)
        self.repeated = sorted(k for k, n in Counter(k for k, _ in pairs).items() if n > 1)


def _repeated_keys(lines: list[dict[str, object]]) -> list[Problem]:
    """A key given twice in one line is refused, as a column given twice: either value could
    be the one the employer meant."""
    return [
        Problem(field=_name(key), reason=f"the key {key} appears twice", row=n)
        for n, line in enumerate(lines, start=1)
        for key in getattr(line, "repeated", [])
        if _name(key) in COLUMNS
    ]


def _json(data: bytes) -> Iterator[pl.DataFrame]:
    try:
        # Integers stay text, as every cell here: one longer than the 4,300 digits int() takes
        # is then a bad cell on its row, not a crash.
        # utf-8-sig: Notepad and PowerShell write a byte-order mark, as spreadsheets in CSV
        doc = json.loads(data.decode("utf-8-sig"), parse_int=str, object_pairs_hook=_Object)
    except UnicodeDecodeError as exc:
        raise ValidationError(field="file", reason=f"not UTF-8 text: {exc}") from exc
    except json.JSONDecodeError as exc:  # its message names the line and column
        raise ValidationError(field="file", reason=f"not valid JSON: {exc}") from exc
    except RecursionError as exc:  # the decoder recurses once per level of nesting
        raise ValidationError(
            field="file", reason="not a declaration: JSON nested too deeply"
        ) from exc
    if "lines" in getattr(doc, "repeated", []):  # which list is the filing? either could be
        raise ValidationError(field="file", reason="the key lines appears twice")
    lines = doc.get("lines") if isinstance(doc, dict) else doc
    if not isinstance(lines, list) or not all(isinstance(x, dict) for x in lines):
        raise ValidationError(
            field="file", reason='expected a list of objects, or {"lines": [...]}'
        )
    if not lines:
        return  # no lines: ``declare`` says so
    if repeated := _repeated_keys(lines):
        raise ValidationError(repeated)
    names = sorted({str(k) for line in lines for k in line})
    columns = _header(names)
    raw = {
        f"c{at}": [None if (v := line.get(names[at])) is None else str(v) for line in lines]
        for at in columns.values()
    }
    frame = pl.DataFrame(
        {"row": range(1, len(lines) + 1), **raw},
        schema={"row": pl.Int64, **{c: pl.String for c in raw}},
    )
    yield _canonical(frame.lazy(), columns).collect()
