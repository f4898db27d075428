"""declaration jobs: the states of large filings, readable by every server process

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 16:10:00.000000

They lived in the memory of the process that took the upload: another worker process, or the
same server restarted, answered 404 for the job, and a job whose process died was never seen.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('declaration_jobs',
    sa.Column('job_id', sa.String(length=32), nullable=False),
    sa.Column('employer_code', sa.Text(), nullable=False),
    sa.Column('period', sa.Integer(), nullable=False),
    sa.Column('batch_no', sa.SmallInteger(), nullable=False),
    sa.Column('file_name', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('lines_done', sa.Integer(), nullable=False),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('errors', sa.Text(), nullable=False),
    sa.Column('owner', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("status IN ('queued','running','accepted','refused','failed')", name=op.f('ck_declaration_jobs_status')),
    sa.PrimaryKeyConstraint('job_id', name=op.f('pk_declaration_jobs'))
    )


def downgrade() -> None:
    op.drop_table('declaration_jobs')
