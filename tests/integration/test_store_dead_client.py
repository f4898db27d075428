"""A client killed in the middle of a statement (a CLI filing under ``kill -9``, a server
that crashed) does not leave its PostgreSQL session running that statement, holding the locks
it took, until the statement would have ended: the server notices the dead socket within
``client_connection_check_interval`` (set by ``make_engine``) and ends the session."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from sqlalchemy import create_engine, text

from sibook.core.db import CLIENT_CHECK_MS

STATEMENT = """
import sys
from sqlalchemy import text
from sibook.core.db import make_engine
with make_engine(sys.argv[1]).connect() as conn:
    print("running", flush=True)
    conn.execute(text("SELECT pg_sleep(600)"))
"""


@pytest.mark.postgres
def test_a_killed_clients_statement_ends_with_it(pg_server: str) -> None:
    name = f"sibook-dead-{uuid.uuid4().hex[:8]}"
    url = f"{pg_server}{'&' if '?' in pg_server else '?'}application_name={name}"
    proc = subprocess.Popen([sys.executable, "-c", STATEMENT, url], stdout=subprocess.PIPE,
                            env=os.environ.copy())
    watch = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"running\n"
        sessions = text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :n "
                        "AND query LIKE 'SELECT pg_sleep%'")
        deadline = time.monotonic() + 30
        with watch.connect() as conn:
            while not conn.execute(sessions, {"n": name}).scalar():
                assert time.monotonic() < deadline, "the statement never started"
                time.sleep(0.05)
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            killed = time.monotonic()
            while conn.execute(sessions, {"n": name}).scalar():
                assert time.monotonic() - killed < CLIENT_CHECK_MS / 1000 + 10, (
                    "the dead client's statement is still running")
                time.sleep(0.1)
    finally:
        proc.kill()
        watch.dispose()
