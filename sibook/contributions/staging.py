"""A declaration's lines staged in temporary tables of its transaction, for set-based checks
and changes.

The file's lines are staged (COPY/executemany), looked up against persons and their periods
with one join (``staged_lookup``), checked with a handful of queries (``staged_checks``), and
applied with UPDATE ... FROM and INSERT ... SELECT (``staged_periods``, ``staged_cards``): no
query per line, so a 100,000-line filing costs a few statements. A person's several lines are
taken in steps (``staged_steps``).

Here: the temporary tables, the staging of the lines, and what is read back of them whole.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import polars as pl
from sqlalchemy import Connection, bindparam, text

from sibook.contributions.domain import COLUMNS
from sibook.core.bulk import write_frame
from sibook.core.period import Period

# The file's columns after the row number the validation named each line by.
STAGING_COLUMNS = ("row", *COLUMNS)


def create(conn: Connection) -> None:
    """The filing's temporary tables: its staged lines, and what the ``staged_*`` modules write
    beside them (the look-up, the minimums, the lines set aside, the cards' dates, the benefits
    settled on the workers' records, the periods GH lines find on leave)."""
    on_commit = " ON COMMIT DROP" if conn.dialect.name == "postgresql" else ""
    if conn.dialect.name == "postgresql":
        # Lines find their persons by index: with the default random_page_cost (tuned for
        # spinning disks) the planner scans the whole persons table for every filing instead,
        # which grows with the country, not with the file.
        conn.execute(text("SET LOCAL random_page_cost = 1.1"))
        # The filing sorts its lines (into index order for the look-up and each insert): with
        # the default 4 MB each sort of a 100,000-line file spills to disk.
        conn.execute(text("SET LOCAL work_mem = '64MB'"))
    for table in ("decl_staging", "decl_lookup", "decl_minimum", "decl_aside", "decl_card_dates",
                  "decl_settled", "decl_leave"):
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
    conn.execute(text("CREATE TEMPORARY TABLE decl_leave (row BIGINT PRIMARY KEY, "
                      "person_id BIGINT, seq INTEGER, to_month INTEGER, closed_by VARCHAR(2))"
                      f"{on_commit}"))
    conn.execute(text("CREATE TEMPORARY TABLE decl_settled (person_id BIGINT PRIMARY KEY, "
                      "last_month INTEGER, benefit VARCHAR(40), dossier_no VARCHAR(40), "
                      "decision_no VARCHAR(40), decided_on VARCHAR(10), decided_month INTEGER, "
                      "pension_from INTEGER)"
                      f"{on_commit}"))


def _temp(conn: Connection) -> str:
    return "temp." if conn.dialect.name == "sqlite" else ""


@dataclass
class Staged:
    """What the staged lines hold, counted from their frames as they are staged: each of the
    filing's statements that read it from the table instead scanned the whole table."""

    lines: int = 0
    months: set[Period] = field(default_factory=set)
    codes: Counter[str] = field(default_factory=Counter)

    def case_codes(self) -> dict[str, int]:
        """Lines per case code, by code."""
        return dict(sorted(self.codes.items()))


def stage(conn: Connection, frame: pl.DataFrame, staged: Staged) -> None:
    """Stage the lines of ``frame`` (checked, typed: ``validate``), counted in ``staged``."""
    write_frame(conn, "decl_staging", frame.select(STAGING_COLUMNS))
    staged.lines += frame.height
    staged.months.update(Period.from_index(m) for m in frame["from_month"].unique().to_list())
    staged.codes.update(dict(frame["case_code"].value_counts().iter_rows()))


def analyze(conn: Connection, table: str) -> None:
    """Give PostgreSQL's planner the size of a temporary table (autovacuum never does)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"ANALYZE {table}"))


def rows_in_months(conn: Connection, months: list[int]) -> list[tuple[int, int]]:
    rows = conn.execute(
        text("SELECT row, from_month FROM decl_staging WHERE from_month IN :m").bindparams(
            bindparam("m", expanding=True)
        ),
        {"m": months},
    )
    return [(int(r[0]), int(r[1])) for r in rows]


def person_ids(conn: Connection) -> list[int]:
    """The persons the filing named and the registry knows: those an applied filing changed,
    or a refused one read (for the access log)."""
    return [int(r[0]) for r in conn.execute(
        text("SELECT DISTINCT person_id FROM decl_lookup WHERE person_id IS NOT NULL "
             "ORDER BY person_id"))]


def named_person_ids(conn: Connection) -> list[int]:
    """The registered persons the staged lines name, of any realm: a refused filing is in the
    log of each, one of another realm too (refused as a number nobody holds), as a refused
    registration of them is, so a ministry's unit probing a civil ID, or the reverse, is seen."""
    return [int(r[0]) for r in conn.execute(
        text("SELECT DISTINCT p.person_id FROM decl_staging s JOIN persons p "
             "ON p.personal_id = s.personal_id ORDER BY p.person_id"))]
