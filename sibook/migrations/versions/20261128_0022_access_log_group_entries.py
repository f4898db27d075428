"""access_log group entries: one chain entry for an access of many persons

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-28 07:10:00.000000

A filing of 100,000 workers appended 100,000 entries while it held the chain head, which every
read of personal data waits for. Now one access of many persons (a filing, a listing) is one
entry naming them in ``access_log_subjects``; the entry's hash covers their count and a SHA-256
of their ids (``subject_count``, ``subjects_sha256``), so ``audit verify`` finds a subject
added, changed or deleted. Both columns are NULL on every entry logged before: their hashed
bytes leave the two out, so the existing chain verifies as it did, and nothing is backfilled.
``ALTER TABLE ... ADD COLUMN`` keeps SQLite's append-only triggers on ``access_log``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

SUBJECTS = 'access_log_subjects'

# As 0002 guards access_log: the database refuses an UPDATE or DELETE; whoever drops the
# trigger can still edit rows, and the hashed count and digest of each entry detect that.
PG_GUARD = f"""
CREATE FUNCTION {SUBJECTS}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '{SUBJECTS} is append-only'; END $$;
CREATE TRIGGER {SUBJECTS}_append_only BEFORE UPDATE OR DELETE ON {SUBJECTS}
FOR EACH ROW EXECUTE FUNCTION {SUBJECTS}_append_only();
"""


def upgrade() -> None:
    op.add_column('access_log', sa.Column('subject_count', sa.Integer(), nullable=True))
    op.add_column('access_log', sa.Column('subjects_sha256', sa.String(length=64),
                                          nullable=True))
    op.create_table(SUBJECTS,
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('person_id', 'seq', name=op.f('pk_access_log_subjects')),
    sqlite_with_rowid=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_GUARD)
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER {SUBJECTS}_no_{verb.lower()} BEFORE {verb} ON {SUBJECTS} "
                   f"BEGIN SELECT RAISE(ABORT, '{SUBJECTS} is append-only'); END")


def downgrade() -> None:
    """Group entries cannot be told in the old schema: undo only a log that holds none."""
    if op.get_bind().execute(sa.text(
            "SELECT 1 FROM access_log WHERE subject_count IS NOT NULL LIMIT 1")).first():
        raise RuntimeError("the access log holds group entries (migration 0022): they cannot "
                           "be kept by revision 0021's schema")
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.drop_table(SUBJECTS)  # its triggers go with it
    if postgresql:
        op.execute(f"DROP FUNCTION IF EXISTS {SUBJECTS}_append_only()")
    op.drop_column('access_log', 'subjects_sha256')
    op.drop_column('access_log', 'subject_count')
