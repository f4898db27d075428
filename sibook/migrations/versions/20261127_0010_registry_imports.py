"""registry imports: the same registry file again answers its first import

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 03:20:00.000000

Importing a registry file a second time (a re-upload after a crash, a script's retry) refused
every row as already registered, so the caller could not tell that the file had landed. Each
imported file is now recorded by the SHA-256 of its bytes with what it registered.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('registry_imports',
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('employers', sa.Integer(), nullable=False),
    sa.Column('persons', sa.Integer(), nullable=False),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'),
              nullable=False),
    sa.PrimaryKeyConstraint('content_hash', name=op.f('pk_registry_imports'))
    )


def downgrade() -> None:
    op.drop_table('registry_imports')
