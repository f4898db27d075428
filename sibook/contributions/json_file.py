"""Reading a D02 file in JSON: a list of objects, or ``{"lines": [...]}``, read whole (meant for
short lists); a key given twice is refused, as a column given twice."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

import polars as pl

from sibook.contributions.domain import COLUMNS
from sibook.contributions.file_columns import canonical, column_name, header
from sibook.core.errors import Problem, ValidationError, capped


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
        Problem(field=column_name(key), reason=f"the key {key} appears twice", row=n)
        for n, line in enumerate(lines, start=1)
        for key in getattr(line, "repeated", [])
        if column_name(key) in COLUMNS
    ]


def _kind(value: object) -> str:
    """What a JSON value is, in JSON's words."""
    if value is None:
        return "null"
    if isinstance(value, (list, str, bool)):
        return {list: "a list", str: "a string", bool: "true or false"}[type(value)]
    return "a number"


def read_json(data: bytes) -> Iterator[pl.DataFrame]:
    if not data.strip():  # as the CSV reader says, not "Expecting value: line 1 column 1"
        raise ValidationError(field="file", reason="the JSON file is empty")
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
    if isinstance(doc, dict) and (others := sorted(set(doc) - {"lines"})):
        # Ignored, a "month" or "employer" other than the filing's would pass unsaid.
        raise ValidationError(field="file", reason=(
            f"{', '.join(map(repr, others))} beside \"lines\" is not read: the employer, month "
            "and batch are the filing's (--employer, --month, --batch; the request's), never "
            "the file's; remove it"))
    lines = doc.get("lines") if isinstance(doc, dict) else doc
    if not isinstance(lines, list):
        raise ValidationError(
            field="file", reason='expected a list of objects, or {"lines": [...]}'
        )
    if odd := [Problem(field="file", row=n, reason=f"is {_kind(x)}, not an object of a line's "
                       "keys and values") for n, x in enumerate(lines, start=1)
               if not isinstance(x, dict)]:
        raise ValidationError(capped(odd))
    if not lines:
        return  # no lines: ``declare`` says so
    if repeated := _repeated_keys(lines):
        raise ValidationError(repeated)
    names = sorted({str(k) for line in lines for k in line})
    columns = header(names)
    raw = {
        f"c{at}": [None if (v := line.get(names[at])) is None else str(v) for line in lines]
        for at in columns.values()
    }
    frame = pl.DataFrame(
        {"row": range(1, len(lines) + 1), **raw},
        schema={"row": pl.Int64, **{c: pl.String for c in raw}},
    )
    yield canonical(frame.lazy(), columns).collect()
