"""employer_payment_cycles: units that pay every 3 or 6 months

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-28 05:10:00.000000

Agriculture, forestry, fishery and salt-making units paying by product or piece-rate may pay
every 3 or 6 months; their deadline is the last day of the month after the cycle (Law
41/2024/QH15 Arts 33(1)(b), 34(4)(b)). A unit may change its method, so the method is kept from
a month on, one row per change (``contributions.cycles``); no row means monthly, as every unit
was treated before, so existing databases need no backfill.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('employer_payment_cycles',
    sa.Column('employer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('from_month', sa.Integer(), nullable=False),
    sa.Column('months', sa.SmallInteger(), nullable=False),
    sa.CheckConstraint('months IN (1, 3, 6)', name=op.f('ck_employer_payment_cycles_months')),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.employer_id'], name=op.f('fk_employer_payment_cycles_employer_id_employers')),
    sa.PrimaryKeyConstraint('employer_id', 'from_month', name=op.f('pk_employer_payment_cycles'))
    )


def downgrade() -> None:
    op.drop_table('employer_payment_cycles')
