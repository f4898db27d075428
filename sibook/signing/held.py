"""The signer a process holds for each realm, kept current with the keys folder.

Decrypting a PKCS#8 key runs its KDF, slow on purpose: a process decrypts a realm's key once
and holds it. At most every ``RECHECK_SECONDS`` it looks whether the folder changed (one
``stat``: the folder's mtime moves whenever a file is made, renamed or deleted in it), and only
then at the newest certificate, so a running server signs with the key ``keys rotate`` made (or
``keys init --force`` replaced) from its first request after that, without a restart. Not on
every signature: a ``stat`` costs 10-25 us where system calls are dear (a sandboxed VM), 5-7%
of a QR's signature; a key replaced is seen a twentieth of a second later at most, and a key is
distrusted only after a rotation made another the current one.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from sibook.signing.keys import ISSUER_FILE, FileSigner, load_signer


@dataclass
class _Held:
    """A realm's signer as loaded, and the folder's stamp it was checked against."""

    signer: FileSigner
    cert_pem: bytes  # the newest certificate's file as it was read
    stamp: int | None  # the folder's mtime (ns) then; None: too recent to rely on
    looked: int  # when the folder was last looked at (time.monotonic_ns)


_held: dict[tuple[Path, str, bytes], _Held] = {}
_reloading = threading.Lock()
# A folder's mtime moves by the kernel's clock tick: a change in the tick just after a check
# could keep the mtime that check saw. Only an mtime older than this is relied on (git's
# "racily clean" rule); until then every call looks at the certificate itself.
_SETTLED_NS = 2_000_000_000
RECHECK_SECONDS = 0.05
_RECHECK_NS = int(RECHECK_SECONDS * 1e9)
_MOST = 32  # folder, realm and passphrase held at once: a server has one folder, three realms


def current_signer(keys_dir: Path, realm: str, passphrase: bytes) -> FileSigner:
    """The newest issuing key of ``realm``: the one held while the folder is unchanged."""
    held, now = _held.get((keys_dir, realm, passphrase)), time.monotonic_ns()
    if held is not None and now - held.looked < _RECHECK_NS:
        return held.signer
    try:
        stamp: int | None = keys_dir.stat().st_mtime_ns
    except OSError:
        stamp = None  # gone: what the certificates say (none) is the answer
    if held is not None and stamp is not None and held.stamp == stamp:
        held.looked = now
        return held.signer
    with _reloading:  # one decryption when many requests see the change at once
        return _reload(keys_dir, realm, passphrase, stamp, now)


def _reload(keys_dir: Path, realm: str, passphrase: bytes, stamp: int | None,
            now: int) -> FileSigner:
    held = _held.get((keys_dir, realm, passphrase))
    newest = _newest_cert(keys_dir, realm)
    if held is None or newest is None or newest.read_bytes() != held.cert_pem:
        signer = load_signer(keys_dir, realm, passphrase)
        pem = signer.certificate.public_bytes(serialization.Encoding.PEM)
    else:
        signer, pem = held.signer, held.cert_pem
    settled = stamp is not None and time.time_ns() - stamp > _SETTLED_NS
    if len(_held) >= _MOST and (keys_dir, realm, passphrase) not in _held:
        _held.clear()  # a process signing for this many folders (tests) decrypts again
    _held[(keys_dir, realm, passphrase)] = _Held(signer, pem, stamp if settled else None, now)
    return signer


def _newest_cert(keys_dir: Path, realm: str) -> Path | None:
    generations = [int(m["gen"]) for p in keys_dir.glob(f"{realm}.*.cert.pem")
                   if (m := ISSUER_FILE.match(p.name)) and m["realm"] == realm]
    return keys_dir / f"{realm}.{max(generations)}.cert.pem" if generations else None
