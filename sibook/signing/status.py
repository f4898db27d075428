"""Revocation of book versions (a version may be suspended on suspected fraud, with a reason).

``RevocationStatus`` is the one question verification asks; a database-backed store can answer
it later. ``RevocationList`` is the file-backed answer, one file per realm, each signed by that
realm's issuing key so that a verifier holding only the trust list can tell it was not edited:
``keys_dir/revocations.json`` (civil, the list the agency publishes) and
``revocations-defence.json``, ``revocations-public_security.json``. A realm's list names only
that realm's people, so publishing the civil list discloses nobody of the other two.

File shape::

    {"entries": [{"personal_id", "version", "reason", "revoked_at"}...], "signed_at": ISO,
     "kid": hex, "signature": base64 DER ECDSA-SHA256 over the canonical JSON of
     {"entries", "signed_at"} (sorted keys, no spaces, UTF-8)}
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from sibook.core.errors import ValidationError
from sibook.signing import certs
from sibook.signing.keys import Signer
from sibook.signing.trust_list import TrustList

REVOCATIONS_FILE = "revocations.json"


def revocations_file(realm: str) -> str:
    """The file name of a realm's revocation list (the civil one keeps the plain name)."""
    return REVOCATIONS_FILE if realm == "civil" else f"revocations-{realm}.json"


class RevocationStatus(Protocol):
    def is_revoked(self, personal_id: str, version: int) -> str | None:
        """The reason this book version is revoked, or None when it stands."""
        ...


@dataclass(frozen=True)
class Revocation:
    personal_id: str
    version: int
    reason: str
    revoked_at: str  # ISO 8601, UTC


class RevocationList:
    """Revoked book versions, kept as a signed JSON file."""

    def __init__(self, entries: list[Revocation] | None = None) -> None:
        self._entries = {(e.personal_id, e.version): e for e in entries or []}

    @property
    def entries(self) -> list[Revocation]:
        return sorted(self._entries.values(), key=lambda e: (e.personal_id, e.version))

    def is_revoked(self, personal_id: str, version: int) -> str | None:
        entry = self._entries.get((personal_id, version))
        return entry.reason if entry else None

    def revoke(self, personal_id: str, version: int, reason: str, *,
               at: datetime | None = None) -> Revocation:
        entry = Revocation(personal_id, version, reason,
                           (at or datetime.now(UTC)).isoformat(timespec="seconds"))
        self._entries[(personal_id, version)] = entry
        return entry

    def reinstate(self, personal_id: str, version: int) -> bool:
        """Lift a temporary revocation; False when the version was not revoked."""
        return self._entries.pop((personal_id, version), None) is not None

    def save(self, path: Path, signer: Signer) -> None:
        body = {"entries": [asdict(e) for e in self.entries],
                "signed_at": datetime.now(UTC).isoformat(timespec="seconds")}
        signed = {**body, "kid": signer.key_id.hex(),
                  "signature": base64.b64encode(signer.sign(_canonical(body))).decode()}
        path.write_text(json.dumps(signed, ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def load_realms(cls, keys_dir: Path, trust_list: TrustList,
                    realms: Iterable[str] = tuple(certs.REALMS)) -> RevocationList:
        """The lists of ``realms`` kept in ``keys_dir``, each checked against its realm's key,
        as one (the agency's own view; personal IDs are national, so a person's versions are
        in one realm's list only)."""
        return cls([entry for realm in realms
                    for entry in cls.load(keys_dir / revocations_file(realm), trust_list,
                                          realm=realm).entries])

    @classmethod
    def load(cls, path: Path, trust_list: TrustList, *, realm: str | None = None
             ) -> RevocationList:
        """Read and check the file; a missing file is an empty list, an altered one refused,
        and with ``realm``, one signed by another realm's key too."""
        if not path.exists():
            return cls()
        try:
            signed = json.loads(path.read_text(encoding="utf-8"))
            body = {"entries": signed["entries"], "signed_at": signed["signed_at"]}
            kid = bytes.fromhex(signed["kid"])
            signature = base64.b64decode(signed["signature"], validate=True)
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise _refused(path, f"malformed: {exc}") from exc
        cert = _check_signature(path, trust_list, kid, signature, _canonical(body))
        signed_by = certs.realm_of(cert)
        if realm is not None and signed_by != realm:
            raise _refused(path, f"of the {realm} realm is signed by the {signed_by} realm's key")
        return cls([_entry(path, raw) for raw in body["entries"]])


def _check_signature(path: Path, trust_list: TrustList, kid: bytes, signature: bytes,
                     body: bytes) -> x509.Certificate:
    cert = trust_list.issuer(kid)
    if cert is None:
        raise _refused(path, f"signed by key id {kid.hex()}, which the trust list does not "
                             "hold (exported before a key rotation? export it again)")
    public_key = cert.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise _refused(path, "signing certificate is not an EC key")
    try:
        public_key.verify(signature, body, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise _refused(path, "bad signature: the file was altered after signing") from exc
    return cert


def _entry(path: Path, raw: Any) -> Revocation:
    try:
        return Revocation(str(raw["personal_id"]), int(raw["version"]), str(raw["reason"]),
                          str(raw["revoked_at"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise _refused(path, f"malformed entry {raw!r}") from exc


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _refused(path: Path, reason: str) -> ValidationError:
    return ValidationError(field=str(path), reason=f"revocation list {reason}")
