"""One parser per format (CSV, XLSX, JSON) into one frame of canonical string columns.

Every value stays a string here: typing and range checks happen column-wise in ``validate``, so
a bad cell becomes a named problem rather than a parser crash. ``row`` is the line a person sees
in the file (header = row 1 for CSV/XLSX; the first object = row 1 for JSON).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from sibook.contributions.domain import ALIASES, COLUMNS, REQUIRED
from sibook.core.errors import Problem, ValidationError

FORMATS = ("csv", "xlsx", "json")
CHUNK_ROWS = 200_000  # memory stays flat in file size: frames of this many rows at a time


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
        yield _canonical(_json(_bytes(source)), first_row=1)
    else:
        raise ValidationError(field="file", reason=f"unknown format {fmt!r}; use csv, xlsx or json")


def _header(names: list[str]) -> list[str]:
    canonical = [ALIASES.get(n.strip().lower(), n.strip().lower()) for n in names]
    missing = [c for c in REQUIRED if c not in canonical]
    if missing:
        raise ValidationError(
            [Problem(field=c, reason="required column is missing", row=1) for c in missing]
        )
    return canonical


def _canonical(frame: pl.DataFrame, first_row: int) -> pl.DataFrame:
    frame = frame.rename(dict(zip(frame.columns, _header(frame.columns), strict=True)))
    cols = [
        (
            pl.col(c).cast(pl.String).str.strip_chars()
            if c in frame.columns
            else pl.lit(None, dtype=pl.String)
        ).alias(c)
        for c in COLUMNS
    ]
    return frame.select(
        pl.int_range(first_row, first_row + frame.height, dtype=pl.Int64).alias("row"), *cols
    )


def _bytes(source: Source) -> bytes:
    return source.read_bytes() if isinstance(source, Path) else source


def _csv(source: Source) -> Iterator[pl.DataFrame]:
    scan = pl.scan_csv(
        source if isinstance(source, Path) else io.BytesIO(source),
        infer_schema=False,
        encoding="utf8",
    )
    first = 2  # the header is row 1
    try:
        for frame in scan.collect_batches(chunk_size=CHUNK_ROWS):
            yield _canonical(frame, first_row=first)
            first += frame.height
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        raise ValidationError(field="file", reason=f"not a readable UTF-8 CSV: {exc}") from exc
    if first == 2:
        raise ValidationError(field="file", reason="the CSV has no lines under its header")


def _xlsx(source: Source) -> Iterator[pl.DataFrame]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]  # no stubs shipped

    try:
        book = load_workbook(
            source if isinstance(source, Path) else io.BytesIO(source),
            read_only=True,
            data_only=True,
        )
    except Exception as exc:  # openpyxl raises many kinds for a file that is not XLSX
        raise ValidationError(field="file", reason=f"not a readable XLSX workbook: {exc}") from exc
    rows = book.worksheets[0].iter_rows(values_only=True)
    header = [str(h or "") for h in next(rows, ())]
    if not header:
        raise ValidationError(field="file", reason="the first sheet is empty")
    chunk: list[list[str | None]] = []
    first = 2
    for values in rows:
        if all(v is None or str(v).strip() == "" for v in values):
            first += 0 if chunk else 1
            continue
        chunk.append([None if v is None else _cell(v) for v in values[: len(header)]])
        if len(chunk) == CHUNK_ROWS:
            yield _canonical(_frame(header, chunk), first_row=first)
            first += len(chunk)
            chunk = []
    if chunk or first == 2:
        yield _canonical(_frame(header, chunk), first_row=first)


def _cell(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))  # Excel stores 10000000 as 10000000.0
    return str(v)


def _frame(header: list[str], rows: list[list[str | None]]) -> pl.DataFrame:
    padded = [r + [None] * (len(header) - len(r)) for r in rows]
    return pl.DataFrame(padded, schema=[(h, pl.String) for h in header], orient="row")


def _json(data: bytes) -> pl.DataFrame:
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(field="file", reason=f"not UTF-8 JSON: {exc}") from exc
    lines = doc.get("lines") if isinstance(doc, dict) else doc
    if not isinstance(lines, list) or not all(isinstance(x, dict) for x in lines):
        raise ValidationError(
            field="file", reason='expected a list of objects, or {"lines": [...]}'
        )
    keys = sorted({k for line in lines for k in line})
    columns = {k: [None if line.get(k) is None else str(line[k]) for line in lines] for k in keys}
    return (
        pl.DataFrame(columns, schema=[(k, pl.String) for k in keys])
        if keys
        else pl.DataFrame(schema=[(c, pl.String) for c in REQUIRED])
    )
