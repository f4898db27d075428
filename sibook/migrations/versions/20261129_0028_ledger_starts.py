"""ledger_starts: the first month each employer's ledger holds whole

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-29 14:00:00.000000

A month before 2026 (Decree 164/2025's start) is carried over: its dues were settled outside
the ledger, so a filing that changes one posts its change alone. Which months of an employer
the ledger holds whole was read from its entries and lists, comparing when each was received
and posted: a unit's first list, filed late for a month of 2025, made that month its start,
and its carried workers' dues were billed again; and PostgreSQL's transaction-start clock could
order a list and an assessment wrong. The start is now written once, with the employer's first
entries (``ledger.began``). Existing employers get the start the old reading gave them, so
their ledgers read as before; like the ledger, the table refuses UPDATE and DELETE (the
PostgreSQL trigger function ``sibook_append_only`` was made by migration 0003).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None

TABLE = 'ledger_starts'

# The old reading: the first month assessed without a list, or the month of the first list
# received before that was posted (any list when none was).
_BACKFILL = """
INSERT INTO ledger_starts (employer_id, period)
SELECT e.employer_id, MIN(s.period) FROM employers e JOIN (
    SELECT employer_id, MIN(period) AS period FROM ledger_entries
    WHERE declaration_id IS NULL GROUP BY employer_id
    UNION ALL
    SELECT d.employer_id, MIN(d.period) FROM declarations d
    WHERE NOT EXISTS (SELECT 1 FROM ledger_entries l WHERE l.employer_id = d.employer_id
                      AND l.declaration_id IS NULL AND l.posted_at < d.received_at)
    GROUP BY d.employer_id
) s ON s.employer_id = e.employer_id
WHERE EXISTS (SELECT 1 FROM ledger_entries l WHERE l.employer_id = e.employer_id)
GROUP BY e.employer_id
"""


def upgrade() -> None:
    op.create_table(TABLE,
    sa.Column('employer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('period', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.employer_id'], name=op.f('fk_ledger_starts_employer_id_employers')),
    sa.PrimaryKeyConstraint('employer_id', name=op.f('pk_ledger_starts'))
    )
    op.execute(_BACKFILL)
    if op.get_bind().dialect.name == 'sqlite':
        for event in ('UPDATE', 'DELETE'):
            op.execute(f"CREATE TRIGGER {TABLE}_no_{event.lower()} BEFORE {event} ON {TABLE} "
                       f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END")
    else:
        op.execute(f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
                   "FOR EACH ROW EXECUTE FUNCTION sibook_append_only()")


def downgrade() -> None:
    op.drop_table(TABLE)  # its triggers go with it, on both backends
