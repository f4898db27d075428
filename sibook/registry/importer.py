"""Registry files (JSON) into validated batches; problems name the section, row and field."""

from __future__ import annotations

import json
from pathlib import Path

import pydantic
from pydantic_core import ErrorDetails

from sibook.core.errors import Problem, ValidationError
from sibook.registry.schemas import RegistryBatch

# A registry file is one all-or-nothing batch, read and validated whole (its records as Python
# and Pydantic objects take several times the file's size), so a bound keeps one import from
# exhausting the machine's memory; national volumes go in by bulk loads (``sibook seed``).
MAX_FILE_BYTES = 64 * 1024 * 1024


def parse_registry_file(path: Path) -> RegistryBatch:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValidationError(field="file", reason=(
            f"{path.name} is {size:,} bytes; a registry file is imported whole, all or nothing, "
            f"and may be at most {MAX_FILE_BYTES:,}: split it into several files"))
    try:
        text = path.read_text(encoding="utf-8")
        if not text.strip():  # not "Expecting value: line 1 column 1"
            raise ValidationError(field="file", reason=(
                f"{path.name} is empty: a registry file is a JSON object of employers, persons "
                "and households lists"))
        raw = json.loads(text)
    except UnicodeDecodeError as exc:
        raise ValidationError(field="file", reason=f"{path.name} is not UTF-8 text: {exc}"
                              ) from exc
    except json.JSONDecodeError as exc:  # its message names the line and column
        raise ValidationError(field="file", reason=f"{path.name} is not valid JSON: {exc}"
                              ) from exc
    except (ValueError, RecursionError) as exc:  # int() refuses 4,300 digits; the parser, depth
        raise ValidationError(field="file", reason=(
            f"{path.name} holds a number of thousands of digits or arrays and objects nested "
            "thousands deep: no registry file does")) from exc
    try:
        return RegistryBatch.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise ValidationError([_problem(e) for e in exc.errors()]) from exc


def _problem(error: ErrorDetails) -> Problem:
    loc = list(error["loc"])
    row = None
    if len(loc) >= 2 and isinstance(loc[1], int):
        row = loc[1] + 1  # people count rows from 1
        loc = [loc[0], *loc[2:]]
    if not loc:  # the file itself (not an object at the top): named as a file not JSON is
        return Problem(field="file", reason=(
            'a registry file is one JSON object, {"employers": [...], "persons": [...], '
            f'"households": [...]}}, not {_kind(error["input"])}'))
    # A validator's refusal in its own words, without Pydantic's "Value error, " before them.
    reason = error["msg"].removeprefix("Value error, ")
    return Problem(field=".".join(str(p) for p in loc), reason=reason, row=row)


def _kind(value: object) -> str:
    """A JSON value's kind, as the refusal names what the file held instead of an object."""
    return ("a list" if isinstance(value, list) else "null" if value is None
            else "a string" if isinstance(value, str) else "a number")
