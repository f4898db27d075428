"""Signing throughput: raw P-256 signatures/s beside QR-signed payloads/s and PAdES PDFs/s.

Run: ``.venv/bin/python bench/bench_signing.py [--seconds 3]``. Uses a throw-away agency in a
temporary folder; one core (everything here is single-threaded).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fpdf import FPDF

from sibook.signing import keys
from sibook.signing.pades import sign_pdf, validate_pdf
from sibook.signing.qr import sign_qr, verify_qr
from sibook.signing.trust_list import TrustList

PASSPHRASE = b"bench only"


def rate(label: str, seconds: float, work: Callable[[int], object]) -> float:
    """Calls of ``work(i)`` per second over about ``seconds``."""
    work(-1)  # warm caches (imports, lru caches) outside the clock
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(20):
            work(done)
            done += 1
    per_second = done / elapsed
    print(f"{label:<34} {per_second:>10,.0f} /s   ({done} in {elapsed:.1f} s)")
    return per_second


def payload(i: int) -> dict[str, object]:
    return {
        "personal_id": f"{1_090_000_000 + i:012d}", "name": "Nguyễn Thị Hồng",
        "birth_date": "1990-05-17", "version": 3, "book_hash": "9f2c" * 16,
        "totals": {"si_months": 360, "ui_months": 300, "ui_reserve_months": 12},
        "issued_at": "2026-03-01T08:00:00Z", "kid": "00" * 8,
    }


def small_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="So bao hiem xa hoi - social insurance book")
    return bytes(pdf.output())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    seconds = parser.parse_args().seconds
    with tempfile.TemporaryDirectory() as tmp:
        keys.init_keys(Path(tmp), PASSPHRASE)
        signer = keys.load_signer(Path(tmp), "civil", PASSPHRASE)
        trust = TrustList.from_keys_dir(Path(tmp))
    private_key = signer.private_key
    message = b"x" * 200  # about the size of a Sig_structure over a book payload
    pdf = small_pdf()
    qr_text = sign_qr(payload(0), signer)
    signed_pdf = sign_pdf(pdf, signer, book=payload(0))

    raw = rate("raw P-256 ECDSA signatures", seconds,
               lambda i: private_key.sign(message, ec.ECDSA(hashes.SHA256())))
    qr = rate("QR-signed payloads (CWT+COSE)", seconds, lambda i: sign_qr(payload(i), signer))
    pades = rate("PAdES-signed PDFs (B-B)", seconds,
                 lambda i: sign_pdf(pdf, signer, book=payload(i)))
    qr_check = rate("QR verifications", seconds, lambda i: verify_qr(qr_text, trust))
    pdf_check = rate("PDF validations (pyHanko)", seconds,
                     lambda i: validate_pdf(signed_pdf, trust))
    print(f"QR signing    = {qr / raw:6.1%} of raw signing (target >= 20%)")
    print(f"PAdES signing = {pades / raw:6.2%} of raw signing; {pades:,.0f} PDFs/s per core")
    print(f"QR text {len(qr_text)} chars; verify QR {qr_check:,.0f}/s, PDF {pdf_check:,.0f}/s")


if __name__ == "__main__":
    main()
