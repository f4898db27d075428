"""The trust list: every root and issuing certificate, as PEM, enough to verify books offline.

Only the roots are trust anchors. Issuing certificates are carried along so a verifier can find
a QR's key by its id without a network; each must be issued directly by one of the listed roots
and be a document-signing (non-CA) certificate, or the list is refused when loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

from sibook.core.errors import ValidationError
from sibook.signing import certs
from sibook.signing.keys import issuer_certificates, read_root

_PEM_BEGIN = b"-----BEGIN CERTIFICATE-----"


@dataclass(frozen=True)
class TrustList:
    roots: list[x509.Certificate]
    issuers: dict[bytes, x509.Certificate] = field(default_factory=dict)  # by key id
    issuer_roots: dict[bytes, x509.Certificate] = field(default_factory=dict)  # by key id

    @classmethod
    def from_certificates(cls, all_certs: Iterable[x509.Certificate]) -> TrustList:
        pool = list(all_certs)
        roots = [c for c in pool if certs.is_ca(c) and c.issuer == c.subject]
        if not roots:
            raise ValidationError(field="trust list", reason="no root CA certificate in it")
        issuers: dict[bytes, x509.Certificate] = {}
        issuer_roots: dict[bytes, x509.Certificate] = {}
        for cert in pool:
            if cert in roots:
                continue
            if certs.is_ca(cert):
                raise ValidationError(field="trust list", reason=(
                    f"{certs.common_name(cert)!r} is a CA but not a self-signed root"))
            root = issued_by(cert, roots)
            if root is None:
                raise ValidationError(field="trust list", reason=(
                    f"{certs.common_name(cert)!r} is not issued by a listed root"))
            issuers[certs.key_id(cert)] = cert
            issuer_roots[certs.key_id(cert)] = root
        return cls(roots=roots, issuers=issuers, issuer_roots=issuer_roots)

    @classmethod
    def from_pem(cls, data: bytes) -> TrustList:
        try:
            loaded = x509.load_pem_x509_certificates(data)
        except ValueError as exc:
            # cryptography's words (a link to its FAQ, a parser state such as MalformedFraming)
            # tell a verifier nothing to act on: what the file lacks is said instead.
            found = _PEM_BEGIN in data
            raise ValidationError(field="trust list", reason=(
                "not PEM certificates: a certificate in it is damaged" if found else
                f"not PEM certificates: it holds no {_PEM_BEGIN.decode()} block (a trust "
                "list is the PEM text `sibook trust-list export` writes)")) from exc
        return cls.from_certificates(loaded)

    @classmethod
    def load(cls, path: Path) -> TrustList:
        return cls.from_pem(path.read_bytes())

    @classmethod
    def from_keys_dir(cls, keys_dir: Path) -> TrustList:
        """The agency's own view: its root and every issuing generation ever made."""
        return cls.from_certificates(
            [read_root(keys_dir)] + [c for _, _, c in issuer_certificates(keys_dir)])

    def to_pem(self) -> bytes:
        ordered = self.roots + list(self.issuers.values())
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in ordered)

    def export(self, path: Path) -> None:
        path.write_bytes(self.to_pem())

    def issuer(self, kid: bytes) -> x509.Certificate | None:
        return self.issuers.get(kid)

    def root_of(self, kid: bytes) -> x509.Certificate | None:
        """The root that issued the certificate of ``kid`` (checked when the list was loaded)."""
        return self.issuer_roots.get(kid)


def issued_by(cert: x509.Certificate,
              candidates: list[x509.Certificate]) -> x509.Certificate | None:
    """The candidate whose key signed ``cert`` (signature checked, not just names compared)."""
    for parent in candidates:
        try:
            cert.verify_directly_issued_by(parent)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return parent
    return None


def validity_problem(cert: x509.Certificate, at: datetime) -> str | None:
    """Why ``cert`` was not valid at ``at`` (an aware datetime), or None."""
    if at < cert.not_valid_before_utc:
        return (f"certificate {certs.common_name(cert)!r} was not yet valid at issue time "
                f"{at.isoformat()} (valid from {cert.not_valid_before_utc.isoformat()})")
    if at > cert.not_valid_after_utc:
        return (f"certificate {certs.common_name(cert)!r} had expired at issue time "
                f"{at.isoformat()} (valid until {cert.not_valid_after_utc.isoformat()})")
    return None
