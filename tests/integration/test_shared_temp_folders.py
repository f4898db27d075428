"""What sibook keeps under the shared temp dir (/tmp), where another account can make a folder
first or find one open: a large filing's upload (a payroll: personal IDs, names and pay) and
the cut fonts every signed book is drawn with. Neither is written to, nor taken from, a folder
that is not this account's alone."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from sibook.book import fonts
from sibook.contributions import jobs
from sibook.core.db import unit_of_work
from sibook.core.period import Period
from tests.integration.ledger_fixtures import EMPLOYER, csv_of, setup_workers


def _filing(engine: Engine, worker: str) -> jobs.Job:
    """A large filing's job for ``worker``, spooled in ``jobs.SPOOL_DIR``."""
    with unit_of_work(engine) as s:
        return jobs.start(upload=io.BytesIO(csv_of([(worker, "TM", 8_000_000, "2026-01")])),
                          file_name="d02.csv", employer_code=EMPLOYER, month=Period(2026, 1),
                          batch_no=1, session=s, log=lambda *_: None)


def _finished(engine: Engine, job_id: str) -> str:
    for _ in range(400):
        with unit_of_work(engine) as s:
            job = jobs.get(job_id, session=s)
        assert job is not None
        if job.status not in ("queued", "running"):
            return job.status
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {job.status}")


PLANTED = b"another account's font, drawing a 7 for every 1"


def not_ours_alone(folder: Path, how: str) -> Path:
    """``folder`` as another account could leave it: open to everyone (made first by them, or
    by hand), or a symbolic link to a folder of theirs."""
    if how == "open":
        folder.mkdir()
        folder.chmod(0o777)
    else:
        (folder.parent / "theirs").mkdir(mode=0o700)
        folder.symlink_to(folder.parent / "theirs")
    return folder


@pytest.mark.parametrize("how", ["open", "symlink"])
def test_a_payroll_is_never_spooled_into_a_folder_others_can_reach(
        engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    (worker,) = setup_workers(engine, 1)
    spool = not_ours_alone(tmp_path / "sibook-declarations", how)
    monkeypatch.setattr(jobs, "SPOOL_DIR", spool)
    job = _filing(engine, worker)
    assert job.status == "failed" and "uploaded again" in str(job.errors[0]["reason"])
    assert os.listdir(spool) == []


def test_a_payroll_is_spooled_in_a_folder_of_this_accounts_alone(
        engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (worker,) = setup_workers(engine, 1)
    monkeypatch.setattr(jobs, "SPOOL_DIR", tmp_path / "sibook-declarations")
    job = _filing(engine, worker)
    assert job.status != "failed"
    assert _finished(engine, job.job_id) == "accepted"  # its thread done before the store goes
    assert (tmp_path / "sibook-declarations").stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize("how", ["open", "symlink"])
def test_a_cut_font_planted_in_a_folder_others_can_reach_is_not_drawn_with(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    monkeypatch.setattr(fonts.tempfile, "tempdir", str(tmp_path / "ours"))
    (tmp_path / "ours").mkdir()
    made = fonts._cut(fonts.FONT)  # in a folder of ours: the font, and its name
    monkeypatch.setattr(fonts.tempfile, "tempdir", str(tmp_path / "shared"))
    (tmp_path / "shared").mkdir()
    planted = not_ours_alone(tmp_path / "shared" / "sibook-fonts", how) / made.name
    planted.write_bytes(PLANTED)
    used = fonts._cut(fonts.FONT)
    assert used != planted and used.read_bytes() == made.read_bytes()
    assert planted.read_bytes() == PLANTED  # nothing in their folder is touched either


def test_a_font_folder_of_ours_others_could_only_read_is_closed_and_used(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """0755, as sibook made it before it asked for 0700: only this account could write in it,
    so its fonts are ours. It was passed over, and every process (every `book export`) cut the
    fonts again into a new folder of its own, left behind in /tmp."""
    monkeypatch.setattr(fonts.tempfile, "tempdir", str(tmp_path))
    made = fonts._cut(fonts.FONT)
    made.parent.chmod(0o755)
    made.touch()  # its time, to see it is not cut again
    stamp = made.stat().st_mtime_ns
    assert fonts._cut(fonts.FONT) == made and made.stat().st_mtime_ns == stamp
    assert made.parent.stat().st_mode & 0o777 == 0o700
    assert [p.name for p in tmp_path.iterdir()] == ["sibook-fonts"]


def test_a_spool_folder_of_ours_others_could_only_read_is_closed_and_used(
        engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (worker,) = setup_workers(engine, 1)
    spool = tmp_path / "sibook-declarations"
    spool.mkdir(mode=0o755)
    spool.chmod(0o755)
    monkeypatch.setattr(jobs, "SPOOL_DIR", spool)
    job = _filing(engine, worker)
    assert job.status != "failed"
    assert _finished(engine, job.job_id) == "accepted"  # its thread done before the store goes
    assert spool.stat().st_mode & 0o777 == 0o700
