"""si_periods.salary_basis, si_periods.allowances, ui_periods.salary_basis: 64-bit on PostgreSQL

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-28 00:40:00.000000

A monthly salary (or a voluntary participant's declared income) is the amount the contract
states, uncapped: the caps of the contribution basis (20 reference levels for SI, 20 regional
minimums for UI) are applied when dues are computed, not when the period is stored. PostgreSQL's
INTEGER stops at 2,147,483,647 VND (~2.1 billion a month), which an executive's contract can
pass; a salary past it failed the insert. SQLite's INTEGER is 64-bit already, so its tables
are left alone (a batch copy would rebuild the largest tables for nothing); the models say
BIGINT on PostgreSQL and INTEGER on SQLite (``core.db.Int64``).
"""

from __future__ import annotations

from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

COLUMNS = {"si_periods": ("salary_basis", "allowances"), "ui_periods": ("salary_basis",)}


def upgrade() -> None:
    _retype("BIGINT")


def downgrade() -> None:
    # Refused by PostgreSQL ("integer out of range") while a period holds more than
    # 2,147,483,647: nothing is cut short silently.
    _retype("INTEGER")


def _retype(sql_type: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in COLUMNS.items():  # one rewrite of each table for all its columns
        op.execute(f"ALTER TABLE {table} " + ", ".join(
            f"ALTER COLUMN {column} TYPE {sql_type}" for column in columns))
