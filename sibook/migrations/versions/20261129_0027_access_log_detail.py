"""access_log.detail: what an entry was about, where its action alone does not say

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-29 03:50:00.000000

An entry of ``employer.pay`` or ``employer.change`` told the workers it names that their unit's
payment was posted or its record changed, not which unit nor what changed. ``detail`` holds
that, short and machine-neutral ("unit 0101234567; payment_cycle 3; from 2026-04",
``sibook.access.details``), and a filing's entry names its unit, month, batch and declaration.
One value an entry, a group entry's too: a filing's cost stays flat. The entry's hash covers it
when it is not NULL; it is NULL on every entry logged before, whose hashed bytes leave it out,
so the existing chain verifies as it did and nothing is backfilled. ``ADD COLUMN`` in place on
both (SQLite keeps the table and its append-only triggers; PostgreSQL writes no row).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('access_log', sa.Column('detail', sa.String(length=200), nullable=True))


def downgrade() -> None:
    """An entry's detail is in its hash: dropping it would break the chain from that entry on,
    so only a log that holds none is undone."""
    if op.get_bind().execute(sa.text(
            "SELECT 1 FROM access_log WHERE detail IS NOT NULL LIMIT 1")).first():
        raise RuntimeError("the access log holds entries with a detail (migration 0027): "
                           "revision 0026's schema cannot keep them, and their hashes cover it")
    op.drop_column('access_log', 'detail')  # in place on both: the triggers stay
