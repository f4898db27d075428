"""One parser per format (CSV, XLSX, JSON) into one frame of canonical string columns.

Every value stays a string here: typing and range checks happen column-wise in ``validate``, so
a bad cell becomes a named problem rather than a parser crash. ``row`` is the line a person sees
in the file (header = row 1 for CSV; the sheet's own row number for XLSX; the first object =
row 1 for JSON). Blank lines are skipped without renumbering the others. (A CSV cell quoted
across lines makes its record one row: Polars numbers records, not physical lines.)

Only the known columns (COLUMNS, by name or alias) are read; cells under any other column
(notes, a row's ordinal number) are ignored, and a row with nothing in the known ones is blank.
Whatever a parser raises on a broken or hostile file becomes a refusal saying why.

Each format has its reader (``csv_file``, ``xlsx_file``, ``json_file``); the header's columns
and the canonical frame they all end in are ``file_columns``'.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from sibook.contributions.csv_file import read_csv
from sibook.contributions.file_columns import Source
from sibook.contributions.json_file import read_json
from sibook.contributions.xlsx_file import read_xlsx
from sibook.core.errors import ValidationError

FORMATS = ("csv", "xlsx", "json")
__all__ = ["FORMATS", "Source", "detect_format", "read_frames"]


def detect_format(name: str) -> str:
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix == "xls":  # by its name an Excel 97-2003 workbook: say how to get past it
        raise ValidationError(field="file", reason=XLS_REFUSED)
    if suffix not in FORMATS:
        said = f"a name ending .{suffix}" if suffix else "a name with no extension"
        raise ValidationError(field="file", reason=f"the file has {said}: a declaration is "
                              "a CSV, XLSX or JSON file, named .csv, .xlsx or .json")
    return suffix


def read_frames(source: Source, fmt: str) -> Iterator[pl.DataFrame]:
    """Frames of at most CHUNK_ROWS rows (an XLSX's, fewer) with columns ``row`` + COLUMNS,
    all strings.

    A CSV or XLSX file given as a path is streamed: memory stays flat in the file's size.
    A JSON filing is read whole (it is meant for short lists; large ones come as CSV).
    """
    _as_named(source, fmt)
    if fmt == "csv":
        yield from read_csv(source)
    elif fmt == "xlsx":
        yield from read_xlsx(source)
    elif fmt == "json":
        yield from read_json(_bytes(source))
    else:
        raise ValidationError(field="file", reason=f"unknown format {fmt!r}; use csv, xlsx or json")


# What a spreadsheet program's workbook starts with: an XLSX is a ZIP archive, an Excel
# 97-2003 .xls an OLE2 compound file.
ZIP_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")  # the byte-order marks of UTF-16 LE and BE
XLS_REFUSED = ("the file is an Excel 97-2003 workbook (.xls), which is not read: save it as "
               "Excel Workbook (.xlsx) or CSV UTF-8")


def _as_named(source: Source, fmt: str) -> None:
    """Refuse a file that is not the format its name says, saying what it is: a workbook
    saved or renamed as .csv would otherwise be "line 1 is not UTF-8 text", and a CSV named
    .xlsx "File is not a zip file", neither of which tells the clerk what to do."""
    if isinstance(source, Path):
        with source.open("rb") as f:
            head = f.read(len(XLS_MAGIC))
    else:
        head = source[: len(XLS_MAGIC)]
    if fmt == "xlsx" and not head:  # as the CSV and JSON readers say, not "File is not a zip file"
        raise ValidationError(field="file", reason="the XLSX file is empty")
    if head.startswith(XLS_MAGIC):
        raise ValidationError(field="file", reason=XLS_REFUSED)
    if fmt != "xlsx" and head.startswith(UTF16_MARKS):
        raise ValidationError(field="file", reason=(
            "the file is UTF-16 text (as Excel's \"Unicode Text\" saves it), not UTF-8: save "
            "it as CSV UTF-8"))
    if fmt != "xlsx" and head.startswith(ZIP_MAGIC):
        raise ValidationError(field="file", reason=(
            f"the file is an XLSX workbook (a ZIP archive), not {fmt.upper()} text as its "
            "name says: name it .xlsx, or save it as CSV UTF-8" if _workbook(source) else
            f"the file is a ZIP archive, not {fmt.upper()} text as its name says: a "
            "declaration is one CSV (UTF-8), XLSX or JSON file, not an archive of files"))
    if fmt == "xlsx" and not head.startswith(ZIP_MAGIC):
        raise ValidationError(field="file", reason=(
            "the file is not an XLSX workbook (which is a ZIP archive), though its name ends "
            ".xlsx: a CSV file is named .csv, a JSON file .json"))


def _workbook(source: Source) -> bool:
    """Whether a ZIP archive holds a workbook's part (what every XLSX has), not any files."""
    try:
        with zipfile.ZipFile(source if isinstance(source, Path) else io.BytesIO(source)) as z:
            return "xl/workbook.xml" in z.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):  # cut short: say what its name says
        return True


def _bytes(source: Source) -> bytes:
    return source.read_bytes() if isinstance(source, Path) else source
