"""Reads the code lists packaged beside this module (CSV, ``#`` lines are source notes)."""

from __future__ import annotations

import csv
from importlib.resources import files


def read_rows(filename: str) -> list[dict[str, str]]:
    """The rows of a packaged CSV as dicts, skipping the ``#`` header that cites its source."""
    text = files("sibook.ids").joinpath(filename).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(lines))
