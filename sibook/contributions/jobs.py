"""Large filings run after the upload is answered (202): their progress is kept here.

The work itself is one transaction (``declare``), so a job that dies leaves nothing behind and
re-uploading the same file is safe: the idempotency key answers the first result if it landed.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sibook.contributions.declare import declare
from sibook.core.db import unit_of_work
from sibook.core.errors import ConflictError, ValidationError
from sibook.core.period import Period


@dataclass
class Job:
    job_id: str
    employer: str
    month: str
    status: str = "queued"  # queued | running | accepted | refused
    lines_done: int = 0
    result: dict[str, Any] | None = None
    errors: list[dict[str, object]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "employer": self.employer,
            "month": self.month,
            "status": self.status,
            "lines_done": self.lines_done,
            "result": self.result,
            "errors": self.errors,
        }


_jobs: dict[str, Job] = {}
_lock = threading.Lock()


def start(*, data: bytes, file_name: str, employer_code: str, month: Period, batch_no: int) -> Job:
    job = Job(job_id=uuid.uuid4().hex, employer=employer_code, month=str(month))
    with _lock:
        _jobs[job.job_id] = job
    threading.Thread(
        target=_run,
        args=(job, data, file_name, month, batch_no),
        name=f"declaration-{job.job_id}",
        daemon=True,
    ).start()
    return job


def get(job_id: str) -> Job | None:
    with _lock:
        return _jobs.get(job_id)


def _run(job: Job, path: Path, file_name: str, month: Period, batch_no: int) -> None:
    job.status = "running"
    try:
        _file(job, path, file_name, month, batch_no)
    finally:
        path.unlink(missing_ok=True)


def _file(job: Job, data: Path, file_name: str, month: Period, batch_no: int) -> None:

    def progress(_stage: str, lines: int) -> None:
        job.lines_done = lines

    try:
        with unit_of_work() as session:
            job.result = declare(
                session=session,
                data=data,
                file_name=file_name,
                employer_code=job.employer,
                month=month,
                batch_no=batch_no,
                progress=progress,
            )
        job.status = "accepted"
    except ValidationError as exc:
        job.errors = [p.as_dict() for p in exc.problems]
        job.status = "refused"
    except ConflictError as exc:
        job.errors = [{"field": "batch", "reason": str(exc)}]
        job.status = "refused"
