"""A step's staged lines applied to the SI and UI periods: the periods its decreases and
adjustments close or cancel, and the ones its increases and adjustments open."""

from __future__ import annotations

from collections.abc import Callable, Collection

from sqlalchemy import Connection, text

from sibook.contributions import staged_back_pay, staged_leave
from sibook.contributions.case_sql import ADJUST, CLOSES, DECREASE, ENDS_VOLUNTARY, OPENS
from sibook.contributions.domain import ADJUSTMENTS, DECREASES
from sibook.contributions.voluntary import ended_at
from sibook.core.period import Period

# An adjustment from the open period's own first month rewrites that period's pay in place
# (the period is the current record; the ledger keeps the history as correcting entries).
_IN_PLACE = f"s.case_code IN {ADJUST} AND s.from_month = l.open_from"
# One from a later month splits it; one from an earlier month re-prices a closed period
# instead (``staged_back_pay``).
_SPLITS = f"NOT ({_IN_PLACE}) AND NOT ({staged_back_pay.BACK})"
# A decrease from the open period's own first month (a worker taken on, or re-paid by an
# adjustment, from a month they then did not work) cancels that period: it never was, and the
# month's dues are reversed when the months are assessed again.
_CANCELS = f"s.case_code IN {DECREASE} AND s.from_month = l.open_from AND l.open_employer = :e"
# A line closes its worker's open period with the filing employer only: a GH for a worker on
# leave (``staged_leave``) finds none, and the one they may hold elsewhere is not its own.
_CLOSES_OURS = f"s.case_code IN {CLOSES} AND {_SPLITS} AND l.open_employer = :e"


# The last voluntary month each person paid before the month given (person id: month), as the
# book's voluntary account allocates the payments (``book.voluntary_paid_before_many``).
PaidBefore = Callable[[dict[int, Period]], dict[int, Period | None]]


def apply(conn: Connection, employer_id: int, occupational_rate_bp: int,
          step: int, *, card_group: str, case_codes: Collection[str],
          paid_before: PaidBefore) -> dict[str, int]:
    """Close the periods the decreases and adjustments of ``step`` end, and the voluntary ones
    its increases end; open the new ones. A cancelled start takes the HI card of
    ``card_group`` it issued with it. ``case_codes``: those the filing's lines use."""
    ended = _end_voluntary(conn, step, paid_before)
    if set(case_codes).isdisjoint({*ADJUSTMENTS, *DECREASES}):
        # Increases alone (the common filing): of the changes below, only the end of a
        # voluntary period can have lines; the other five statements would each join every
        # line to its look-up to find none (100,000 lines, timed alternately on a VM loaded
        # ~5: the five 0.55 s together, the voluntary ones' 0.03 s).
        return {"periods_closed": ended, **_open(conn, employer_id, occupational_rate_bp, step)}
    conn.execute(
        text(f"""
        UPDATE si_periods SET salary_basis = c.salary, allowances = c.allowances,
                              job_title = COALESCE(c.job_title, si_periods.job_title)
        FROM (SELECT l.person_id, l.open_seq, s.salary, COALESCE(s.allowances, 0) AS allowances,
                     s.job_title
              FROM decl_staging s JOIN decl_lookup l ON l.row = s.row AND s.step = :step
              WHERE {_IN_PLACE}) c
        WHERE si_periods.person_id = c.person_id AND si_periods.seq = c.open_seq"""),
        {"step": step},
    )
    conn.execute(
        text(f"""
        UPDATE ui_periods SET salary_basis = c.basis
        FROM (SELECT l.person_id, l.ui_open_seq, s.salary + COALESCE(s.allowances, 0) AS basis
              FROM decl_staging s JOIN decl_lookup l ON l.row = s.row AND s.step = :step
              WHERE {_IN_PLACE} AND l.ui_open_seq IS NOT NULL) c
        WHERE ui_periods.person_id = c.person_id AND ui_periods.seq = c.ui_open_seq"""),
        {"step": step},
    )
    cut = staged_back_pay.apply(conn, employer_id, step)
    cancelled = _cancel(conn, employer_id, step, card_group)
    closed = _close(conn, f"{_CLOSES_OURS} AND NOT ({_CANCELS})",
                    {"step": step, "e": employer_id})
    conn.execute(
        text(f"""
        UPDATE ui_periods SET to_month = c.to_month
        FROM (SELECT l.person_id, l.ui_open_seq, s.from_month - 1 AS to_month
              FROM decl_staging s JOIN decl_lookup l ON l.row = s.row AND s.step = :step
              WHERE {_CLOSES_OURS} AND l.ui_open_seq IS NOT NULL) c
        WHERE ui_periods.person_id = c.person_id AND ui_periods.seq = c.ui_open_seq"""),
        {"step": step, "e": employer_id},
    )
    if "GH" in case_codes:
        staged_leave.end(conn, step)
    opened = _open(conn, employer_id, occupational_rate_bp, step)
    return {"periods_closed": ended + closed + cancelled + cut,
            "periods_opened": opened["periods_opened"] + cut}


def _end_voluntary(conn: Connection, step: int, paid_before: PaidBefore) -> int:
    """End the open voluntary period of each participant an increase of ``step`` takes on
    (``ENDS_VOLUNTARY``) at its last month paid before the job's first, or remove it when none
    of its months is paid, as a settled pension does (``benefits.stopped_paying.end_with``):
    the months after it were not paid in their windows (Law 41/2024 Art 36(3)), and with the
    period ended no payment can pay them now, so the book would list them as not paid for
    good though no one owes them. Months paid ahead, from the job's first on, leave the period
    ending the month before it, and what paid them is credit again. How many periods.

    One statement finds them (a filing has few, most none); each is ended the month before the
    job's first, as it was, which locks its row against a voluntary payment being posted (that
    locks the periods too, ``voluntary_payments``), and only then are its payments read."""
    found = conn.execute(text(f"""
        SELECT l.person_id, l.open_seq, l.open_from, s.from_month, s.case_code
        FROM decl_staging s JOIN decl_lookup l ON l.row = s.row AND s.step = :step
        WHERE {ENDS_VOLUNTARY}"""), {"step": step}).all()
    if not found:
        return 0
    _set_end(conn, [{"p": p, "s": seq, "t": job - 1, "c": code}
                    for p, seq, _, job, code in found])
    last = paid_before({p: Period.from_index(job) for p, _, _, job, _ in found})
    ends = [(p, seq, job, code, ended_at(start, last[p])) for p, seq, start, job, code in found]
    _set_end(conn, [{"p": p, "s": seq, "t": end, "c": code}
                    for p, seq, job, code, end in ends if end is not None and end < job - 1])
    gone = [{"p": p, "s": seq} for p, seq, _, _, end in ends if end is None]
    if gone:
        conn.execute(text("DELETE FROM si_periods WHERE person_id = :p AND seq = :s"), gone)
    return len(found)


def _set_end(conn: Connection, rows: list[dict[str, object]]) -> None:
    if rows:
        conn.execute(text("UPDATE si_periods SET to_month = :t, closed_by = :c "
                          "WHERE person_id = :p AND seq = :s"), rows)


def _close(conn: Connection, lines: str, params: dict[str, int]) -> int:
    """End the open SI period of each line of step ``:step`` that meets ``lines`` the month
    before the line's; how many."""
    return int(conn.execute(text(f"""
        UPDATE si_periods SET to_month = c.to_month, closed_by = c.case_code
        FROM (SELECT l.person_id, l.open_seq, s.from_month - 1 AS to_month, s.case_code
              FROM decl_staging s JOIN decl_lookup l ON l.row = s.row AND s.step = :step
              WHERE {lines}) c
        WHERE si_periods.person_id = c.person_id AND si_periods.seq = c.open_seq"""),
        params).rowcount)


def _open(conn: Connection, employer_id: int, occupational_rate_bp: int,
          step: int) -> dict[str, int]:
    """Open the SI and UI periods the increases and adjustments of ``step`` start."""
    opened = conn.execute(
        text(f"""
        INSERT INTO si_periods (person_id, seq, from_month, to_month, kind, employer_id,
                                job_title, salary_basis, allowances, occupational_rate_bp)
        SELECT l.person_id, COALESCE(l.max_seq, 0) + 1, s.from_month, NULL,
               CASE WHEN l.nationality = 'VN' THEN 'compulsory' ELSE 'foreign' END, :e,
               COALESCE(s.job_title, l.open_job), s.salary, COALESCE(s.allowances, 0), :oa
        FROM decl_staging s JOIN decl_lookup l ON l.row = s.row AND s.step = :step
        WHERE s.case_code IN {OPENS} AND {_SPLITS}
        ORDER BY l.person_id"""),  # in key order: the index is filled forwards
        {"e": employer_id, "oa": occupational_rate_bp, "step": step},
    ).rowcount
    conn.execute(
        text(f"""
        INSERT INTO ui_periods (person_id, seq, from_month, to_month, employer_id, salary_basis)
        SELECT l.person_id, COALESCE(l.ui_max_seq, 0) + 1, s.from_month, NULL, :e,
               s.salary + COALESCE(s.allowances, 0)
        FROM decl_staging s JOIN decl_lookup l ON l.row = s.row AND s.step = :step
        WHERE s.case_code IN {OPENS} AND {_SPLITS} AND l.nationality = 'VN'
        ORDER BY l.person_id"""),
        {"e": employer_id, "step": step},
    )
    return {"periods_opened": opened}


def _cancel(conn: Connection, employer_id: int, step: int, card_group: str) -> int:
    """Delete the open SI and UI periods the decreases of ``step`` cancel, and the HI cards
    their starts issued; how many SI periods. Rare, so looked for first: the deletes then
    reach their few rows by primary key."""
    params = {"step": step, "e": employer_id}
    lines = (f"FROM decl_staging s JOIN decl_lookup l ON l.row = s.row AND s.step = :step "
             f"WHERE {_CANCELS}")
    if conn.execute(text(f"SELECT 1 {lines} LIMIT 1"), params).first() is None:
        return 0
    _cancel_cards(conn, {**params, "group": card_group})
    _ended_instead(conn, params)
    conn.execute(text(f"DELETE FROM ui_periods WHERE (person_id, seq) IN "
                      f"(SELECT l.person_id, l.ui_open_seq {lines} AND s.from_month = "
                      f"(SELECT u.from_month FROM ui_periods u WHERE u.person_id = l.person_id "
                      f"AND u.seq = l.ui_open_seq))"), params)
    return int(conn.execute(text(f"DELETE FROM si_periods WHERE (person_id, seq) IN "
                                 f"(SELECT l.person_id, l.open_seq {lines})"), params).rowcount)


def _ended_instead(conn: Connection, params: dict[str, int]) -> None:
    """The period an adjustment (DC) ended the month before a period ``:step`` cancels (a
    raise from March, then maternity leave from March) is ended by the decrease instead: the
    worker left, or went on leave, from that month, and the book counts a leave's months (TS,
    OF) from the code that ended the period before it."""
    conn.execute(text(f"""
        UPDATE si_periods SET closed_by = c.case_code
        FROM (SELECT q.person_id, q.seq, s.case_code
              FROM decl_staging s JOIN decl_lookup l ON l.row = s.row AND s.step = :step
              JOIN si_periods q ON q.person_id = l.person_id AND q.employer_id = :e
                   AND q.to_month = s.from_month - 1 AND q.closed_by IN {ADJUST}
              WHERE {_CANCELS}) c
        WHERE si_periods.person_id = c.person_id AND si_periods.seq = c.seq"""), params)


def _cancel_cards(conn: Connection, params: dict[str, object]) -> None:
    """Delete the card of group ``:group`` valid from the first month of each period ``:step``
    cancels: the card its start issued (or a new year's card, as the seed gives), which says
    the worker was covered from a month they never worked. Deleted, not ended: like the
    period, it never was (the book's versions keep what they showed)."""
    conn.execute(text(f"""
        DELETE FROM hi_cards WHERE (person_id, seq) IN (
            SELECT c.person_id, c.seq
            FROM decl_staging s JOIN decl_lookup l ON l.row = s.row AND s.step = :step
            JOIN decl_card_dates d ON d.from_month = s.from_month
            JOIN hi_cards c ON c.person_id = l.person_id AND c.valid_from = d.valid_from
                           AND c.group_code = :group
            WHERE {_CANCELS})"""), params)
