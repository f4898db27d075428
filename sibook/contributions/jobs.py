"""Large filings run after the upload is answered (202): their states are kept here.

The work itself is one transaction (``declare``), so a job that dies leaves nothing behind and
re-uploading the same file is safe: the idempotency key answers the first result if it landed.
Every state is a row of ``declaration_jobs``, so any server process answers a poll. A job whose
process is gone reads failed: on its own host the process is looked up by pid; on PostgreSQL a
running job also beats (touches ``updated_at``) every HEARTBEAT_SECONDS, so a job of another
host that stopped beating is known dead too (SQLite is one host's file). A running job's progress
(lines done) is kept in its own process's memory and stored with its final state: on SQLite the
filing holds the one write lock until it ends, so nothing can be written meanwhile.

Uploads wait in SPOOL_DIR under their job's id; a dead job's spool is removed when the job is
found dead, and finished job rows are kept KEEP_FINISHED (a client polls minutes, not weeks).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import socket
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, cast

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session

from sibook.access import details
from sibook.access.principals import Principal
from sibook.contributions import staging
from sibook.contributions.declare import ConcurrentFiling, DeclarationRefused, declare
from sibook.contributions.job_store import UNFINISHED, DeclarationJob, JobStatus
from sibook.contributions.parsers import detect_format
from sibook.core.db import unit_of_work
from sibook.core.errors import ConflictError, ValidationError
from sibook.core.period import Period
from sibook.core.private_files import private_folder
from sibook.core.retry import retrying


@dataclass(frozen=True)
class Refusal:
    """Whom a refused filing's checks read, which its errors tell of (a name not the one
    registered for a personal ID, a period open elsewhere), and who filed it (``filer``): kept
    with the job, never answered, so that a poll by anyone else is logged as a read of them,
    as the refusal was (``detail``: access.details.declaration)."""

    person_ids: list[int]
    filed_by: str | None
    detail: str


@dataclass
class Job:
    job_id: str
    employer: str
    month: str
    status: JobStatus = "queued"
    lines_done: int = 0
    result: dict[str, Any] | None = None
    errors: list[dict[str, object]] = field(default_factory=list)
    filed_by: str | None = None  # ``filer`` of who uploaded it
    refusal: Refusal | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "employer": self.employer, "month": self.month,
                "status": self.status, "lines_done": self.lines_done, "result": self.result,
                "errors": self.errors}


DIED: dict[str, object] = {
    "field": "file",
    "reason": "the filing failed on the server; nothing was changed, it may be uploaded again",
}
HEARTBEAT_SECONDS = 30.0
STALE_BEATS = 4  # a job of another host that missed this many beats has died
KEEP_FINISHED = timedelta(days=30)
SPOOL_DIR = Path(tempfile.gettempdir()) / "sibook-declarations"
JOB_ID = re.compile("[0-9a-f]{32}")  # uuid4().hex: every job's id
_HOST = socket.gethostname()
_log = logging.getLogger(__name__)
_live: dict[str, Job] = {}  # the jobs this process is running, with their progress
_lock = threading.Lock()


# Logs in ``session`` the persons a filing changed, or (outcome "refused") those a refused
# filing named, with the filing's detail (access.details.declaration): the access log.
Logger = Callable[[Iterable[int], Session, str, str], None]


def filer(principal: Principal) -> str:
    """Who filed a job, as kept with its refusal: the principal's kind and id."""
    return f"{principal.kind}:{principal.actor_id}"


def start(*, upload: BinaryIO, file_name: str, employer_code: str, month: Period,
          batch_no: int, session: Session, log: Logger, filed_by: str | None = None) -> Job:
    """Record the job, copy the upload to a temporary file (in blocks, never whole in memory)
    and file it; ``filed_by``: ``filer`` of the uploader.

    The row is committed in ``session`` (the request's) first: every process must find it, and
    on SQLite the job could not begin while the request held the write lock (an officer's
    request takes it to read the unit's province)."""
    # Refused before anything is recorded; the spool is named by the format, never by the
    # client's text (a name too long for the disk was a 500 that left the job queued).
    fmt = detect_format(file_name)
    job = Job(job_id=uuid.uuid4().hex, employer=employer_code, month=str(month),
              filed_by=filed_by)
    _sweep(session)
    session.add(DeclarationJob(job_id=job.job_id, employer_code=employer_code,
                               period=month.index, batch_no=batch_no, file_name=file_name,
                               status=job.status, owner=f"{_HOST}:{os.getpid()}"))
    session.commit()
    spool = SPOOL_DIR / f"{job.job_id}.{fmt}"
    try:
        if not private_folder(SPOOL_DIR):  # the payroll would be another account's to read
            raise PermissionError(f"{SPOOL_DIR} is another account's or open to others: "
                                  "remove it, sibook makes it owner-only (0700)")
        with spool.open("xb") as out:
            shutil.copyfileobj(upload, out, length=1 << 20)
    except OSError:  # a full disk: the job is recorded, and this process lives on to poll
        _log.exception("declaration job %s: upload not spooled", job.job_id)
        spool.unlink(missing_ok=True)
        job = replace(job, status="failed", errors=[DIED])
        _save(session, job)
        session.commit()
        return job
    with _lock:
        _live[job.job_id] = job
    threading.Thread(target=_run, name=f"declaration-{job.job_id}", daemon=True,
                     args=(job, session.get_bind().engine, spool, file_name, month,
                           batch_no, log)).start()
    return job


def _sweep(session: Session) -> None:
    """Forget finished jobs older than KEEP_FINISHED (their filings stay in the ledger)."""
    cutoff = _db_now(session) - KEEP_FINISHED
    session.execute(delete(DeclarationJob).where(DeclarationJob.status.not_in(UNFINISHED),
                                                 DeclarationJob.updated_at < cutoff))


def get(job_id: str, *, session: Session) -> Job | None:
    """A job of any process. One this process runs is answered from memory: its progress is
    there, and on SQLite reading the database would wait for the job's filing to end."""
    if JOB_ID.fullmatch(job_id) is None:  # a NUL in a URL would be PostgreSQL's error, a 500
        return None
    with _lock:
        live = _live.get(job_id)
    if live is not None:
        return live
    row = session.get(DeclarationJob, job_id)
    if row is None:
        return None
    if row.status in UNFINISHED and _gone(row, session):
        # Stored with the request. A poll's unit of work only reads (``api.reads_only``): on
        # SQLite this write may then find another writer at work and fail the poll (503,
        # "try again"), and the next poll stores it.
        row.status, row.errors = "failed", json.dumps([DIED])
        for spool in SPOOL_DIR.glob(f"{row.job_id}*"):  # its upload, if it died on this host
            spool.unlink(missing_ok=True)
    stored = None if row.result is None else json.loads(row.result)
    refused = row.status == "refused"  # its result column keeps the Refusal, if any
    return Job(job_id=row.job_id, employer=row.employer_code,
               month=str(Period.from_index(row.period)), status=cast(JobStatus, row.status),
               lines_done=row.lines_done, result=None if refused else stored,
               errors=json.loads(row.errors),
               refusal=Refusal(**stored) if refused and stored is not None else None)


def _gone(row: DeclarationJob, session: Session) -> bool:
    """Whether the process that owns an unfinished job has died: by its missed heartbeats
    (PostgreSQL only), whatever host it ran on; else by its pid on its own host."""
    host, _, pid = row.owner.rpartition(":")
    if session.get_bind().dialect.name != "sqlite":
        # Before the pid: a live process may have taken a dead server's pid since.
        silent = _db_now(session) - row.updated_at
        if silent > timedelta(seconds=HEARTBEAT_SECONDS * STALE_BEATS):
            return True
    if host != _HOST:
        return False
    if int(pid) == os.getpid():  # ours but not live (get looked first): an earlier server's
        return True  # that had this pid, as a restarted container's often does
    try:
        os.kill(int(pid), 0)  # signal 0: nothing is sent, only whether the process exists
    except ProcessLookupError:
        return True
    except PermissionError:  # it exists, run by another user
        return False
    return False


def _db_now(session: Session) -> datetime:
    """The store's clock, the one ``updated_at`` is written by (naive UTC on SQLite)."""
    now = session.scalar(select(func.now()))
    assert now is not None
    return now


def _save(session: Session, job: Job) -> None:
    kept = job.result if job.refusal is None else asdict(job.refusal)
    session.execute(update(DeclarationJob).where(DeclarationJob.job_id == job.job_id).values(
        status=job.status, lines_done=job.lines_done,
        result=None if kept is None else json.dumps(kept, ensure_ascii=False),
        errors=json.dumps(job.errors, ensure_ascii=False)))


def _run(job: Job, engine: Engine, path: Path, file_name: str, month: Period,
         batch_no: int, log: Logger) -> None:
    done = threading.Event()
    try:
        job.status = "running"
        with unit_of_work(engine) as session:
            _save(session, job)
        if engine.dialect.name != "sqlite":  # SQLite: the filing holds the only write lock
            threading.Thread(target=_beat, name=f"heartbeat-{job.job_id}", daemon=True,
                             args=(job.job_id, engine, done)).start()
        _file(job, engine, path, file_name, month, batch_no, log)
    except Exception:  # noqa: BLE001 - a poller must never wait on a job that died
        # Nothing landed (one transaction); the trace goes to the server's log, the client
        # learns the filing failed and may upload it again.
        _log.exception("declaration job %s failed", job.job_id)
        with unit_of_work(engine) as session:
            _save(session, replace(job, status="failed", errors=[DIED]))
    finally:
        done.set()
        path.unlink(missing_ok=True)
        with _lock:  # from now on its state is the stored one (or, not stored, read failed)
            del _live[job.job_id]


def _beat(job_id: str, engine: Engine, done: threading.Event) -> None:
    """Touch the running job's row until it ends, so other hosts can tell it is alive."""
    while not done.wait(HEARTBEAT_SECONDS):
        try:
            with unit_of_work(engine) as session:
                session.execute(update(DeclarationJob).where(
                    DeclarationJob.job_id == job_id, DeclarationJob.status.in_(UNFINISHED))
                    .values(updated_at=func.now()))
        except Exception:  # noqa: BLE001 - a missed beat must not stop the filing
            _log.warning("declaration job %s: heartbeat not stored", job_id, exc_info=True)


def _file(job: Job, engine: Engine, path: Path, file_name: str, month: Period,
          batch_no: int, log: Logger) -> None:
    """File the upload and store the job's final state."""

    def progress(_stage: str, lines: int) -> None:
        job.lines_done = lines

    def file_once() -> None:
        with unit_of_work(engine) as session:
            result = declare(session=session, data=path, file_name=file_name,
                             employer_code=job.employer, month=month, batch_no=batch_no,
                             progress=progress)
            if not result["replayed"]:
                log(staging.person_ids(session.connection()), session, "allowed",
                    details.declaration(job.employer, month, batch_no, result["declaration_id"]))
            # In the filing's own transaction: a job reads accepted if and only if it landed.
            # A replay reads no line (its answer is the first filing's), yet all of them are done.
            _save(session, replace(job, status="accepted", lines_done=result["lines"],
                                   result={"accepted": True, **result}))

    refused = details.declaration(job.employer, month, batch_no)  # no id: nothing landed
    try:
        retrying(file_once)  # a deadlock's victim files again, from the spooled upload
    except ValidationError as exc:
        with unit_of_work(engine) as session:
            named = None
            if isinstance(exc, DeclarationRefused):  # the filing rolled back; its reads stand
                log(exc.person_ids, session, "refused", refused)
                named = Refusal(exc.person_ids, job.filed_by, refused) if exc.person_ids else None
            _save(session, replace(job, status="refused", refusal=named,
                                   errors=[p.as_dict() for p in exc.problems]))
    except ConflictError as exc:
        field = "file" if isinstance(exc, ConcurrentFiling) else "batch"
        with unit_of_work(engine) as session:
            if isinstance(exc, ConcurrentFiling):  # rolled back, but the checks read them
                log(exc.person_ids, session, "refused", refused)
            _save(session, replace(job, status="refused",
                                   errors=[{"field": field, "reason": str(exc)}]))
