"""Book issuing benchmark: books/s (assemble + version + sign + QR) beside raw P-256 signatures/s
in the same run, and signed PDFs (render + PAdES) per second. One process, one core.

Seeds its own fresh SQLite database (the synthetic population of `sibook seed`: careers up to
30+ years) and a fresh agency in a temporary folder.

Usage:
  python bench/bench_books.py --people 2000 --pdfs 50
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select

from sibook.book import service
from sibook.book.issuing import issue_qr, qr_payload
from sibook.book.render_pdf import render_pdf
from sibook.core import migrate
from sibook.core.db import make_engine, unit_of_work
from sibook.core.schema import metadata
from sibook.seed.service import seed
from sibook.signing import keys
from sibook.signing.pades import sign_pdf
from sibook.signing.qr import qr_png, sign_qr

TODAY = date(2026, 11, 1)


def raw_signatures_per_second(signer: keys.FileSigner, seconds: float = 2.0) -> float:
    message, n, start = os.urandom(64), 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(200):
            signer.sign(message)
        n += 200
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--employers", type=int, default=100)
    parser.add_argument("--pdfs", type=int, default=50)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sibook-bench-books-"))
    engine = make_engine(f"sqlite:///{work / 'bench.db'}")
    migrate.upgrade(engine)
    t = time.perf_counter()
    seed(engine=engine, people=args.people, employers=args.employers, today=TODAY)
    print(f"seeded {args.people} people in {time.perf_counter() - t:.1f} s ({work})")
    keys.init_keys(work / "keys", b"bench")
    signer = keys.load_signer(work / "keys", "civil", b"bench")

    raw = raw_signatures_per_second(signer)
    persons, periods = metadata.tables["persons"], metadata.tables["si_periods"]
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(
            select(persons.c.person_id).where(persons.c.realm == "civil",
                                              persons.c.person_id.in_(
                                                  select(periods.c.person_id)))
            .order_by(persons.c.person_id))]

    assemble_s = sign_s = 0.0
    made, months = [], 0
    start = time.perf_counter()
    with unit_of_work(engine) as session:
        for person_id in ids:
            t0 = time.perf_counter()
            version, _ = service.current_version(session=session, person_id=person_id,
                                                 as_of=TODAY)
            t1 = time.perf_counter()
            issue_qr(version, signer)
            sign_s += time.perf_counter() - t1
            assemble_s += t1 - t0
            made.append(version)
            months += version.payload["totals"]["si_months"]
    books_s = len(made) / (time.perf_counter() - start)

    pdf_start = time.perf_counter()
    at = datetime.now(UTC).replace(microsecond=0)
    for v in made[: args.pdfs]:
        payload = qr_payload(v, signer, at)
        pdf = render_pdf(v.payload, version=v.version, content_hash=v.content_hash,
                         issuer="Bảo hiểm xã hội Việt Nam", issued_at=payload["issued_at"],
                         qr_png=qr_png(sign_qr(payload, signer, issued_at=at), scale=3))
        sign_pdf(pdf, signer, book=payload)
    pdfs = min(args.pdfs, len(made))
    pdf_s = pdfs / (time.perf_counter() - pdf_start)

    n = len(made)
    print(f"raw P-256 signatures: {raw:,.0f}/s")
    print(f"books issued (assemble + record version + sign QR): {n} in one transaction, "
          f"{books_s:,.0f} books/s = {100 * books_s / raw:.1f}% of raw signing; "
          f"average {months / n / 12:.1f} years of SI per book")
    print(f"  per book: assemble + version {1000 * assemble_s / n:.2f} ms, "
          f"sign + QR encode {1000 * sign_s / n:.3f} ms")
    print(f"signed PDFs (render + PAdES): {pdfs} at {pdf_s:.1f}/s")


if __name__ == "__main__":
    main()
