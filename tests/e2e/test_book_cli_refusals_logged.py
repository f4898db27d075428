"""Every read of a person's book is in their access log, a refused one too: ``sibook book
export`` and ``book card`` read the person, then fail (an output that cannot be written, a key
that cannot sign); the transaction that would have recorded the version rolls back, the log
keeps the attempt, outcome ``refused``, as the API's signed routes log theirs."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert
from typer.testing import CliRunner

from sibook.access import audit
from sibook.cli.main import app
from sibook.core.config import get_settings
from sibook.core.db import unit_of_work
from sibook.core.schema import metadata
from sibook.registry import reading as registry
from tests.e2e import test_input_edges_both_backends as both_backends

WORKER = both_backends.WORKER
# The API on the CLI's database (conftest's ``configured``: each backend, one worker in it).
client = both_backends.client


def _book_reads(engine: Engine) -> list[tuple[str, str]]:
    """(route, outcome) of the book reads in the worker's log, oldest first."""
    with unit_of_work(engine) as s:
        entries = audit.entries_for_person(session=s, person_id=registry.person_id_of(
            session=s, personal_id=WORKER))
    return [(e.route, e.outcome) for e in reversed(entries) if e.action == "book.read"]


def _carded(engine: Engine) -> None:
    """The worker holds an HI card, so the card's commands and routes sign."""
    with unit_of_work(engine) as s:
        s.execute(insert(metadata.tables["hi_cards"]).values(
            person_id=registry.person_id_of(session=s, personal_id=WORKER), seq=1,
            card_number="DN4010000000001", group_code="DN", benefit_level=4,
            province_code="01", initial_kcb_place="01001", valid_from=date(2026, 1, 1),
            valid_to=date(2099, 12, 31)))


def _keys_made_then_wrong_passphrase(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = CliRunner().invoke(app, ["book", "export", WORKER, "--pdf",
                                    str(tmp_path / "an.pdf"), "--json"])
    assert made.exit_code == 0, made.output  # the agency's keys, made on first use
    monkeypatch.setenv("SIBOOK_KEY_PASSPHRASE", "not the one the keys were made with")
    get_settings.cache_clear()


def _refused_field(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 1, result.output
    (problem,) = json.loads(result.stdout)["errors"]
    return str(problem["field"])


def test_an_export_whose_output_cannot_be_written_is_logged_refused(
        configured: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    assert _refused_field("book", "export", WORKER, "--pdf", str(folder)) == "--pdf"
    assert _book_reads(configured) == [("cli: sibook book export", "refused")]


def test_an_export_whose_key_cannot_sign_is_logged_refused(
        configured: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _keys_made_then_wrong_passphrase(tmp_path, monkeypatch)
    assert _refused_field("book", "export", WORKER, "--pdf",
                          str(tmp_path / "again.pdf")) == "SIBOOK_KEY_PASSPHRASE"
    assert _book_reads(configured) == [("cli: sibook book export", "allowed"),
                                       ("cli: sibook book export", "refused")]


def test_a_card_whose_image_cannot_be_written_is_logged_refused(
        configured: Engine, tmp_path: Path) -> None:
    _carded(configured)
    png = tmp_path / "no-such-folder" / "card.png"
    assert _refused_field("book", "card", WORKER, "--png", str(png)) == "--png"
    assert _book_reads(configured) == [("cli: sibook book card", "refused")]


@pytest.mark.parametrize("route", ["pdf", "qr", "card.png", "card/qr"])
def test_the_apis_signed_read_that_cannot_sign_is_logged_refused_alike(
        configured: Engine, client: TestClient, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, route: str) -> None:
    """The API's export and card routes, failing after the person was read, log the same."""
    _carded(configured)
    _keys_made_then_wrong_passphrase(tmp_path, monkeypatch)
    r = client.get(f"/api/v1/books/{WORKER}/{route}", headers=both_backends.clerk())
    assert r.status_code == 503, r.text
    assert _book_reads(configured)[-1] == (f"GET /api/v1/books/{{personal_id}}/{route}",
                                           "refused")
