"""benefit_claims: the assessed loss of working capacity and hazardous-job years of a pension
claimed before the statutory age

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27 18:40:00.000000

Law 41/2024 Art 65 lets a pension start up to 5 or 10 years early for a reduced working
capacity (and years in especially heavy or hazardous jobs); the claim records what was
assessed, and the checks at claim and decision read it. Columns added in place (SQLite's ADD
COLUMN keeps the table and its append-only triggers), each with its own CHECK.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('benefit_claims') as batch:
        batch.add_column(sa.Column(
            'capacity_loss_percent', sa.SmallInteger(), sa.CheckConstraint(
                'capacity_loss_percent BETWEEN 1 AND 100',
                name=op.f('ck_benefit_claims_capacity_loss_percent')), nullable=True))
        batch.add_column(sa.Column(
            'hazardous_years', sa.SmallInteger(), sa.CheckConstraint(
                'hazardous_years BETWEEN 1 AND 60',
                name=op.f('ck_benefit_claims_hazardous_years')), nullable=True))


def downgrade() -> None:
    # In place on both (SQLite >= 3.35 drops a column whose CHECK is its own): a batch copy
    # would keep the CHECKs of the columns it drops, and lose the append-only triggers.
    op.drop_column('benefit_claims', 'hazardous_years')
    op.drop_column('benefit_claims', 'capacity_loss_percent')
