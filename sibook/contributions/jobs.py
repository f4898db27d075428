"""Large filings run after the upload is answered (202): their progress is kept here.

The work itself is one transaction (``declare``), so a job that dies leaves nothing behind and
re-uploading the same file is safe: the idempotency key answers the first result if it landed.
Job states live in this process's memory; the filed result itself is in the database.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sibook.contributions import staging
from sibook.contributions.declare import DeclarationRefused, declare
from sibook.core.db import unit_of_work
from sibook.core.errors import ConflictError, ValidationError
from sibook.core.period import Period


@dataclass
class Job:
    job_id: str
    employer: str
    month: str
    status: str = "queued"  # queued | running | accepted | refused | failed
    lines_done: int = 0
    result: dict[str, Any] | None = None
    errors: list[dict[str, object]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "employer": self.employer, "month": self.month,
                "status": self.status, "lines_done": self.lines_done, "result": self.result,
                "errors": self.errors}


_log = logging.getLogger(__name__)
_jobs: dict[str, Job] = {}
_lock = threading.Lock()


# Logs in ``session`` the persons a filing changed, or (outcome "refused") those a refused
# filing named: the access log.
Logger = Callable[[Iterable[int], Session, str], None]


def start(*, upload: BinaryIO, file_name: str, employer_code: str, month: Period,
          batch_no: int, engine: Engine, log: Logger) -> Job:
    """Copy the upload to a temporary file (in blocks, never whole in memory) and file it."""
    job = Job(job_id=uuid.uuid4().hex, employer=employer_code, month=str(month))
    with tempfile.NamedTemporaryFile(suffix=Path(file_name).suffix, delete=False) as spool:
        shutil.copyfileobj(upload, spool, length=1 << 20)
    with _lock:
        _jobs[job.job_id] = job
    threading.Thread(target=_run, name=f"declaration-{job.job_id}", daemon=True,
                     args=(job, engine, Path(spool.name), file_name, month, batch_no, log)).start()
    return job


def get(job_id: str) -> Job | None:
    with _lock:
        return _jobs.get(job_id)


def _run(job: Job, engine: Engine, path: Path, file_name: str, month: Period,
         batch_no: int, log: Logger) -> None:
    job.status = "running"

    def progress(_stage: str, lines: int) -> None:
        job.lines_done = lines

    try:
        with unit_of_work(engine) as session:
            job.result = declare(session=session, data=path, file_name=file_name,
                                 employer_code=job.employer, month=month, batch_no=batch_no,
                                 progress=progress)
            if not job.result["replayed"]:
                log(staging.person_ids(session.connection()), session, "allowed")
        job.status = "accepted"
    except ValidationError as exc:
        job.errors = [p.as_dict() for p in exc.problems]
        job.status = "refused"
        if isinstance(exc, DeclarationRefused):  # the filing rolled back; its reads stand
            with unit_of_work(engine) as session:
                log(exc.person_ids, session, "refused")
    except ConflictError as exc:
        job.errors = [{"field": "batch", "reason": str(exc)}]
        job.status = "refused"
    except Exception:  # noqa: BLE001 - a poller must never wait on a job that died
        # Nothing landed (one transaction); the trace goes to the server's log, the client
        # learns the filing failed and may upload it again.
        _log.exception("declaration job %s failed", job.job_id)
        job.errors = [{"field": "file", "reason": "the filing failed on the server; nothing "
                                                  "was changed, it may be uploaded again"}]
        job.status = "failed"
    finally:
        path.unlink(missing_ok=True)
