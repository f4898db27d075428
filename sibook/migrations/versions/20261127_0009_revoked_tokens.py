"""revoked tokens: a citizen's sign-out ends the token behind their session

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 02:50:00.000000

Own bearer tokens are short-lived and stateless; signing out only made the browser forget
one, so a copied cookie kept working until it expired. A signed-out token's id (``jti``) is
kept until its expiry, and every request's token is looked up here (one primary-key probe).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('access_revoked_tokens',
    sa.Column('jti', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('jti', name=op.f('pk_access_revoked_tokens'))
    )


def downgrade() -> None:
    op.drop_table('access_revoked_tokens')
