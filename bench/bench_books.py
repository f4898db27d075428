"""Book issuing benchmark: books/s (assemble + version + sign + QR) beside raw P-256 signatures/s
in the same run, and signed PDFs (render + PAdES) per second. One process, one core.

Seeds its own fresh SQLite database (the synthetic population of `sibook seed`: careers up to
30+ years) and a fresh agency in a temporary folder. Books are issued by the batch path
(`sibook.book.batch`: a handful of queries per batch of people, bulk version insert); the
one-at-a-time path (`service.current_version`) is timed on a sample for comparison. Each rate is
given per wall-clock second and per CPU second of this process (the machine may be shared).

Usage:
  python bench/bench_books.py --people 20000 --pdfs 50
  python bench/bench_books.py --people 125000 --employers 2000 --pdfs 50   # ~100,000 books
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sibook.book import batch, service, versions
from sibook.book.issuing import issue_qr, qr_payload
from sibook.book.payload import employer_ids, payload_of
from sibook.book.render_pdf import render_pdf
from sibook.core import migrate
from sibook.core.db import make_engine, unit_of_work
from sibook.core.schema import metadata
from sibook.seed.service import seed
from sibook.signing import keys
from sibook.signing.pades import sign_pdf
from sibook.signing.qr import qr_png, sign_qr

TODAY = date(2026, 11, 1)
ISSUER = "Bảo hiểm xã hội Việt Nam"


class Clock:
    """Wall and CPU seconds spent in named phases."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def run(self, name: str, step: Callable[[], Any]) -> Any:
        w, c = time.perf_counter(), time.process_time()
        result = step()
        self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - w
        self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - c
        return result

    def total(self, *names: str) -> tuple[float, float]:
        return sum(self.wall[n] for n in names), sum(self.cpu[n] for n in names)


def raw_signatures_per_second(signer: keys.FileSigner, seconds: float = 2.0) -> tuple[float, float]:
    message, n = os.urandom(64), 0
    start, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        for _ in range(200):
            signer.sign(message)
        n += 200
    return n / (time.perf_counter() - start), n / (time.process_time() - cpu)


def issue_books(engine: Any, ids: list[int], signer: keys.FileSigner, size: int
                ) -> tuple[list[versions.Version], Clock]:
    """``batch.issue_many``, phase by phase, so each phase is timed."""
    clock, made = Clock(), []
    at = datetime.now(UTC).replace(microsecond=0)
    known = batch.EmployerFacts()
    with unit_of_work(engine) as session:
        for start in range(0, len(ids), size):
            chunk = ids[start:start + size]
            # batch.assemble_many in two timed halves: reading the facts, then the pure part.
            people = clock.run("read", lambda c=chunk: batch.load_people(
                session=session, person_ids=c))
            clock.run("read", lambda p=people: known.load(
                session, set().union(*(employer_ids(q) for q in p.values())), TODAY))
            payloads = clock.run("assemble", lambda p=people: {
                pid: payload_of(q, known.employers, known.statuses, TODAY)
                for pid, q in p.items()})
            recorded = clock.run("version", lambda p=payloads: versions.record_many(
                session=session, payloads=p, now=at))
            chunk_versions = [recorded[pid][0] for pid in chunk if pid in recorded]
            clock.run("sign", lambda vs=chunk_versions: [issue_qr(v, signer, now=at)
                                                         for v in vs])
            made.extend(chunk_versions)
        clock.run("commit", session.flush)
    return made, clock


def single_path(engine: Any, ids: list[int], signer: keys.FileSigner) -> tuple[float, float]:
    """Books/s (wall, CPU) of the one-at-a-time path, on its own fresh versions."""
    wall, cpu = time.perf_counter(), time.process_time()
    with unit_of_work(engine) as session:
        for person_id in ids:
            version, _ = service.current_version(session=session, person_id=person_id,
                                                 as_of=TODAY)
            issue_qr(version, signer)
        session.rollback()  # measured only: leave the batch's versions as they are
    return len(ids) / (time.perf_counter() - wall), len(ids) / (time.process_time() - cpu)


def pdfs(made: list[versions.Version], signer: keys.FileSigner, n: int) -> Clock:
    clock = Clock()
    at = datetime.now(UTC).replace(microsecond=0)
    longest = sorted(made, key=lambda v: -v.payload["totals"]["si_months"])[:n]
    for v in longest:
        payload = qr_payload(v, signer, at)
        qr = clock.run("qr", lambda p=payload: sign_qr(p, signer, issued_at=at))
        image = clock.run("qr_image", lambda q=qr: qr_png(q, scale=3))
        pdf = clock.run("render", lambda v=v, i=image, p=payload: render_pdf(
            v.payload, version=v.version, content_hash=v.content_hash, issuer=ISSUER,
            issued_at=p["issued_at"], qr_png=i))
        clock.run("pades", lambda d=pdf, p=payload: sign_pdf(d, signer, book=p))
    years = sum(v.payload["totals"]["si_months"] for v in longest) / max(len(longest), 1) / 12
    print(f"signed PDFs of the {len(longest)} longest books ({years:.1f} years of SI on average):")
    for name in ("render", "qr_image", "pades"):
        w, c = clock.wall[name], clock.cpu[name]
        print(f"  {name:9} {1000 * w / len(longest):6.1f} ms wall, {1000 * c / len(longest):6.1f} "
              f"ms CPU  = {len(longest) / c:5.1f}/s per core")
    for label, names in (("render + PAdES", ("render", "pades")),
                         ("QR image + render + PAdES", ("qr", "qr_image", "render", "pades"))):
        w, c = clock.total(*names)
        print(f"  {label}: {len(longest) / w:.1f}/s wall, {len(longest) / c:.1f}/s per CPU second")
    return clock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--employers", type=int, default=100)
    parser.add_argument("--pdfs", type=int, default=50)
    parser.add_argument("--batch", type=int, default=batch.BATCH)
    parser.add_argument("--single-sample", type=int, default=300)
    parser.add_argument("--keep", action="store_true",
                        help="keep the seeded database (~1 GB at 125,000 people) to inspect")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sibook-bench-books-"))
    try:
        run(args, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> None:
    engine = make_engine(f"sqlite:///{work / 'bench.db'}")
    migrate.upgrade(engine)
    t = time.perf_counter()
    seed(engine=engine, people=args.people, employers=args.employers, today=TODAY)
    print(f"seeded {args.people} people in {time.perf_counter() - t:.1f} s ({work})")
    keys.init_keys(work / "keys", b"bench")
    signer = keys.load_signer(work / "keys", "civil", b"bench")

    raw, raw_cpu = raw_signatures_per_second(signer)
    persons, periods = metadata.tables["persons"], metadata.tables["si_periods"]
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(
            select(persons.c.person_id).where(persons.c.realm == "civil",
                                              persons.c.person_id.in_(
                                                  select(periods.c.person_id)))
            .order_by(persons.c.person_id))]

    one, one_cpu = single_path(engine, ids[: args.single_sample], signer)
    made, clock = issue_books(engine, ids, signer, args.batch)
    n = len(made)
    phases = ("read", "assemble", "version", "sign", "commit")
    wall, cpu = clock.total(*phases)
    months = sum(v.payload["totals"]["si_months"] for v in made)
    print(f"raw P-256 signatures: {raw:,.0f}/s wall, {raw_cpu:,.0f}/s per CPU second")
    print(f"books issued, batch path (assemble + record version + sign QR), {n} books in "
          f"batches of {args.batch}, average {months / n / 12:.1f} years of SI per book:")
    print(f"  {n / wall:,.0f} books/s wall = {100 * n / wall / raw:.1f}% of raw signing; "
          f"{n / cpu:,.0f} books/s per CPU second = {100 * n / cpu / raw_cpu:.1f}% of raw")
    print("  per book: " + ", ".join(f"{p} {1000 * clock.cpu[p] / n:.3f} ms CPU"
                                     for p in phases))
    # What the other phases cost even if assembling were free, against the 20% target.
    floor = sum(clock.cpu[p] for p in phases if p != "assemble")
    print(f"  without the assemble phase: {n / floor:,.0f} books/s per CPU second = "
          f"{100 * n / floor / raw_cpu:.1f}% of raw; 20% of raw leaves "
          f"{1e6 / (0.2 * raw_cpu):.0f} us a book, the other phases take {1e6 * floor / n:.0f} us")
    print(f"one-at-a-time path (service.current_version + QR), {min(len(ids), args.single_sample)}"
          f" books: {one:,.0f} books/s wall, {one_cpu:,.0f}/s per CPU second")
    pdfs(made, signer, args.pdfs)


if __name__ == "__main__":
    main()
