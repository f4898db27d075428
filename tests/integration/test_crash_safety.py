"""Killing a writing command midway leaves all of its write or none of it.

The process is the real command line, killed with SIGKILL. `sibook declare`, while its
transaction has already changed participation periods (PostgreSQL: the test holds a lock on
the ledger so the import stops right after it rewrote the periods; SQLite: the test watches the
write-ahead log and kills the import as soon as its first page is written): nothing of the
filing stays. `sibook seed`, once its generator process is forked: nothing seeded, and no
process or session of it left holding its locks. `sibook keys init`, stopped by the first
revocation list's lock once it made every realm's certificate: run again, it makes them all.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, text

from sibook.seed.service import BATCH_PEOPLE, seed
from sibook.signing.certs import REALMS
from sibook.signing.keys import file_lock
from sibook.signing.status import revocations_file
from tests.integration.ledger_fixtures import snapshot

TODAY = date(2026, 11, 1)


def _declaration(engine: Engine, path: Path) -> str:
    """A file adjusting the pay of every open worker of employer 1; returns its code."""
    with engine.connect() as conn:
        code = conn.execute(text("SELECT code FROM employers WHERE employer_id = 1")).scalar_one()
        ids = (
            conn.execute(
                text(
                    "SELECT p.personal_id FROM persons p "
                    "JOIN si_periods s ON s.person_id = p.person_id "
                    "WHERE s.employer_id = 1 AND s.to_month IS NULL AND p.realm = 'civil' "
                    "AND s.from_month < :m"
                ),
                {"m": 2026 * 12 + 10},
            )
            .scalars()
            .all()
        )
    lines = ["personal_id,case_code,salary,from_month"]
    lines += [f"{pid},DC,{30_000_000 + n},2026-11" for n, pid in enumerate(ids)]
    path.write_text("\n".join(lines) + "\n")
    assert len(ids) > 500
    return str(code)


def _start(url: str, path: Path, code: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SIBOOK_DATABASE_URL": url}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sibook.cli.main",
            "declare",
            str(path),
            "--employer",
            code,
            "--month",
            "2026-11",
            "--json",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _kill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL


def test_an_import_killed_midway_on_postgresql_leaves_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    if engine.dialect.name != "postgresql":
        return _sqlite_case(engine, tmp_path)
    seed(engine=engine, people=1500, employers=1, seed=3, today=TODAY)
    path = tmp_path / "d02.csv"
    code = _declaration(engine, path)
    before = snapshot(engine)
    with engine.connect() as conn:  # each test has its own schema: the import must use it
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    url = engine.url.update_query_dict({"options": f"-csearch_path={schema}"})
    with engine.connect() as blocker:
        blocker.execute(text("LOCK TABLE ledger_entries IN ACCESS EXCLUSIVE MODE"))
        proc = _start(url.render_as_string(hide_password=False), path, code)
        _wait_until_blocked(engine, proc)
        _kill(proc)
        blocker.rollback()
    assert snapshot(engine) == before


def _wait_until_blocked(engine: Engine, proc: subprocess.Popen[bytes]) -> None:
    """Until the import waits on the test's lock, i.e. it has already rewritten the periods."""
    deadline = time.monotonic() + 60
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watch:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                out, err = proc.communicate()
                raise AssertionError(f"the import ended early: {out!r} {err!r}")
            waiting = watch.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query LIKE '%ledger_entries%'"
                )
            ).scalar_one()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the import never reached the ledger")


def _sqlite_case(engine: Engine, tmp_path: Path) -> None:
    seed(engine=engine, people=3000, employers=1, seed=3, today=TODAY)
    path = tmp_path / "d02.csv"
    code = _declaration(engine, path)
    before = snapshot(engine)
    database = Path(str(engine.url.database))
    wal = database.with_name(database.name + "-wal")
    engine.dispose()
    with database.open("rb"):  # make sure the file exists before watching its log
        pass
    start_size = wal.stat().st_size if wal.exists() else 0
    proc = _start(engine.url.render_as_string(hide_password=False), path, code)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if wal.exists() and wal.stat().st_size > start_size:
            break
        time.sleep(0.001)
    assert proc.poll() is None, "the import finished before it could be killed"
    _kill(proc)
    assert snapshot(engine) == before


def test_a_seed_killed_midway_leaves_nothing_and_holds_no_lock(
    engine: Engine, tmp_path: Path
) -> None:
    """`sibook seed` generates people in a process of its own, forked while the seed's
    transaction is open: killed with the seed, that process must not outlive it holding its copy
    of the connection, or PostgreSQL keeps the transaction open, and the seed's locks on persons
    and employers (every registration waits on them), for as long as it lives."""
    name = f"sibook-seed-{uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sibook.cli.main", "seed", "--people",
         str(4 * BATCH_PEOPLE), "--employers", "5", "--json"],
        env={**os.environ, "SIBOOK_DATABASE_URL": _url_of(engine, name),
             "SIBOOK_KEYS_DIR": str(tmp_path / "keys")},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    generator = None
    try:
        generator = _first_child(proc)
        _kill(proc)
        if engine.dialect.name == "postgresql":
            _until(lambda: not _sessions(engine, name), "the killed seed's session stays open")
        _until(lambda: not _alive(generator), "the seed's generator outlived it")
    finally:
        if generator is not None and _alive(generator):
            os.kill(generator, signal.SIGKILL)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM persons")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM employers")).scalar_one() == 0


def _url_of(engine: Engine, application: str) -> str:
    """The test's database for a subprocess: on PostgreSQL its schema, its sessions named."""
    if engine.dialect.name != "postgresql":
        engine.dispose()
        return engine.url.render_as_string(hide_password=False)
    with engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    return engine.url.update_query_dict({"options": f"-csearch_path={schema}",
                                         "application_name": application}
                                        ).render_as_string(hide_password=False)


def _first_child(proc: subprocess.Popen[bytes]) -> int:
    """The first process ``proc`` starts (Linux's /proc lists a task's children)."""
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the command ended early: {proc.communicate()[1]!r}")
        if pids := children.read_text().split():
            return int(pids[0])
        time.sleep(0.005)
    raise AssertionError("the command started no process")


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs: a zombie nobody has reaped yet (an orphan's, under a container's
    init) has ended."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _sessions(engine: Engine, application: str) -> int:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        return int(conn.execute(text("SELECT count(*) FROM pg_stat_activity "
                                     "WHERE application_name = :n"), {"n": application}
                                ).scalar_one())


def _until(done: Callable[[], bool], failure: str) -> None:
    deadline = time.monotonic() + 60
    while not done():
        assert time.monotonic() < deadline, failure
        time.sleep(0.05)


def test_keys_init_killed_midway_is_finished_by_running_it_again(tmp_path: Path) -> None:
    """`sibook keys init` killed after it wrote some of the agency's keys: the folder reads
    as holding none, so the same command run again makes them all (it refuses a folder that
    holds keys), rather than one whose realms cannot sign and whose lists are missing."""
    keys_dir = tmp_path / "keys"
    keys_dir.mkdir(mode=0o700)
    env = {**os.environ, "SIBOOK_KEYS_DIR": str(keys_dir),
           "SIBOOK_KEY_PASSPHRASE": "test passphrase",
           "SIBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}"}
    command = [sys.executable, "-m", "sibook.cli.main", "keys", "init", "--json"]
    # The first revocation list is written under its lock: held here, the command stops there,
    # once every realm's first certificate is made.
    with file_lock(keys_dir / f".{revocations_file(next(iter(REALMS)))}.lock"):
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _until(lambda: all((keys_dir / f"{realm}.1.cert.pem").exists() for realm in REALMS)
               or proc.poll() is not None, "keys init made no issuing certificate")
        assert proc.poll() is None, proc.communicate()
        _kill(proc)
    again = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stdout
    renewed = subprocess.run([*command[:4], "refresh-revocations", "--json"], env=env,
                             capture_output=True, text=True, check=False)
    assert renewed.returncode == 0, renewed.stdout
    assert {r["realm"] for r in json.loads(renewed.stdout)["renewed"]} == set(REALMS)
