"""A worker who leaves (GH) while on leave: unpaid (KL), sick (OF) or maternity (TS).

A leave's decrease ends the worker's period with the month before it, as their pay and dues
stop; the contract runs on. When it ends during the leave (the worker quits, or the contract
runs out), the employer files the permanent decrease (GH, FACTS §6.3) for a worker who has no
open period any more: the period the leave ended is the one the GH is about, and its months
stay as filed (no dues change). A GH from the leave's own first month replaces the leave (the
worker left instead): the period is then ended by the GH. So is one after unpaid leave, whose
months count for nothing. After sick or maternity leave the leave's code stays, as the months
it counts do (a sickness claim's months off sick, the maternity months, ``book.sheets``), and
the GH's month is kept with the period (``left_from``): the leave's months end the month
before it, as the worker is no longer employed. A period so left is no longer on leave: a
second GH finds nothing to end.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from sibook.contributions.case_sql import LEAVE

# The period of the filing employer ``:e`` a leave ended, for each GH line of a step (``s``,
# looked up as ``l``), when it is the last the worker had with it (one from a later month, or
# one still open, is not on leave): looked up only for a step with GH lines (``look_up``), so
# the checks join a few rows, or none.
_ON_LEAVE = f"""FROM decl_staging s JOIN decl_lookup l ON l.row = s.row AND s.step = :step
    JOIN si_periods p ON p.person_id = l.person_id AND p.employer_id = :e
        AND p.to_month IS NOT NULL AND p.closed_by IN {LEAVE} AND p.left_from IS NULL
        AND NOT EXISTS (SELECT 1 FROM si_periods q WHERE q.person_id = p.person_id
                        AND q.employer_id = :e AND q.from_month > p.from_month)
    WHERE s.case_code = 'GH'"""
# Joined to a step's lines (as ``lv``).
JOIN = "LEFT JOIN decl_leave lv ON lv.row = s.row"
# The GH line is about that period: from the leave's first month or later.
AFTER_LEAVE = "lv.row IS NOT NULL AND s.from_month > lv.to_month"
# One from a month the period still covers would take back months filed as worked.
BEFORE_LEAVE = "lv.row IS NOT NULL AND s.from_month <= lv.to_month"
BEFORE_LEAVE_REASON = ("from_month", "the period with this employer already ended in "
                                     "{leave_to}, for leave ({leave_by}) from the month after: "
                                     "a GH during that leave is from {leave_from} or later")


def look_up(conn: Connection, employer_id: int, step: int) -> None:
    """The period on leave each GH line of ``step`` is about (``decl_leave``)."""
    conn.execute(text(f"INSERT INTO decl_leave (row, person_id, seq, to_month, closed_by) "
                      f"SELECT s.row, p.person_id, p.seq, p.to_month, p.closed_by {_ON_LEAVE}"),
                 {"step": step, "e": employer_id})


def end(conn: Connection, step: int) -> None:
    """End the periods the GH lines of ``step`` find on leave: marked ended by the GH when it
    replaces the leave (from its first month) or the leave was unpaid (KL), else (sick or
    maternity leave, from a later month) kept with the leave's code and the GH's month."""
    conn.execute(text(f"""
        UPDATE si_periods SET closed_by = CASE WHEN c.replaces = 1 THEN 'GH'
                                               ELSE si_periods.closed_by END,
                              left_from = CASE WHEN c.replaces = 1 THEN NULL ELSE c.left_from END
        FROM (SELECT lv.person_id, lv.seq, s.from_month AS left_from,
                     CASE WHEN lv.closed_by = 'KL' OR s.from_month = lv.to_month + 1
                          THEN 1 ELSE 0 END AS replaces
              FROM decl_staging s JOIN decl_leave lv ON lv.row = s.row AND s.step = :step
              WHERE {AFTER_LEAVE}) c
        WHERE si_periods.person_id = c.person_id AND si_periods.seq = c.seq"""),
        {"step": step})
