"""Secrets on disk (the keys folder's private keys, passphrase, signed lists): written
owner-only (0600) and whole or not at all. A crash leaves the old file or the new, never one
empty or half written beside the certificate it belongs to."""

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
