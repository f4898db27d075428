"""benefit_decisions: the average salary a pension decision states

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-28 03:10:00.000000

A pension's dossier may establish a revalued average salary other than the book's (salary
before the system's records, a court's or inspection's correction); the decision states it and
its amounts are checked against the record's rate times it (Law 41/2024 Arts 66, 68, 72).
Nullable: a decision that states none is checked on the book's average, as before. Added in
place (SQLite's ADD COLUMN keeps the table and its append-only triggers), with its own CHECK.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('benefit_decisions') as batch:
        batch.add_column(sa.Column(
            'average_salary', sa.BigInteger(), sa.CheckConstraint(
                'average_salary > 0', name=op.f('ck_benefit_decisions_average_salary')),
            nullable=True))


def downgrade() -> None:
    # In place on both (SQLite >= 3.35 drops a column whose CHECK is its own): a batch copy
    # would lose the append-only triggers.
    op.drop_column('benefit_decisions', 'average_salary')
