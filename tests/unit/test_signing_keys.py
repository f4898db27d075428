"""Keys and certificates: created once, encrypted at rest, rotated without losing the old."""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import stat
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from sibook.book import issuing
from sibook.core.config import get_settings
from sibook.core.errors import ConflictError, NotFoundError
from sibook.signing import certs, keys
from sibook.signing.certs import REALMS, key_id
from sibook.signing.inventory import list_certs
from sibook.signing.trust_list import TrustList
from tests.unit.test_signing_support import PASSPHRASE, make_agency


def test_init_creates_a_root_and_one_issuer_per_realm(tmp_path: Path) -> None:
    infos = keys.init_keys(tmp_path, PASSPHRASE)
    assert [(i.role, i.generation) for i in infos] == [
        ("root", 0), ("civil", 1), ("defence", 1), ("public_security", 1)]


def test_private_keys_are_encrypted_pkcs8_readable_by_owner_only(tmp_path: Path) -> None:
    keys.init_keys(tmp_path, PASSPHRASE)
    key_file = tmp_path / "civil.1.key.pem"
    assert key_file.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(key_file.read_bytes(), password=None)


@pytest.mark.parametrize("make", [
    lambda folder: keys.init_keys(folder, PASSPHRASE),
    lambda folder: keys.ensure_passphrase(folder, None),
], ids=["init_keys", "ensure_passphrase"])
def test_the_keys_folder_they_create_is_owner_only(tmp_path: Path,
                                                   make: Callable[[Path], object]) -> None:
    folder = tmp_path / "keys"
    make(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_wrong_passphrase_is_refused(tmp_path: Path) -> None:
    keys.init_keys(tmp_path, PASSPHRASE)
    with pytest.raises(ConflictError, match="wrong passphrase"):
        keys.load_signer(tmp_path, "civil", b"not it")


def test_init_refuses_to_overwrite_existing_keys(tmp_path: Path) -> None:
    keys.init_keys(tmp_path, PASSPHRASE)
    with pytest.raises(ConflictError, match="--force"):
        keys.init_keys(tmp_path, PASSPHRASE)


def test_init_with_force_replaces_the_root(tmp_path: Path) -> None:
    keys.init_keys(tmp_path, PASSPHRASE)
    old_root = keys.read_root(tmp_path)
    keys.init_keys(tmp_path, PASSPHRASE, force=True)
    assert keys.read_root(tmp_path) != old_root


def test_generated_passphrase_file_is_owner_only_and_reused(tmp_path: Path) -> None:
    phrase, generated = keys.ensure_passphrase(tmp_path, None)
    again, generated_again = keys.ensure_passphrase(tmp_path, None)
    assert generated and not generated_again and phrase == again and len(phrase) >= 40
    assert stat.S_IMODE((tmp_path / "passphrase").stat().st_mode) == 0o600


def test_configured_passphrase_wins_over_the_file(tmp_path: Path) -> None:
    keys.ensure_passphrase(tmp_path, None)
    assert keys.resolve_passphrase(tmp_path, "from-env") == b"from-env"


def test_missing_passphrase_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="SIBOOK_KEY_PASSPHRASE"):
        keys.resolve_passphrase(tmp_path, None)


def test_key_id_is_the_first_8_bytes_of_sha256_of_the_public_key_info(tmp_path: Path) -> None:
    signer = make_agency(tmp_path).signer
    spki = signer.certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert signer.key_id == hashlib.sha256(spki).digest()[:8] == key_id(signer.certificate)


def test_issuing_certificate_signs_documents_and_nothing_else(tmp_path: Path) -> None:
    cert = make_agency(tmp_path).signer.certificate
    ext = cert.extensions
    assert ext.get_extension_for_class(x509.BasicConstraints).value.ca is False
    usage = ext.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    root_ski = keys.read_root(tmp_path).extensions.get_extension_for_class(
        x509.SubjectKeyIdentifier).value.digest
    assert ext.get_extension_for_class(
        x509.AuthorityKeyIdentifier).value.key_identifier == root_ski


def test_rotation_signs_with_the_new_key_and_keeps_the_old_trusted(tmp_path: Path) -> None:
    old = make_agency(tmp_path).signer
    info = keys.rotate(tmp_path, "civil", PASSPHRASE)
    new = keys.load_signer(tmp_path, "civil", PASSPHRASE)
    assert (info.generation, info.current) == (2, True)
    assert new.key_id != old.key_id and new.key_id.hex() == info.key_id
    trust = TrustList.from_keys_dir(tmp_path)
    assert trust.issuer(old.key_id) is not None and trust.issuer(new.key_id) is not None


def test_rotating_an_unknown_realm_is_refused(tmp_path: Path) -> None:
    keys.init_keys(tmp_path, PASSPHRASE)
    with pytest.raises(NotFoundError, match="unknown realm 'navy'"):
        keys.rotate(tmp_path, "navy", PASSPHRASE)


def _slowed(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """``keys.<name>`` answers as before, a moment later: two callers that are not serialised
    have both read what it says before either writes."""
    real = getattr(keys, name)

    def slow(*args: Any) -> Any:
        found = real(*args)
        time.sleep(0.4)
        return found

    monkeypatch.setattr(keys, name, slow)


def _rotate_in_a_process(keys_dir: Path, answers: Queue[str]) -> None:
    try:
        answers.put(keys.rotate(keys_dir, "civil", PASSPHRASE).key_id)
    except BaseException as exc:  # noqa: BLE001 - the parent reports it
        answers.put(f"failed: {exc!r}")


def test_two_rotations_at_once_in_two_processes_make_two_generations(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys.init_keys(tmp_path, PASSPHRASE)
    _slowed(monkeypatch, "_generations")  # inherited by the forked processes
    fork = multiprocessing.get_context("fork")
    answers: Queue[str] = fork.Queue()
    racers = [fork.Process(target=_rotate_in_a_process, args=(tmp_path, answers))
              for _ in range(2)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(60)
    made = {answers.get(timeout=5), answers.get(timeout=5)}
    civil = [i for i in list_certs(tmp_path) if i.role == "civil"]
    assert [i.generation for i in civil] == [1, 2, 3]
    assert made == {i.key_id for i in civil[1:]}, made  # each rotation's key, none lost
    newest = keys.load_signer(tmp_path, "civil", PASSPHRASE)  # its key matches its certificate
    assert newest.certificate.public_key() == newest.private_key.public_key()
    assert len(TrustList.from_keys_dir(tmp_path).issuers) == 5


def _replace_keys_in_a_process(keys_dir: Path, times: int) -> None:
    for _ in range(times):
        keys.init_keys(keys_dir, PASSPHRASE, force=True)


def test_a_signer_read_while_init_force_replaces_the_keys_is_never_a_mismatched_pair(
        tmp_path: Path) -> None:
    """``keys init --force`` in one process rewrites civil.1's key and certificate while a
    server reads them in another: it took the old key and the new certificate, a signer whose
    signatures verify under neither, and held it (the certificate it compares unchanged)."""
    keys.init_keys(tmp_path, PASSPHRASE)
    replacing = multiprocessing.get_context("fork").Process(
        target=_replace_keys_in_a_process, args=(tmp_path, 30))
    replacing.start()
    mismatched = 0
    while replacing.is_alive():
        # Between the replaced files and the new ones a reader is refused: it tries again.
        with contextlib.suppress(keys.KeyUnusable, keys.NoKeys):
            signer = keys.load_signer(tmp_path, "civil", PASSPHRASE)
            mismatched += signer.certificate.public_key() != signer.private_key.public_key()
    replacing.join()
    assert replacing.exitcode == 0 and mismatched == 0


def test_a_key_beside_another_keys_certificate_is_refused(tmp_path: Path) -> None:
    keys.init_keys(tmp_path / "a", PASSPHRASE)
    keys.init_keys(tmp_path / "b", PASSPHRASE)
    (tmp_path / "a" / "civil.1.key.pem").write_bytes(
        (tmp_path / "b" / "civil.1.key.pem").read_bytes())
    with pytest.raises(keys.KeyUnusable, match="civil.1.key.pem is not the key of "
                                                "civil.1.cert.pem: the keys were being replaced"):
        keys.load_signer(tmp_path / "a", "civil", PASSPHRASE)


def test_first_uses_at_once_make_one_set_of_keys_and_one_passphrase(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two first exports on a fresh machine (threads; the lock is the folder's, as between
    processes): one makes the keys and the passphrase, the other uses them."""
    folder = tmp_path / "keys"
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(folder))
    monkeypatch.delenv("SIBOOK_KEY_PASSPHRASE", raising=False)
    get_settings.cache_clear()
    together = threading.Barrier(2)
    real = keys.has_keys

    def meeting(keys_dir: Path) -> bool:
        """Each check waits (a moment at most) for the other thread's: unserialised, both
        find no keys and both make them."""
        with contextlib.suppress(threading.BrokenBarrierError):
            together.wait(timeout=1)
        return real(keys_dir)

    monkeypatch.setattr(keys, "has_keys", meeting)
    roots: list[x509.Certificate] = []
    make_root = certs.make_root

    def counted(*args: Any, **kwargs: Any) -> x509.Certificate:
        roots.append(make_root(*args, **kwargs))
        return roots[-1]

    monkeypatch.setattr(certs, "make_root", counted)
    try:
        with ThreadPoolExecutor(2) as pool:
            agencies = list(pool.map(lambda _: issuing.agency(), range(2)))
    finally:
        get_settings.cache_clear()
    assert len(roots) == 1 and agencies[0] == agencies[1]
    passphrase = (folder / "passphrase").read_text().strip().encode()
    trust = TrustList.from_keys_dir(folder)  # every issuer under the one root on disk
    for realm in REALMS:
        signer = keys.load_signer(folder, realm, passphrase)
        assert trust.root_of(signer.key_id) == keys.read_root(folder)


@pytest.mark.parametrize("crash_at", range(1, 9))  # the root's and three realms' pairs: 8 files
def test_init_force_interrupted_midway_leaves_no_certificate_without_its_key(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crash_at: int) -> None:
    """Readers take a certificate's name as its generation's existence: one left beside a
    deleted key is a realm that cannot sign until the folder is restored."""
    keys.init_keys(tmp_path, PASSPHRASE)
    unlink, removed = Path.unlink, []

    def crash_at_nth(path: Path, missing_ok: bool = False) -> None:
        if len(removed) + 1 == crash_at:
            raise OSError(5, "Input/output error")
        removed.append(path.name)
        unlink(path, missing_ok)
    monkeypatch.setattr(Path, "unlink", crash_at_nth)
    with pytest.raises(OSError, match="Input/output"):
        keys.init_keys(tmp_path, PASSPHRASE, force=True)
    left = {p.name for p in tmp_path.glob("*.pem")}
    assert {c.replace(".cert.", ".key.") for c in left if c.endswith(".cert.pem")} <= left
