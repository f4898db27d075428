"""The states of large filings (202 jobs), kept where every server process can read them.

A row is not the filing: that is in ``declarations`` and the ledger, written in the job's own
transaction. No foreign key to ``employers``: a job is recorded for the code in the URL before
the filing looks the employer up (an unknown code ends the job refused or failed).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import CheckConstraint, DateTime, Integer, SmallInteger, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from sibook.core.db import Base

JobStatus = Literal["queued", "running", "accepted", "refused", "failed"]  # the check below
UNFINISHED = ("queued", "running")


class DeclarationJob(Base):
    """One large filing's state; ``owner`` (host:pid) tells a job whose process died."""

    __tablename__ = "declaration_jobs"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued','running','accepted','refused','failed')", name="status"
        ),
    )

    job_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    employer_code: Mapped[str] = mapped_column(Text)
    period: Mapped[int] = mapped_column(Integer)  # Period.index
    batch_no: Mapped[int] = mapped_column(SmallInteger)
    file_name: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8))
    lines_done: Mapped[int] = mapped_column(Integer, default=0)
    # JSON: the filing's answer once accepted; a refused one's jobs.Refusal (never answered)
    result: Mapped[str | None] = mapped_column(Text)
    errors: Mapped[str] = mapped_column(Text, default="[]")  # JSON: the problems, if not
    owner: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
