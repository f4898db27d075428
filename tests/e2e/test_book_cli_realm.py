"""``sibook book export`` and ``book verify`` across realms as a user runs them (real
processes, SQLite, keys): a ministry's book signed by the ministry verifies, another realm's
signature on a book does not; and "-": an output flag's "-" prints that file on standard
output, a file named "-" is written as ./-, and the file verified may be read from standard
input."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from sibook.signing import keys
from sibook.signing.qr import sign_qr, verify_qr
from sibook.signing.trust_list import TrustList
from tests.e2e.test_book_cli import person, run, run_binary, seeded


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded(tmp_path_factory.mktemp("book-cli-realm"))


@pytest.mark.parametrize("realm", ["defence", "public_security"])
def test_a_ministry_book_exported_with_its_key_verifies_valid(home: Path, realm: str) -> None:
    pid, pdf, qr = person(home, realm), home / f"{realm}.pdf", home / f"{realm}.txt"
    exported = run(home, "book", "export", pid, "--realm", realm, "--pdf", str(pdf),
                   "--qr", str(qr), "--json")
    assert exported.returncode == 0, exported.stdout + exported.stderr
    for path in (pdf, qr):
        result = run(home, "book", "verify", str(path), "--realm", realm, "--json")
        assert result.returncode == 0, result.stdout
        assert json.loads(result.stdout)["errors"] == []


def test_a_civil_book_signed_by_the_defence_key_is_invalid(home: Path) -> None:
    qr = home / "civil.txt"
    assert run(home, "book", "export", person(home), "--pdf", str(home / "civil.pdf"),
               "--qr", str(qr)).returncode == 0
    passphrase = (home / "keys" / "passphrase").read_text().strip().encode()
    payload = verify_qr(qr.read_text(), TrustList.from_keys_dir(home / "keys")).payload
    forged = home / "forged.txt"
    forged.write_text(sign_qr(payload, keys.load_signer(home / "keys", "defence", passphrase)))
    result = run(home, "book", "verify", str(forged), "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["errors"] == [
        "signed by another realm's key: issued for the 'civil' realm, signed by the "
        "certificate 'Vietnam Social Security defence issuer 1' of the 'defence' realm"]


def test_a_file_named_dash_is_written_as_dot_slash_dash(home: Path) -> None:
    """``./-`` is a file named "-", as the help says: it was refused as a flag, a Path reading
    ./- as -."""
    (home / "-").unlink(missing_ok=True)  # another test's, had it run first
    named = run(home, "book", "export", person(home), "--pdf", "./-a.pdf", "--qr", "./-",
                "--json")
    assert named.returncode == 0, named.stdout + named.stderr
    assert json.loads(named.stdout)["qr"] == "-"
    assert (home / "-").read_text().startswith("SIB1:")
    assert (home / "-a.pdf").read_bytes().startswith(b"%PDF-")


def test_pdf_dash_prints_the_signed_pdf_alone_on_standard_output(home: Path) -> None:
    """``--pdf -`` wrote nothing anywhere ("needs a file name"); the PDF is piped on, byte for
    byte, and the line saying what was written goes to stderr."""
    pid, qr = person(home), home / "piped.txt"
    (home / "-").unlink(missing_ok=True)
    printed = run_binary(home, "book", "export", pid, "--pdf", "-", "--qr", str(qr))
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.startswith(b"%PDF-") and printed.stdout.rstrip().endswith(b"%%EOF")
    assert b"standard output, QR" in printed.stderr and not (home / "-").exists()
    (home / "piped.pdf").write_bytes(printed.stdout)  # as `> piped.pdf` would
    verified = run(home, "book", "verify", "piped.pdf", "--json")
    assert verified.returncode == 0, verified.stdout
    assert json.loads(verified.stdout)["personal_id"] == pid
    assert qr.read_text().startswith("SIB1:")


@pytest.mark.parametrize("command", ["export", "card"])
def test_qr_dash_prints_the_qr_text_on_standard_output(home: Path, command: str) -> None:
    image = {"export": "--pdf", "card": "--png"}[command]
    target = home / f"beside-{command}.out"
    printed = run(home, "book", command, person(home), image, str(target), "--qr", "-")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.startswith("SIB1:") and printed.stdout.count("\n") == 1
    verified = run(home, "book", "verify" if command == "export" else "verify-card", "-",
                   "--json", stdin=printed.stdout)
    assert verified.returncode == 0, verified.stdout
    assert target.read_bytes()[:4] in (b"%PDF", b"\x89PNG")


def test_png_dash_prints_the_card_image_on_standard_output(home: Path) -> None:
    printed = run_binary(home, "book", "card", person(home), "--png", "-")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.startswith(b"\x89PNG\r\n\x1a\n") and b"standard output" in printed.stderr


@pytest.mark.parametrize(("command", "flags", "refused"), [
    ("export", ["--pdf", "-", "--json"], "--pdf"),
    ("export", ["--pdf", "a.pdf", "--qr", "-", "--json"], "--qr"),
    ("card", ["--png", "-", "--json"], "--png"),
    ("card", ["--png", "a.png", "--qr", "-", "--json"], "--qr"),
    ("export", ["--pdf", "-", "--qr", "-"], "--qr"),
    ("card", ["--png", "-", "--qr", "-"], "--qr")])
def test_dash_with_json_or_twice_is_a_usage_error_before_anything_is_made(
        home: Path, command: str, flags: list[str], refused: str) -> None:
    """With --json stdout holds the answer alone; two files there could not be told apart.
    Refused as ``trust-list export - --json`` is: exit 2, nothing written, no version."""
    pid = _never_read(home)
    result = run(home, "book", command, pid, *flags)
    assert result.returncode == 2, result.stdout + result.stderr
    if "--json" in flags:
        (problem,) = json.loads(result.stdout)["errors"]  # stdout: the JSON object alone
        assert problem["field"] == refused and "where --json prints" in problem["reason"]
    else:
        assert result.stdout == "" and f"{refused}: is - (standard output), as" in result.stderr
    assert _never_read(home, pid) == pid
    assert not any((home / name).exists() for name in ("-", "a.pdf", "a.png"))


def _never_read(home: Path, pid: str | None = None) -> str | None:
    """A civil person with an HI card whose book no command has read (no version recorded
    yet); with ``pid``, that person if still so."""
    with sqlite3.connect(home / "sibook.db") as db:
        row = db.execute("SELECT p.personal_id FROM persons p JOIN hi_cards USING (person_id)"
                         " WHERE p.realm = 'civil' AND p.personal_id = coalesce(?, p.personal_id)"
                         " AND NOT EXISTS (SELECT 1 FROM book_versions v"
                         "  WHERE v.person_id = p.person_id)"
                         " ORDER BY p.personal_id DESC LIMIT 1", (pid,)).fetchone()
    return None if row is None else str(row[0])


@pytest.mark.parametrize("command", ["verify", "verify-card"])
def test_verify_dash_reads_standard_input(home: Path, command: str) -> None:
    """It read a file named "-" ("cannot verify: -: No such file or directory"); ./- is one."""
    pid = person(home)
    book, card = home / "in.txt", home / "card-in.txt"
    assert run(home, "book", "export", pid, "--pdf", str(home / "in.pdf"), "--qr",
               str(book)).returncode == 0
    assert run(home, "book", "card", pid, "--png", str(home / "in.png"), "--qr",
               str(card)).returncode == 0
    text = (book if command == "verify" else card).read_text()
    piped = run(home, "book", command, "-", "--json", stdin=text)
    assert piped.returncode == 0, piped.stdout + piped.stderr
    assert json.loads(piped.stdout)["personal_id"] == pid
    (home / "-").write_text(text)
    assert run(home, "book", command, "./-", "--json").returncode == 0
