"""employer_salary_regimes: a unit's salary regime from a month on

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-28 08:00:00.000000

A unit's regime (0023) can change, a public unit becoming a company, or have been registered
wrong; the years a pension averages follow the regime each month was paid under (Law
41/2024/QH15 Art 72). So a change is kept from a month on, one row per change
(``registry.regimes``); before a unit's first row its months keep ``employers.salary_regime``,
so existing databases need no backfill.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('employer_salary_regimes',
    sa.Column('employer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('from_month', sa.Integer(), nullable=False),
    sa.Column('salary_regime', sa.String(length=8), nullable=False),
    sa.CheckConstraint("salary_regime IN ('employer','state')",
                       name=op.f('ck_employer_salary_regimes_salary_regime')),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.employer_id'], name=op.f('fk_employer_salary_regimes_employer_id_employers')),
    sa.PrimaryKeyConstraint('employer_id', 'from_month', name=op.f('pk_employer_salary_regimes'))
    )


def downgrade() -> None:
    op.drop_table('employer_salary_regimes')
