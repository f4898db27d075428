"""employers.realm: units of the defence and public-security ministries are in their realm

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 07:30:00.000000

An employer's ledger is its workers' dues summed: with a soldier among a civil unit's workers,
a civil officer could tell the soldier's pay by subtracting the others'. The ministries' people
work in the ministries' units, which are now of their realm and absent outside it, as their
people are. Every employer on record stays civil.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The CHECK on the column itself, so SQLite adds it in place: a table-level constraint
    # made the batch copy-and-move ``employers``, and SQLite's foreign keys refuse dropping it
    # once a ledger entry or period refers to a unit.
    with op.batch_alter_table('employers') as batch:
        batch.add_column(sa.Column(
            'realm', sa.String(length=16), sa.CheckConstraint(
                "realm IN ('civil','defence','public_security')", name=op.f('ck_employers_realm')),
            server_default='civil', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('employers') as batch:
        batch.drop_constraint(op.f('ck_employers_realm'), type_='check')
        batch.drop_column('realm')
