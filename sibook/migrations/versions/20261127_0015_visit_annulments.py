"""hi_visit_annulments: a wrongly recorded HI visit annulled, by a row of its own

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27 18:00:00.000000

hi_visits is append-only, so a visit recorded wrongly (another patient's, a claim the facility
withdrew) stayed in the person's KCB history for good. An annulment names the visit by its key,
with why and by whom; the visit stays as it was filed, and the person's lists leave it out. One
annulment a visit (its key is the visit's), never updated or deleted (the triggers below, as
for hi_visits; PostgreSQL's ``sibook_append_only`` was made by migration 0003).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

TABLE = 'hi_visit_annulments'


def upgrade() -> None:
    op.create_table(TABLE,
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('facility_code', sa.String(length=5), nullable=False),
    sa.Column('link_code', sa.String(length=100), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('annulled_by', sa.String(length=64), nullable=False),
    sa.Column('annulled_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['person_id', 'facility_code', 'link_code'], ['hi_visits.person_id', 'hi_visits.facility_code', 'hi_visits.link_code'], name=op.f('fk_hi_visit_annulments_person_id_hi_visits')),
    sa.PrimaryKeyConstraint('person_id', 'facility_code', 'link_code', name=op.f('pk_hi_visit_annulments'))
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
