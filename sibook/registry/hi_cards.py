"""Employees' HI cards (FACTS §5.3: an employee on a labour contract is in group DN, benefit
level 4). One path issues them: the increase lines of a monthly list (TM, TT, TC, TD), which
registration by an employer (TK1-TS) files too. A person who starts work holding no card that
reaches into the first month gets one, valid to the end of the year (of this year, for a start
reported late: a card issued already expired covers nothing)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection

from sibook.core import bulk
from sibook.core.period import Period
from sibook.ids import make_hi_card

EMPLOYEE_GROUP, EMPLOYEE_LEVEL = "DN", 4
_COLUMNS = ("person_id", "seq", "card_number", "group_code", "benefit_level", "province_code",
            "initial_kcb_place", "valid_from", "valid_to")


@dataclass(frozen=True)
class Start:
    """A person starting work in ``month``, with what they hold: their last card's end and seq."""

    person_id: int
    personal_id: str
    month: Period
    covered_to: date | None
    last_seq: int | None

    @property
    def needs_card(self) -> bool:
        return self.covered_to is None or self.covered_to < self.month.first_day


def issue_for(conn: Connection, starts: Iterable[Start], province_code: str,
              today: date) -> int:
    """Issue a card to each starter who needs one, in the employer's province; how many.

    The legacy 15-character number ends with the 10-digit SI code; a person who joins after the
    personal ID replaced the SI code (1/8/2025) has none, so its last 10 digits stand in."""
    rows = [(s.person_id, (s.last_seq or 0) + 1,
             make_hi_card(EMPLOYEE_GROUP, EMPLOYEE_LEVEL, province_code, s.personal_id[2:]),
             EMPLOYEE_GROUP, EMPLOYEE_LEVEL, province_code, f"{province_code}001",
             s.month.first_day, date(max(s.month.year, today.year), 12, 31))
            for s in starts if s.needs_card]
    bulk.write(conn, "hi_cards", _COLUMNS, rows)
    return len(rows)
