"""A book version is recorded with its signature or not at all: when signing fails (here the
key passphrase in the environment is wrong) the export, the signed routes and the portal record
no version, and the same read with the right passphrase records it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert
from typer.testing import CliRunner

from sibook.access import audit
from sibook.access.settings import get_access_settings
from sibook.book import card_image, fonts, versions
from sibook.cli.main import app as cli
from sibook.core.config import get_settings
from sibook.core.db import unit_of_work
from sibook.core.schema import metadata
from sibook.signing import keys
from tests.e2e.test_access_matrix import OWN, PRINCIPALS, bearer, populated_app
from tests.e2e.test_portal_pages import SITE, signed_in

RIGHT, WRONG = "the agency's passphrase", "not the passphrase"


@dataclass
class World:
    client: TestClient
    engine: Engine
    person_id: int
    tmp: Path
    monkeypatch: pytest.MonkeyPatch

    def passphrase(self, phrase: str) -> None:
        self.monkeypatch.setenv("SIBOOK_KEY_PASSPHRASE", phrase)
        get_settings.cache_clear()

    def latest(self) -> int | None:
        with unit_of_work(self.engine) as s:
            found = versions.latest(session=s, person_id=self.person_id)
        return found.version if found else None

    def outcomes(self) -> list[str]:
        with unit_of_work(self.engine) as s:
            return [e.outcome for e in audit.entries_for_person(session=s,
                                                               person_id=self.person_id)]


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("SIBOOK_DATABASE_URL", f"sqlite:///{tmp_path / 'sibook.db'}")
    get_settings.cache_clear()
    keys.init_keys(tmp_path / "keys", RIGHT.encode())
    app, engine, ids = populated_app(tmp_path / "sibook.db")
    with unit_of_work(engine) as s:  # a card, so the card route signs too
        s.execute(insert(metadata.tables["hi_cards"]).values(
            person_id=ids[OWN], seq=1, card_number="DN4010123456789", group_code="DN",
            benefit_level=4, province_code="01", initial_kcb_place="01001",
            valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31)))
    yield World(TestClient(app, raise_server_exceptions=False), engine, ids[OWN], tmp_path,
                monkeypatch)
    engine.dispose()
    get_settings.cache_clear()
    get_access_settings.cache_clear()


def export(world: World) -> tuple[int, dict[str, object]]:
    out = world.tmp / "book.pdf"
    result = CliRunner().invoke(cli, ["book", "export", OWN, "--pdf", str(out), "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_an_export_that_cannot_sign_records_no_version(world: World) -> None:
    assert world.latest() is None
    world.passphrase(WRONG)
    code, answer = export(world)
    assert code == 1 and "wrong passphrase" in str(answer["errors"]), answer
    assert world.latest() is None and not (world.tmp / "book.pdf").exists()
    world.passphrase(RIGHT)
    code, answer = export(world)
    assert code == 0 and answer["version"] == 1 and answer["new_version"] is True, answer
    assert world.latest() == 1


@pytest.mark.parametrize("what", [f"books/{OWN}/pdf", f"books/{OWN}/qr", f"books/{OWN}/card.png",
                                  f"books/{OWN}/card/qr"])
def test_a_signed_route_that_cannot_sign_records_no_version_and_logs_the_refusal(
        world: World, what: str) -> None:
    clerk = bearer(PRINCIPALS["clerk_hanoi"])
    world.passphrase(WRONG)
    refused = world.client.get(f"/api/v1/{what}", headers=clerk)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "60", refused.text
    assert "cannot sign" in refused.text and str(world.tmp) not in refused.text  # no server path
    assert world.latest() is None and world.outcomes() == ["refused"]
    world.passphrase(RIGHT)
    signed = world.client.get(f"/api/v1/{what}", headers=clerk)
    assert signed.status_code == 200, signed.text
    assert world.latest() == 1


def test_issuing_the_book_on_the_portal_that_cannot_sign_records_no_version(
        world: World) -> None:
    signed_in(world.client, OWN)
    world.passphrase(WRONG)
    refused = world.client.post("/portal/book", headers=SITE)
    assert refused.status_code == 503 and str(world.tmp) not in refused.text, refused.text
    assert refused.headers["content-type"].startswith("text/html")  # a page, not JSON
    assert "cannot sign books right now" in refused.text
    assert world.latest() is None
    world.passphrase(RIGHT)
    page = world.client.post("/portal/book", headers=SITE)  # then back to the book page
    assert page.status_code == 200 and "data:image/png" in page.text
    assert world.latest() == 1


def test_a_server_without_the_key_passphrase_cannot_sign_and_says_so_as_503(
        world: World) -> None:
    world.monkeypatch.delenv("SIBOOK_KEY_PASSPHRASE", raising=False)
    get_settings.cache_clear()
    r = world.client.get(f"/api/v1/books/{OWN}/pdf", headers=bearer(PRINCIPALS["clerk_hanoi"]))
    assert r.status_code == 503 and str(world.tmp) not in r.text, r.text
    assert world.latest() is None


def test_a_keys_folder_without_the_realms_issuing_key_is_503_naming_no_file(
        world: World) -> None:
    """The root is there but the civil issuing key's files are gone (a damaged or half-copied
    folder): the operator's to mend, so 503 naming no file, not a 404 naming the folder."""
    world.passphrase(RIGHT)
    for path in (world.tmp / "keys").glob("civil.*"):
        path.unlink()
    for url in (f"/api/v1/books/{OWN}/pdf", "/api/v1/revocations"):
        headers = {} if url.endswith("revocations") else bearer(PRINCIPALS["clerk_hanoi"])
        r = world.client.get(url, headers=headers)
        assert r.status_code == 503 and str(world.tmp) not in r.text, (url, r.text)
    assert world.latest() is None
    code, answer = export(world)
    assert code == 1 and "civil" in json.dumps(answer)  # the operator sees why


@pytest.mark.parametrize(("module", "method", "url"), [
    (card_image, "POST", "/portal/book"), (fonts, "POST", "/portal/book.pdf"),
    (fonts, "GET", f"/api/v1/books/{OWN}/pdf")])
def test_a_server_without_its_fonts_says_503_naming_no_file_and_records_no_version(
        world: World, module: ModuleType, method: str, url: str) -> None:
    """A missing font is the server's fault: not "no data you may see" (it was a 404 naming the
    font's path, to a citizen too), and the version read for it is not recorded."""
    missing = world.tmp / "fonts" / "DejaVuSans.ttf"
    world.monkeypatch.setattr(module, "FONT", missing)
    world.monkeypatch.setattr(module, "FONT_BOLD", missing)
    fonts._prepared.cache_clear()  # the cut fonts an earlier test prepared
    world.passphrase(RIGHT)
    signed_in(world.client, OWN)
    r = world.client.request(method, url,
                             headers=bearer(PRINCIPALS["clerk_hanoi"]) if "api" in url else SITE)
    assert r.status_code == 503, r.text
    assert str(world.tmp) not in r.text and "is missing" not in r.text, r.text
    assert world.latest() is None
