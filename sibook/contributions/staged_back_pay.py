"""A salary adjustment (DC) from a month before the worker's open period began, or of a former
worker: the pay of a month already closed is corrected, as an employer must be able to do for
any month the worker was insured with it (a raise from November split the open period, then
October's pay is found wrong; a leaver's last months were under-declared).

A DC line gives the pay from its month on until the worker's next change of pay already on
file (D02-LT, FACTS §6.3: DC is an adjustment of the pay declared, not a new contract): the
earlier period of the employer's that covers the month is cut there, its months from the
line's re-priced, and the periods after it (a later DC's raise, a decrease, a new contract)
stay as filed. Filed after November's raise, October's correction leaves November's in place.
A DC from the covering period's own first month re-prices that period in place. The months
changed are assessed again by the filing, whose ledger entries correct what was posted for them
(signed entries, never an update: ``ledger.assess``). A month a settled pension or one-time
withdrawal averaged is not corrected here (``staged_settled``)."""

from __future__ import annotations

from sqlalchemy import Connection, text

from sibook.contributions.case_sql import ADJUST

# A line of the step that adjusts pay from before the worker's open period, or of a worker
# with none (a former worker's pay corrected; ``staged_checks`` refuses it unless a period
# with the filing employer covers its month): ``staged_periods`` leaves it to this module.
BACK = f"s.case_code IN {ADJUST} AND (l.open_from IS NULL OR s.from_month < l.open_from)"
# The period of the line's person with employer ``:e`` covering the line's month (as ``p``);
# only a closed one can lie before the open period.
_COVERS = """p.person_id = l.person_id AND p.employer_id = :e
    AND p.kind IN ('compulsory', 'foreign') AND p.from_month <= s.from_month
    AND p.to_month >= s.from_month"""
# Whether a period of the employer's covers the month of the line (``s``, looked up as ``l``).
COVERED = f"EXISTS (SELECT 1 FROM si_periods p WHERE {_COVERS})"
_LINES = ("FROM decl_staging s JOIN decl_lookup l ON l.row = s.row AND s.step = :step "
          f"JOIN si_periods p ON {_COVERS}")
_UI_COVERING = """ui_periods u ON u.person_id = l.person_id AND u.employer_id = :e
    AND u.from_month <= s.from_month AND (u.to_month IS NULL OR u.to_month >= s.from_month)"""
_UI_LINES = ("FROM decl_staging s JOIN decl_lookup l ON l.row = s.row AND s.step = :step "
             f"JOIN {_UI_COVERING}")


def _any(conn: Connection, step: int) -> bool:
    """Whether ``step`` has a back adjustment: rare, so looked for first, and the statements
    that join the periods run only then."""
    return conn.execute(text(
        "SELECT 1 FROM decl_staging s JOIN decl_lookup l ON l.row = s.row AND s.step = :step "
        f"WHERE {BACK} LIMIT 1"), {"step": step}).first() is not None


def limit_cover(conn: Connection, employer_id: int, step: int) -> None:
    """A back adjustment of ``step`` covers its months to the end of the period it re-prices
    at most: the regional minimum its pay must meet is that of those months, not of the months
    of the later pay on file."""
    if not _any(conn, step):
        return
    conn.execute(text(f"""
        UPDATE decl_staging SET covers_to = c.to_month
        FROM (SELECT s.row, p.to_month {_LINES} WHERE {BACK}) c
        WHERE decl_staging.row = c.row
          AND (decl_staging.covers_to IS NULL OR decl_staging.covers_to > c.to_month)"""),
        {"step": step, "e": employer_id})


def apply(conn: Connection, employer_id: int, step: int) -> int:
    """Re-price the SI and UI periods the back adjustments of ``step`` fall in: in place from
    a period's first month, else cut there, the new part from the line's month to the old
    period's end; how many were cut."""
    if not _any(conn, step):
        return 0
    params = {"step": step, "e": employer_id}
    conn.execute(text(f"""
        UPDATE si_periods SET salary_basis = c.salary, allowances = c.allowances,
                              job_title = COALESCE(c.job_title, si_periods.job_title)
        FROM (SELECT p.person_id, p.seq, s.salary, COALESCE(s.allowances, 0) AS allowances,
                     s.job_title
              {_LINES} WHERE {BACK} AND p.from_month = s.from_month) c
        WHERE si_periods.person_id = c.person_id AND si_periods.seq = c.seq"""), params)
    # The new part first, while the old period still holds its end and the code that ended it
    # (and the month a worker on leave left, ``staged_leave``).
    cut = conn.execute(text(f"""
        INSERT INTO si_periods (person_id, seq, from_month, to_month, kind, employer_id,
                                job_title, salary_basis, allowances, occupational_rate_bp,
                                closed_by, left_from)
        SELECT l.person_id, l.max_seq + 1, s.from_month, p.to_month, p.kind, p.employer_id,
               COALESCE(s.job_title, p.job_title), s.salary, COALESCE(s.allowances, 0),
               p.occupational_rate_bp, p.closed_by, p.left_from
        {_LINES} WHERE {BACK} AND p.from_month < s.from_month
        ORDER BY l.person_id"""), params).rowcount
    conn.execute(text(f"""
        UPDATE si_periods SET to_month = c.to_month, closed_by = c.case_code, left_from = NULL
        FROM (SELECT p.person_id, p.seq, s.from_month - 1 AS to_month, s.case_code
              {_LINES} WHERE {BACK} AND p.from_month < s.from_month) c
        WHERE si_periods.person_id = c.person_id AND si_periods.seq = c.seq"""), params)
    _apply_ui(conn, params)
    return int(cut)


def _apply_ui(conn: Connection, params: dict[str, int]) -> None:
    """The same for the UI periods (a foreign worker has none)."""
    conn.execute(text(f"""
        UPDATE ui_periods SET salary_basis = c.basis
        FROM (SELECT u.person_id, u.seq, s.salary + COALESCE(s.allowances, 0) AS basis
              {_UI_LINES} WHERE {BACK} AND u.from_month = s.from_month) c
        WHERE ui_periods.person_id = c.person_id AND ui_periods.seq = c.seq"""), params)
    conn.execute(text(f"""
        INSERT INTO ui_periods (person_id, seq, from_month, to_month, employer_id, salary_basis)
        SELECT l.person_id, COALESCE(l.ui_max_seq, 0) + 1, s.from_month, u.to_month, :e,
               s.salary + COALESCE(s.allowances, 0)
        {_UI_LINES} WHERE {BACK} AND u.from_month < s.from_month
        ORDER BY l.person_id"""), params)
    conn.execute(text(f"""
        UPDATE ui_periods SET to_month = c.to_month
        FROM (SELECT u.person_id, u.seq, s.from_month - 1 AS to_month
              {_UI_LINES} WHERE {BACK} AND u.from_month < s.from_month) c
        WHERE ui_periods.person_id = c.person_id AND ui_periods.seq = c.seq"""), params)
