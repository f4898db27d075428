"""Each staged line of a step (``staging``, ``staged_steps``) looked up against its person and
their SI and UI periods, with one statement: what the checks and changes of the step read."""

from __future__ import annotations

from sqlalchemy import Connection, text

from sibook.contributions import staging

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
    staging.analyze(conn, "decl_lookup")
