"""HI cards for the workers a step's staged increase lines take on, valid from the month they
start (the card a cancelled start issued goes with its period: ``staged_periods``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from sqlalchemy import Connection, text

from sibook.contributions.case_sql import INCREASE
from sibook.core.bulk import write
from sibook.core.period import Period


def set_card_dates(conn: Connection, months: Iterable[Period],
                   validity: Callable[[Period], tuple[date, date]]) -> None:
    """The validity of a card issued to someone starting in each of the ``months`` the lines
    name (a filing names a few months), for ``issue_hi_cards`` to join, and for
    ``staged_periods`` to find the card a cancelled start issued."""
    write(conn, "decl_card_dates", ("from_month", "valid_from", "valid_to"),
          [(m.index, *validity(m)) for m in sorted(months)])


# A person's cards, by the primary key (person_id leads it) as the lookup reaches periods: an
# aggregate LATERAL on PostgreSQL, correlated subqueries on SQLite.
_CARDS_PG = """
    LEFT JOIN LATERAL (SELECT max(c.seq) AS last_seq, max(c.valid_to) AS covered_to
                       FROM hi_cards c WHERE c.person_id = l.person_id) c ON true"""
_CARDS_SQLITE = """
    JOIN (SELECT (SELECT max(c.seq) FROM hi_cards c WHERE c.person_id = l2.person_id) AS last_seq,
                 (SELECT max(c.valid_to) FROM hi_cards c WHERE c.person_id = l2.person_id)
                     AS covered_to, l2.row
          FROM decl_lookup l2) c ON c.row = l.row"""


def issue_hi_cards(conn: Connection, step: int, *, number_prefix: str, group_code: str,
                   benefit_level: int, province_code: str) -> int:
    """Give each person of an increase line of ``step`` who holds no HI card reaching into the
    month they start a card numbered ``number_prefix`` + the last 10 digits of their personal
    ID, valid as ``set_card_dates`` said; how many. A later step sees the cards an earlier one
    gave (back from leave in the same year: no second card)."""
    cards = _CARDS_PG if conn.dialect.name == "postgresql" else _CARDS_SQLITE
    return int(conn.execute(text(f"""
        INSERT INTO hi_cards (person_id, seq, card_number, group_code, benefit_level,
                              province_code, initial_kcb_place, valid_from, valid_to)
        SELECT l.person_id, COALESCE(c.last_seq, 0) + 1,
               :prefix || substr(s.personal_id, 3, 10), :group, :level, :province, :kcb,
               d.valid_from, d.valid_to
        FROM decl_staging s JOIN decl_lookup l ON l.row = s.row AND s.step = :step
        JOIN decl_card_dates d ON d.from_month = s.from_month {cards}
        WHERE s.case_code IN {INCREASE} AND (c.covered_to IS NULL OR c.covered_to < d.valid_from)
        ORDER BY l.person_id"""), {  # in key order: the index is filled forwards
        "step": step, "prefix": number_prefix, "group": group_code, "level": benefit_level,
        "province": province_code, "kcb": f"{province_code}001"}).rowcount)
