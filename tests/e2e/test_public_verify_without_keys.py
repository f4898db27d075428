"""Verifying, publishing and reading a book's history on a machine whose keys were never made
(``sibook keys init`` not run): nothing is verified, no keys are made as a side effect, and the
operator is told."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from sibook.access.settings import get_access_settings
from sibook.cli.main import app as cli
from sibook.core.config import get_settings
from sibook.signing import keys
from sibook.signing.qr import sign_qr
from sibook.signing.trust_list import TrustList
from tests.e2e.test_access_matrix import OWN, PRINCIPALS, bearer, populated_app
from tests.e2e.test_openapi_conformance import assert_conforms
from tests.unit.test_signing_support import PASSPHRASE, book_payload

QR = b"SIB1:6BFOXN*TS0BI$ZD8UHB:3"
CONTRACT = {"valid", "personal_id", "version", "signer", "errors"}


@pytest.fixture(params=["missing", "empty"])
def keys_dir(request: pytest.FixtureRequest, tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "keys"
    if request.param == "empty":
        folder.mkdir()
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(folder))
    monkeypatch.setenv("SIBOOK_DATABASE_URL", f"sqlite:///{tmp_path / 'sibook.db'}")
    monkeypatch.delenv("SIBOOK_KEY_PASSPHRASE", raising=False)
    get_settings.cache_clear()
    get_access_settings.cache_clear()
    yield folder
    get_settings.cache_clear()
    get_access_settings.cache_clear()


@pytest.fixture
def client(keys_dir: Path, tmp_path: Path) -> Iterator[TestClient]:
    app, engine, _ = populated_app(tmp_path / "sibook.db")
    yield TestClient(app, raise_server_exceptions=False)
    engine.dispose()


def no_keys_made(folder: Path) -> bool:
    made = {p.name for p in folder.iterdir()} if folder.exists() else set()
    return not made & {"root.cert.pem", "civil.1.key.pem", "passphrase", "revocations.json"}


@pytest.mark.parametrize("route", ["/api/v1/verify", "/api/v1/hi-cards/verify"])
def test_a_public_verify_answers_invalid_and_makes_no_keys(
        client: TestClient, keys_dir: Path, route: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="sibook.book.api"):
        r = client.post(route, files={"file": ("qr.txt", QR)})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["valid"] is False and body["personal_id"] is None
    (error,) = body["errors"]
    assert error.startswith("cannot verify: ") and "not set up" in error
    assert str(keys_dir) not in r.text  # the server's folders are not the public's to know
    assert "`sibook keys init`" in caplog.text  # the operator's log says what to run
    assert no_keys_made(keys_dir)


@pytest.mark.parametrize("route", ["/api/v1/trust-list", "/api/v1/revocations"])
def test_the_published_trust_is_503_until_keys_exist_and_makes_none(
        client: TestClient, keys_dir: Path, route: str) -> None:
    r = client.get(route)
    assert r.status_code == 503 and r.headers["Retry-After"] == "60", r.text
    assert "not set up" in r.json()["detail"] and str(keys_dir) not in r.text
    assert_conforms(client.app.openapi(), "GET", route, r)  # type: ignore[attr-defined]
    assert no_keys_made(keys_dir)


@pytest.mark.parametrize("command", [["book", "verify"], ["book", "verify-card"]])
def test_the_cli_verify_says_to_run_keys_init_and_makes_no_keys(
        keys_dir: Path, tmp_path: Path, command: list[str]) -> None:
    qr = tmp_path / "qr.txt"
    qr.write_bytes(QR)
    result = CliRunner().invoke(cli, [*command, str(qr), "--json"])
    assert result.exit_code == 1, result.output
    answer = json.loads(result.stdout)
    assert answer["valid"] is False and "`sibook keys init`" in answer["errors"][0]
    if command == ["book", "verify"]:
        assert set(answer) == CONTRACT
    assert no_keys_made(keys_dir)


def test_trust_list_export_says_to_run_keys_init_and_makes_no_keys(
        keys_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["trust-list", "export", str(tmp_path / "t.pem"), "--json"])
    assert result.exit_code == 1
    assert "`sibook keys init`" in json.loads(result.stdout)["errors"][0]["reason"]
    assert no_keys_made(keys_dir) and not (tmp_path / "t.pem").exists()


def test_a_server_without_the_key_passphrase_still_verifies_and_publishes_its_trust(
        client: TestClient, keys_dir: Path) -> None:
    """Verifying needs the certificates only: a server holding no passphrase (a verify-only
    one) answers as any other; only re-signing a stale list, or publishing one, needs it."""
    keys.init_keys(keys_dir, PASSPHRASE)  # no passphrase file, none in the environment
    qr = sign_qr(book_payload(), keys.load_signer(keys_dir, "civil", PASSPHRASE))
    r = client.post("/api/v1/verify", files={"file": ("qr.txt", qr.encode())})
    assert r.status_code == 200 and r.json()["valid"] is True, r.text
    trust = client.get("/api/v1/trust-list")
    assert trust.status_code == 200 and len(TrustList.from_pem(trust.content).issuers) == 3
    published = client.get("/api/v1/revocations")  # the public form is signed when served
    assert published.status_code == 503 and str(keys_dir) not in published.text


def test_reading_a_books_history_makes_no_keys(client: TestClient, keys_dir: Path) -> None:
    """Nothing is signed to show the history: before the keys exist no version can have been
    revoked, and reading it, over HTTP or the CLI, must not make them."""
    r = client.get(f"/api/v1/books/{OWN}/versions",
                   headers=bearer(PRINCIPALS["clerk_hanoi"]))
    assert r.status_code == 200, r.text
    assert [v["revoked"] for v in r.json()["versions"]] == [False]
    shown = CliRunner().invoke(cli, ["book", "history", OWN, "--json"])
    assert shown.exit_code == 0, shown.output
    assert [v["revoked"] for v in json.loads(shown.stdout)["versions"]] == [False]
    assert no_keys_made(keys_dir)
