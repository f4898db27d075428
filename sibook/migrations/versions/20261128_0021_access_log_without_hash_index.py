"""access_log without the UNIQUE index on hash

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-28 06:10:00.000000

A filing appends one access-log entry per worker while it holds the chain head, which every
read of personal data waits for. Of the three indexes each entry was written into, the UNIQUE
one on ``hash`` (random 64-character keys, one B-tree page touched each) cost about 40% of an
append on PostgreSQL (bench/RESULTS.md), and nothing needs it: no query looks an entry up by
its hash, ``seq`` is the primary key, and the chain is checked by walking ``seq`` order and
each ``prev_hash`` (``sibook.access.chain.verify``), which an equal hash in two rows cannot
fool (the hash covers ``seq``, so two rows sharing one would take a SHA-256 collision).

SQLite cannot drop an inline constraint: the table is rebuilt (its rows copied), which drops
its append-only triggers with the old table, so they are made again as 0002 made them.
"""

from __future__ import annotations

from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

UNIQUE = 'uq_access_log_hash'


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(UNIQUE, 'access_log', type_='unique')
        return
    with op.batch_alter_table('access_log', schema=None, recreate='always') as batch_op:
        batch_op.drop_constraint(UNIQUE, type_='unique')
    _sqlite_append_only_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_unique_constraint(UNIQUE, 'access_log', ['hash'])
        return
    with op.batch_alter_table('access_log', schema=None, recreate='always') as batch_op:
        batch_op.create_unique_constraint(UNIQUE, ['hash'])
    _sqlite_append_only_triggers()


def _sqlite_append_only_triggers() -> None:  # 0002's, lost with the rebuilt table
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER access_log_no_{verb.lower()} BEFORE {verb} ON access_log "
                   "BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END")
