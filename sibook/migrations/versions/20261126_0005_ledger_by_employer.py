"""ledger by employer: an employer's entries and allocations found by index

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 15:20:00.000000

The keys of ledger_entries and payment_allocations lead with the month; every read of one
employer's history (statement, allocation of payments, the book's arrears) scanned the whole
ledger, a cost growing with the country (bench/RESULTS.md).
"""

from __future__ import annotations

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_ledger_entries_employer_period', 'ledger_entries',
                    ['employer_id', 'period'], unique=False)
    op.create_index('ix_payment_allocations_employer_period', 'payment_allocations',
                    ['employer_id', 'period'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_payment_allocations_employer_period', table_name='payment_allocations')
    op.drop_index('ix_ledger_entries_employer_period', table_name='ledger_entries')
