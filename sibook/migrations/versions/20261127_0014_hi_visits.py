"""hi_visits: the health facilities' claims (Decision 130/QĐ-BYT XML1), in the HI group

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27 15:30:00.000000

The HI group of Decree 164/2025 holds the medical examination and treatment (KCB) history,
which comes from the facilities' claims (FACTS §6.5); nothing held it, so the portal showed no
visit. A visit is kept as filed and never updated or deleted (the triggers below, as for the
ledger and the benefits; PostgreSQL's ``sibook_append_only`` was made by migration 0003).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

TABLE = 'hi_visits'


def upgrade() -> None:
    op.create_table(TABLE,
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('facility_code', sa.String(length=5), nullable=False),
    sa.Column('link_code', sa.String(length=100), nullable=False),
    sa.Column('card_number', sa.String(length=160), nullable=False),
    sa.Column('admitted_at', sa.DateTime(timezone=False), nullable=False),
    sa.Column('discharged_at', sa.DateTime(timezone=False), nullable=False),
    sa.Column('diagnosis', sa.String(length=10), nullable=False),
    sa.Column('visit_type', sa.String(length=2), nullable=False),
    sa.Column('total_cost', sa.BigInteger(), nullable=False),
    sa.Column('hi_paid', sa.BigInteger(), nullable=False),
    sa.Column('patient_paid', sa.BigInteger(), nullable=False),
    sa.Column('filed_by', sa.String(length=64), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint('total_cost >= 0 AND hi_paid >= 0 AND patient_paid >= 0 AND hi_paid + patient_paid <= total_cost', name=op.f('ck_hi_visits_amounts')),
    sa.CheckConstraint('discharged_at >= admitted_at', name=op.f('ck_hi_visits_stay')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.person_id'], name=op.f('fk_hi_visits_person_id_persons')),
    sa.PrimaryKeyConstraint('person_id', 'facility_code', 'link_code', name=op.f('pk_hi_visits')),
    sa.UniqueConstraint('facility_code', 'link_code', name='uq_hi_visits_facility_link')
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
