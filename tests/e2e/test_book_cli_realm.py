"""``sibook book export`` and ``book verify`` across realms as a user runs them (real
processes, SQLite, keys): a ministry's book signed by the ministry verifies, another realm's
signature on a book does not; and "-": a file named "-" is written as ./-, as the usage error
for "-" says, and the file verified may be read from standard input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sibook.signing import keys
from sibook.signing.qr import sign_qr, verify_qr
from sibook.signing.trust_list import TrustList
from tests.e2e.test_book_cli import person, run, seeded


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


def test_qr_dash_is_a_usage_error_and_dot_slash_dash_a_file_named_dash(home: Path) -> None:
    """``--qr -`` names no file (the QR is not printed on stdout); ``./-`` is the file the
    usage error says to write: it was refused as a flag, a Path reading ./- as -."""
    pid = person(home)
    (home / "-").unlink(missing_ok=True)  # another test's, had it run first
    dash = run(home, "book", "export", pid, "--pdf", "a.pdf", "--qr", "-", "--json")
    assert dash.returncode == 2
    (problem,) = json.loads(dash.stdout)["errors"]
    assert problem["field"] == "--qr" and "not standard input or output" in problem["reason"]
    assert not (home / "-").exists() and not (home / "a.pdf").exists()
    named = run(home, "book", "export", pid, "--pdf", "./-a.pdf", "--qr", "./-", "--json")
    assert named.returncode == 0, named.stdout + named.stderr
    assert (home / "-").read_text().startswith("SIB1:")
    assert (home / "-a.pdf").read_bytes().startswith(b"%PDF-")


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
