"""voluntary payments: what voluntary participants paid, append-only

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 17:30:00.000000

A voluntary month counts only when it is paid (Law 41/2024/QH15 Art 36); nothing recorded the
payments, so every month of an open voluntary period counted. The months a payment pays are
computed when read, never stored, so only the payments are kept, and like the employers'
ledger they are never updated or deleted: the triggers below refuse it on both backends
(PostgreSQL's trigger function ``sibook_append_only`` was made by migration 0003).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

TABLE = 'voluntary_payments'


def upgrade() -> None:
    op.create_table(TABLE,
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('payment_no', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('idempotency_key', sa.String(length=40), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_voluntary_payments_amount')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.person_id'], name=op.f('fk_voluntary_payments_person_id_persons')),
    sa.PrimaryKeyConstraint('person_id', 'payment_no', name=op.f('pk_voluntary_payments')),
    sa.UniqueConstraint('person_id', 'idempotency_key', name=op.f('uq_voluntary_payments_person_id'))
    )
    if op.get_bind().dialect.name == 'sqlite':
        for event in ('UPDATE', 'DELETE'):
            op.execute(f"CREATE TRIGGER {TABLE}_no_{event.lower()} BEFORE {event} ON {TABLE} "
                       f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END")
    else:
        op.execute(f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
                   "FOR EACH ROW EXECUTE FUNCTION sibook_append_only()")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for event in ('update', 'delete'):
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_{event}")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}")
    op.drop_table(TABLE)
