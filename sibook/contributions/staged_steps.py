"""The order in which a declaration's staged lines (``staging``) apply.

A person may have several lines (leave from March, back from May; a decrease, then a new
contract): they are taken in steps, each person's first line in step 1, the next in step 2, ...,
each step looked up, checked and applied against the periods the steps before it left, so a
line is judged as if the lines before it had been filed first. Almost every filing has one step.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from sibook.contributions.case_sql import ADJUST, DECREASE, INCREASE, LEAVE
from sibook.core.bulk import write
from sibook.core.errors import Problem

# A person's lines of one month by kind: decrease, increase, adjustment.
_KIND_ORDER = (f"CASE WHEN case_code IN {DECREASE} THEN 0 WHEN case_code IN {INCREASE} THEN 1 "
               "ELSE 2 END")
# The order they apply in: the decrease first (it ends the month before: a contract ended and a
# new one from the same month), then the increase, then the adjustment of what is open. For a
# worker with no period with the employer that is open or ended by leave they have not left
# (``staged_leave``), the decrease has nothing to end before the increase: it ends what the
# increase opens (taken on and leaving from the same month, which cancels the start, as the
# decrease filed in a later batch does). With no increase of its month, the adjustment applies
# before the decrease: a raise and leave (or leaving) from the same month end as in two batches,
# the raise's period cancelled and the one before it ended by the decrease (``staged_periods``),
# where the decrease, first, left the raise nothing open to adjust.
_APPLY_ORDER = (f"CASE WHEN case_code IN {DECREASE} AND NOT EXISTS ("
                "SELECT 1 FROM persons p JOIN si_periods q ON q.person_id = p.person_id "
                "WHERE p.personal_id = decl_staging.personal_id AND q.employer_id = :e "
                f"AND (q.to_month IS NULL OR q.closed_by IN {LEAVE} AND q.left_from IS NULL)) "
                "THEN 1.5 "
                f"WHEN case_code IN {ADJUST} AND NOT EXISTS ("
                "SELECT 1 FROM decl_staging i WHERE i.personal_id = decl_staging.personal_id "
                f"AND i.from_month = decl_staging.from_month AND i.case_code IN {INCREASE}) "
                "THEN -1 "
                f"ELSE {_KIND_ORDER} END")


# Each step reads the whole staged file again: a person's lines in one filing are bounded so that
# a file repeating one person cannot turn a filing into hours of steps.
MAX_STEPS = 24


def order_steps(conn: Connection, staged: int, employer_id: int) -> tuple[int, list[Problem]]:
    """Number each person's lines in the order they apply (a negative step sets one aside):
    the number of steps, and the lines that repeat an earlier line's kind and month for the
    same person (two increases from March say nothing the first did not; which one holds?).
    A line followed by one from a later month covers the months up to it (``covers_to``; the
    others, up to the declared month). ``staged``: how many lines are staged; ``employer_id``:
    the filing employer's (whether a worker has an open period with it, ``_APPLY_ORDER``)."""
    numbered = conn.execute(text(f"""
        UPDATE decl_staging SET step = r.step,
            covers_to = CASE WHEN r.next_from IS NULL THEN NULL
                             WHEN r.next_from > r.from_month THEN r.next_from - 1
                             ELSE r.from_month END
        FROM (SELECT row, from_month,
                     row_number() OVER w AS step, lead(from_month) OVER w AS next_from
              FROM decl_staging
              WHERE personal_id IN (SELECT personal_id FROM decl_staging
                                    GROUP BY personal_id HAVING count(*) > 1)
              WINDOW w AS (PARTITION BY personal_id ORDER BY from_month, {_APPLY_ORDER}, row)) r
        WHERE decl_staging.row = r.row"""), {"e": employer_id}).rowcount
    if not numbered:
        # One line a person (almost every filing): all in step 1, none repeated; the queries
        # below would each scan the staged lines again to say so.
        return min(staged, 1), []
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
