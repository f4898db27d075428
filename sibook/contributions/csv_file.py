"""Reading a D02 file in CSV: streamed by Polars (header read by Python's ``csv``), and for a
refused file a second pass that says which row is at fault (cut short, too many fields, not
UTF-8, a quote never closed)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import polars as pl

from sibook.contributions.domain import COLUMNS
from sibook.contributions.file_columns import (
    CHUNK_ROWS,
    Source,
    canonical,
    column_name,
    header,
    not_the_header,
)
from sibook.core.errors import Problem, ValidationError

HEADER_CHARS = 65_536  # a CSV header is read at most this far: far beyond 100 column names



def read_csv(source: Source) -> Iterator[pl.DataFrame]:
    names, eol = _csv_header(source)
    columns = header(names)
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
        for frame in canonical(scan, columns).collect_batches(chunk_size=CHUNK_ROWS):
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


def _open(source: Source) -> IO[str]:
    raw = source.open("rb") if isinstance(source, Path) else io.BytesIO(source)
    # utf-8-sig: spreadsheet programs put a byte-order mark before the first column name
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


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
    # the header is then one column (or a few, split at a comma in a title), none known, and
    # "personal_id is missing" would puzzle whoever sees it.
    if not any(column_name(n) in COLUMNS for n in names):
        if mark := next((m for m in ";\t|" if any(m in n for n in names)), None):
            raise ValidationError(field="header", row=1, reason=f"the columns are separated by "
                                  f"{mark!r}, not commas: save the file as CSV UTF-8 (comma "
                                  "delimited)")
        raise not_the_header(1, "line")
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
