"""Set-based checks and changes of a declaration, on temporary tables in its transaction.

The file's lines are staged (COPY/executemany), looked up against persons and their periods
with one join, checked with a handful of queries, and applied with UPDATE ... FROM and
INSERT ... SELECT: no query per line, so a 100,000-line filing costs a few statements.

A person may have several lines (leave from March, back from May; a decrease, then a new
contract): they are taken in steps, each person's first line in step 1, the next in step 2, ...,
each step looked up, checked and applied against the periods the steps before it left, so a
line is judged as if the lines before it had been filed first. Almost every filing has one step.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date

import polars as pl
from sqlalchemy import Connection, bindparam, text

from sibook.contributions.domain import ADJUSTMENTS, DECREASES, INCREASES
from sibook.core.bulk import write, write_frame
from sibook.core.errors import Problem
from sibook.core.period import Period
from sibook.registry.domain import same_name

STAGING_COLUMNS = (
    "row",
    "personal_id",
    "full_name",
    "case_code",
    "job_title",
    "salary",
    "allowances",
    "from_month",
    "si_code",
)


def _sql_set(codes: set[str]) -> str:
    """A constant SQL list of case codes (our own constants, never user input)."""
    return "(" + ", ".join(f"'{c}'" for c in sorted(codes)) + ")"


OPENS = _sql_set({*INCREASES, *ADJUSTMENTS})
CLOSES = _sql_set({*ADJUSTMENTS, *DECREASES})
INCREASE = _sql_set(set(INCREASES))
DECREASE = _sql_set(set(DECREASES))
ADJUST = _sql_set(set(ADJUSTMENTS))
# Within a person's lines of one month: the decrease first (it ends the month before), then the
# increase, then the adjustment of what is open.
_KIND_ORDER = (f"CASE WHEN case_code IN {DECREASE} THEN 0 WHEN case_code IN {INCREASE} THEN 1 "
               "ELSE 2 END")
# An adjustment from the open period's own first month rewrites that period's pay in place
# (the period is the current record; the ledger keeps the history as correcting entries).
_IN_PLACE = f"s.case_code IN {ADJUST} AND s.from_month = l.open_from"
_SPLITS = f"NOT ({_IN_PLACE})"
# A decrease from the open period's own first month (a worker taken on, or re-paid by an
# adjustment, from a month they then did not work) cancels that period: it never was, and the
# month's dues are reversed when the months are assessed again.
_CANCELS = f"s.case_code IN {DECREASE} AND s.from_month = l.open_from AND l.open_employer = :e"
# An increase for a voluntary participant (their open period has no employer) from a later
# month ends the voluntary period the month before: who works on a labour contract is insured
# compulsorily (Law 41/2024 Art 2), so the employer's start ends the voluntary one, and what
# was paid for the months after it is the participant's credit again (``voluntary``).
_ENDS_VOLUNTARY = (f"s.case_code IN {INCREASE} AND l.open_seq IS NOT NULL "
                   "AND l.open_employer IS NULL AND s.from_month > l.open_from")


def create(conn: Connection) -> None:
    on_commit = " ON COMMIT DROP" if conn.dialect.name == "postgresql" else ""
    if conn.dialect.name == "postgresql":
        # Lines find their persons by index: with the default random_page_cost (tuned for
        # spinning disks) the planner scans the whole persons table for every filing instead,
        # which grows with the country, not with the file.
        conn.execute(text("SET LOCAL random_page_cost = 1.1"))
    for table in ("decl_staging", "decl_lookup", "decl_minimum", "decl_aside", "decl_card_dates"):
        conn.execute(text(f"DROP TABLE IF EXISTS {_temp(conn)}{table}"))
    conn.execute(
        text(
            "CREATE TEMPORARY TABLE decl_staging (row BIGINT PRIMARY KEY, personal_id VARCHAR(12), "
            "full_name VARCHAR(120), case_code VARCHAR(2), job_title VARCHAR(120), "
            "salary BIGINT, allowances BIGINT, from_month INTEGER, si_code VARCHAR(12), "
            f"step INTEGER NOT NULL DEFAULT 1, covers_to INTEGER){on_commit}"
        )
    )
    conn.execute(
        text(
            "CREATE TEMPORARY TABLE decl_lookup (row BIGINT PRIMARY KEY, person_id BIGINT, "
            "nationality VARCHAR(2), open_seq INTEGER, open_from INTEGER, open_employer BIGINT, "
            "open_job VARCHAR(120), max_seq INTEGER, last_to INTEGER, ui_open_seq INTEGER, "
            "ui_max_seq INTEGER, full_name VARCHAR(120), with_employer INTEGER, "
            "si_code VARCHAR(10))"
            f"{on_commit}"
        )
    )
    conn.execute(
        text(
            "CREATE TEMPORARY TABLE decl_minimum (from_month INTEGER PRIMARY KEY, minimum BIGINT, "
            f"highest BIGINT){on_commit}"
        )
    )
    conn.execute(text(f"CREATE TEMPORARY TABLE decl_aside (row BIGINT PRIMARY KEY){on_commit}"))
    conn.execute(text("CREATE TEMPORARY TABLE decl_card_dates (from_month INTEGER PRIMARY KEY, "
                      f"valid_from DATE, valid_to DATE){on_commit}"))


def _temp(conn: Connection) -> str:
    return "temp." if conn.dialect.name == "sqlite" else ""


def stage(conn: Connection, frame: pl.DataFrame) -> None:
    write_frame(conn, "decl_staging", frame.select(STAGING_COLUMNS))


def analyze(conn: Connection, table: str) -> None:
    """Give PostgreSQL's planner the size of a temporary table (autovacuum never does)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"ANALYZE {table}"))


def months_declared(conn: Connection) -> list[Period]:
    rows = conn.execute(text("SELECT DISTINCT from_month FROM decl_staging"))
    return sorted(Period.from_index(r[0]) for r in rows)


def set_minimums(conn: Connection, minimums: dict[Period, int]) -> None:
    """Each month's minimum, and the highest from it to the last month given (the declared
    one): a line is below a minimum it covers if its pay is below the highest of its first
    month, so the check stays one equality join."""
    rows, highest = [], 0
    for m in sorted(minimums, reverse=True):
        highest = max(highest, minimums[m])
        rows.append((m.index, minimums[m], highest))
    write(conn, "decl_minimum", ("from_month", "minimum", "highest"), rows)


def rows_in_months(conn: Connection, months: list[int]) -> list[tuple[int, int]]:
    rows = conn.execute(
        text("SELECT row, from_month FROM decl_staging WHERE from_month IN :m").bindparams(
            bindparam("m", expanding=True)
        ),
        {"m": months},
    )
    return [(int(r[0]), int(r[1])) for r in rows]


# Each step reads the whole staged file again: a person's lines in one filing are bounded so that
# a file repeating one person cannot turn a filing into hours of steps.
MAX_STEPS = 24


def order_steps(conn: Connection) -> tuple[int, list[Problem]]:
    """Number each person's lines in the order they apply (a negative step sets one aside):
    the number of steps, and the lines that repeat an earlier line's kind and month for the
    same person (two increases from March say nothing the first did not; which one holds?).
    A line followed by one from a later month covers the months up to it (``covers_to``; the
    others, up to the declared month)."""
    conn.execute(text(f"""
        UPDATE decl_staging SET step = r.step,
            covers_to = CASE WHEN r.next_from IS NULL THEN NULL
                             WHEN r.next_from > r.from_month THEN r.next_from - 1
                             ELSE r.from_month END
        FROM (SELECT row, from_month,
                     row_number() OVER w AS step, lead(from_month) OVER w AS next_from
              FROM decl_staging
              WHERE personal_id IN (SELECT personal_id FROM decl_staging
                                    GROUP BY personal_id HAVING count(*) > 1)
              WINDOW w AS (PARTITION BY personal_id ORDER BY from_month, {_KIND_ORDER}, row)) r
        WHERE decl_staging.row = r.row"""))
    found: list[Problem] = []
    for row, first_row in conn.execute(text(f"""
            SELECT row, first_row FROM (
                SELECT row, step, min(row) OVER (PARTITION BY personal_id, from_month,
                                                 {_KIND_ORDER}) AS first_row
                FROM decl_staging
                WHERE personal_id IN (SELECT personal_id FROM decl_staging WHERE step > 1)) r
            WHERE row <> first_row OR step > :most ORDER BY row"""), {"most": MAX_STEPS}):
        found.append(Problem(field="case_code", row=int(row), reason=(
            f"the same person already has a line of this kind from this month on row {first_row}"
            if row != first_row else f"more than {MAX_STEPS} lines for one person in one "
                                     "filing; file the rest as another batch")))
    set_aside(conn, [p.row for p in found if p.row is not None])
    steps = conn.execute(text("SELECT max(step) FROM decl_staging")).scalar()
    return min(int(steps or 0), MAX_STEPS), found


def set_aside(conn: Connection, rows: list[int]) -> None:
    """Take refused lines out of their steps (the step negated): the lines after them are not
    checked against what they would have changed."""
    if not rows:
        return
    write(conn, "decl_aside", ("row",), [(r,) for r in sorted(set(rows))])
    conn.execute(text("UPDATE decl_staging SET step = -abs(step) "
                      "WHERE row IN (SELECT row FROM decl_aside)"))


_LOOKUP_COLUMNS = """INSERT INTO decl_lookup (row, person_id, nationality, open_seq, open_from,
    open_employer, open_job, max_seq, last_to, ui_open_seq, ui_max_seq, full_name,
    with_employer, si_code)"""

# Each line reaches its person's periods through the primary key (person_id leads it), so a
# filing costs index probes per line whatever the size of the country and whatever the
# planner's statistics say: a hash join over the whole periods table, or worse a nested loop
# over a table it believes empty, turns a 20,000-line filing from a second into minutes.
# The lines probe the persons in personal-ID order, then the periods in person_id order: each
# index is walked forwards instead of at random (a file comes in no order; 1.1 s -> ~0.6 s
# for 100,000 lines).
# The persons too (LIMIT 1 keeps the planner from flattening it back into a hash join that
# reads every person: 0.16 s per filing at 400,000 persons, growing with the country).
# A person has at most one open period (every path that opens one refuses a second), so the
# FILTERed maxima are that period's values: one probe of the person's periods, not two.
# The registered name and SI code and whether the person ever had a period with the filing
# employer come from the same probes. PostgreSQL: LATERAL; SQLite, whose planner runs
# correlated subqueries per row by index anyway, has no LATERAL.
_LOOKUP_PG = _LOOKUP_COLUMNS + """
    SELECT p.row, p.person_id, p.nationality, si.open_seq, si.open_from, si.open_employer,
           si.open_job, si.max_seq, si.last_to, ui.open_seq, ui.max_seq, p.full_name,
           si.with_employer, p.legacy_si_code
    FROM (SELECT s.row, y.person_id, y.nationality, y.full_name, y.legacy_si_code
          FROM (SELECT row, personal_id FROM decl_staging WHERE step = :step
                ORDER BY personal_id) s
          JOIN LATERAL (
              SELECT y.person_id, y.nationality, y.full_name, y.legacy_si_code FROM persons y
              WHERE y.personal_id = s.personal_id AND y.realm = :realm LIMIT 1) y ON true
          ORDER BY y.person_id) p
    LEFT JOIN LATERAL (
        SELECT max(x.seq) AS max_seq, max(x.to_month) AS last_to,
               max(x.seq) FILTER (WHERE x.to_month IS NULL) AS open_seq,
               max(x.from_month) FILTER (WHERE x.to_month IS NULL) AS open_from,
               max(x.employer_id) FILTER (WHERE x.to_month IS NULL) AS open_employer,
               max(x.job_title) FILTER (WHERE x.to_month IS NULL) AS open_job,
               max(1) FILTER (WHERE x.employer_id = :e) AS with_employer
        FROM si_periods x WHERE x.person_id = p.person_id) si ON true
    LEFT JOIN LATERAL (
        SELECT max(u.seq) AS max_seq, max(CASE WHEN u.to_month IS NULL THEN u.seq END) AS open_seq
        FROM ui_periods u WHERE u.person_id = p.person_id) ui ON true
"""
_LOOKUP_SQLITE = _LOOKUP_COLUMNS + """
    SELECT s.row, p.person_id, p.nationality, o.seq, o.from_month, o.employer_id, o.job_title,
           (SELECT max(x.seq) FROM si_periods x WHERE x.person_id = p.person_id),
           (SELECT max(x.to_month) FROM si_periods x WHERE x.person_id = p.person_id),
           (SELECT max(u.seq) FROM ui_periods u
             WHERE u.person_id = p.person_id AND u.to_month IS NULL),
           (SELECT max(u.seq) FROM ui_periods u WHERE u.person_id = p.person_id),
           p.full_name,
           (SELECT 1 FROM si_periods x WHERE x.person_id = p.person_id AND x.employer_id = :e
            LIMIT 1),
           p.legacy_si_code
    FROM decl_staging s
    JOIN persons p ON p.personal_id = s.personal_id AND p.realm = :realm
    LEFT JOIN si_periods o ON o.person_id = p.person_id AND o.to_month IS NULL
    WHERE s.step = :step
"""


def look_up(conn: Connection, step: int, employer_id: int, realm: str) -> None:
    """One row per line of ``step``: the person, their registered name, their open and last
    SI/UI periods, and whether they had one with ``employer_id``. Only persons of the
    employer's ``realm`` are found: a civil unit files for civilians, a ministry's unit for
    its own people."""
    conn.execute(text(_LOOKUP_PG if conn.dialect.name == "postgresql" else _LOOKUP_SQLITE),
                 {"step": step, "e": employer_id, "realm": realm})
    analyze(conn, "decl_lookup")


# Every check of a line against the database, as a flag column: one pass over the lines (the
# eight checks took eight), then each raised flag becomes a problem with its reason.
_CHECKS = f"""
SELECT c.*, c.below_month IS NOT NULL AS below_minimum, b.minimum FROM (
    SELECT s.row, s.personal_id, s.salary, s.from_month, d.aside_row, s.case_code,
           s.full_name IS NOT NULL AS named,
           l.open_employer AS employer, l.open_from AS open_month, l.last_to AS last_month,
           l.row IS NULL AS unknown, l.with_employer IS NULL AS outsider,
           d.aside_row IS NOT NULL AS after_refused,
           -- The first month the line covers whose minimum its pay is below; looked for only
           -- where the highest minimum to the declared month is above it (few lines).
           CASE WHEN s.case_code IN {OPENS} AND s.salary < m.highest THEN
               (SELECT min(x.from_month) FROM decl_minimum x
                WHERE x.from_month >= s.from_month AND x.minimum > s.salary
                  AND (s.covers_to IS NULL OR x.from_month <= s.covers_to)) END AS below_month,
           s.case_code IN {INCREASE} AND l.open_seq IS NOT NULL
               AND NOT ({_ENDS_VOLUNTARY}) AS still_open,
           s.case_code IN {INCREASE} AND l.open_seq IS NULL AND s.from_month <= l.last_to
               AS overlaps_last,
           s.case_code IN {CLOSES}
               AND (l.open_seq IS NULL OR l.open_employer IS NULL OR l.open_employer <> :e)
               AS nothing_to_close,
           s.case_code IN {DECREASE} AND l.open_employer = :e AND s.from_month < l.open_from
               AS decrease_too_early,
           s.case_code IN {ADJUST} AND l.open_employer = :e AND s.from_month < l.open_from
               AS adjustment_too_early,
           s.case_code IN {INCREASE} AND s.full_name IS NULL AND l.with_employer IS NULL
               AS name_required
    FROM decl_staging s
    LEFT JOIN decl_lookup l ON l.row = s.row
    LEFT JOIN decl_minimum m ON m.from_month = s.from_month
    LEFT JOIN (SELECT personal_id, min(row) AS aside_row FROM decl_staging
               WHERE step < 0 AND -step < :step GROUP BY personal_id) d
           ON d.personal_id = s.personal_id
    WHERE s.step = :step
) c
LEFT JOIN decl_minimum b ON b.from_month = c.below_month
WHERE unknown OR after_refused OR below_month IS NOT NULL OR still_open OR overlaps_last
   OR nothing_to_close OR decrease_too_early OR adjustment_too_early OR name_required
"""
# flag: (field, reason); the reason's {names} are columns of the row.
_REASONS = {
    "unknown": ("personal_id", "no registered person has personal ID {personal_id}"),
    "after_refused": ("personal_id", "not checked: it applies after row {aside_row} of the "
                                     "same person, which is refused"),
    "below_minimum": ("salary", "{salary:,} is below the regional minimum wage {minimum:,} for "
                                "region {region} in {below_month}"),
    "still_open": ("case_code", "overlapping periods: this person already has an open period "
                                "with this employer since {open_month}"),
    "overlaps_last": ("from_month", "overlapping periods: this person already has participation "
                                    "recorded in or after this month; the increase must start "
                                    "after it (their e-SI book shows their periods)"),
    "nothing_to_close": ("case_code", "decrease or adjustment without a prior increase: this "
                                      "person has no open period with this employer"),
    "decrease_too_early": ("from_month", "a decrease cannot start before the open period "
                                         "does ({open_month})"),
    "adjustment_too_early": ("from_month", "an adjustment cannot start before the open period "
                                           "does ({open_month})"),
    # Without it, any employer could put any registered person on its payroll and so read
    # their record: the name on their ID card is what the employer must know of them.
    "name_required": ("full_name", "required for a worker new to this employer, as on their "
                                   "ID card"),
}
# Where a former worker is employed now is not the filing employer's business: the reason
# says another employer must act, not which one, nor since when.
_ELSEWHERE = {"still_open": ("case_code", "overlapping periods: this person still has an open "
                                          "period with another employer, which must report "
                                          "the decrease first")}
_VOLUNTARY = {"still_open": ("case_code", "overlapping periods: this person has paid voluntary "
                                          "SI since {open_month}; compulsory participation "
                                          "from a later month ends it, none starts in or "
                                          "before that month")}
_MONTHS = ("from_month", "open_month", "last_month", "below_month")
# Whether a person the employer never had a period with is registered, employed elsewhere or
# paying voluntary SI is not the employer's business: a line for such an outsider is refused
# for what the line and the employer's own records say (an increase without the name, a
# decrease of no period of its own), else with one reason, whatever the person's record holds
# (not registered, another name, an SI period in the way) -- the worker's e-SI book says which.
_OUTSIDER = ("personal_id", "no registered person with personal ID {personal_id} and this "
                            "full_name (and si_code, if given) can be taken on from "
                            "{from_month}: the ID and name must be one registered person's, as "
                            "on their ID card, whose SI periods leave that month free (none "
                            "open with another employer, none recorded in or after it; their "
                            "e-SI book shows them); a person not yet registered is registered "
                            "first (TK1-TS)")
_ABOUT_THE_PERSON = ("unknown", "still_open", "overlaps_last", "nothing_to_close",
                     "name_required")


def _told_an_outsider(row: int, personal_id: str, case_code: str, from_month: int | None,
                      named: bool) -> Problem:
    """The one refusal of an outsider's line (:data:`_OUTSIDER`), from the line alone."""
    flag = ("nothing_to_close" if case_code not in INCREASES
            else "name_required" if not named else None)
    field, reason = _REASONS[flag] if flag else _OUTSIDER
    month = _month(from_month) if from_month is not None else "its month"
    return Problem(field=field, row=row,
                   reason=reason.format(personal_id=personal_id, from_month=month))


def problems(conn: Connection, employer_id: int, region: str, step: int,
             misnamed: Collection[Problem] = ()) -> list[Problem]:
    """Every line of ``step`` the database refuses, with the reason, in row order, and
    ``misnamed``: the lines whose name or SI code is not their person's
    (:func:`name_problems`, :func:`si_code_problems`)."""
    found: list[Problem] = []
    refused, after = {p.row for p in misnamed}, set()
    for r in conn.execute(text(_CHECKS), {"e": employer_id, "step": step}).mappings():
        values = {k: _month(v) if k in _MONTHS and v is not None else v for k, v in r.items()}
        values["region"] = region
        employer = r["employer"]
        reasons = (_REASONS | _VOLUNTARY if employer is None
                   else _REASONS if employer == employer_id else _REASONS | _ELSEWHERE)
        raised = [flag for flag in reasons if r[flag]]
        # A line after a refused one was checked against periods it did not expect: only that.
        if "after_refused" in raised:
            raised = ["after_refused"]
            after.add(r["row"])
        elif r["outsider"] and (r["row"] in refused or set(raised) & set(_ABOUT_THE_PERSON)):
            raised = [flag for flag in raised if flag not in _ABOUT_THE_PERSON]
            found.append(_told_an_outsider(int(r["row"]), r["personal_id"], r["case_code"],
                                           r["from_month"], bool(r["named"])))
        for flag in raised:
            field, reason = reasons[flag]
            found.append(Problem(field=field, reason=reason.format(**values), row=int(r["row"])))
    found += [p for p in misnamed if p.row not in after]
    unique = {(p.row, p.field, p.reason): p for p in found}
    return sorted(unique.values(), key=lambda p: (p.row or 0, p.field))


def name_problems(conn: Connection, step: int) -> list[Problem]:
    """The lines of ``step`` naming someone other than the person registered with their
    personal ID (an outsider's: :data:`_OUTSIDER`). A name written as registered (the common
    case) is told apart in SQL; the others are compared as the registry compares names
    (``same_name``: case, spacing and Unicode composition aside), which SQL cannot do alike
    on both stores (SQLite's lower() folds ASCII only)."""
    rows = conn.execute(text(
        "SELECT s.row, s.personal_id, s.full_name, l.full_name, s.case_code, s.from_month, "
        "l.with_employer IS NULL FROM decl_staging s JOIN decl_lookup l ON l.row = s.row "
        "WHERE s.step = :step AND s.full_name <> l.full_name"), {"step": step}).all()
    return [_told_an_outsider(row, pid, code, month, True) if outsider else
            Problem(field="full_name", row=int(row),
                    reason=f"does not match the name registered for personal ID {pid}")
            for row, pid, given, registered, code, month, outsider in rows
            if not same_name(given, registered)]


def si_code_problems(conn: Connection, step: int) -> list[Problem]:
    """The lines of ``step`` whose SI code (``si_code``, the legacy mã số BHXH) is not the one
    registered for their personal ID (an outsider's: :data:`_OUTSIDER`); whose it is, if
    anyone's, is not said. A code equal to the personal ID names the same person. Asked only
    of filings that give SI codes."""
    rows = conn.execute(text(
        "SELECT s.row, s.personal_id, s.si_code, s.case_code, s.from_month, "
        "s.full_name IS NOT NULL, l.with_employer IS NULL FROM decl_staging s "
        "JOIN decl_lookup l ON l.row = s.row "
        "WHERE s.step = :step AND s.si_code <> s.personal_id "
        "AND (l.si_code IS NULL OR s.si_code <> l.si_code)"), {"step": step}).all()
    return [_told_an_outsider(row, pid, code, month, named) if outsider else
            Problem(field="si_code", row=int(row), reason=(
                f"SI code {si_code} is not the one registered for personal_id {pid}; both "
                "must be the worker's"))
            for row, pid, si_code, code, month, named, outsider in rows]


def _month(index: int) -> str:
    return str(Period.from_index(int(index)))


def apply(conn: Connection, employer_id: int, occupational_rate_bp: int,
          step: int, *, card_group: str) -> dict[str, int]:
    """Close the periods the decreases and adjustments of ``step`` end, and the voluntary ones
    its increases end; open the new ones. A cancelled start takes the HI card of
    ``card_group`` it issued with it."""
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
    cancelled = _cancel(conn, employer_id, step, card_group)
    closed = conn.execute(
        text(f"""
        UPDATE si_periods SET to_month = c.to_month, closed_by = c.case_code
        FROM (SELECT l.person_id, l.open_seq, s.from_month - 1 AS to_month, s.case_code
              FROM decl_staging s JOIN decl_lookup l ON l.row = s.row AND s.step = :step
              WHERE (s.case_code IN {CLOSES} AND {_SPLITS} AND NOT ({_CANCELS}))
                 OR ({_ENDS_VOLUNTARY})) c
        WHERE si_periods.person_id = c.person_id AND si_periods.seq = c.open_seq"""),
        {"step": step, "e": employer_id},
    ).rowcount
    conn.execute(
        text(f"""
        UPDATE ui_periods SET to_month = c.to_month
        FROM (SELECT l.person_id, l.ui_open_seq, s.from_month - 1 AS to_month
              FROM decl_staging s JOIN decl_lookup l ON l.row = s.row AND s.step = :step
              WHERE s.case_code IN {CLOSES} AND {_SPLITS} AND l.ui_open_seq IS NOT NULL) c
        WHERE ui_periods.person_id = c.person_id AND ui_periods.seq = c.ui_open_seq"""),
        {"step": step},
    )
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
    return {"periods_closed": closed + cancelled, "periods_opened": opened}


def set_card_dates(conn: Connection, validity: Callable[[Period], tuple[date, date]]) -> None:
    """The validity of a card issued to someone starting in each month the lines name (a
    filing names a few months), for ``issue_hi_cards`` to join, and for ``_cancel`` to find
    the card a cancelled start issued."""
    months = [int(r[0]) for r in conn.execute(text("SELECT DISTINCT from_month FROM decl_staging"))]
    write(conn, "decl_card_dates", ("from_month", "valid_from", "valid_to"),
          [(m, *validity(Period.from_index(m))) for m in months])


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
    conn.execute(text(f"DELETE FROM ui_periods WHERE (person_id, seq) IN "
                      f"(SELECT l.person_id, l.ui_open_seq {lines} AND s.from_month = "
                      f"(SELECT u.from_month FROM ui_periods u WHERE u.person_id = l.person_id "
                      f"AND u.seq = l.ui_open_seq))"), params)
    return int(conn.execute(text(f"DELETE FROM si_periods WHERE (person_id, seq) IN "
                                 f"(SELECT l.person_id, l.open_seq {lines})"), params).rowcount)


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


def counts_by_code(conn: Connection) -> dict[str, int]:
    rows = conn.execute(
        text("SELECT case_code, count(*) FROM decl_staging GROUP BY case_code ORDER BY case_code")
    )
    return {r[0]: int(r[1]) for r in rows}


def person_ids(conn: Connection) -> list[int]:
    """The persons the filing named and the registry knows: those an applied filing changed,
    or a refused one read (for the access log)."""
    return [int(r[0]) for r in conn.execute(
        text("SELECT DISTINCT person_id FROM decl_lookup WHERE person_id IS NOT NULL "
             "ORDER BY person_id"))]
