"""``sibook keys init|rotate|list|refresh-revocations`` and ``sibook trust-list
export|export-revocations``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import typer
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from typer.testing import CliRunner, Result

from sibook.cli import keys as keys_cli
from sibook.cli import trust_list as trust_list_cli
from sibook.core.config import get_settings
from sibook.signing import keys
from sibook.signing.status import RevocationList, revocations_file
from sibook.signing.trust_list import TrustList
from tests.unit.test_signing_support import without_realm_policy

Run = Callable[..., Result]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.delenv("SIBOOK_KEY_PASSPHRASE", raising=False)
    get_settings.cache_clear()
    app = typer.Typer()
    app.add_typer(keys_cli.keys_app, name="keys")
    app.add_typer(trust_list_cli.trust_list_app, name="trust-list")
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


def test_init_generates_a_passphrase_file_and_says_so(run: Run, tmp_path: Path) -> None:
    result = run("keys", "init", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["passphrase_file"] == str(tmp_path / "keys" / "passphrase")
    assert len(data["certificates"]) == 4


def test_init_twice_is_refused_without_force(run: Run) -> None:
    run("keys", "init")
    again = run("keys", "init", "--json")
    assert again.exit_code == 1 and "--force" in again.stdout
    # what is in the way is the folder of keys, not some "input"
    assert [e["field"] for e in json.loads(again.stdout)["errors"]] == ["SIBOOK_KEYS_DIR"]
    assert run("keys", "init", "--force").exit_code == 0


def test_rotate_then_list_marks_the_new_generation_current(run: Run) -> None:
    run("keys", "init")
    assert run("keys", "rotate", "--realm", "civil").exit_code == 0
    rows = json.loads(run("keys", "list", "--json").stdout)["certificates"]
    civil = [(r["generation"], r["current"]) for r in rows if r["role"] == "civil"]
    assert civil == [(1, False), (2, True)]


def test_rotate_unknown_realm_is_a_usage_error(run: Run) -> None:
    run("keys", "init")
    assert run("keys", "rotate", "--realm", "navy").exit_code == 2  # a bad flag, as elsewhere


def _fields(result: Result) -> list[str]:
    assert result.exit_code == 1, result.output
    return [e["field"] for e in json.loads(result.stdout)["errors"]]


def test_list_without_keys_exits_1_naming_the_keys_folder(run: Run) -> None:
    assert run("keys", "list").exit_code == 1
    assert _fields(run("keys", "list", "--json")) == ["SIBOOK_KEYS_DIR"]


def test_a_keys_refusal_names_the_setting_to_change_not_input(
        run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _fields(run("trust-list", "export", str(tmp_path / "t.pem"), "--json")) == [
        "SIBOOK_KEYS_DIR"]  # no keys there
    assert _fields(run("trust-list", "export-revocations", str(tmp_path / "r.json"),
                       "--json")) == ["SIBOOK_KEYS_DIR"]
    run("keys", "init")
    monkeypatch.setenv("SIBOOK_KEY_PASSPHRASE", "not the one the keys were made with")
    get_settings.cache_clear()
    refused = run("keys", "rotate", "--realm", "civil", "--json")
    assert _fields(refused) == ["SIBOOK_KEY_PASSPHRASE"] and "wrong passphrase" in refused.stdout


def test_distrusting_a_generation_that_is_not_there_or_signs_now_names_the_flag(
        run: Run) -> None:
    run("keys", "init")
    assert _fields(run("keys", "distrust", "--realm", "civil", "--generation", "9",
                       "--json")) == ["--generation"]
    signing = run("keys", "distrust", "--realm", "civil", "--generation", "1", "--json")
    assert _fields(signing) == ["--generation"] and "keys rotate" in signing.stdout


def test_trust_list_export_writes_pem_that_loads_alone(run: Run, tmp_path: Path) -> None:
    run("keys", "init")
    out = tmp_path / "trust.pem"
    assert run("trust-list", "export", str(out)).exit_code == 0
    trust = TrustList.load(out)
    assert len(trust.roots) == 1 and len(trust.issuers) == 3


@pytest.mark.parametrize("command", ["export", "export-revocations"])
def test_trust_list_export_to_dash_prints_the_file_alone_on_standard_output(
        run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    """"-" is standard output, as for common CLIs: it wrote a file named "-". The file alone
    is on stdout, to be piped on; what was written is said on stderr."""
    run("keys", "init")
    monkeypatch.chdir(tmp_path)
    result = run("trust-list", command, "-")
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "-").exists()
    trust = TrustList.from_keys_dir(tmp_path / "keys")
    if command == "export":
        assert result.stdout_bytes == trust.to_pem()
    else:
        (tmp_path / "r.json").write_bytes(result.stdout_bytes)
        assert RevocationList.load(tmp_path / "r.json", trust, realm="civil").entries == []
    assert "to standard output" in result.stderr


@pytest.mark.parametrize("command", ["export", "export-revocations"])
def test_trust_list_export_to_dash_with_json_is_a_usage_error(
        run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    """The file and the JSON answer would share stdout, and neither could be read."""
    run("keys", "init")
    monkeypatch.chdir(tmp_path)
    result = run("trust-list", command, "-", "--json")
    assert result.exit_code == 2 and result.stdout == ""
    said = re.sub(r"[\s│]", "", result.stderr)  # Rich's box folds the message across lines
    assert "where--jsonprintsitsanswer" in said
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize("command", ["export", "export-revocations"])
def test_trust_list_export_to_an_empty_name_is_a_usage_error(
        run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    """An empty OUT names no file: it was read as ".", refused (exit 1) as "cannot write .:
    Is a directory", a path nobody typed."""
    run("keys", "init")
    monkeypatch.chdir(tmp_path)
    result = run("trust-list", command, "", "--json")
    assert result.exit_code == 2, result.output
    said = re.sub(r"[\s│]", "", result.stderr)
    assert "needsafilename,gotanemptyone" in said


def test_a_file_named_dash_is_written_as_dot_slash_dash(
        run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run("keys", "init")
    monkeypatch.chdir(tmp_path)
    result = run("trust-list", "export", "./-", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["path"] == "-"
    assert TrustList.load(tmp_path / "-").roots


@pytest.mark.parametrize("as_json", [False, True])
def test_trust_list_export_to_a_missing_folder_refuses_cleanly(run: Run, tmp_path: Path,
                                                               as_json: bool) -> None:
    run("keys", "init")
    out = tmp_path / "nonexistent" / "dir" / "t.pem"
    result = run("trust-list", "export", str(out), *(["--json"] if as_json else []))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    if as_json:  # the argument as the usage line names it
        (error,) = json.loads(result.stdout)["errors"]
        assert error["field"] == "OUT" and error["reason"].startswith(f"cannot write {out}: ")
    else:  # rich may fold the long path across lines: compare without whitespace
        assert f"cannotwrite{out}:" in "".join(result.stderr.split())


def test_keys_dir_that_is_a_file_refuses_init_cleanly(run: Run, tmp_path: Path) -> None:
    (tmp_path / "keys").write_text("not a folder")
    result = run("keys", "init", "--json")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "(SIBOOK_KEYS_DIR) cannot be made: a file is there" in \
        json.loads(result.stdout)["errors"][0]["reason"]


def test_unreadable_certificate_refuses_list_cleanly(run: Run, tmp_path: Path) -> None:
    run("keys", "init")
    (tmp_path / "keys" / "root.cert.pem").write_text("not PEM")
    result = run("keys", "list", "--json")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert json.loads(result.stdout)["errors"]


def test_refresh_revocations_re_signs_every_realms_list_with_a_later_next_update(
        run: Run, tmp_path: Path) -> None:
    run("keys", "init")
    keys_dir = tmp_path / "keys"
    before = RevocationList.load_realms(keys_dir, TrustList.from_keys_dir(keys_dir)).freshness
    result = run("keys", "refresh-revocations", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["renewed"]
    assert [r["realm"] for r in rows] == ["civil", "defence", "public_security"]
    assert rows[0]["file"] == str(keys_dir / "revocations.json")
    after = RevocationList.load_realms(keys_dir, TrustList.from_keys_dir(keys_dir)).freshness
    assert all(a.next_update and b.next_update and a.next_update >= b.next_update
               for a, b in zip(after, before, strict=True))


def test_refresh_revocations_of_an_unknown_realm_is_a_usage_error(run: Run) -> None:
    run("keys", "init")
    assert run("keys", "refresh-revocations", "--realm", "navy").exit_code == 2


def test_refresh_revocations_without_keys_exits_1(run: Run) -> None:
    result = run("keys", "refresh-revocations", "--json")
    assert result.exit_code == 1 and json.loads(result.stdout)["errors"]


def _revoked(keys_dir: Path, realm: str, personal_id: str) -> None:
    """The realm's revocation list, saved signed, naming version 1 of ``personal_id`` (and its
    content hash, as every revocation records it)."""
    revoked = RevocationList()
    revoked.revoke(personal_id, 1, "nghi gian lan", book_hash="ab" * 32)
    passphrase = (keys_dir / "passphrase").read_text().strip().encode()
    revoked.save(keys_dir / revocations_file(realm),
                 keys.load_signer(keys_dir, realm, passphrase))


def test_the_exported_revocation_list_is_the_civil_one_checked_by_the_trust_list_alone(
        run: Run, tmp_path: Path) -> None:
    run("keys", "init")
    _revoked(tmp_path / "keys", "defence", "038059749911")
    out, pem = tmp_path / "revocations.json", tmp_path / "trust.pem"
    assert run("trust-list", "export", str(pem)).exit_code == 0
    result = run("trust-list", "export-revocations", str(out), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["realm"] == "civil"
    published = RevocationList.load(out, TrustList.load(pem), realm="civil")
    assert published.entries == [] and "038059749911" not in out.read_text()


def test_export_revocations_counts_its_entries_in_words(run: Run, tmp_path: Path) -> None:
    run("keys", "init")
    _revoked(tmp_path / "keys", "civil", "001089012345")
    result = run("trust-list", "export-revocations", str(tmp_path / "r.json"))
    assert result.exit_code == 0, result.output
    assert "(1 entry, next update" in result.stdout  # was "1 entries"


def test_distrust_after_a_rotation_leaves_the_key_out_of_the_exported_trust_list(
        run: Run, tmp_path: Path) -> None:
    run("keys", "init")
    first = json.loads(run("keys", "list", "--json").stdout)["certificates"][1]
    assert first["role"] == "civil"
    assert run("keys", "distrust", "--realm", "civil", "--generation", "1").exit_code == 1
    run("keys", "rotate", "--realm", "civil")
    result = run("keys", "distrust", "--realm", "civil", "--generation", "1", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["distrusted"]["key_id"] == first["key_id"]
    assert run("trust-list", "export", str(tmp_path / "trust.pem")).exit_code == 0
    trust = TrustList.load(tmp_path / "trust.pem")
    assert trust.issuer(bytes.fromhex(first["key_id"])) is None and len(trust.issuers) == 3


def test_distrust_run_again_answers_the_first_and_deletes_a_key_left_behind(
        run: Run, tmp_path: Path) -> None:
    """Run again after its answer was lost, or after it was killed between removing the
    certificate and the key (a compromised key must not stay on disk): exit 0, the first
    answer, and no key file of that generation left."""
    run("keys", "init")
    run("keys", "rotate", "--realm", "civil")
    distrust = ("keys", "distrust", "--realm", "civil", "--generation", "1", "--json")
    first = run(*distrust)
    assert first.exit_code == 0, first.output
    key = tmp_path / "keys" / "civil.1.key.pem"
    key.write_bytes(b"the key a killed distrust had not deleted yet")
    again = run(*distrust)
    assert (again.exit_code, json.loads(again.stdout)) == (0, json.loads(first.stdout))
    assert not key.exists()


def test_list_shows_a_distrusted_certificate_marked_with_when(run: Run) -> None:
    run("keys", "init")
    run("keys", "rotate", "--realm", "defence")
    assert run("keys", "distrust", "--realm", "defence", "--generation", "1").exit_code == 0
    rows = json.loads(run("keys", "list", "--json").stdout)["certificates"]
    defence = [r for r in rows if r["role"] == "defence"]
    assert [(r["generation"], r["current"], r["distrusted"]) for r in defence] == [
        (1, False, True), (2, True, False)]
    assert defence[0]["distrusted_at"] is not None and defence[1]["distrusted_at"] is None
    text = run("keys", "list").stdout
    assert f"x defence          gen 1   {defence[0]['key_id']}" in text
    assert f"DISTRUSTED since {defence[0]['distrusted_at'][:19].replace('T', ' ')} UTC" in text


def test_list_marks_issuing_certificates_made_before_the_realm_policy(run: Run,
                                                                     tmp_path: Path) -> None:
    """Keys an older sibook made: their certificates lack the policy, which only `keys rotate`
    gives the realm's next one; the list says which and what to run."""
    run("keys", "init")
    folder = tmp_path / "keys"
    passphrase = (folder / "passphrase").read_text().strip().encode()
    root_key = serialization.load_pem_private_key((folder / "root.key.pem").read_bytes(),
                                                  passphrase)
    assert isinstance(root_key, ec.EllipticCurvePrivateKey)
    civil = folder / "civil.1.cert.pem"
    old = without_realm_policy(x509.load_pem_x509_certificate(civil.read_bytes()), root_key)
    civil.write_bytes(old.public_bytes(serialization.Encoding.PEM))
    rows = json.loads(run("keys", "list", "--json").stdout)["certificates"]
    assert [(r["role"], r["names_realm"]) for r in rows] == [
        ("root", None), ("civil", False), ("defence", True), ("public_security", True)]
    assert "LACKS THE REALM POLICY: run `sibook keys rotate --realm civil`" in run(
        "keys", "list").stdout
    assert run("keys", "rotate", "--realm", "civil").exit_code == 0
    rows = json.loads(run("keys", "list", "--json").stdout)["certificates"]
    assert [(r["generation"], r["names_realm"]) for r in rows if r["role"] == "civil"] == [
        (1, False), (2, True)]
    text = run("keys", "list").stdout
    assert "lacks the realm policy (signs nothing now)" in text and "LACKS" not in text
    assert civil.read_bytes() == old.public_bytes(serialization.Encoding.PEM)  # kept as it was
