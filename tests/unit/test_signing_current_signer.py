"""The signer a running process holds follows the keys folder: a rotation (or keys replaced)
is signed with once ``RECHECK_SECONDS`` passed, without a restart; nothing else decrypts again."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from sibook.signing import keys
from sibook.signing.distrust import distrust
from sibook.signing.held import RECHECK_SECONDS, current_signer
from tests.unit.test_signing_support import PASSPHRASE

AN_HOUR_AGO_NS = 3_600 * 10**9


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    keys.init_keys(tmp_path / "keys", PASSPHRASE)
    return tmp_path / "keys"


def _settle(folder: Path) -> int:
    """Date the folder's mtime an hour back, as a folder nobody changed lately; that mtime."""
    at = folder.stat().st_mtime_ns - AN_HOUR_AGO_NS
    os.utime(folder, ns=(at, at))
    return at


def _later() -> None:
    """Past the time a held signer answers without a look at the folder."""
    time.sleep(RECHECK_SECONDS)


def _generation(signer: keys.FileSigner) -> str:
    return signer.certificate.subject.rfc4514_string().split("issuer ")[1].split(",")[0]


def test_a_rotation_is_signed_with_from_the_next_call(folder: Path) -> None:
    _settle(folder)
    assert _generation(current_signer(folder, "civil", PASSPHRASE)) == "1"
    keys.rotate(folder, "civil", PASSPHRASE)
    _later()
    assert _generation(current_signer(folder, "civil", PASSPHRASE)) == "2"


def test_the_signer_is_held_while_the_folder_is_unchanged(folder: Path) -> None:
    _settle(folder)
    first = current_signer(folder, "civil", PASSPHRASE)
    _later()
    assert current_signer(folder, "civil", PASSPHRASE) is first


def test_a_distrusted_older_generation_leaves_the_held_signer_as_it_is(folder: Path) -> None:
    keys.rotate(folder, "civil", PASSPHRASE)
    _settle(folder)
    held = current_signer(folder, "civil", PASSPHRASE)
    distrust(folder, "civil", 1, PASSPHRASE)
    _later()
    assert current_signer(folder, "civil", PASSPHRASE) is held  # not decrypted again


def test_keys_replaced_by_init_force_are_signed_with(folder: Path) -> None:
    _settle(folder)
    old = current_signer(folder, "defence", PASSPHRASE)
    keys.init_keys(folder, PASSPHRASE, force=True)
    _later()
    new = current_signer(folder, "defence", PASSPHRASE)
    assert new.key_id != old.key_id and _generation(new) == "1"


def test_a_change_in_the_clock_tick_of_the_last_look_is_not_missed(folder: Path) -> None:
    """The folder changed just now: its mtime is not relied on yet, as a second change within
    the same tick of the file system's clock would leave it as it was."""
    seen = folder.stat().st_mtime_ns
    assert _generation(current_signer(folder, "civil", PASSPHRASE)) == "1"
    keys.rotate(folder, "civil", PASSPHRASE)
    os.utime(folder, ns=(seen, seen))  # the rotation landed within the same tick
    _later()
    assert _generation(current_signer(folder, "civil", PASSPHRASE)) == "2"
