"""hi_cards without the foreign key to persons, as the period tables

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 02:20:00.000000

A monthly list's increase lines now issue HI cards in bulk (a 100,000-line list of new workers
writes 100,000 cards). PostgreSQL checks a foreign key row by row, which cost 0.28 s of the
0.55 s those inserts took (bench/RESULTS.md). As for ``si_periods`` and ``ui_periods``, every
path that writes a card has just resolved the person (a filing joins its lines to ``persons``;
registration made the person in the same transaction), and persons are never deleted, so the
reference cannot dangle.
"""

from __future__ import annotations

from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

FK = 'fk_hi_cards_person_id_persons'


def upgrade() -> None:
    with op.batch_alter_table('hi_cards', schema=None) as batch_op:
        batch_op.drop_constraint(FK, type_='foreignkey')


def downgrade() -> None:
    with op.batch_alter_table('hi_cards', schema=None) as batch_op:
        batch_op.create_foreign_key(FK, 'persons', ['person_id'], ['person_id'],
                                    ondelete='CASCADE')
