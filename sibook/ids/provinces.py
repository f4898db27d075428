"""Province and country codes that appear inside identifiers.

- The 63 provinces before the 2025 merger (Decision 124/2004/QD-TTg codes): their 3-digit code
  is the birth-registration prefix of a personal ID (Circular 07/2016/TT-BCA, 59/2021/TT-BCA)
  and their 2-digit code the ``ZZ`` of a legacy HI card. IDs never change, so these stay valid.
- The 34 provinces from 1/7/2025 (Decision 19/2025/QD-TTg) and which one each old one merged into.
- The country codes (101-295) that replace the province for a birth registered abroad.

Data: ``provinces.csv`` (copy of the shared domain file) and ``birth_countries.csv``; each
cites its source in its header.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sibook.ids._data import read_rows


@dataclass(frozen=True)
class Province:
    """A province from 1/7/2025 (tỉnh, thành phố sau sáp nhập)."""

    code: str  # 2 digits
    name: str


@dataclass(frozen=True)
class HistoricalProvince:
    """A province of the 63-province list (before 1/7/2025)."""

    id_prefix: str  # 3 digits, first part of a personal ID
    code: str  # 2 digits, the statistics-office code
    name: str
    merged_into: Province


@dataclass(frozen=True)
class BirthCountry:
    """A country where a citizen's birth was registered abroad (mã quốc gia)."""

    id_prefix: str  # 3 digits, 101-295
    iso_alpha2: str
    name_vi: str


@cache
def historical_provinces() -> tuple[HistoricalProvince, ...]:
    """The 63 provinces before the 2025 merger, in code order."""
    return tuple(
        HistoricalProvince(
            id_prefix=row["id_prefix"],
            code=row["code_before_2025"],
            name=row["name_before_2025"],
            merged_into=Province(code=row["code_from_2025"], name=row["province_from_2025"]),
        )
        for row in read_rows("provinces.csv")
    )


@cache
def provinces_2025() -> tuple[Province, ...]:
    """The 34 provinces from 1/7/2025, in code order."""
    unique = {p.merged_into.code: p.merged_into for p in historical_provinces()}
    return tuple(unique[code] for code in sorted(unique))


@cache
def birth_countries() -> tuple[BirthCountry, ...]:
    """Country codes for births registered abroad, in code order."""
    return tuple(
        BirthCountry(id_prefix=row["code"], iso_alpha2=row["iso_alpha2"], name_vi=row["name_vi"])
        for row in read_rows("birth_countries.csv")
    )


@cache
def _historical_by_prefix() -> dict[str, HistoricalProvince]:
    return {p.id_prefix: p for p in historical_provinces()}


@cache
def _historical_by_code() -> dict[str, HistoricalProvince]:
    return {p.code: p for p in historical_provinces()}


@cache
def _countries_by_prefix() -> dict[str, BirthCountry]:
    return {c.id_prefix: c for c in birth_countries()}


def province_by_id_prefix(prefix: str) -> HistoricalProvince | None:
    """The pre-2025 province whose 3-digit personal-ID prefix is ``prefix``, if any."""
    return _historical_by_prefix().get(prefix)


def historical_province(code: str) -> HistoricalProvince | None:
    """The pre-2025 province with the 2-digit ``code`` (as in a legacy HI card), if any."""
    return _historical_by_code().get(code)


def province_2025(code: str) -> Province | None:
    """The post-2025 province with the 2-digit ``code``, if any."""
    return next((p for p in provinces_2025() if p.code == code), None)


def current_province_for(old_code: str) -> Province | None:
    """The post-2025 province that the pre-2025 province ``old_code`` now belongs to."""
    old = historical_province(old_code)
    return old.merged_into if old else None


def is_valid_province_code(code: str) -> bool:
    """Whether ``code`` is a 2-digit province code, of the 34 from 2025 or the 63 before.

    Codes are never reused (Decision 19/2025/QD-TTg), so old records' codes stay meaningful.
    """
    return province_2025(code) is not None or historical_province(code) is not None


def birth_country(prefix: str) -> BirthCountry | None:
    """The country whose birth-registration code is ``prefix``, if any."""
    return _countries_by_prefix().get(prefix)


def is_valid_id_prefix(ppp: str) -> bool:
    """Whether ``ppp`` is a known birth-registration code: a pre-2025 province or a country."""
    return ppp in _historical_by_prefix() or ppp in _countries_by_prefix()


def birth_place_name(ppp: str) -> str | None:
    """The name of the province or country that a personal-ID prefix stands for."""
    province = province_by_id_prefix(ppp)
    if province:
        return province.name
    country = birth_country(ppp)
    return country.name_vi if country else None
