"""si_periods.closed_by: the D02-LT case code that ended a period

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27 10:20:00.000000

A period ended by maternity leave (TS) is followed by months that count as contributed with no
contribution due (FACTS §4.4); ended by anything else, by months that do not. The code that
ended it was not kept; periods ended before this revision read as ended by an unknown code.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('si_periods') as batch:
        batch.add_column(sa.Column('closed_by', sa.String(length=2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('si_periods') as batch:
        batch.drop_column('closed_by')
