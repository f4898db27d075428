"""benefits: claims received and the decisions on them, append-only

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 03:30:00.000000

The book's benefits (Decree 164/2025: "info on enjoying and resolving SI regimes") had no store:
every book's list was empty. A claim is kept as received and a decision as taken; like the
ledger they are never updated or deleted (the triggers below refuse it on both backends;
PostgreSQL's trigger function ``sibook_append_only`` was made by migration 0003).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

TABLES = ('benefit_claims', 'benefit_decisions')


def upgrade() -> None:
    op.create_table('benefit_claims',
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('claim_no', sa.SmallInteger(), nullable=False),
    sa.Column('regime', sa.String(length=16), nullable=False),
    sa.Column('dossier_no', sa.String(length=40), nullable=False),
    sa.Column('dossier_key', sa.String(length=40), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('event_from', sa.Date(), nullable=True),
    sa.Column('event_to', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('ground', sa.String(length=16), nullable=True),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("regime IN ('sickness','maternity','occupational','pension','survivorship','lump_sum','unemployment')", name=op.f('ck_benefit_claims_regime')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.person_id'], name=op.f('fk_benefit_claims_person_id_persons')),
    sa.PrimaryKeyConstraint('person_id', 'claim_no', name=op.f('pk_benefit_claims')),
    sa.UniqueConstraint('dossier_key', name=op.f('uq_benefit_claims_dossier_key'))
    )
    op.create_table('benefit_decisions',
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('claim_no', sa.SmallInteger(), nullable=False),
    sa.Column('outcome', sa.String(length=8), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('decision_no', sa.String(length=40), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=True),
    sa.Column('monthly_amount', sa.BigInteger(), nullable=True),
    sa.Column('from_month', sa.Integer(), nullable=True),
    sa.Column('months', sa.SmallInteger(), nullable=True),
    sa.Column('days', sa.SmallInteger(), nullable=True),
    sa.Column('reason', sa.String(length=300), nullable=True),
    sa.Column('months_settled', sa.Integer(), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("outcome IN ('settled','refused')", name=op.f('ck_benefit_decisions_outcome')),
    sa.CheckConstraint('(amount IS NULL OR amount > 0) AND (monthly_amount IS NULL OR monthly_amount > 0) AND months_settled >= 0', name=op.f('ck_benefit_decisions_amounts')),
    sa.ForeignKeyConstraint(['person_id', 'claim_no'], ['benefit_claims.person_id', 'benefit_claims.claim_no'], name=op.f('fk_benefit_decisions_person_id_benefit_claims')),
    sa.PrimaryKeyConstraint('person_id', 'claim_no', name=op.f('pk_benefit_decisions'))
    )
    for table in TABLES:
        if op.get_bind().dialect.name == 'sqlite':
            for event in ('UPDATE', 'DELETE'):
                op.execute(f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON "
                           f"{table} BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")
        else:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION sibook_append_only()")


def downgrade() -> None:
    for table in TABLES:
        if op.get_bind().dialect.name == 'sqlite':
            for event in ('update', 'delete'):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{event}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    op.drop_table('benefit_decisions')
    op.drop_table('benefit_claims')
