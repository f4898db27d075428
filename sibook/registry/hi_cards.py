"""Employees' HI cards (FACTS §5.3: an employee on a labour contract is in group DN, benefit
level 4). One path issues them: the increase lines of a monthly list (TM, TT, TC, TD), which
registration by an employer (TK1-TS) files too (``contributions.staged_cards.issue_hi_cards``). A
person who starts work holding no card that reaches into the first month gets one; a start
cancelled (a decrease from its first month) takes the card it issued with it.

The legacy 15-character number ends with the 10-digit SI code; a person who joins after the
personal ID replaced the SI code (1/8/2025) has none, so the ID's last 10 digits stand in."""

from __future__ import annotations

from datetime import date

from sibook.core.period import Period
from sibook.ids import current_province_for, make_hi_card, province_2025

EMPLOYEE_GROUP, EMPLOYEE_LEVEL = "DN", 4


def card_province(unit_province: str) -> str:
    """The province a new card names: the unit's, or for a unit still registered under a code
    the 2025 merger closed, the province it merged into (a new card never names a closed one)."""
    if province_2025(unit_province) is not None:
        return unit_province
    merged = current_province_for(unit_province)
    return merged.code if merged is not None else unit_province


def number_prefix(province_code: str) -> str:
    """An employee's card number up to the SI code: group, level, province (checked)."""
    return make_hi_card(EMPLOYEE_GROUP, EMPLOYEE_LEVEL, province_code, "0" * 10)[:-10]


def validity(start: Period, today: date) -> tuple[date, date]:
    """From the first month of work to the end of the year (of this year, for a start reported
    late: a card issued already expired covers nothing)."""
    return start.first_day, date(max(start.year, today.year), 12, 31)
