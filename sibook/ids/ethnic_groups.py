"""Vietnam's 54 ethnic groups (dân tộc) as the General Statistics Office lists them.

Data: ``ethnic_groups.csv``, which cites its source in its header. One spelling per group is
stored, so counts and the ethnic-minority rules compare names by equality; the other names the
GSO's own lists give a group, and writing that differs only in case, spaces, hyphens,
apostrophes or Unicode composition, are read as that group.
"""

from __future__ import annotations

import unicodedata
from functools import cache

from sibook.ids._data import read_rows


@cache
def ethnic_groups() -> tuple[str, ...]:
    """The 54 names as stored, in the list's order (largest group first)."""
    return tuple(row["name"] for row in read_rows("ethnic_groups.csv"))


def ethnic_group(written: str) -> str | None:
    """The stored name of the group ``written`` names, if it names one."""
    return _by_key().get(_key(written))


@cache
def _by_key() -> dict[str, str]:
    keys: dict[str, str] = {}
    for row in read_rows("ethnic_groups.csv"):
        for spelling in (row["name"], *filter(None, row["also_written"].split("|"))):
            keys[_key(spelling)] = row["name"]
    return keys


def _key(written: str) -> str:
    # NFC first: a name typed on some keyboards arrives decomposed (e + combining accents).
    text = unicodedata.normalize("NFC", written).casefold()
    return "".join(c for c in text if c.isalnum())
