"""ISO 3166-1 alpha-2 country codes, by which a person's nationality is recorded.

Data: ``countries.csv``, which cites its source in its header.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sibook.ids._data import read_rows


@dataclass(frozen=True)
class Country:
    alpha2: str  # two capital letters, e.g. VN
    name: str  # ISO's English short name
    name_vi: str  # the Vietnamese display name (CLDR), as the book prints it


@cache
def countries() -> dict[str, Country]:
    """Every officially assigned code, by code."""
    rows = read_rows("countries.csv")
    return {row["alpha2"]: Country(row["alpha2"], row["name"], row["name_vi"]) for row in rows}


def country(alpha2: str) -> Country | None:
    """The country whose ISO 3166-1 alpha-2 code is ``alpha2`` (exactly: ``vn`` is no code)."""
    return countries().get(alpha2)


def nationality_vi(alpha2: str) -> str:
    """What a book prints for the nationality recorded as ``alpha2``: its Vietnamese name, or
    the value itself when it is no code (a record must never fail to print over it)."""
    found = country(alpha2)
    return found.name_vi if found else alpha2
