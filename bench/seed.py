"""Seeding benchmark: people/s and rows/s of `sibook seed`, beside the raw bulk-insert rate.

Generates its own synthetic population (the same generator as `sibook seed`) and measures, in
the same run and on the same database server:
  - the full seed (generate + write through the bulk path), people/s and rows/s, peak RSS;
  - the raw bulk path alone for the same rows (COPY on PostgreSQL, executemany on SQLite),
    rows/s, on rows generated beforehand (not counted), as the baseline.

Usage:
  python bench/seed.py --people 1000000 --backend postgresql
  python bench/seed.py --people 1000000 --backend sqlite
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

from scratch_db import drop, fresh  # bench/scratch_db.py (scripts run from bench/)
from sqlalchemy import Engine

from sibook.core.bulk import write
from sibook.seed import employers as employer_gen
from sibook.seed.population import COLUMNS, Population
from sibook.seed.service import seed

TODAY = date(2026, 11, 1)


def raw_baseline(engine: Engine, people: int, employers: int) -> tuple[int, float]:
    """Rows/s of the bare bulk path for a sample of the same rows, generated beforehand."""
    rows, refs = employer_gen.generate(random.Random(9), employers, first_id=1)
    population = Population(seed=9, employers=refs, today=TODAY)
    batches = [population.batch(5_000) for _ in range(max(1, people // 5_000))]
    total = sum(b.count() for b in batches)
    start = time.perf_counter()
    with engine.begin() as conn:
        write(conn, "employers", employer_gen.COLUMNS, rows)
        for batch in batches:
            for table, columns in COLUMNS.items():
                write(conn, table, columns, getattr(batch, table))
    return total, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--employers", type=int, default=20_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--baseline-people", type=int, default=100_000,
                        help="people whose rows the raw baseline writes (held in memory)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        engine, name = fresh(args.backend, workdir)
        try:
            start = time.perf_counter()
            report = seed(engine=engine, people=args.people, employers=args.employers,
                          seed=1, today=TODAY)
            seconds = time.perf_counter() - start
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        finally:
            engine.dispose()
            drop(name)
        engine, name = fresh(args.backend, workdir)
        try:
            raw_rows, raw_seconds = raw_baseline(engine, args.baseline_people, args.employers)
        finally:
            engine.dispose()
            drop(name)
    seed_rate = report.rows / seconds
    raw_rate = raw_rows / raw_seconds
    print(f"backend            {args.backend}")
    print(f"people             {report.people:,}  employers {report.employers:,}")
    print(f"rows written       {report.rows:,}  ({report.rows / report.people:.1f} per person)")
    print(f"seed time          {seconds:,.1f} s")
    print(f"seed rate          {report.people / seconds:,.0f} people/s  {seed_rate:,.0f} rows/s")
    print(f"raw bulk baseline  {raw_rate:,.0f} rows/s ({raw_rows:,} rows pre-generated)")
    print(f"seed / raw         {seed_rate / raw_rate:.2f}")
    print(f"peak RSS (seed)    {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
