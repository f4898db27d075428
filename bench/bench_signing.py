"""Signing throughput: raw P-256 signatures/s beside QR-signed payloads/s and PAdES PDFs/s.

Run: ``.venv/bin/python bench/bench_signing.py [--seconds 3]``. Uses a throw-away agency in a
temporary folder; one core (everything here is single-threaded).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fpdf import FPDF

from sibook.book.issuing import Agency
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


def paired(label_a: str, label_b: str, seconds: float, work_a: Callable[[int], object],
           work_b: Callable[[int], object]) -> tuple[float, float]:
    """Calls per CPU second of two ways of the same work, run in alternate rounds so a load
    that changes during the run (a shared machine) weighs on both alike; CPU time, as a system
    call may hand the core to another process for longer than the call takes."""
    work_a(-1), work_b(-1)
    spent, done, start = [0.0, 0.0], 0, time.perf_counter()
    while time.perf_counter() - start < 2 * seconds:
        for side, work in enumerate((work_a, work_b)):
            begun = time.process_time()
            for i in range(done, done + 20):
                work(i)
            spent[side] += time.process_time() - begun
        done += 20
    for label, took in zip((label_a, label_b), spent, strict=True):
        print(f"{label:<34} {done / took:>10,.0f} /s   ({done} in {took:.1f} CPU s)")
    return done / spent[0], done / spent[1]


def payload(i: int) -> dict[str, object]:
    return {
        "personal_id": f"{1_090_000_000 + i:012d}", "name": "Nguyễn Thị Hồng",
        "birth_date": "1990-05-17", "realm": "civil", "version": 3, "book_hash": "9f2c" * 16,
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
        # As a server signs: the agency's current signer looked up for every book (cached; a
        # rotation or distrust is seen at the next look-up).
        agency = Agency(Path(tmp), PASSPHRASE)
        recent = rate("signer look-ups, folder just changed", 1.0,
                      lambda i: agency.signer("civil"))
        settled = Path(tmp).stat().st_mtime_ns - 3_600 * 10**9  # unchanged for an hour, as a
        os.utime(tmp, ns=(settled, settled))                    # server's keys folder mostly is
        look_ups = rate("signer look-ups (Agency.signer)", seconds,
                        lambda i: agency.signer("civil"))
        fixed, looked_up = paired("QR-signed, one signer held", "QR-signed, signer looked up",
                                  seconds, lambda i: sign_qr(payload(i), signer),
                                  lambda i: sign_qr(payload(i), agency.signer("civil")))
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
    print(f"signer look-up {1e6 / look_ups:5.1f} us ({1e6 / recent:5.1f} us in the 2 s after "
          "the folder changed);")
    print(f"QR signing with a look-up each time = "
          f"{looked_up / fixed:6.1%} of holding one signer (measured alternately)")
    print(f"PAdES signing = {pades / raw:6.2%} of raw signing; {pades:,.0f} PDFs/s per core")
    print(f"QR text {len(qr_text)} chars; verify QR {qr_check:,.0f}/s, PDF {pdf_check:,.0f}/s")


if __name__ == "__main__":
    main()
