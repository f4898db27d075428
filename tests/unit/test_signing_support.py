"""Builders shared by the signing tests (no tests here): an agency in a temporary folder,
a book payload, a tiny PDF and signed PDFs damaged as a tamperer would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF

from sibook.signing import keys
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
        "version": version, "book_hash": "9f2c" * 16,
        "totals": {"si_months": 187, "ui_months": 150}, "issued_at": "2026-03-01T08:00:00Z",
    }


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
