"""Law as data (luật dưới dạng dữ liệu): effective-dated, sourced tables and typed questions.

``from sibook import law`` then ``law.fund_rates("compulsory", on=Period(2026, 1))``. Each answer
carries the :class:`LawRow` it came from (source, validity, provisional flag). Asking about a
month before a table starts raises :class:`NoRuleInForce` naming the month and the first known
month. Tables are read from ``sibook/law/data/*.csv`` once per process (see README.md there).
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from sibook.core.period import Period
from sibook.law.book import Cap, Fact, FundRate, FundRates, LawBook, load_book
from sibook.law.tables import LawDataError, LawRow, LawTable, NoRuleInForce, parse_table
from sibook.law.terms import (
    FUNDS,
    OA_RATES,
    REGIONS,
    SEXES,
    SUPPORT_GROUPS,
    UNNAMED_SUPPORT_GROUP,
    Fund,
    Kind,
    OaRate,
    Region,
    Sex,
    SupportGroup,
    parse_choice,
)

# Law 41/2024/QH15 (the SI Law) is in force from 1 July 2025 (FACTS.md §0); the rules it changed
# start with this month.
LAW_41_2024_IN_FORCE = Period(2025, 7)

__all__ = [
    "FUNDS", "LAW_41_2024_IN_FORCE", "OA_RATES", "REGIONS", "SEXES", "SUPPORT_GROUPS",
    "UNNAMED_SUPPORT_GROUP", "Cap", "Fact", "Fund", "FundRate", "FundRates", "Kind", "LawBook",
    "LawDataError", "LawRow", "LawTable", "NoRuleInForce", "OaRate", "Region", "Sex",
    "SupportGroup", "book", "fund_rates", "load_book", "parameter", "parse_choice", "parse_table",
    "reference_level", "regional_minimum",
]


@cache
def book() -> LawBook:
    """The shipped law tables, loaded and validated on first use."""
    return load_book()


def fund_rates(kind: Kind, on: Period, oa_rate: OaRate = "standard") -> FundRates:
    return book().fund_rates(kind, on, oa_rate)


def reference_level(on: Period) -> Fact[int]:
    return book().reference_level(on)


def regional_minimum(region: str, on: Period) -> Fact[int]:
    return book().regional_minimum(region, on)


def parameter(name: str, on: Period) -> Fact[Decimal]:
    return book().parameter(name, on)
