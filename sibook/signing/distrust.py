"""Distrusting an issuing certificate whose key is compromised or lost (``sibook keys distrust``).

The certificate leaves the trust list (kept on disk as ``<realm>.<n>.distrusted.pem`` with the
time, ``inventory.py``, so ``sibook keys list`` shows it and its number is never issued again)
and its private key file is deleted: from then on nothing the key signed verifies, QR or PDF,
whenever it claims to have been signed. No "distrusted from" instant spares the books signed
before the compromise: the time a QR (``iat``) or a PDF (signing-time) carries is written by the
signer itself, so whoever holds the key can date a forgery to any moment, and the agency has no
trusted timestamp (PAdES B-T) yet. The agency re-issues the genuine books instead: an export
signs afresh with the realm's current key.

Only a generation that no longer signs may be distrusted (``sibook keys rotate`` first), and
the realm's revocation list is re-signed by the current key before, so it still loads.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from sibook.core.errors import ConflictError, NotFoundError
from sibook.signing import keys, status
from sibook.signing.certs import REALMS, CertInfo
from sibook.signing.inventory import list_certs, save_distrusted
from sibook.signing.trust_list import TrustList


class NoSuchGeneration(NotFoundError):
    """The realm has no trusted issuing certificate of the generation asked."""


class GenerationSigns(ConflictError):
    """The generation asked is the one that signs now: it is rotated out first."""


def distrust(keys_dir: Path, realm: str, generation: int, passphrase: bytes, *,
             now: datetime | None = None) -> CertInfo:
    """Stop trusting issuing certificate ``generation`` of ``realm``; what it is now. One
    distrusted before is answered as it was (its key file deleted if still there)."""
    if realm not in REALMS:
        raise NotFoundError(f"unknown realm {realm!r}; expected one of {', '.join(REALMS)}")
    if not keys.has_keys(keys_dir):
        raise keys.NoKeys(keys_dir)
    with keys.locked(keys_dir):  # not while a rotation picks the realm's next number
        certificates = [i for i in list_certs(keys_dir) if i.role == realm]
        issued = {i.generation: i for i in certificates if not i.distrusted}
        stem = f"{realm}.{generation}"
        was = next((i for i in certificates if i.distrusted and i.generation == generation),
                   None)
        if generation not in issued and was is not None:
            # Distrusted before: run again (its answer lost, or killed between the
            # certificate's removal and the key's), it answers so and deletes the key if left.
            (keys_dir / f"{stem}.key.pem").unlink(missing_ok=True)
            return was
        if generation not in issued:
            raise NoSuchGeneration(f"the {realm} realm has no trusted issuing certificate "
                                f"{generation} (see `sibook keys list`)")
        if issued[generation].current:
            raise GenerationSigns(f"{realm} issuing certificate {generation} is the one that signs "
                                f"now: run `sibook keys rotate --realm {realm}` first")
        current = keys.load_signer(keys_dir, realm, passphrase)
        status.renew(keys_dir / status.revocations_file(realm), TrustList.from_keys_dir(keys_dir),
                     current, realm=realm)
        at = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
        cert_path = keys_dir / f"{stem}.cert.pem"
        save_distrusted(keys_dir, realm, generation, cert_path.read_bytes(), at)
        cert_path.unlink()
        (keys_dir / f"{stem}.key.pem").unlink(missing_ok=True)  # nothing signs with it again
        return replace(issued[generation], distrusted=True, distrusted_at=at)
