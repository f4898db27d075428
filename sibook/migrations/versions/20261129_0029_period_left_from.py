"""si_periods.left_from: the month a worker on sick or maternity leave left the employer

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-29 14:30:00.000000

A leave's decrease (OF sick, TS maternity) ends the worker's period the month before the leave,
and the months after it count from that code: the months off sick a sickness claim may fall in,
the maternity months the book counts (FACTS §4.4). When the worker then left during the leave,
the employer's permanent decrease (GH) from a later month kept the leave's code (its months
count) and nothing else: the GH's month was not kept, so the leave ran on past it, and after
maternity leave from March and a GH from June the book counted maternity months March to
August as if the worker were still employed. The GH's month is now kept with the period the
leave ended; the leave's months end the month before it. Periods ended so before this
revision have none (a declaration's lines are not kept, so the month cannot be recovered):
their leave reads as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD COLUMN in place on both backends (a nullable column with no default or constraint).
    op.add_column('si_periods', sa.Column('left_from', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('si_periods') as batch:
        batch.drop_column('left_from')
