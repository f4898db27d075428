"""A keys folder open to other accounts: made owner-only when this account owns it (said once),
refused for signing when it cannot be."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from sibook.signing import keys
from tests.unit.test_signing_support import PASSPHRASE

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder away needs root")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose(tmp_path: Path) -> Path:
    """Keys in a folder made as folders were before they were made 0700, a key and the
    passphrase world-readable too."""
    folder = tmp_path / "keys"
    keys.init_keys(folder, PASSPHRASE)
    (folder / keys.PASSPHRASE_FILE).write_text("not this one\n")
    for path, mode in ((folder, 0o755), (folder / "civil.1.key.pem", 0o644),
                       (folder / keys.PASSPHRASE_FILE, 0o644)):
        path.chmod(mode)
    return folder


def test_loading_a_signer_makes_a_loose_folder_and_its_files_owner_only(loose: Path) -> None:
    keys.load_signer(loose, "civil", PASSPHRASE)
    assert _mode(loose) == 0o700
    assert {p.name: _mode(p) for p in loose.iterdir() if _mode(p) & 0o077} == {}
    assert _mode(loose / "civil.1.key.pem") == 0o600


def test_the_tightening_is_said_once_naming_what_was_open(loose: Path,
                                                          caplog: pytest.LogCaptureFixture
                                                          ) -> None:
    with caplog.at_level(logging.WARNING, logger="sibook.signing.keys"):
        keys.load_signer(loose, "civil", PASSPHRASE)
        keys.load_signer(loose, "civil", PASSPHRASE)
        keys.rotate(loose, "civil", PASSPHRASE)
    [said] = [r.getMessage() for r in caplog.records]
    assert "open to other accounts" in said
    assert "keys (was 0755)" in said and "civil.1.key.pem (was 0644)" in said
    assert "not this one" not in said


def test_rotating_in_a_loose_folder_tightens_it_first(loose: Path) -> None:
    keys.rotate(loose, "defence", PASSPHRASE)
    assert _mode(loose) == 0o700 and _mode(loose / "defence.2.key.pem") == 0o600


@as_root
def test_a_loose_folder_of_another_account_is_refused_for_signing(loose: Path) -> None:
    os.chown(loose, 4242, 4242)
    with pytest.raises(keys.KeyUnusable, match=r"keys is open to other accounts and belongs "
                                                r"to another account \(uid 4242\)") as refused:
        keys.load_signer(loose, "civil", PASSPHRASE)
    assert "not this one" not in str(refused.value)
    assert _mode(loose) == 0o755


@as_root
def test_a_loose_key_file_of_another_account_is_refused_for_signing(loose: Path) -> None:
    loose.chmod(0o700)
    os.chown(loose / "civil.1.key.pem", 4242, 4242)
    with pytest.raises(keys.KeyUnusable, match=r"civil\.1\.key\.pem is open to other accounts"):
        keys.load_signer(loose, "civil", PASSPHRASE)


@as_root
def test_an_owner_only_folder_of_another_account_is_used_as_it_is(loose: Path) -> None:
    for path in loose.iterdir():
        path.chmod(0o600)
    loose.chmod(0o700)
    os.chown(loose, 4242, 4242)
    assert keys.load_signer(loose, "civil", PASSPHRASE).certificate is not None


def test_a_keys_folder_that_is_no_folder_cannot_sign(tmp_path: Path) -> None:
    (tmp_path / "keys").write_text("not a folder")
    with pytest.raises(keys.KeyUnusable, match="cannot read the keys folder .*keys: Not a dir"):
        keys.load_signer(tmp_path / "keys", "civil", PASSPHRASE)
