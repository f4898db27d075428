"""Secrets on disk (the keys folder's private keys, passphrase, signed lists): written
owner-only (0600) and whole or not at all. A crash leaves the old file or the new, never one
empty or half written beside the certificate it belongs to. And the folders kept under the
shared temp dir, used only while they are this account's alone (``private_folder``)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``, readable by the owner only (0600), atomically and
    durably: written to a private file beside it, flushed to disk, renamed over ``path``, and
    the folder flushed too, so whatever is written next (a key's certificate) never reaches the
    disk before it."""
    tmp = private_temp(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    sync_folder(path.parent)


def private_temp(path: Path, data: bytes) -> Path:
    """A new file beside ``path`` holding ``data``, on disk: created exclusively under a name of
    its own, 0600 from the start (``mkstemp``), so no other account ever reads it."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        os.unlink(name)
        raise
    return Path(name)


def sync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename, a link, an unlink) to disk, where POSIX allows it."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def private_folder(path: Path) -> bool:
    """Whether ``path``, made owner-only (0700) if missing, is a folder of this account's that
    no other account can read or write: not a symbolic link, ours, 0700 or tighter. A folder
    under the shared temp dir (/tmp) can be made first by another account, or left open: what
    this account then wrote there (a payroll upload) would be theirs to read or swap, and what
    it found there (a cut font it embeds in a signed book) theirs to have planted. Such a
    folder is not used at all; nothing in it is trusted or changed.

    One of ours that others could read but never write (0755: as sibook made it before it
    asked for 0700, under the usual umask) holds only what this account put there: it is
    closed (0700) and used, not passed over on every run."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:  # a symbolic link (ELOOP, ENOTDIR), or no folder to be had
        return False
    try:
        st = os.fstat(fd)
        if st.st_uid != os.getuid() or st.st_mode & 0o022:
            return False
        if st.st_mode & 0o077:
            os.fchmod(fd, 0o700)  # the folder opened, not whatever the name points to now
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
