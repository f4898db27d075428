"""``sibook book ...`` as a user runs it: real processes, a temporary SQLite database and keys."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sibook.access.settings import get_access_settings
from sibook.api.app import create_app
from sibook.book import issuing
from sibook.core.config import get_settings
from sibook.core.errors import ConflictError
from sibook.signing import keys
from sibook.signing.status import RevocationList, revocations_file
from sibook.signing.trust_list import TrustList
from sibook.signing.verify import MAX_INPUT

SIBOOK = [sys.executable, "-m", "sibook.cli.main"]
CONTRACT = {"valid", "personal_id", "version", "signer", "errors"}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded(tmp_path_factory.mktemp("book-cli"))


def seeded(home: Path) -> Path:
    """A fresh machine: a seeded database, no keys yet (export makes them)."""
    result = run(home, "seed", "--people", "120", "--employers", "8", "--seed", "1", "--json")
    assert result.returncode == 0, result.stderr
    return home


def run(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SIBOOK, *args], capture_output=True, text=True, env=env_of(home),
                          timeout=180, cwd=home, input=stdin)


def run_binary(home: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """``run``, its stdout and stderr as bytes: a PDF or a PNG printed on standard output."""
    return subprocess.run([*SIBOOK, *args], capture_output=True, env=env_of(home), timeout=180,
                          cwd=home)


def env_of(home: Path) -> dict[str, str]:
    env = {**os.environ, "SIBOOK_DATABASE_URL": f"sqlite:///{home / 'sibook.db'}",
           "SIBOOK_KEYS_DIR": str(home / "keys")}
    env.pop("SIBOOK_KEY_PASSPHRASE", None)
    return env


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
    assert answer["version"] == 1 and answer["errors"] == [] and "warnings" not in answer


@pytest.mark.parametrize("scheme", ["sqlite", "sqlite+pysqlite"])  # the driver named too
def test_exported_qr_verifies_offline_with_only_the_trust_list(
        home: Path, exported: tuple[str, Path, Path], tmp_path: Path, scheme: str) -> None:
    assert run(home, "trust-list", "export", str(tmp_path / "trust.pem")).returncode == 0
    env = {**os.environ, "SIBOOK_DATABASE_URL": f"{scheme}:///{tmp_path / 'none.db'}",
           "SIBOOK_KEYS_DIR": str(tmp_path / "no-keys")}
    result = subprocess.run([*SIBOOK, "book", "verify", str(exported[2]), "--trust-list",
                             str(tmp_path / "trust.pem"), "--json"], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["valid"] is True
    assert not (tmp_path / "none.db").exists()  # verifying offline touches no database


@pytest.mark.parametrize("url", ["postgresql+psycopg2://postgres@127.0.0.1:5432/sibook",
                                 "mysql://u@127.0.0.1/sibook"])
def test_verifying_where_the_database_url_names_an_uninstalled_driver_is_still_offline(
        home: Path, exported: tuple[str, Path, Path], url: str) -> None:
    """Verifying needs no database: one whose driver is not installed only means no
    ``newer_version`` can be told, as an unreachable one does; it was a traceback, nothing on
    stdout, exit 1."""
    env = {**os.environ, "SIBOOK_DATABASE_URL": url, "SIBOOK_KEYS_DIR": str(home / "keys")}
    result = subprocess.run([*SIBOOK, "book", "verify", str(exported[2]), "--json"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) == CONTRACT and answer["valid"] is True


def test_a_trust_list_of_the_books_realm_alone_verifies_it_at_the_agency(
        home: Path, exported: tuple[str, Path, Path], tmp_path: Path) -> None:
    """The agency's other realms' revocation lists, which that trust list cannot check, say
    nothing of a civil book: they were a 'cannot verify' for every book. A book of a realm the
    list does not hold is refused for its own key."""
    civil = tmp_path / "civil.pem"
    civil.write_bytes(b"".join(p.read_bytes() for p in [
        home / "keys" / "root.cert.pem", *sorted((home / "keys").glob("civil.*.cert.pem"))]))
    result = run(home, "book", "verify", str(exported[2]), "--trust-list", str(civil), "--json")
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout)["errors"] == []
    soldier = person(home, "defence")
    qr = tmp_path / "soldier.txt"
    assert run(home, "book", "export", soldier, "--realm", "defence", "--pdf",
               str(tmp_path / "soldier.pdf"), "--qr", str(qr)).returncode == 0
    result = run(home, "book", "verify", str(qr), "--trust-list", str(civil), "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["errors"][0].startswith("unknown key id")


@pytest.fixture
def client(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The API of the machine the commands run on (same database and keys)."""
    monkeypatch.setenv("SIBOOK_DATABASE_URL", f"sqlite:///{home / 'sibook.db'}")
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(home / "keys"))
    monkeypatch.delenv("SIBOOK_KEY_PASSPHRASE", raising=False)
    get_settings.cache_clear()
    get_access_settings.cache_clear()
    yield TestClient(create_app())
    get_settings.cache_clear()
    get_access_settings.cache_clear()


def test_the_public_verify_endpoint_answers_as_the_cli_does(
        client: TestClient, exported: tuple[str, Path, Path]) -> None:
    """``POST /api/v1/verify`` with the exported PDF and QR: valid; one byte flipped: not.
    (Before the revocation test below, which revokes this version.)"""
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


def test_an_altered_list_of_another_realm_does_not_stop_the_public_verify(
        client: TestClient, home: Path, exported: tuple[str, Path, Path]) -> None:
    """An altered defence list speaks for no civil book: it made every public verify a 422
    naming the server's keys folder. A defence book is then 'cannot verify', by realm only."""
    soldier = person(home, "defence")
    qr = home / "soldier.txt"
    assert run(home, "book", "export", soldier, "--realm", "defence", "--pdf",
               str(home / "soldier.pdf"), "--qr", str(qr)).returncode == 0
    listed = home / "keys" / revocations_file("defence")
    kept = listed.read_bytes()
    listed.write_bytes(kept.replace(b'"entries": []', b'"entries": [{"personal_id": '
                                    b'"038059749911", "version": 9, "reason": "x", '
                                    b'"revoked_at": "2026-01-01T00:00:00+00:00"}]'))
    assert listed.read_bytes() != kept
    try:
        answer = client.post("/api/v1/verify", files={"file": ("b.txt", exported[2].read_bytes())})
        assert answer.status_code == 200 and answer.json()["valid"] is True, answer.text
        answer = client.post("/api/v1/verify", files={"file": ("s.txt", qr.read_bytes())})
        assert answer.status_code == 200 and str(home) not in answer.text
        assert answer.json()["errors"] == ["cannot verify: the agency's revocation list of the "
                                           "defence realm cannot be read or was altered; try "
                                           "again later"]
    finally:
        listed.write_bytes(kept)


def test_a_damaged_civil_list_is_not_published_nor_its_folder_named(
        client: TestClient, home: Path, exported: tuple[str, Path, Path]) -> None:
    """The public revocation list when the agency's file is damaged: a 503 to retry, not a 422
    whose field is the server's keys folder."""
    listed = home / "keys" / revocations_file("civil")
    kept = listed.read_bytes()
    listed.write_bytes(b"not json")
    try:
        answer = client.get("/api/v1/revocations")
    finally:
        listed.write_bytes(kept)
    assert answer.status_code == 503 and answer.headers["retry-after"] == "60"
    assert str(home) not in answer.text


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


@pytest.mark.parametrize("command", ["verify", "verify-card"])
def test_verifying_an_empty_file_name_is_a_usage_error(home: Path, command: str) -> None:
    """An empty FILE names nothing to check: it was read as ".", answered (exit 1) "cannot
    verify: .: Is a directory", a path nobody typed; now exit 2, as an empty file flag."""
    result = run(home, "book", command, "", "--json")
    assert result.returncode == 2, result.stderr
    assert json.loads(result.stdout)["errors"][0]["field"] == "FILE"
    assert "needs a file name, got an empty one" in result.stderr


@pytest.mark.parametrize("command", ["verify", "verify-card"])
def test_a_file_that_is_not_there_cannot_verify_in_plain_words(
        home: Path, tmp_path: Path, command: str) -> None:
    """A missing file (or trust list) was said as Python's OSError: "[Errno 2] No such file
    or directory: '...'"."""
    missing = tmp_path / "missing.pdf"
    result = run(home, "book", command, str(missing), "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["errors"] == [
        f"cannot verify: {missing}: No such file or directory"]
    (tmp_path / "book.txt").write_text("SIB1:", encoding="utf-8")
    result = run(home, "book", command, str(tmp_path / "book.txt"), "--trust-list",
                 str(tmp_path / "trust.pem"), "--json")
    assert json.loads(result.stdout)["errors"] == [
        f"cannot verify: {tmp_path / 'trust.pem'}: No such file or directory"]


@pytest.mark.parametrize("command", ["verify", "verify-card"])
def test_a_file_larger_than_the_api_takes_is_refused_unread(
        home: Path, tmp_path: Path, command: str) -> None:
    """Read whole, a file of any size (or /dev/zero) took all the memory and ended in a
    MemoryError's traceback; so did a trust list. A sparse file: its size costs no disk."""
    huge = tmp_path / "huge.pdf"
    with huge.open("wb") as f:
        f.truncate(MAX_INPUT + 1)
    (tmp_path / "book.txt").write_text("SIB1:", encoding="utf-8")
    for args in ([str(huge)], [str(tmp_path / "book.txt"), "--trust-list", str(huge)]):
        result = run(home, "book", command, *args, "--json")
        assert result.returncode == 1 and result.stderr == ""
        assert json.loads(result.stdout)["errors"] == [
            f"cannot verify: {huge}: larger than {MAX_INPUT} bytes, more than any book PDF, "
            "QR text or trust list"]


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


@pytest.mark.parametrize(("command", "flag"), [
    ("export", "--pdf"), ("export", "--qr"), ("card", "--png"), ("card", "--qr"),
    ("verify", "--trust-list"), ("verify", "--revocations")])
def test_a_file_flag_given_no_file_name_is_a_usage_error_not_a_file_named_after_a_flag(
        home: Path, command: str, flag: str) -> None:
    """``--pdf --json``: Click would take --json as the file's name, write the PDF there and
    print no JSON; the flag was given no file, a usage error naming it."""
    target = [person(home)] if command != "verify" else [str(home / "garbage.txt")]
    files = {"export": ["--pdf", "a.pdf", "--qr", "a.txt"], "card": ["--png", "a.png", "--qr",
             "a.txt"], "verify": ["--trust-list", "t.pem", "--revocations", "r.json"]}[command]
    at = files.index(flag)
    args = files[:at] + files[at + 2:] + [flag]  # the flag given last: its value is --json
    result = run(home, "book", command, *target, *args, "--json")
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    (problem,) = json.loads(result.stdout)["errors"]
    assert problem["field"] == flag and "needs a file name, got '--json'" in problem["reason"]
    assert not (home / "--json").exists() and not (home / "a.pdf").exists()


def test_history_shows_an_intact_chain(home: Path, exported: tuple[str, Path, Path]) -> None:
    result = run(home, "book", "history", exported[0], "--json")
    data = json.loads(result.stdout)
    assert result.returncode == 0 and data["chain_intact"] is True
    assert [v["version"] for v in data["versions"]] == [1]


def test_without_json_the_paths_written_are_each_on_one_line(home: Path) -> None:
    """A script reads the paths back from the message: Rich must not break it at 80 columns
    when stdout is not a terminal (nor a refusal naming a long path on stderr)."""
    with sqlite3.connect(home / "sibook.db") as db:  # not the person the other tests revoke
        (pid,) = db.execute("SELECT personal_id FROM persons WHERE realm = 'civil'"
                            " ORDER BY personal_id DESC LIMIT 1").fetchone()
    folder = home / ("a-folder-with-a-long-name-as-a-shared-drive-gives-" * 2)
    folder.mkdir(exist_ok=True)
    pdf, qr = folder / "book.pdf", folder / "book.txt"
    result = run(home, "book", "export", pid, "--pdf", str(pdf), "--qr", str(qr))
    assert result.returncode == 0, result.stderr
    assert str(pdf) in result.stdout and str(qr) in result.stdout
    missing = folder / "no-such-folder" / "book.pdf"
    result = run(home, "book", "export", pid, "--pdf", str(missing))
    assert result.returncode == 1 and str(missing) in result.stderr


def test_hi_card_is_a_png(home: Path, exported: tuple[str, Path, Path]) -> None:
    result = run(home, "book", "card", exported[0], "--png", str(home / "card.png"), "--json")
    assert result.returncode == 0, result.stderr
    assert (home / "card.png").read_bytes().startswith(b"\x89PNG")


def test_without_json_the_card_names_both_files_it_wrote(
        home: Path, exported: tuple[str, Path, Path]) -> None:
    png, qr = home / "card-2.png", home / "card-2.txt"
    result = run(home, "book", "card", exported[0], "--png", str(png), "--qr", str(qr))
    assert result.returncode == 0, result.stderr
    assert f": {png}, QR {qr}" in result.stdout and qr.read_text().startswith("SIB1:")


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
    # Again for the same reason (a retry): the revocation on record, said with its time.
    since = json.loads(result.stdout)["revoked"]["revoked_at"]
    again = run(home, "book", "revoke", pid, "--version", "1", "--reason", "nghi gian lan")
    assert again.returncode == 0 and (
        f"revoked version 1 of book {pid} since {since}: nghi gian lan") in again.stdout


def test_a_refused_revocation_is_logged_refused_and_the_list_is_the_agencys_only(
        home: Path, exported: tuple[str, Path, Path]) -> None:
    pid = exported[0]
    result = run(home, "book", "revoke", pid, "--version", "99", "--reason", "x", "--json")
    assert result.returncode == 1 and "no version 99" in result.stdout
    with sqlite3.connect(home / "sibook.db") as db:
        outcomes = [r[0] for r in db.execute(
            "SELECT outcome FROM access_log a JOIN persons p ON p.person_id = a.person_id "
            "WHERE p.personal_id = ? AND a.route = 'cli: sibook book revoke' ORDER BY a.seq",
            (pid,))]
    assert outcomes[-2:] == ["allowed", "refused"]
    # The agency's own list names persons and reasons: readable by its owner only.
    assert (home / "keys" / revocations_file("civil")).stat().st_mode & 0o077 == 0


def test_a_reason_that_is_not_utf8_is_refused_before_the_act_is_logged(
        home: Path, exported: tuple[str, Path, Path]) -> None:
    pid = exported[0]
    logged = _revocation_acts(home, pid)
    env = {**os.environ, "SIBOOK_DATABASE_URL": f"sqlite:///{home / 'sibook.db'}",
           "SIBOOK_KEYS_DIR": str(home / "keys")}
    result = subprocess.run([*SIBOOK, "book", "revoke", pid, "--version", "1", "--reason",
                             b"gian l\xffn", "--json"], capture_output=True, env=env, timeout=180)
    assert result.returncode == 2, result.stderr
    (problem,) = json.loads(result.stdout)["errors"]
    assert problem["field"] == "--reason" and "not UTF-8" in problem["reason"]
    assert _revocation_acts(home, pid) == logged


def _revocation_acts(home: Path, pid: str) -> int:
    with sqlite3.connect(home / "sibook.db") as db:
        (count,) = db.execute(
            "SELECT count(*) FROM access_log a JOIN persons p ON p.person_id = a.person_id "
            "WHERE p.personal_id = ? AND a.route = 'cli: sibook book revoke'", (pid,)).fetchone()
    return int(count)


# The tests below run after the revocation above: version 1 of the exported book is revoked.

def _signer(home: Path, realm: str) -> keys.FileSigner:
    passphrase = (home / "keys" / "passphrase").read_text().strip().encode()
    return keys.load_signer(home / "keys", realm, passphrase)


def _stale_copy(home: Path, out: Path, *, revoked: bool) -> Path:
    """The civil list as signed when the key was made, current for a second: with today's
    entries, or (a replay of an old list) from before the revocation. (Not signed days ago:
    the key could not sign then, and such a list is refused.)"""
    trust = TrustList.from_keys_dir(home / "keys")
    listed = RevocationList.load(home / "keys" / revocations_file("civil"), trust)
    signer = _signer(home, "civil")
    (RevocationList(listed.entries) if revoked else RevocationList()).save(
        out, signer, now=signer.certificate.not_valid_before_utc,
        valid_for=timedelta(seconds=1))
    return out


def _offline_verify(home: Path, tmp_path: Path, *args: str) -> tuple[int, dict[str, object]]:
    """``book verify`` on a machine with neither keys nor database: the trust list and the
    revocation list are the files given."""
    assert run(home, "trust-list", "export", str(tmp_path / "trust.pem")).returncode == 0
    env = {**os.environ, "SIBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}",
           "SIBOOK_KEYS_DIR": str(tmp_path / "no-keys")}
    result = subprocess.run([*SIBOOK, "book", "verify", *args, "--trust-list",
                             str(tmp_path / "trust.pem"), "--json"], capture_output=True,
                            text=True, env=env, timeout=120)
    return result.returncode, json.loads(result.stdout)


def test_a_downloaded_list_verifies_offline_and_shows_the_revocation(
        home: Path, exported: tuple[str, Path, Path], client: TestClient, tmp_path: Path
        ) -> None:
    pid, _, qr = exported
    (tmp_path / "revocations.json").write_bytes(client.get("/api/v1/revocations").content)
    code, answer = _offline_verify(home, tmp_path, str(qr), "--revocations",
                                   str(tmp_path / "revocations.json"), "--strict")
    assert code == 1 and "warnings" not in answer
    (error,) = answer["errors"]  # type: ignore[misc]  # the public list keeps no reason
    assert error.startswith(f"revoked: version 1 of book {pid}: revoked on ")


def test_a_replayed_list_from_before_the_revocation_is_valid_only_with_a_warning(
        home: Path, exported: tuple[str, Path, Path], tmp_path: Path) -> None:
    old = _stale_copy(home, tmp_path / "old.json", revoked=False)
    code, answer = _offline_verify(home, tmp_path, str(exported[2]), "--revocations", str(old))
    assert code == 0 and answer["valid"] is True
    (warning,) = answer["warnings"]  # type: ignore[misc]
    assert "old.json" in warning and "is stale: its next_update" in warning


def test_strict_refuses_a_book_checked_against_a_stale_list(
        home: Path, exported: tuple[str, Path, Path], tmp_path: Path) -> None:
    old = _stale_copy(home, tmp_path / "old.json", revoked=False)
    code, answer = _offline_verify(home, tmp_path, str(exported[2]), "--revocations", str(old),
                                   "--strict")
    assert code == 1 and answer["valid"] is False and set(answer) >= CONTRACT
    (error,) = answer["errors"]  # type: ignore[misc]
    assert error.startswith("strict verification refuses it: ") and "is stale" in error


def test_a_named_revocation_list_that_is_not_there_cannot_verify(
        home: Path, exported: tuple[str, Path, Path], tmp_path: Path) -> None:
    code, answer = _offline_verify(home, tmp_path, str(exported[2]), "--revocations",
                                   str(tmp_path / "missing.json"))
    assert code == 1 and "no such file" in answer["errors"][0]  # type: ignore[index]
    code, answer = _offline_verify(home, tmp_path, str(exported[2]), "--revocations",
                                   str(tmp_path))  # a directory is there, and is no list
    assert code == 1 and answer["errors"] == [
        f"cannot verify: --revocations {tmp_path}: not a file (a directory?)"]


def test_the_published_list_is_the_civil_one_and_verifies_with_only_the_trust_list(
        home: Path, exported: tuple[str, Path, Path], client: TestClient, tmp_path: Path
        ) -> None:
    soldier = person(home, "defence")
    assert run(home, "book", "export", soldier, "--realm", "defence",
               "--pdf", str(tmp_path / "d.pdf")).returncode == 0
    assert run(home, "book", "revoke", soldier, "--realm", "defence", "--version", "1",
               "--reason", "nghi gian lan").returncode == 0
    answer = client.get("/api/v1/revocations")
    assert answer.status_code == 200 and soldier not in answer.text
    # Whose book and why are personal data: the public list names the version by its hash.
    assert exported[0] not in answer.text and "nghi gian" not in answer.text
    (tmp_path / "revocations.json").write_bytes(answer.content)
    trust = TrustList.from_pem(client.get("/api/v1/trust-list").content)
    published = RevocationList.load(tmp_path / "revocations.json", trust, realm="civil")
    assert published.entries == []  # none by personal ID: by book hash only
    assert published.staleness("civil", datetime.now(UTC)) is None
    with sqlite3.connect(home / "sibook.db") as db:
        (book_hash,) = db.execute(
            "SELECT v.content_hash FROM book_versions v JOIN persons p USING (person_id) "
            "WHERE p.personal_id = ? AND v.version = 1", (exported[0],)).fetchone()
    assert published.is_revoked(exported[0], 1, book_hash) is not None
    assert published.is_revoked(exported[0], 1, "0" * 64) is None
    code, offline = _offline_verify(home, tmp_path, str(exported[1]), "--revocations",
                                    str(tmp_path / "revocations.json"))
    assert code == 1 and offline["errors"][0].startswith(  # type: ignore[index]
        f"revoked: version 1 of book {exported[0]}: revoked on ")


def test_the_server_re_signs_its_stale_list_before_verifying(
        home: Path, exported: tuple[str, Path, Path], client: TestClient) -> None:
    path = home / "keys" / revocations_file("civil")
    _stale_copy(home, path, revoked=True)
    body = client.post("/api/v1/verify", files={"file": ("b.txt", exported[2].read_bytes())},
                       params={"strict": "true"}).json()
    assert "warnings" not in body and len(body["errors"]) == 1
    # Anyone may ask: the answer says when the version was revoked, never why.
    assert body["errors"][0].startswith(f"revoked: version 1 of book {exported[0]}: revoked on ")
    assert "gian" not in body["errors"][0]
    listed = RevocationList.load(path, TrustList.from_keys_dir(home / "keys"))
    assert listed.staleness("civil", datetime.now(UTC)) is None


def test_a_stale_list_the_server_cannot_re_sign_is_a_warning_or_under_strict_an_error(
        home: Path, exported: tuple[str, Path, Path], client: TestClient,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An old list (from before the revocation) left on the server while its key is out of
    reach (here: the certificate expired)."""
    path = home / "keys" / revocations_file("civil")
    kept = path.read_bytes()
    _stale_copy(home, path, revoked=False)

    def expired(self: issuing.Agency, realm: str) -> keys.Signer:
        raise ConflictError(f"the {realm} issuing certificate expired")

    monkeypatch.setattr(issuing.Agency, "signer", expired)
    files = {"file": ("b.txt", exported[2].read_bytes())}
    try:
        lax = client.post("/api/v1/verify", files=files).json()
        strict = client.post("/api/v1/verify", files=files, params={"strict": "true"}).json()
    finally:
        path.write_bytes(kept)
    assert lax["valid"] is True and "is stale" in lax["warnings"][0]
    assert strict["valid"] is False and "warnings" not in strict
    assert "is stale" in strict["errors"][0]


def test_a_defence_persons_exported_book_shows_no_units_posts_or_pay(tmp_path: Path) -> None:
    """Units, posts and pay of the defence realm are state secrets (FACTS §1.2): the signed
    PDF a soldier carries holds their totals only, and still verifies. Its own database: the
    module's one soldier has a revoked version by now."""
    assert run(tmp_path, "seed", "--people", "600", "--employers", "8", "--seed", "3"
               ).returncode == 0
    with sqlite3.connect(tmp_path / "sibook.db") as db:
        soldier, units = db.execute(
            "SELECT p.personal_id, group_concat(DISTINCT e.name) FROM persons p "
            "JOIN si_periods s ON s.person_id = p.person_id "
            "JOIN employers e ON e.employer_id = s.employer_id "
            "WHERE p.realm = 'defence' GROUP BY p.personal_id ORDER BY p.personal_id").fetchone()
    pdf = tmp_path / "soldier.pdf"
    done = run(tmp_path, "book", "export", soldier, "--realm", "defence", "--pdf", str(pdf),
               "--json")
    assert done.returncode == 0, done.stderr
    text = " ".join(page.get_textpage().get_text_range()
                    for page in pytest.importorskip("pypdfium2").PdfDocument(str(pdf)))
    assert not [name for name in units.split(",") if name in text]
    assert "bí mật nhà nước" in text
    code, answer = verify(tmp_path, pdf)
    assert code == 0 and answer["personal_id"] == soldier


def test_a_cleared_revocation_is_lifted_and_the_book_verifies_again(tmp_path: Path) -> None:
    assert run(tmp_path, "seed", "--people", "30", "--employers", "3", "--seed", "2"
               ).returncode == 0
    pid = person(tmp_path)
    pdf = tmp_path / "book.pdf"
    assert run(tmp_path, "book", "export", pid, "--pdf", str(pdf)).returncode == 0
    assert run(tmp_path, "book", "revoke", pid, "--version", "1", "--reason", "nghi gian lan"
               ).returncode == 0
    assert verify(tmp_path, pdf)[0] == 1
    lifted = run(tmp_path, "book", "reinstate", pid, "--version", "1", "--json")
    assert lifted.returncode == 0, lifted.stderr
    answer = json.loads(lifted.stdout)
    reinstated_at = answer["reinstated"].pop("reinstated_at")
    assert answer == {"reinstated": {"personal_id": pid, "version": 1}}
    code, answer = verify(tmp_path, pdf)
    assert code == 0 and answer["errors"] == []
    again = run(tmp_path, "book", "reinstate", pid, "--version", "1")  # its answer lost
    assert again.returncode == 0, again.stderr
    assert f"version 1 of book {pid} stands again since {reinstated_at}" in again.stdout
    never = run(tmp_path, "book", "reinstate", pid, "--version", "2", "--json")
    assert never.returncode == 1
    (problem,) = json.loads(never.stdout)["errors"]
    assert problem["field"] == "--version"


def test_an_hi_card_stands_while_the_book_version_it_came_from_is_revoked(
        tmp_path: Path) -> None:
    """Suspected fraud in a contribution history is no reason to refuse care: the card made
    from a revoked book version still verifies. Its own database: the module's shared book
    has a revoked version by now."""
    assert run(tmp_path, "seed", "--people", "30", "--employers", "3", "--seed", "2"
               ).returncode == 0
    pid = person(tmp_path)
    qr = tmp_path / "card.txt"
    assert run(tmp_path, "book", "card", pid, "--png", str(tmp_path / "card.png"), "--qr",
               str(qr)).returncode == 0
    assert run(tmp_path, "book", "revoke", pid, "--version", "1", "--reason", "nghi gian lan"
               ).returncode == 0
    done = run(tmp_path, "book", "verify-card", str(qr), "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["valid"] is True, done.stdout


def test_an_hi_card_qr_is_checked_offline_and_by_the_public_endpoint(
        home: Path, exported: tuple[str, Path, Path], client: TestClient,
        tmp_path: Path) -> None:
    """A health facility checks the card a patient shows: the QR's signature with only the
    trust list, and the card's validity on the day."""
    pid = exported[0]
    png, qr, trust = tmp_path / "card.png", tmp_path / "card.txt", tmp_path / "trust.pem"
    made = run(home, "book", "card", pid, "--png", str(png), "--qr", str(qr), "--json")
    assert made.returncode == 0, made.stderr
    assert run(home, "trust-list", "export", str(trust)).returncode == 0
    env = {**os.environ, "SIBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}",
           "SIBOOK_KEYS_DIR": str(tmp_path / "no-keys")}

    def check(path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
        done = subprocess.run([*SIBOOK, "book", "verify-card", str(path), "--trust-list",
                               str(trust), "--json", *extra], capture_output=True, text=True,
                              env=env, timeout=120)
        return done.returncode, json.loads(done.stdout)

    code, answer = check(qr)
    assert code == 0 and answer["valid"] is True, answer
    assert answer["personal_id"] == pid and answer["card_number"] == json.loads(
        made.stdout)["card_number"]
    code, late = check(qr, "--on", "2099-01-01")
    assert code == 1 and late["errors"][0].startswith("the card is not valid on 2099-01-01")
    assert check(exported[2]) == (1, {**dict.fromkeys(answer, None), "valid": False,
                                      "signer": answer["signer"],
                                      "errors": ["this is a book's QR, not an HI card's"]})
    tampered = tmp_path / "tampered.txt"
    text = qr.read_text().strip()
    tampered.write_text(text[:-3] + ("A" if text[-3] != "A" else "B") + text[-2:])
    code, forged = check(tampered)
    assert code == 1 and forged["valid"] is False and forged["errors"]

    r = client.post("/api/v1/hi-cards/verify", files={"file": ("card.txt", qr.read_bytes())})
    assert r.status_code == 200 and r.json() == answer


def test_the_seed_makes_the_agencys_keys_once_so_the_trust_list_exports_at_once(
        tmp_path: Path) -> None:
    """`make run` seeds and serves: the trust list, which never makes keys itself, is there to
    export at once, and seeding again keeps the agency's root."""
    seeded = run(tmp_path, "seed", "--people", "5", "--employers", "1", "--json")
    assert seeded.returncode == 0 and "made the agency's signing keys" in seeded.stderr
    root = (tmp_path / "keys" / "root.cert.pem").read_bytes()
    exported = run(tmp_path, "trust-list", "export", str(tmp_path / "trust.pem"), "--json")
    assert exported.returncode == 0, exported.stdout + exported.stderr
    assert json.loads(exported.stdout)["roots"] == 1
    assert root in (tmp_path / "trust.pem").read_bytes()
    again = run(tmp_path, "seed", "--people", "5", "--employers", "1", "--if-empty", "--json")
    assert again.returncode == 0 and "made the agency" not in again.stderr
    assert (tmp_path / "keys" / "root.cert.pem").read_bytes() == root
