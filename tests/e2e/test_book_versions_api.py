"""Old versions stay readable: a book's history over HTTP and the CLI, and any version as it
was recorded, to those who may read the book."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from sibook.access.settings import get_access_settings
from sibook.book.assemble import content_hash
from sibook.cli.main import app as cli
from sibook.core.config import get_settings
from sibook.core.db import unit_of_work
from tests.e2e.test_access_matrix import OTHER, OWN, PRINCIPALS, bearer, populated_app
from tests.e2e.test_openapi_conformance import assert_conforms

HISTORY, VERSION = "/api/v1/books/{personal_id}/versions", \
    "/api/v1/books/{personal_id}/versions/{version}"


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, Any]]:
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("SIBOOK_DATABASE_URL", f"sqlite:///{tmp_path / 'versions.db'}")
    get_settings.cache_clear()
    app, engine, ids = populated_app(tmp_path / "versions.db")
    yield TestClient(app), engine
    engine.dispose()
    get_settings.cache_clear()
    get_access_settings.cache_clear()


def test_every_version_stays_readable_as_recorded(api: tuple[TestClient, Any]) -> None:
    client, engine = api
    me = bearer(PRINCIPALS["citizen"])
    first = client.get(f"/api/v1/books/{OWN}", headers=me).json()
    with unit_of_work(engine) as s:  # a fact changes: the name, corrected
        s.execute(text("UPDATE persons SET full_name = 'Nguyễn Văn Ân' WHERE personal_id = :p"),
                  {"p": OWN})
    spec = client.app.openapi()  # type: ignore[attr-defined]
    history = client.get(HISTORY.format(personal_id=OWN), headers=me)
    assert_conforms(spec, "GET", HISTORY, history)
    assert history.status_code == 200 and history.json()["chain_intact"] is True
    listed = history.json()["versions"]
    assert [(v["version"], v["revoked"]) for v in listed] == [(1, False), (2, False)]
    assert listed[1]["prev_hash"] == listed[0]["content_hash"] == first["content_hash"]
    old = client.get(VERSION.format(personal_id=OWN, version=1), headers=me)
    assert_conforms(spec, "GET", VERSION, old)
    assert old.json() == first and content_hash(old.json()["book"]) == first["content_hash"]
    assert client.get(VERSION.format(personal_id=OWN, version=2), headers=me).json()[
        "book"]["header"]["full_name"] == "Nguyễn Văn Ân"
    missing = client.get(VERSION.format(personal_id=OWN, version=3), headers=me)
    assert_conforms(spec, "GET", VERSION, missing)
    assert missing.status_code == 404 and "no version 3" in missing.json()["errors"][0]["reason"]
    for path in (HISTORY, VERSION):  # another person's book is not there for this citizen
        r = client.get(path.format(personal_id=OTHER, version=1), headers=me)
        assert r.status_code == 404
    shown = CliRunner().invoke(cli, ["book", "show", OWN, "--version", "1", "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout) == first
    current = CliRunner().invoke(cli, ["book", "show", OWN, "--json"])
    assert json.loads(current.stdout)["version"] == 2
    gone = CliRunner().invoke(cli, ["book", "show", OWN, "--version", "9", "--json"])
    assert gone.exit_code == 1 and "no version 9" in gone.stdout


def test_a_citizen_reads_a_benefit_estimate_of_their_own_book(
        api: tuple[TestClient, Any]) -> None:
    client, _ = api
    path = "/api/v1/books/{personal_id}/estimate"
    me = bearer(PRINCIPALS["citizen"])
    r = client.get(path.format(personal_id=OWN), headers=me)
    assert_conforms(client.app.openapi(), "GET", path, r)  # type: ignore[attr-defined]
    book = client.get(f"/api/v1/books/{OWN}", headers=me).json()["book"]
    assert r.status_code == 200 and r.json()["si_months"] == book["totals"]["si_months"]
    # An enterprise's worker: the whole period, citing the article (Law 41/2024 Art 72(2)).
    assert r.json()["average_rule"]["rule"] == "whole_period"
    assert "Art 72" in r.json()["average_rule"]["source"]
    assert client.get(path.format(personal_id=OTHER), headers=me).status_code == 404
    shown = CliRunner().invoke(cli, ["book", "estimate", OWN, "--json"])
    assert shown.exit_code == 0 and json.loads(shown.stdout) == r.json()
    plain = CliRunner().invoke(cli, ["book", "estimate", OWN], env={"COLUMNS": "300"})
    words = " ".join(plain.stdout.split())
    assert "│ average rule │ the whole period: pay the employer set" in words
    # A year is a year (not "2,026"), and the text says it is an estimate, as the JSON's note.
    assert f"│ revalued for │ {r.json()['revalued_for']} │" in words
    assert r.json()["note"] in words


def test_the_estimate_in_words_says_the_pension_in_a_sentence_not_a_dict(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from sibook.cli.book import _show_estimate
    # Each value on one line. Not setattr(console, "width", ...): undoing that would pin the
    # shared console at the width read before it, for every later test of the process.
    monkeypatch.setenv("COLUMNS", "300")

    _show_estimate("001062604791", {
        "as_of": "2026-11", "si_months": 282, "average_salary": 5982454, "revalued_for": 2026,
        "average_salary_note": None, "average_rule": None, "retirement_date": "2022-09-30",
        "reached_retirement_age": True, "pension_note": None, "one_time_withdrawal": None,
        "one_time_withdrawal_note": None, "note": "An estimate.",
        "pension": {"rate_percent": 52.5, "monthly_pension": 3110876, "extra_lump_sum": 7000000,
                    "from_month": "2026-12"}})
    words = " ".join(capsys.readouterr().out.split())
    assert "{" not in words and "True" not in words
    assert ("│ pension │ 52.5% of the average salary: 3,110,876 VND a month from 2026-12, and "
            "an extra lump sum of 7,000,000 VND │") in words
    assert "│ reached retirement age │ yes │" in words


def test_asking_for_a_version_never_recorded_is_in_the_persons_access_log(
        api: tuple[TestClient, Any]) -> None:
    """The officer's request read the person's book (it has no such version): the citizen
    sees it in their log, as the CLI's ``book show --version`` logs it."""
    client, engine = api
    r = client.get(VERSION.format(personal_id=OWN, version=9),
                   headers=bearer(PRINCIPALS["clerk_hanoi"]))
    assert r.status_code == 404
    entries = client.get("/api/v1/me/access-log", headers=bearer(PRINCIPALS["citizen"])
                         ).json()["entries"]
    assert [(e["actor"], e["outcome"]) for e in entries if e["route"].endswith("{version}")
            ] == [("hn-clerk", "refused")]
