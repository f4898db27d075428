"""Builders shared by the signing tests (no tests here): an agency in a temporary folder,
a book payload, a tiny PDF and signed PDFs damaged as a tamperer would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fpdf import FPDF

from sibook.signing import certs, keys
from sibook.signing.keys import FileSigner
from sibook.signing.trust_list import TrustList

PASSPHRASE = b"correct horse battery staple"


@dataclass
class Agency:
    keys_dir: Path
    signer: FileSigner
    trust_list: TrustList


def make_agency(keys_dir: Path, *, now: datetime | None = None,
                issuer_days: int = 5 * 365) -> Agency:
    keys.init_keys(keys_dir, PASSPHRASE, now=now, issuer_days=issuer_days)
    return Agency(keys_dir, keys.load_signer(keys_dir, "civil", PASSPHRASE),
                  TrustList.from_keys_dir(keys_dir))


def book_payload(version: int = 3) -> dict[str, Any]:
    return {
        "personal_id": "001090001234", "name": "Nguyễn Thị Hồng", "birth_date": "1990-05-17",
        "realm": "civil", "version": version, "book_hash": "9f2c" * 16,
        "totals": {"si_months": 187, "ui_months": 150}, "issued_at": "2026-03-01T08:00:00Z",
    }


def before_realms(agency: Agency) -> Agency:
    """The agency's civil key under a certificate as made before payloads named their realm
    (no ``PAYLOADS_NAME_REALM`` policy), signed by a root of its own: what it signs may name
    no realm."""
    root_key = certs.new_private_key()
    root = certs.make_root(root_key, now=agency.signer.certificate.not_valid_before_utc)
    made = certs.make_issuer(agency.signer.private_key, realm="civil", generation=1,
                             root_cert=root, root_key=root_key, now=root.not_valid_before_utc)
    old = without_realm_policy(made, root_key)
    return Agency(agency.keys_dir, FileSigner(agency.signer.private_key, old, [root]),
                  TrustList.from_certificates([root, old]))


def without_realm_policy(made: x509.Certificate, root_key: ec.EllipticCurvePrivateKey
                         ) -> x509.Certificate:
    """``made`` as an older sibook made it, before the ``PAYLOADS_NAME_REALM`` policy: the
    same subject, key and dates, re-signed by ``root_key``."""
    builder = (x509.CertificateBuilder().subject_name(made.subject).issuer_name(made.issuer)
               .public_key(made.public_key()).serial_number(made.serial_number)
               .not_valid_before(made.not_valid_before_utc)
               .not_valid_after(made.not_valid_after_utc))
    for ext in made.extensions:
        if not isinstance(ext.value, x509.CertificatePolicies):
            builder = builder.add_extension(ext.value, ext.critical)
    return builder.sign(root_key, hashes.SHA256())


def tiny_pdf(text: str = "So bao hiem xa hoi (social insurance book)") -> bytes:
    pdf = FPDF()
    pdf.set_compression(False)  # so a test can find and flip a byte of the page text
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


def contents_span(signed: bytes) -> tuple[int, int]:
    """Where the hex of ``/Contents`` lies: the one part the signed byte range leaves out."""
    start = signed.index(b"/Contents <") + len(b"/Contents <")
    return start, signed.index(b">", start)


def zeroed_contents(signed: bytes) -> bytes:
    """``signed`` with the hex of its signature all zeros (asn1crypto read it as "should have
    been constructed, but primitive was found")."""
    start, end = contents_span(signed)
    return signed[:start] + b"0" * (end - start) + signed[end:]


def flipped_signing_time(signed: bytes) -> bytes:
    """``signed`` with one bit of its signing time /M changed: the colon's escape ``\\072``
    made ``|072`` (pyHanko said "D|0722026... does not appear to be a date string")."""
    at = signed.rindex(b"/M (D") + len(b"/M (D")
    tampered = bytearray(signed)
    tampered[at] ^= 0x20
    return bytes(tampered)
