"""Two employers taking on the same worker at the same moment (PostgreSQL; SQLite serialises
writers itself): the filing that writes second is the domain's conflict, 409 over HTTP and
exit 1 with its JSON on the command line, never a 500 or a traceback, and nothing of it stays."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from sibook.cli.main import app as cli
from sibook.contributions.declare import declare
from sibook.core.db import unit_of_work
from sibook.core.period import Period
from tests.integration.ledger_fixtures import (
    EMPLOYER,
    add_other_employer,
    csv_of,
    employer_filing,
    paused_after_its_look_up,
    setup_workers,
)

CONFLICT = ("another filing changed the same workers at the same time; nothing was filed, "
            "file again")


def _taken_on_by_the_other_employer(engine: Engine, personal_id: str) -> None:
    other = add_other_employer(engine)
    with unit_of_work(engine) as s:
        declare(session=s, data=csv_of([(personal_id, "TM", 10_000_000, "2026-01")]),
                file_name="d.csv", employer_code=other, month=Period(2026, 1))


def _filings_of(engine: Engine, code: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM declarations d JOIN employers e ON e.employer_id = "
            "d.employer_id WHERE e.code = :c"), {"c": code}).scalar_one())


def _refused_reads_of(engine: Engine, personal_id: str) -> list[str]:
    """The routes of the refused entries in the worker's access log."""
    with engine.connect() as conn:
        return list(conn.execute(text(
            "SELECT a.route FROM access_log a JOIN persons p ON p.person_id = a.person_id "
            "WHERE p.personal_id = :pid AND a.outcome = 'refused' ORDER BY a.seq"),
            {"pid": personal_id}).scalars())


def test_the_filing_that_writes_second_is_a_409(postgres: Engine,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    (an,) = setup_workers(postgres, 1)
    file = employer_filing(postgres)
    r = paused_after_its_look_up(
        monkeypatch, lambda: file(csv_of([(an, "TM", 9_000_000, "2026-01")])),
        lambda: _taken_on_by_the_other_employer(postgres, an))
    assert not isinstance(r, Exception), r
    assert r.status_code == 409, r.text
    assert r.json() == {"errors": [{"field": "file", "reason": CONFLICT}]}  # as the CLI's
    assert _filings_of(postgres, EMPLOYER) == 0
    # Its checks read the worker's periods before the conflict: logged, though refused.
    assert len(_refused_reads_of(postgres, an)) == 1


def test_the_command_that_writes_second_exits_1_with_its_json(
        postgres: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (an,) = setup_workers(postgres, 1)
    (tmp_path / "d02.csv").write_bytes(csv_of([(an, "TM", 9_000_000, "2026-01")]))
    result = paused_after_its_look_up(
        monkeypatch,
        lambda: CliRunner().invoke(cli, ["declare", str(tmp_path / "d02.csv"), "--employer",
                                         EMPLOYER, "--month", "2026-01", "--json"]),
        lambda: _taken_on_by_the_other_employer(postgres, an))
    assert not isinstance(result, Exception), result
    assert result.exit_code == 1, (result.output, result.exception)
    assert json.loads(result.stdout) == {"accepted": False,
                                         "errors": [{"field": "FILE", "reason": CONFLICT}]}
    assert _filings_of(postgres, EMPLOYER) == 0
    assert _refused_reads_of(postgres, an) == ["cli: sibook declare"]
