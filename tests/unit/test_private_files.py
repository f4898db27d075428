"""Secrets written owner-only and whole: a crash leaves the old file or the new, never half."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from sibook.core.private_files import write_private


@pytest.fixture
def old_secret(tmp_path: Path) -> Path:
    path = tmp_path / "civil.1.key.pem"
    path.write_bytes(b"the old key, longer than the new one")
    path.chmod(0o644)
    return path


def test_a_secret_replaces_the_old_file_whole_owner_only_leaving_no_temporary_file(
        old_secret: Path) -> None:
    write_private(old_secret, b"the new key")
    assert old_secret.read_bytes() == b"the new key"
    assert stat.S_IMODE(old_secret.stat().st_mode) == 0o600
    assert os.listdir(old_secret.parent) == [old_secret.name]


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_a_write_that_fails_midway_leaves_the_old_secret_intact_and_no_temporary_file(
        old_secret: Path, monkeypatch: pytest.MonkeyPatch, failing: str) -> None:
    def crash(*_: object) -> None:
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, failing, crash)
    with pytest.raises(OSError, match="No space left"):
        write_private(old_secret, b"the new key")
    assert old_secret.read_bytes() == b"the old key, longer than the new one"
    assert os.listdir(old_secret.parent) == [old_secret.name]
