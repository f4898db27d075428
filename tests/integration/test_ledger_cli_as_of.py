"""``sibook ledger employer CODE --as-of DAY`` read by a person: the table says which day's
ledger it is, as the JSON's ``as_of`` does (today's when no day is given). A ledger no law
table prices names what was given, at the console and over HTTP alike."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from sibook.access import tokens
from sibook.cli.main import app
from sibook.contributions import declare as declare_module
from sibook.core.db import unit_of_work
from sibook.core.period import Period
from tests.integration.ledger_fixtures import EMPLOYER, cli_store, csv_of, worker_id
from tests.servers import app_on


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("COLUMNS", "200")
    yield from cli_store(tmp_path, monkeypatch)


def test_the_table_names_the_day_it_is_the_ledger_of(store: Engine) -> None:
    runner = CliRunner()
    then = runner.invoke(app, ["ledger", "employer", EMPLOYER, "--as-of", "2026-01-15"])
    assert then.exit_code == 0, then.output
    assert f"Ledger of {EMPLOYER} as of 2026-01-15" in then.stdout
    now = runner.invoke(app, ["ledger", "employer", EMPLOYER])
    assert f"Ledger of {EMPLOYER} as of {date.today().isoformat()}" in now.stdout


def _filed_before_the_deadline_rule(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> str:
    """A worker's dues from 2019-06, as a filing took them before lines from months the payment
    deadline's rows (from 2020-01) do not reach were refused (that check left out, as it was;
    the ledger is append-only). Its ledger cannot be read: 2019-06 has no deadline."""
    worker = worker_id(0)
    with monkeypatch.context() as then:
        then.setattr(declare_module, "_months_without_deadline", lambda conn, declared: [])
        with unit_of_work(engine) as s:
            declare_module.declare(
                session=s, data=csv_of([(worker, "TM", 10_000_000, "2019-06")]),
                file_name="d.csv", employer_code=EMPLOYER, month=Period(2020, 1))
    return worker


@pytest.mark.parametrize(("command", "argument"), [("employer", "CODE"),
                                                   ("show", "PERSONAL_ID")])
def test_a_ledger_month_no_rule_prices_names_the_ledger_unless_as_of_was_typed(
        store: Engine, monkeypatch: pytest.MonkeyPatch, command: str, argument: str) -> None:
    """The ledger's own month 2019-06 is what cannot be read, whatever the day: without --as-of
    the refusal names the ledger's argument, not a flag nobody typed; a day typed is named."""
    worker = _filed_before_the_deadline_rule(store, monkeypatch)
    whose = {"employer": EMPLOYER, "show": worker}[command]
    runner = CliRunner()
    for typed, field in (([], argument), (["--as-of", "2026-01-15"], "--as-of")):
        result = runner.invoke(app, ["ledger", command, whose, *typed, "--json"])
        assert result.exit_code == 1, result.output
        (problem,) = json.loads(result.stdout)["errors"]
        assert problem["field"] == field
        assert "2019-06" in problem["reason"], problem


@pytest.mark.parametrize(("path", "field"), [("employers/{code}/ledger", "code"),
                                             ("persons/{worker}/ledger", "personal_id")])
def test_over_http_too_the_ledger_is_named_unless_as_of_was_sent(
        store: Engine, monkeypatch: pytest.MonkeyPatch, path: str, field: str) -> None:
    """As the console: without ``?as_of=`` the 422 names the path's key (the unit's code, the
    personal ID), whose month cannot be read, not a query parameter nobody sent."""
    worker = _filed_before_the_deadline_rule(store, monkeypatch)
    client = TestClient(app_on(store))
    token = tokens.issue({"sub": f"client-{EMPLOYER}", "kind": "employer",
                          "unit_code": EMPLOYER})
    url = "/api/v1/" + path.format(code=EMPLOYER, worker=worker)
    for query, named in (({}, field), ({"as_of": "2026-01-15"}, "as_of")):
        answer = client.get(url, params=query, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 422, answer.text
        (problem,) = answer.json()["errors"]
        assert problem["field"] == named
        assert "2019-06" in problem["reason"], problem
