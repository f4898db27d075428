"""benefit_claims: an occupational claim's kind, its disease and when exposure ended

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-29 01:40:00.000000

An occupational disease diagnosed after the job ended is still insured when diagnosed within
the guarantee period its appendix of Circular 15/2016/TT-BYT sets after exposure ended (Law
84/2015/QH13 Art 46(2)); the claim records whether it is a work accident or a disease, the
disease's code (the appendix number) and form, and the last month of exposure (Period.index),
each null when not given (as for every claim received before). Added in place (SQLite's ADD
COLUMN keeps the table and its append-only triggers), the kind with its own CHECK.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('benefit_claims') as batch:
        batch.add_column(sa.Column(
            'occupational_kind', sa.String(length=8), sa.CheckConstraint(
                "occupational_kind IN ('accident','disease')",
                name=op.f('ck_benefit_claims_occupational_kind')), nullable=True))
        batch.add_column(sa.Column('disease_code', sa.SmallInteger(), nullable=True))
        batch.add_column(sa.Column('disease_form', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('exposure_ended', sa.Integer(), nullable=True))


def downgrade() -> None:
    # In place on both (SQLite >= 3.35 drops a column whose CHECK is its own): a batch copy
    # would lose the append-only triggers.
    op.drop_column('benefit_claims', 'exposure_ended')
    op.drop_column('benefit_claims', 'disease_form')
    op.drop_column('benefit_claims', 'disease_code')
    op.drop_column('benefit_claims', 'occupational_kind')
