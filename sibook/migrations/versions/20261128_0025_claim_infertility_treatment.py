"""benefit_claims: whether a mother's maternity claim follows leave for infertility treatment

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-28 22:50:00.000000

A mother who took leave for infertility treatment needs her 6 months of contributions in the
24 months before the birth, not the 12 (Law 41/2024 Art 50, FACTS §4.4); the claim records that
its dossier says so, and the check at receipt reads it: true, or null when it does not (as
for every claim received before, none could say so). Added in place (SQLite's ADD COLUMN keeps
the table and its append-only triggers).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('benefit_claims') as batch:
        batch.add_column(sa.Column('infertility_treatment', sa.Boolean(), nullable=True))


def downgrade() -> None:
    # In place on both: a batch copy would lose the append-only triggers.
    op.drop_column('benefit_claims', 'infertility_treatment')
