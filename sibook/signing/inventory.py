"""What the keys folder holds, as ``sibook keys list`` shows it: the root, each realm's issuing
certificates (the newest signs), and those distrusted (``distrust.py``), which stay on disk as
``<realm>.<n>.distrusted.pem`` with the time they were distrusted as text before the PEM
(RFC 7468 §5.2 lets explanatory text precede it), so no number is issued twice."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from cryptography import x509

from sibook.core.private_files import write_private
from sibook.signing.certs import REALMS, CertInfo
from sibook.signing.keys import issuer_certificates, read_root

_DISTRUSTED_FILE = re.compile(r"^(?P<realm>[a-z_]+)\.(?P<gen>[0-9]+)\.distrusted\.pem$")
_DISTRUSTED_AT = "Distrusted at: "  # the first line of a distrusted certificate's file


def list_certs(keys_dir: Path) -> list[CertInfo]:
    """The root, then each realm's issuing certificates, trusted and distrusted, oldest first."""
    issuers = issuer_certificates(keys_dir)
    newest = {realm: gen for realm, gen, _ in issuers}  # sorted, so the last wins
    rows = [CertInfo.of(realm, gen, cert, current=newest[realm] == gen)
            for realm, gen, cert in issuers]
    rows += [CertInfo.of(realm, gen, cert, current=False, distrusted=True, distrusted_at=at)
             for realm, gen, cert, at in distrusted_certificates(keys_dir)]
    return [CertInfo.of("root", 0, read_root(keys_dir), current=True)] + sorted(
        rows, key=lambda i: (i.role, i.generation))


def distrusted_certificates(keys_dir: Path
                            ) -> list[tuple[str, int, x509.Certificate, datetime | None]]:
    """Every distrusted issuing certificate as (realm, generation, certificate, when it was
    distrusted: None for one distrusted before the time was kept), oldest first."""
    found = []
    for path in keys_dir.glob("*.distrusted.pem"):
        match = _DISTRUSTED_FILE.match(path.name)
        if match and match["realm"] in REALMS:
            data = path.read_bytes()
            first = data.split(b"\n", 1)[0].decode("utf-8", "replace")
            at = (datetime.fromisoformat(first.removeprefix(_DISTRUSTED_AT))
                  if first.startswith(_DISTRUSTED_AT) else None)
            found.append((match["realm"], int(match["gen"]),
                          x509.load_pem_x509_certificate(data), at))
    return sorted(found, key=lambda item: (item[0], item[1]))


def save_distrusted(keys_dir: Path, realm: str, generation: int, cert_pem: bytes,
                    at: datetime) -> None:
    """Keep a certificate (PEM) as distrusted since ``at``; it leaves the trust list when its
    ``.cert.pem`` is removed."""
    path = keys_dir / f"{realm}.{generation}.distrusted.pem"
    text = f"{_DISTRUSTED_AT}{at.isoformat(timespec='seconds')}\n"
    write_private(path, text.encode() + cert_pem)
