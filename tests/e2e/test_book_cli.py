"""``sibook book ...`` as a user runs it: real processes, a temporary SQLite database and keys."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sibook.access.settings import get_access_settings
from sibook.api.app import create_app
from sibook.core.config import get_settings

SIBOOK = [sys.executable, "-m", "sibook.cli.main"]
CONTRACT = {"valid", "personal_id", "version", "signer", "errors"}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh machine: a seeded database, no keys yet (export makes them)."""
    home = tmp_path_factory.mktemp("book-cli")
    result = run(home, "seed", "--people", "120", "--employers", "8", "--seed", "5", "--json")
    assert result.returncode == 0, result.stderr
    return home


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SIBOOK_DATABASE_URL": f"sqlite:///{home / 'sibook.db'}",
           "SIBOOK_KEYS_DIR": str(home / "keys")}
    env.pop("SIBOOK_KEY_PASSPHRASE", None)
    return subprocess.run([*SIBOOK, *args], capture_output=True, text=True, env=env,
                          timeout=180, cwd=home)


def person(home: Path, realm: str = "civil") -> str:
    with sqlite3.connect(home / "sibook.db") as db:
        row = db.execute("SELECT p.personal_id FROM persons p JOIN hi_cards h USING (person_id)"
                         " WHERE p.realm = ? ORDER BY p.personal_id LIMIT 1", (realm,)).fetchone()
    return str(row[0])


@pytest.fixture(scope="module")
def exported(home: Path) -> tuple[str, Path, Path]:
    pid = person(home)
    pdf, qr = home / "book.pdf", home / "book.txt"
    result = run(home, "book", "export", pid, "--pdf", str(pdf), "--qr", str(qr), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["personal_id"] == pid and data["version"] == 1
    return pid, pdf, qr


def verify(home: Path, path: Path) -> tuple[int, dict[str, object]]:
    result = run(home, "book", "verify", str(path), "--json")
    return result.returncode, json.loads(result.stdout)


def test_exported_pdf_verifies_per_contract(home: Path, exported: tuple[str, Path, Path]
                                            ) -> None:
    code, answer = verify(home, exported[1])
    assert code == 0 and answer["valid"] is True, answer
    assert set(answer) == CONTRACT and answer["personal_id"] == exported[0]
    assert answer["version"] == 1 and answer["errors"] == []


def test_exported_qr_verifies_offline_with_only_the_trust_list(
        home: Path, exported: tuple[str, Path, Path], tmp_path: Path) -> None:
    assert run(home, "trust-list", "export", str(tmp_path / "trust.pem")).returncode == 0
    env = {**os.environ, "SIBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}",
           "SIBOOK_KEYS_DIR": str(tmp_path / "no-keys")}
    result = subprocess.run([*SIBOOK, "book", "verify", str(exported[2]), "--trust-list",
                             str(tmp_path / "trust.pem"), "--json"], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["valid"] is True
    assert not (tmp_path / "none.db").exists()  # verifying offline touches no database


def test_the_public_verify_endpoint_answers_as_the_cli_does(
        home: Path, exported: tuple[str, Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """``POST /api/v1/verify`` with the exported PDF and QR: valid; one byte flipped: not.
    (Before the revocation test below, which revokes this version.)"""
    monkeypatch.setenv("SIBOOK_DATABASE_URL", f"sqlite:///{home / 'sibook.db'}")
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(home / "keys"))
    monkeypatch.delenv("SIBOOK_KEY_PASSPHRASE", raising=False)
    get_settings.cache_clear()
    get_access_settings.cache_clear()
    try:
        client = TestClient(create_app())
        pid, pdf, qr = exported
        for path in (pdf, qr):
            answer = client.post("/api/v1/verify", files={"file": (path.name, path.read_bytes())})
            assert answer.status_code == 200
            body = answer.json()
            assert body.keys() >= CONTRACT
            assert body["valid"] is True, body
            assert (body["personal_id"], body["version"]) == (pid, 1)
        data = bytearray(pdf.read_bytes())
        data[len(data) // 3] ^= 0x01
        body = client.post("/api/v1/verify", files={"file": ("x.pdf", bytes(data))}).json()
        assert body["valid"] is False and body["errors"]
    finally:
        get_settings.cache_clear()
        get_access_settings.cache_clear()


def test_a_tampered_pdf_exits_1(home: Path, exported: tuple[str, Path, Path]) -> None:
    data = bytearray(exported[1].read_bytes())
    data[len(data) // 3] ^= 0x01
    (home / "tampered.pdf").write_bytes(bytes(data))
    code, answer = verify(home, home / "tampered.pdf")
    assert code == 1 and answer["valid"] is False and answer["errors"]


def test_garbage_exits_1_with_a_reason(home: Path) -> None:
    (home / "garbage.txt").write_bytes(b"\x00\xffnot a book")
    code, answer = verify(home, home / "garbage.txt")
    assert code == 1 and set(answer) == CONTRACT and answer["errors"]


def test_without_json_an_invalid_book_is_reported_on_stderr(home: Path) -> None:
    (home / "garbage.txt").write_bytes(b"\x00\xffnot a book")
    result = run(home, "book", "verify", str(home / "garbage.txt"))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("INVALID: ")


@pytest.mark.parametrize("flag", ["--pdf", "--qr"])
def test_an_output_path_that_cannot_be_written_is_refused_without_a_traceback(
        home: Path, exported: tuple[str, Path, Path], flag: str) -> None:
    paths = {"--pdf": str(home / "ok.pdf"), "--qr": str(home / "ok.txt"),
             flag: str(home / "no-such-folder" / "out")}
    result = run(home, "book", "export", exported[0], "--pdf", paths["--pdf"],
                 "--qr", paths["--qr"], "--json")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    (problem,) = json.loads(result.stdout)["errors"]
    assert problem["field"] == flag and problem["reason"].startswith("cannot write ")


def test_an_unknown_realm_is_a_usage_error(home: Path) -> None:
    result = run(home, "book", "verify", str(home / "garbage.txt"), "--realm", "bogus")
    assert result.returncode == 2 and "--realm: must be one of" in result.stderr
    assert result.stdout == ""


def test_with_json_a_usage_error_also_prints_one_json_object_naming_the_flag(home: Path) -> None:
    result = run(home, "book", "verify", str(home / "garbage.txt"), "--realm", "bogus", "--json")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (problem,) = json.loads(result.stdout)["errors"]
    assert problem["field"] == "--realm" and "must be one of" in problem["reason"]


def test_history_shows_an_intact_chain(home: Path, exported: tuple[str, Path, Path]) -> None:
    result = run(home, "book", "history", exported[0], "--json")
    data = json.loads(result.stdout)
    assert result.returncode == 0 and data["chain_intact"] is True
    assert [v["version"] for v in data["versions"]] == [1]


def test_hi_card_is_a_png(home: Path, exported: tuple[str, Path, Path]) -> None:
    result = run(home, "book", "card", exported[0], "--png", str(home / "card.png"), "--json")
    assert result.returncode == 0, result.stderr
    assert (home / "card.png").read_bytes().startswith(b"\x89PNG")


def test_a_defence_person_is_absent_unless_the_realm_is_named(home: Path) -> None:
    pid = person(home, "defence")
    hidden = run(home, "book", "history", pid, "--json")
    assert hidden.returncode == 1 and "no registered person" in hidden.stdout
    shown = run(home, "book", "history", pid, "--realm", "defence", "--json")
    assert shown.returncode == 0, shown.stdout


def test_a_revoked_version_exits_1_as_revoked(home: Path, exported: tuple[str, Path, Path]
                                              ) -> None:
    pid, _, qr = exported
    result = run(home, "book", "revoke", pid, "--version", "1", "--reason", "nghi gian lan",
                 "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    code, answer = verify(home, qr)
    assert code == 1 and answer["errors"] == [f"revoked: version 1 of book {pid}: nghi gian lan"]
