"""employers.salary_regime: units paying by the state's salary scale

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-28 07:30:00.000000

A pension's average salary is taken over the whole period of SI for salaries the employer set,
over the last years by the year SI started for those on the state's salary scale, and for
someone with both, over all months with the state-scale ones at their window's average (Law
41/2024/QH15 Art 72(1)-(3); Law 58/2014/QH13 Art 62). Which scale a month was paid on is the
unit's: ``employer`` (an enterprise; every unit on record so far) or ``state`` (a state agency
or public unit paying by the state's scale). Units of the defence and public-security realms
pay by the state's scale, so theirs are backfilled ``state``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


CHECK = "salary_regime IN ('employer','state')"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # ADD COLUMN in place: a batch's copy-and-move drops ``employers``, which SQLite's
        # foreign keys refuse once a ledger entry, period or payment cycle refers to a unit.
        op.execute("ALTER TABLE employers ADD COLUMN salary_regime VARCHAR(8) DEFAULT "
                   f"'employer' NOT NULL CONSTRAINT ck_employers_salary_regime CHECK ({CHECK})")
    else:
        op.add_column('employers', sa.Column('salary_regime', sa.String(length=8),
                                             server_default='employer', nullable=False))
        op.create_check_constraint(op.f('ck_employers_salary_regime'), 'employers', CHECK)
    op.execute("UPDATE employers SET salary_regime = 'state' WHERE realm <> 'civil'")


def downgrade() -> None:
    with op.batch_alter_table('employers') as batch:
        batch.drop_constraint(op.f('ck_employers_salary_regime'), type_='check')
        batch.drop_column('salary_regime')
